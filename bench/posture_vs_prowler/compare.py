"""CloudWarden's posture scan beside Prowler's, on one simulated account, in one run.

    .venv/bin/python -m bench.posture_vs_prowler.compare [--size 0] [--out DIR]

Starts the simulated account (a moto server with CloudWarden's patches) in this process, seeds
its everyday misconfigurations (`simulator/posture_seed.py`; `--size N` adds N benign resources),
onboards it (the read role of the generated template) and then, one after the other against the
same endpoint:
- `cloudwarden posture scan --json` as a process of its own, under `/usr/bin/time -v`;
- Prowler (its own venv, `prowler_runner.py`) on the same services and region, also timed.

Agreement is measured on every check both implement (CloudWarden's `prowler_id`), resource by
resource, on PASS/FAIL: the same verdict on the same resource agrees; where one side judged a
resource the other did not, it is listed apart (a different reading of what the check covers);
each disagreement is printed with both sides' reasons so it can be explained. Prints one JSON
object (and writes it to OUT/comparison.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [
    "iam", "s3", "ec2", "rds", "cloudtrail", "kms", "cloudwatch", "logs", "lambda", "ecs", "config",
    "guardduty", "securityhub", "accessanalyzer",
]  # fmt: skip
REGION = "us-east-1"
VERDICTS = ("PASS", "FAIL")


def _resource_key(value: str) -> str:
    """What both scanners name the same resource by: the ARN's resource part (or the id as is)."""
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        tail = parts[5] if len(parts) == 6 else value
        for prefix in ("security-group/", "instance/", "volume/", "snapshot/", "vpc/", "network-acl/", "key/",
                       "trail/", "user/", "role/", "policy/", "function:", "db:", "cluster:", "snapshot:"):  # fmt: skip
            if tail.startswith(prefix):
                return tail[len(prefix) :]
        return tail
    return value


def _our_scan(endpoint: str, folder: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDWARDEN_", "AWS_"))}
    env.update(
        CLOUDWARDEN_DATA_DIR=str(folder / "data"),
        CLOUDWARDEN_DATABASE_URL=f"sqlite:///{folder / 'data' / 'cloudwarden.db'}",
        CLOUDWARDEN_SIMULATOR_URL=endpoint,
    )
    timing = folder / "cloudwarden-time.txt"
    command = [sys.executable, "-m", "cloudwarden.cli.main", "posture", "scan", "--json",
               "--output", str(folder / "reports")]  # fmt: skip
    proc = subprocess.run(
        ["/usr/bin/time", "-v", "-o", str(timing), *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"cloudwarden posture scan failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    from bench.posture_vs_prowler.prowler_runner import parse_time_report

    report = json.loads(proc.stdout)
    findings = json.loads(Path(report["reports"]["json"]).read_text())["findings"]
    time_report = parse_time_report(timing.read_text())
    return {
        "wall_seconds": time_report.wall_seconds,
        "cpu_seconds": time_report.cpu_seconds,
        "peak_rss_mb": time_report.max_rss_kb / 1024,
        "scan_seconds": report["seconds"],
        "api_calls": report["api_calls"],
        "checks": report["checks"],
        "counts": report["counts"],
        "findings": findings,
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
            role_arn="arn:aws:iam::123456789012:role/CloudWardenReadOnly",
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


def compare(ours: list[dict[str, Any]], theirs: list[Any]) -> dict[str, Any]:
    from cloudwarden.posture.checks import all_checks

    mapping = {c.id: c.metadata.prowler_id for c in all_checks().values() if c.metadata.prowler_id}
    prowler_checks = {r.check_id for r in theirs}
    overlapping = {ours_id: p for ours_id, p in mapping.items() if p in prowler_checks}
    agree = 0
    disagreements: list[dict[str, Any]] = []
    only_ours: Counter[str] = Counter()
    only_theirs: Counter[str] = Counter()
    for check, prowler_id in sorted(overlapping.items()):
        mine = {
            _resource_key(f["resource_id"]): f
            for f in ours
            if f["check_id"] == check and f["status"] in VERDICTS
        }
        other = {
            _resource_key(r.resource_uid): r
            for r in theirs
            if r.check_id == prowler_id and r.status in VERDICTS
        }
        for key in sorted(set(mine) | set(other)):
            if key not in other:
                only_ours[check] += 1
            elif key not in mine:
                only_theirs[check] += 1
            elif mine[key]["status"] == other[key].status:
                agree += 1
            else:
                disagreements.append(
                    {
                        "check": check,
                        "prowler_check": prowler_id,
                        "resource": key,
                        "cloudwarden": f"{mine[key]['status']}: {mine[key]['reason']}",
                        "prowler": f"{other[key].status}: {other[key].status_extended}",
                    }
                )
    compared = agree + len(disagreements)
    return {
        "overlapping_checks": len(overlapping),
        "compared_results": compared,
        "agreeing": agree,
        "agreement": round(agree / compared, 4) if compared else None,
        "disagreements": disagreements,
        "judged_only_by_cloudwarden": dict(only_ours),
        "judged_only_by_prowler": dict(only_theirs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=0, help="extra benign resources in the account")
    parser.add_argument("--out", type=Path, default=None, help="where the runs' files go")
    parser.add_argument("--skip-prowler", action="store_true", help="only CloudWarden (its figures alone)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.posture_vs_prowler.prowler_runner import ensure_prowler, run_prowler

    from cloudwarden.simulator import posture_seed
    from cloudwarden.simulator.client import SimulatorClient
    from cloudwarden.simulator.server import SimulatorServer

    folder = args.out or Path(tempfile.mkdtemp(prefix="cw-posture-vs-prowler-"))
    folder.mkdir(parents=True, exist_ok=True)
    server = SimulatorServer(tick_seconds=0).start()
    try:
        sim = SimulatorClient(server.endpoint, region=REGION)
        seeded = posture_seed.seed_misconfigurations(sim, region=REGION, size=args.size)
        _onboard(sim, folder)
        ours = _our_scan(server.endpoint, folder)
        result: dict[str, Any] = {
            "size": args.size,
            "seeded": getattr(seeded, "created", None),
            "cloudwarden": {k: v for k, v in ours.items() if k != "findings"},
        }
        if not args.skip_prowler:
            executable = ensure_prowler()
            prowler = run_prowler(
                executable,
                endpoint=server.endpoint,
                services=SERVICES,
                region=REGION,
                out_dir=folder / "prowler",
                scan_unused_services=True,
            )
            if not prowler.ok:
                raise SystemExit(f"prowler failed ({prowler.returncode}):\n{prowler.stderr_tail}")
            result["prowler"] = {
                "wall_seconds": prowler.wall_seconds,
                "cpu_seconds": prowler.cpu_seconds,
                "peak_rss_mb": round(prowler.peak_rss_mb, 1),
                "results": len(prowler.results),
                "counts": prowler.status_counts(),
            }
            result["speedup_wall"] = round(prowler.wall_seconds / ours["wall_seconds"], 1)
            result["memory_ratio"] = round(ours["peak_rss_mb"] / prowler.peak_rss_mb, 2)
            result["agreement"] = compare(ours["findings"], prowler.results)
    finally:
        server.stop()
    (folder / "comparison.json").write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
