"""CloudWarden's posture scan beside Prowler's, on one simulated account, in one run.

    .venv/bin/python -m bench.posture_vs_prowler.compare [--size 0] [--repeat 1] [--out DIR]
        [--markdown FILE] [--save DIR] [--prowler-retries 2] [--skip-prowler]

Starts the simulated account (a moto server with CloudWarden's patches) in this process, seeds
its everyday misconfigurations (`simulator/posture_seed/`; `--size N` adds N benign resources),
onboards it (the read role of the generated template) and then, one after the other against the
same endpoint, `--repeat` times:
- `cloudwarden posture scan --json` (every check) as a process of its own, under `/usr/bin/time -v`;
- Prowler 5.x (its own venv, `prowler_runner.py`) on the Prowler services that hold the checks of
  CloudWarden's services (`service_sets`), the same region, also under `/usr/bin/time -v`.

Both processes get the same network environment (HTTP(S)_PROXY at the server, so S3 Control's
account-prefixed host names reach moto) and the same retry budget (`--prowler-retries`,
CloudWarden's simulated-mode budget by default). Agreement (`agreement.py`) is measured on every
check both implement (CloudWarden's `prowler_id`), resource by resource, on PASS/FAIL; every
difference is explained by `known_differences.toml` or reported as unexplained. The moto
server's errors (unimplemented APIs, unknown services) and Prowler's logged errors are recorded
per tool, as the evidence behind the simulator artefacts.

Prints one JSON object and writes OUT/comparison.json, OUT/comparison.md (the figures and the
difference table in markdown) and each tool's raw output under OUT.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
# CloudWarden's simulated-mode retry budget (aws/session.py client_config: max_attempts=2, i.e.
# two retries after the first attempt); Prowler's --aws-retries-max-attempts has the same meaning.
MATCHED_RETRIES = 2


# --- what is compared ------------------------------------------------------------------------------


def service_sets(package_dir: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """CloudWarden's check services, the Prowler services that cover them, and the mapped checks.

    Prowler's services are the renamed CloudWarden services (`lambda` -> `awslambda`, `logs` ->
    `cloudwatch`) plus the service of every mapped Prowler check (the VPC flow-log check is
    Prowler's `vpc`). Prowler runs every check of those services, CloudWarden every check of its.
    """
    from bench.posture_vs_prowler.prowler_runner import prowler_services

    from cloudwarden.posture.checks import all_checks

    checks = all_checks().values()
    ours = sorted({c.metadata.service for c in checks})
    mapping = {c.id: c.metadata.prowler_id for c in checks if c.metadata.prowler_id}
    services_root = package_dir / "providers" / "aws" / "services"
    theirs = set(prowler_services(ours))
    for check, prowler_id in mapping.items():
        found = sorted(services_root.glob(f"*/{prowler_id}/{prowler_id}.py"))
        if not found:
            raise SystemExit(f"{check}: prowler_id {prowler_id} is not a check of the installed Prowler")
        theirs.add(found[0].parent.parent.name)
    return ours, sorted(theirs), mapping


def prowler_aliases(sim: Any) -> dict[str, dict[str, str]]:
    """Prowler reports the settings of CloudTrail's bucket (access logging, public access) on the
    trail; CloudWarden on the bucket."""
    trails = sim.client("cloudtrail").describe_trails(includeShadowTrails=False)["trailList"]
    trail_buckets = {t["Name"]: t["S3BucketName"] for t in trails if t.get("S3BucketName")}
    return {
        "cloudtrail_logs_s3_bucket_access_logging_enabled": trail_buckets,
        "cloudtrail_logs_s3_bucket_is_not_publicly_accessible": dict(trail_buckets),
    }


# --- the moto server's own errors, per tool ---------------------------------------------------------


class ServerLog(logging.Handler):
    """Collects what the moto server logs or prints while each tool runs (`phase`)."""

    _EXC = re.compile(r"^(\w+(?:\.\w+)*(?:Error|Exception)\w*): (.*)$")
    _NO_BACKEND = re.compile(r"Unable to find appropriate backend for ([^\s]+?)\.?Remember")

    def __init__(self, path: Path) -> None:
        super().__init__(logging.INFO)
        self.phase = "setup"
        self.events: dict[str, Counter[str]] = {}
        self._file = path.open("w")
        self._lock = threading.Lock()

    def _add(self, text: str) -> None:
        with self._lock:
            self._file.write(f"[{self.phase}] {text}\n")
            if m := self._NO_BACKEND.search(text):
                event = f"no moto backend for {m.group(1)}"
            elif "in get_backend" in text:
                return  # the 500 that follows "no moto backend": counted above
            else:
                last = [line.strip() for line in text.strip().splitlines() if line.strip()]
                m = self._EXC.match(last[-1]) if last else None
                if not m:
                    return
                event = f"{m.group(1)}: {m.group(2)[:160]}"
            self.events.setdefault(self.phase, Counter())[event] += 1

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or "Error" in record.getMessage():
            self._add(record.getMessage())

    def write(self, text: str) -> int:  # the server's print()s (sys.stdout while it runs)
        if text.strip():
            self._add(text.strip())
        return len(text)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()
        super().close()

    def summary(self) -> dict[str, dict[str, int]]:
        return {phase: dict(c.most_common()) for phase, c in self.events.items()}


_PROWLER_ERROR = re.compile(
    r"\[File: (?P<file>[\w.]+):(?P<line>\d+)\].*?ERROR: (?:[\w-]+ -- (?P<type>\w+)(?:\[\d+\]|:\d+)?(?::| --) )?(?P<msg>.*)"
)


def prowler_errors(stderr: str) -> dict[str, int]:
    """Prowler's logged errors, by source line, error type and the start of the message."""
    out: Counter[str] = Counter()
    for line in stderr.splitlines():
        if m := _PROWLER_ERROR.search(line):
            message = " ".join(m.group("msg").split())
            message = re.sub(r"(calling the \w+ operation).*", r"\1", message)
            kind = f"{m.group('type')}: " if m.group("type") else ""
            out[f"{m.group('file')}:{m.group('line')}: {kind}{message[:110]}"] += 1
    return dict(out.most_common())


# --- the two tools --------------------------------------------------------------------------------


def _our_scan(endpoint: str, folder: Path, run: int) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDWARDEN_", "AWS_"))}
    env = {k: v for k, v in env.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env.update(
        CLOUDWARDEN_DATA_DIR=str(folder / "data"),
        CLOUDWARDEN_DATABASE_URL=f"sqlite:///{folder / 'data' / 'cloudwarden.db'}",
        CLOUDWARDEN_SIMULATOR_URL=endpoint,
        # The same transport as Prowler's (prowler_runner.prowler_env): S3 Control's
        # account-prefixed host name reaches moto as an absolute-URI request.
        HTTP_PROXY=endpoint,
        HTTPS_PROXY=endpoint,
        http_proxy=endpoint,
        https_proxy=endpoint,
        NO_PROXY="",
        no_proxy="",
    )
    out = folder / f"cloudwarden-{run}"
    out.mkdir(parents=True, exist_ok=True)
    timing = out / "time-v.txt"
    command = [sys.executable, "-m", "cloudwarden.cli.main", "posture", "scan", "--json",
               "--region", REGION, "--output", str(out / "reports")]  # fmt: skip
    proc = subprocess.run(
        ["/usr/bin/time", "-v", "-o", str(timing), *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    (out / "stderr.txt").write_text(proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"cloudwarden posture scan failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    from bench.posture_vs_prowler.prowler_runner import parse_time_report

    report = json.loads(proc.stdout)
    full = json.loads(Path(report["reports"]["json"]).read_text())
    time_report = parse_time_report(timing.read_text())
    return {
        "wall_seconds": time_report.wall_seconds,
        "cpu_seconds": round(time_report.cpu_seconds, 2),
        "peak_rss_mb": round(time_report.max_rss_kb / 1024, 1),
        "scan_seconds": report["seconds"],
        "api_calls": report["api_calls"],
        "checks": report["checks"],
        "counts": report["counts"],
        "unavailable": full.get("unavailable"),
        "findings": full["findings"],
        "command": command,
    }


def _prowler_scan(executable: Path, endpoint: str, folder: Path, run: int, services: list[str],
                  retries: int | None) -> dict[str, Any]:  # fmt: skip
    from bench.posture_vs_prowler.prowler_runner import run_prowler

    prowler = run_prowler(
        executable,
        endpoint=endpoint,
        services=services,
        region=REGION,
        out_dir=folder / f"prowler-{run}",
        scan_unused_services=True,
        retries_max_attempts=retries,
    )
    if not prowler.ok:
        raise SystemExit(f"prowler failed ({prowler.returncode}):\n{prowler.stderr_tail}")
    stderr = (folder / f"prowler-{run}" / "stderr.txt").read_text()
    return {
        "wall_seconds": prowler.wall_seconds,
        "cpu_seconds": round(prowler.cpu_seconds, 2),
        "peak_rss_mb": round(prowler.peak_rss_mb, 1),
        "results": len(prowler.results),
        "checks_with_results": len({r.check_id for r in prowler.results}),
        "counts": prowler.status_counts(),
        "errors": prowler_errors(stderr),
        "findings": prowler.results,
        "command": prowler.command,
    }


def _onboard(sim: Any, folder: Path) -> None:
    """Register the account in the scan's store and deploy the template, as a customer would."""
    from cloudwarden.aws.session import SessionBroker
    from cloudwarden.config import Settings
    from cloudwarden.simulator.onboarding import deploy_onboarding_stack
    from cloudwarden.store import db as store_db
    from cloudwarden.store import models
    from cloudwarden.store import service as store
    from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID

    (folder / "data").mkdir(mode=0o700)
    engine = store_db.make_engine(f"sqlite:///{folder / 'data' / 'cloudwarden.db'}")
    store_db.migrate(engine)
    with store_db.session_factory(engine).begin() as db:
        account = store.create_account(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name="compared",
            role_arn=f"arn:aws:iam::{ACCOUNT_ID}:role/CloudWardenReadOnly",
            regions=[REGION],
        )
        outputs = deploy_onboarding_stack(
            sim, principal_arn=Settings().principal_arn, external_id=account.external_id
        )
        account.role_arn = outputs.read_role_arn
        account.status = models.AccountStatus.CONNECTED.value
        SessionBroker(Settings(simulator_url=sim.endpoint)).session(
            role_arn=account.role_arn, external_id=account.external_id, region=REGION
        )
    engine.dispose()


# --- figures --------------------------------------------------------------------------------------


def _figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("wall_seconds", "cpu_seconds", "peak_rss_mb")
    out: dict[str, Any] = {k: round(statistics.median(r[k] for r in runs), 2) for k in keys}
    out["runs"] = [{k: r[k] for k in keys} for r in runs]
    return out


def _machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({platform.machine()}), Linux {platform.release()}, Python "
        f"{platform.python_version()}; load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
        " (1/5/15 min; the machine is shared)"
    )


def markdown(result: dict[str, Any], agreement: Any) -> str:
    from bench.posture_vs_prowler.agreement import CATEGORIES, markdown_table

    cw, pr, ag = result["cloudwarden"], result["prowler"], result["agreement"]
    n = len(cw["runs"])
    lines = [
        "## Posture scan vs Prowler",
        "",
        f"Measured {result['finished_at']} by `{result['command']}` (`bench/posture_vs_prowler/`):",
        f"one simulated account (moto {result['versions']['moto']}, `posture_seed` "
        f"size {result['size']}), region {REGION}, both tools one after the other against the same "
        f"endpoint, {n} run(s) each (medians below). Machine: {result['machine']}.",
        "",
        f"CloudWarden: `cloudwarden posture scan` (all {cw['checks']} checks, services "
        f"{', '.join(result['services']['cloudwarden'])}). Prowler {result['versions']['prowler']} "
        f"(its own venv): `prowler aws --service {' '.join(result['services']['prowler'])}` "
        f"(every check of those services, `--scan-unused-services`), retries "
        f"{result['prowler_retries']} (CloudWarden's simulated-mode budget: {MATCHED_RETRIES}).",
        "",
        "| | wall time (s) | CPU time (s) | peak RSS (MB) | results |",
        "|---|---:|---:|---:|---:|",
        f"| CloudWarden | {cw['wall_seconds']} | {cw['cpu_seconds']} | {cw['peak_rss_mb']} | "
        f"{sum(cw['counts'].values())} ({', '.join(f'{k} {v}' for k, v in cw['counts'].items())}) |",
        f"| Prowler | {pr['wall_seconds']} | {pr['cpu_seconds']} | {pr['peak_rss_mb']} | "
        f"{pr['results']} ({', '.join(f'{k} {v}' for k, v in pr['counts'].items())}) |",
        f"| ratio (Prowler / CloudWarden) | **{result['speedup_wall']}x** | {result['speedup_cpu']}x | "
        f"{result['memory_ratio']}x | |",
        "",
        "Wall and CPU time are `/usr/bin/time -v`'s elapsed and user+system time of the whole "
        'process (interpreter start-up included); peak RSS is its "Maximum resident set size" '
        "(the largest single process of the tree, children included). Per run: "
        + "; ".join(
            f"CloudWarden {a['wall_seconds']} s / {a['peak_rss_mb']} MB, Prowler {b['wall_seconds']} s / "
            f"{b['peak_rss_mb']} MB"
            for a, b in zip(cw["runs"], pr["runs"], strict=True)
        )
        + ".",
        "",
        f"**Agreement: {ag['agreement'] * 100:.1f}%** ({ag['agreeing']} of {ag['compared_pairs']} "
        f"(check, resource) pairs that both judged PASS/FAIL, on {ag['checks_with_compared_pairs']} of the "
        f"{ag['overlapping_checks']} checks both implement that have a result on either side). "
        f"Besides those, {ag['judged_only_by_cloudwarden']} pair(s) only CloudWarden judged, "
        f"{ag['judged_only_by_prowler']} only Prowler, and "
        f"{ag['judged_by_neither']} neither. Unexplained differences: {ag['unexplained']}.",
        "",
        "Differences by kind and category: "
        + "; ".join(
            f"{kind.replace('_', ' ')}: " + ", ".join(f"{CATEGORIES[c]} {n}" for c, n in cats.items())
            for kind, cats in ag["by_kind_and_category"].items()
        )
        + ".",
        "",
        _targets(result, agreement),
        "",
        markdown_table(agreement),
        "",
    ]
    if ag["mapped_checks_without_results"]:
        lines += [
            "Mapped checks without a result on one side (not in the pairs above):",
            "",
            "| CloudWarden check | CloudWarden results | Prowler results |",
            "|---|---|---|",
        ]
        for check, sides in ag["mapped_checks_without_results"].items():
            lines.append(f"| `{check}` | {_counts(sides['cloudwarden'])} | {_counts(sides['prowler'])} |")
        lines.append("")
    errors = result.get("moto_errors", {})
    if pr.get("errors"):
        lines += [
            f"Prowler logged {sum(pr['errors'].values())} errors (first run; `prowler.errors` in comparison.json),"
            " from moto's unimplemented APIs (HTTP 500 read as invalid XML), Lambda code downloads from"
            " S3 host names the simulator cannot serve, and its own privilege-escalation and Shodan"
            " checks. Of the compared checks only Access Analyzer's depends on a failed call (in the"
            " table); the unimplemented ListOrganizationsFeatures changes the wording of Prowler's"
            " root checks, not their verdict, for a standalone account.",
            "",
        ]
    if errors:
        lines += ["Simulator errors seen by each tool (moto server log, first run):", ""]
        for phase, events in errors.items():
            if phase not in ("cloudwarden", "prowler"):
                continue  # seeding, and the repeats (in comparison.json)
            lines.append(f"- {phase}: " + "; ".join(f"{e} (x{n})" for e, n in events.items()))
        lines.append("")
    return "\n".join(lines)


def _targets(result: dict[str, Any], agreement: Any) -> str:
    """The issue's targets (>= 5x less wall time, lower peak memory, >= 95% agreement), met or why not."""
    from bench.posture_vs_prowler.agreement import CATEGORIES

    ag = result["agreement"]
    speed = result["speedup_wall"] >= 5
    memory = result["prowler"]["peak_rss_mb"] > result["cloudwarden"]["peak_rss_mb"]
    rate = ag["agreement"] or 0.0
    lines = [
        f"Targets: >= 5x less wall time: {'met' if speed else 'NOT met'} ({result['speedup_wall']}x); "
        f"lower peak memory: {'met' if memory else 'NOT met'} ({result['memory_ratio']}x less); "
        f">= 95% agreement: {'met' if rate >= 0.95 else 'NOT met'} ({rate * 100:.1f}%)."
    ]
    if rate < 0.95:
        disagreeing = [r for r in agreement.rows if r.kind == "disagree"]
        by_category = Counter(r.category for r in disagreeing)
        checks = len({r.check for r in disagreeing})
        readings = by_category.get("reading", 0)
        same_reading = ag["compared_pairs"] - readings
        lines.append(
            f" The {len(disagreeing)} disagreeing pairs are on {checks} checks: "
            + ", ".join(f"{CATEGORIES[c]}: {n}" for c, n in by_category.most_common())
            + f". Leaving out the pairs where the two tools read the control differently (the table says"
            f" how), they agree on {ag['agreeing']} of {same_reading} pairs"
            f" ({ag['agreeing'] / same_reading * 100 if same_reading else 0:.1f}%)."
        )
    return "".join(lines)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    from bench.posture_vs_prowler.prowler_runner import DEFAULT_VENV, _installed_version, prowler_package_dir

    return {
        "moto": version("moto"),
        "boto3": version("boto3"),
        "cloudwarden": version("cloudwarden"),
        "prowler": _installed_version(prowler_package_dir(DEFAULT_VENV)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", type=int, default=0, help="extra benign resources in the account")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tool (medians reported)")
    parser.add_argument("--out", type=Path, default=None, help="where the runs' files go")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the markdown section here")
    parser.add_argument(
        "--save",
        type=Path,
        default=None,
        help="also copy comparison.json and comparison.md here (e.g. bench/posture_vs_prowler/results)",
    )
    parser.add_argument(
        "--prowler-retries",
        type=int,
        default=MATCHED_RETRIES,
        help=f"Prowler's --aws-retries-max-attempts (default {MATCHED_RETRIES}: CloudWarden's budget; "
        "-1: Prowler's own default, 3)",
    )
    parser.add_argument("--skip-prowler", action="store_true", help="only CloudWarden (its figures alone)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.posture_vs_prowler import agreement as agreement_mod
    from bench.posture_vs_prowler.prowler_runner import DEFAULT_VENV, ensure_prowler, prowler_package_dir

    from cloudwarden.simulator import posture_seed
    from cloudwarden.simulator.client import SimulatorClient
    from cloudwarden.simulator.server import SimulatorServer

    folder = (args.out or Path(tempfile.mkdtemp(prefix="cw-posture-vs-prowler-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    executable = None if args.skip_prowler else ensure_prowler()
    known = agreement_mod.load_known_differences()  # fail before the runs on a broken table
    our_services, prowler_service_list, mapping = (
        service_sets(prowler_package_dir(DEFAULT_VENV)) if executable else ([], [], {})
    )
    retries = None if args.prowler_retries < 0 else args.prowler_retries
    server_log = ServerLog(folder / "moto-server.log")
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.addHandler(server_log)
    werkzeug.propagate = False
    ours_runs: list[dict[str, Any]] = []
    prowler_runs: list[dict[str, Any]] = []
    with contextlib.redirect_stdout(server_log):
        server = SimulatorServer(tick_seconds=0).start()
        try:
            sim = SimulatorClient(server.endpoint, region=REGION)
            seeded = posture_seed.seed_misconfigurations(sim, region=REGION, size=args.size)
            _onboard(sim, folder)
            aliases = prowler_aliases(sim)
            for run in range(1, args.repeat + 1):
                server_log.phase = "cloudwarden" if run == 1 else f"cloudwarden-{run}"
                ours_runs.append(_our_scan(server.endpoint, folder, run))
                if executable:
                    server_log.phase = "prowler" if run == 1 else f"prowler-{run}"
                    prowler_runs.append(
                        _prowler_scan(executable, server.endpoint, folder, run, prowler_service_list, retries)
                    )
        finally:
            server.stop()
            server_log.flush()
    werkzeug.removeHandler(server_log)
    server_log.close()

    ours = ours_runs[0]
    result: dict[str, Any] = {
        "command": " ".join(
            [".venv/bin/python -m bench.posture_vs_prowler.compare", *(argv or sys.argv[1:])]
        ),
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "size": args.size,
        "seeded": getattr(seeded, "created", None),
        "cloudwarden": {
            **{
                k: v
                for k, v in ours.items()
                if k not in ("findings", "wall_seconds", "cpu_seconds", "peak_rss_mb")
            },
            **_figures(ours_runs),
        },
    }
    if executable:
        prowler = prowler_runs[0]
        result["versions"] = _versions()
        result["services"] = {"cloudwarden": our_services, "prowler": prowler_service_list}
        result["prowler_retries"] = retries if retries is not None else "Prowler's default (3)"
        result["prowler"] = {
            **{
                k: v
                for k, v in prowler.items()
                if k not in ("findings", "wall_seconds", "cpu_seconds", "peak_rss_mb")
            },
            **_figures(prowler_runs),
        }
        cw, pr = result["cloudwarden"], result["prowler"]
        result["speedup_wall"] = round(pr["wall_seconds"] / cw["wall_seconds"], 1)
        result["speedup_cpu"] = round(pr["cpu_seconds"] / cw["cpu_seconds"], 1)
        result["memory_ratio"] = round(pr["peak_rss_mb"] / cw["peak_rss_mb"], 2)
        agreement = agreement_mod.compare(
            ours["findings"], prowler["findings"], mapping, prowler_aliases=aliases, known=known
        )
        result["agreement"] = agreement.summary()
        result["moto_errors"] = server_log.summary()
        stable = all(
            _verdicts(r["findings"], lambda f: (f["check_id"], f["resource_id"], f["status"]))
            == _verdicts(ours["findings"], lambda f: (f["check_id"], f["resource_id"], f["status"]))
            for r in ours_runs
        ) and all(
            _verdicts(r["findings"], lambda f: (f.check_id, f.resource_uid, f.status))
            == _verdicts(prowler["findings"], lambda f: (f.check_id, f.resource_uid, f.status))
            for r in prowler_runs
        )
        result["results_identical_across_runs"] = stable
        md = markdown(result, agreement)
        (folder / "comparison.md").write_text(md)
        if args.markdown:
            args.markdown.write_text(md)
    (folder / "comparison.json").write_text(json.dumps(result, indent=2, default=str))
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name in ("comparison.json", "comparison.md"):
            if (folder / name).exists():
                (args.save / name).write_text((folder / name).read_text())
    print(json.dumps(result, indent=2, default=str))
    return 0


def _verdicts(findings: list[Any], key: Any) -> Counter[Any]:
    return Counter(key(f) for f in findings)


if __name__ == "__main__":
    raise SystemExit(main())
