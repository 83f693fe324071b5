"""`cloudwarden demo`: the whole journey on a simulated account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cloudwarden.cli import output
from cloudwarden.config import get_settings

if TYPE_CHECKING:
    from cloudwarden.demo import DemoRun


def demo(
    scenario: Annotated[
        str, typer.Option(metavar="NAME", help="Scenario to inject (see --list)")
    ] = "memory_leak",
    list_: Annotated[bool, typer.Option("--list", help="List the scenarios and exit")] = False,
    json_: Annotated[
        bool, typer.Option("--json", help="Print the investigation JSON with a truth object; errors too")
    ] = False,
    github: Annotated[
        bool,
        typer.Option(
            "--github/--no-github",
            help="Opt in to GitHub evidence as a customer would (a token secret, the template's "
            "GitHubTokenSecretArn): the commits a suspect deployment brought",
        ),
    ] = True,
) -> None:
    """Onboard a simulated AWS account as a customer would, inject an incident, diagnose it.

    Runs on its own simulated account and a throwaway database: nothing of yours is touched.
    """
    from cloudwarden.simulator import scenario as scenarios

    available = scenarios.load_all()
    if list_:
        if json_:
            output.print_json(
                [{"name": s.name, "title": s.title, "fault": s.truth.fault} for s in available.values()]
            )
            return
        table = output.Table(title="Scenarios")
        for column in ("name", "fault type", "what happens"):
            table.add_column(column)
        for s in available.values():
            table.add_row(s.name, s.truth.fault, s.title)
        output.out.print(table)
        return
    if scenario not in available:
        raise typer.BadParameter(
            f"unknown scenario {scenario!r}; available: {', '.join(sorted(available))}",
            param_hint="--scenario",
        )
    import tempfile
    from pathlib import Path

    from cloudwarden.demo import run_demo

    step = output.quiet_step if json_ else output.step
    # A throwaway store: the demo never sees, closes or purges the accounts and incidents of
    # CloudWarden's own database (CLOUDWARDEN_DATABASE_URL), even for the same role ARN.
    with tempfile.TemporaryDirectory(prefix="cloudwarden-demo-") as folder:
        settings = get_settings().model_copy(
            update={"data_dir": Path(folder), "database_url": f"sqlite:///{Path(folder) / 'demo.db'}"}
        )
        run = run_demo(scenario, settings=settings, step=step, github=github, deliver=True, posture=True)
    if json_:
        output.print_json(
            {
                "investigation": run.diagnosis.model_dump(mode="json"),
                "truth": run.truth(),
                "correct": run.correct(),
                "time_to_diagnosis_ms": run.time_to_diagnosis_ms,
                "aws_calls_by_action": run.aws_calls_by_action,
                "probe": [p.__dict__ for p in run.probe],
                "deliveries": run.deliveries,
                "remediation": run.remediation,
                "posture": run.posture,
            }
        )
        return
    output.print_diagnosis(run.diagnosis)
    verdict = "[green]correct[/green]" if run.correct() else "[red]wrong[/red]"
    output.out.print(
        f"\nGround truth (hidden from the engine): {run.injection.truth_fault} on "
        f"{output.short_arn(run.injection.truth_resource)} — "
        f"diagnosis {verdict}; alarm to stored diagnosis in {run.time_to_diagnosis_ms} ms."
    )
    _print_loop(run)
    _print_posture(run)


def _print_posture(run: DemoRun) -> None:
    """The account's posture beside the incident: scores, failures, the worst five."""
    from cloudwarden.posture.outputs.tabular import external_line

    audit = run.posture
    if not audit:
        return
    counts = audit["counts"]
    output.out.print(
        f"\nSecurity posture of the account: {audit['checks']} checks in {audit['seconds']} s "
        f"({audit['api_calls']} AWS calls): {counts.get('FAIL', 0)} failed, {counts.get('PASS', 0)} passed, "
        f"{counts.get('ERROR', 0)} could not be read"
    )
    for score in audit["scores"]:
        judged = score["passed"] + score["failed"] + score["unknown"]
        output.out.print(
            f"  {score['title']}: {score['passed']}/{judged} requirements passed, score {score['score']:.1f}"
        )
    for failure in audit["top_failures"]:
        output.out.print(
            f"  [red]{failure['severity']}[/red] {failure['check_id']}: {output.short_arn(failure['resource_id'])}"
        )
    output.out.print(f"  {external_line(audit['external_findings'])}", markup=False, highlight=False)
    output.out.print("  (`cloudwarden posture scan` writes the full report: JSON, CSV, OCSF, HTML)")


def _print_loop(run: DemoRun) -> None:
    """What reached the phone and what the approved fix did."""
    for delivery in run.deliveries:
        output.out.print(
            f"Delivered: {delivery['kind']} to {delivery['channel']} +{delivery['recipient']} ({delivery['status']})"
        )
    remediation = run.remediation
    if not remediation or not remediation.get("action"):
        output.out.print("No remediation was proposed for this diagnosis.")
        return
    consent = remediation.get("consent") or {}
    output.out.print(
        f"Remediation: {remediation['action']} on {output.short_arn(remediation['resource'])}, approved by "
        f"{consent.get('approver', '?')} via {consent.get('via', '?')} (single-use consent, 90 s); "
        f"{'executed' if remediation['executed'] else remediation['status']}; "
        + (
            "[green]the alarm recovered[/green]"
            if remediation["recovered"]
            else "[red]the alarm did not recover[/red]"
        )
    )
