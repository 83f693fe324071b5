"""`cloudwarden bench diagnose`: generated cases, CloudWarden beside the baselines."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from cloudwarden.cli import output

if TYPE_CHECKING:
    from cloudwarden.bench.runner import CaseResult

app = output.sub_app("Benchmarks with hidden ground truth on the simulated account.")

COLUMNS = ("AC@1", "AC@3", "Avg@5")


class AccountSize(StrEnum):
    small = "small"
    large = "large"


@app.callback()
def _group() -> None:
    """Benchmarks with hidden ground truth on the simulated account."""


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _table(name: str, group: dict[str, Any], methods: dict[str, Any]) -> output.Table:
    from rich import box

    from cloudwarden.bench.runner import LABELS

    mean = group["mean_candidates"]
    table = output.Table(
        title=f"{name} ({group['cases']} case{'' if group['cases'] == 1 else 's'})",
        caption=(
            f"res: resource level, {mean['resource']:g} candidates on average; "
            f"r+f: resource and fault type, {mean['resource_fault']:g} candidates"
        ),
        box=box.SIMPLE_HEAD,
    )
    table.add_column("method", no_wrap=True)
    for level in ("res", "r+f"):
        for column in COLUMNS:
            table.add_column(f"{level}\n{column}", justify="right", no_wrap=True)
    for method, entry in [*methods.items(), ("chance", {"status": "ok"})]:
        label = LABELS[method]
        if entry["status"] != "ok":
            table.add_row(label, *(["—"] * 2 * len(COLUMNS)), style="yellow")
            continue
        cells = [_fmt(group[level][method][c]) for level in ("resource", "resource_fault") for c in COLUMNS]
        style = "bold" if method == "cloudwarden" else ("dim" if method == "chance" else None)
        table.add_row(label, *cells, style=style)
    return table


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _reliability_table(table_data: dict[str, Any]) -> output.Table:
    from rich import box

    sure = table_data["confident"]
    verdict = {True: "met", False: "not met", None: "no such case"}[sure["met"]]
    table = output.Table(
        title="CloudWarden top-1 confidence: reliability (right = resource and fault)",
        caption=(
            f"top confidence >= {sure['threshold']:g}: right in {sure['right']} of {sure['cases']} cases "
            f"({_share(sure['share_right'])}; target >= {sure['target']:g}: {verdict})"
        ),
        box=box.SIMPLE_HEAD,
    )
    for column in ("confidence", "cases", "right", "share right", "mean confidence"):
        table.add_column(column, justify="left" if column == "confidence" else "right", no_wrap=True)
    for row in table_data["buckets"]:
        table.add_row(
            row["bucket"],
            str(row["cases"]),
            str(row["right"]),
            _share(row["share_right"]),
            _share(row["mean_confidence"]),
        )
    return table


def render(report: dict[str, Any]) -> None:
    for name, group in report["scores"].items():
        output.out.print(_table(name, group, report["methods"]))
        output.out.print()
    if "reliability" in report:
        output.out.print(_reliability_table(report["reliability"]))
        output.out.print()
    t, calls = report["time_to_diagnosis_ms"], report["aws_calls_per_investigation"]
    over = calls.get("over_budget")
    output.out.print(
        f"Time to diagnosis (alarm notification received to diagnosis stored): p50 {t['p50']} ms, "
        f"p95 {t['p95']} ms. AWS API calls per investigation: p50 {calls['p50']}, max {calls['max']}"
        + (f", over {calls['budget']} in {over} case(s)." if over is not None else ".")
    )
    size = report.get("account_resources")
    if size and size["p50"] is not None:
        deployed = (
            f"; the unrelated resources took p50 {size['unrelated_deploy_ms_p50']} ms, "
            f"max {size['unrelated_deploy_ms_max']} ms to deploy"
            if size["unrelated_deploy_ms_p50"] is not None
            else ""
        )
        output.out.print(
            f"Resources in each case's account: min {size['min']:g}, p50 {size['p50']:g}, "
            f"max {size['max']:g} ({report['config'].get('unrelated_resources', 0)} unrelated){deployed}."
        )
    output.out.print(
        f"{report['cases_scored']} of {report['cases_run']} cases scored in {report['wall_seconds']} s. "
        f"Inject time: {report['config']['inject_time']}. Topology size: {report['config']['topology_size']}."
    )
    for failed in report["cases_failed"]:
        output.out.print(
            f"[red]case {failed['index']} ({failed['variant']}) failed: {escape(failed['error'])}[/red]"
        )
    for entry in report["methods"].values():
        if entry["status"] != "ok":
            output.out.print(f"[yellow]{entry['label']}: {escape(entry['detail'])}[/yellow]")
        elif entry.get("case_errors"):
            output.out.print(f"[yellow]{entry['label']} failed on {entry['case_errors']} case(s)[/yellow]")


@app.command("diagnose")
def diagnose(
    cases: Annotated[int, typer.Option(min=1, help="Number of generated cases")] = 16,
    seed: Annotated[int, typer.Option(help="Seed of the case generator")] = 1,
    scenarios: Annotated[
        Path | None,
        typer.Option(
            exists=True, file_okay=False, help="Folder of scenario files (default: the shipped ones)"
        ),
    ] = None,
    account_size: Annotated[
        AccountSize | None,
        typer.Option(
            "--account-size",
            case_sensitive=False,
            help="small: the storefront alone; large: 500 unrelated resources beside it",
        ),
    ] = None,
    unrelated: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Resources unrelated to the storefront in each case's account (0, or 12 and more)",
        ),
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print every figure and per-case rows as JSON")
    ] = False,
) -> None:
    """Generate cases from the scenario files; score CloudWarden and baselines on the same evidence."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TimeElapsedColumn

    from cloudwarden.bench import runner
    from cloudwarden.config import get_settings
    from cloudwarden.simulator import scenario, unrelated_fleet

    if account_size is not None and unrelated is not None:
        raise typer.BadParameter("give --account-size or --unrelated, not both", param_hint="--unrelated")
    count = unrelated_fleet.SIZES[account_size.value] if account_size is not None else (unrelated or 0)
    if 0 < count < unrelated_fleet.MIN_RESOURCES:
        raise typer.BadParameter(
            f"0, or {unrelated_fleet.MIN_RESOURCES} and more (a VPC, its subnets and a cluster come first)",
            param_hint="--unrelated",
        )

    if scenarios is not None:  # refused before anything runs: no scenarios, or one that is invalid
        try:
            found = scenario.load_all(scenarios)
        except (ValueError, OSError) as exc:
            raise typer.BadParameter(str(exc).splitlines()[0], param_hint="--scenarios") from None
        if not found:
            raise typer.BadParameter(f"no scenario files (*.yaml) in {scenarios}", param_hint="--scenarios")
    command = f"cloudwarden bench diagnose --cases {cases} --seed {seed}"
    if scenarios is not None:
        command += f" --scenarios {scenarios}"
    if account_size is not None:
        command += f" --account-size {account_size.value}"
    elif unrelated is not None:
        command += f" --unrelated {unrelated}"
    with Progress(
        SpinnerColumn(),
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=output.console,
        transient=json_,
    ) as progress:
        task = progress.add_task("Running generated cases", total=cases)
        hits = 0

        def on_case(result: CaseResult) -> None:
            nonlocal hits
            top = result.ranks.get("cloudwarden", {}).get("resource_fault")
            hits += top == 1
            verdict = "failed" if result.error else ("top-1" if top == 1 else f"rank {top or '—'}")
            progress.update(
                task,
                advance=1,
                description=f"{result.variant.scenario.name}: {verdict} (CloudWarden top-1 so far: {hits})",
            )

        report = runner.run(
            cases_count=cases,
            seed=seed,
            scenarios_dir=scenarios,
            settings=get_settings(),
            on_case=on_case,
            command=command,
            unrelated=count,
        )
    if json_:
        output.print_json(report)
        return
    render(report)
