"""Run Prowler (the comparison's baseline) against a moto server and read back its findings.

Prowler lives in a virtual environment of its own (its pins conflict with CloudWarden's), made
on demand by `ensure_prowler`. `run_prowler` scans one region for the given services with the
environment that points every AWS client at the simulated account (see
shared/notes/prowler-against-the-simulated-account.md), times the whole run with
`/usr/bin/time -v`, and parses Prowler's `;`-separated CSV into `ProwlerResult`s.

    python -m bench.posture_vs_prowler.prowler_runner --endpoint http://127.0.0.1:5000 \
        --services iam s3 ec2 rds cloudtrail kms

prints a JSON summary: result counts per status and per check, wall time and peak memory.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROWLER_VERSION = "5.46.0"
DEFAULT_VENV = Path(__file__).resolve().parents[2] / ".venv-prowler"  # ignored by git
TIME_BINARY = "/usr/bin/time"
OUTPUT_NAME = "prowler"
# Prowler's exit code when the scan ran and some finding FAILed (without `-z`): not an error.
EXIT_FINDINGS_FAILED = 3
_STDERR_TAIL_CHARS = 4000
# Names the comparison uses for a service -> Prowler's service directory. CloudWatch Logs checks
# (cloudwatch_log_group_*, the CIS metric-filter checks) live under Prowler's `cloudwatch`.
SERVICE_ALIASES = {"lambda": "awslambda", "logs": "cloudwatch"}

# Every field of a CSV row is a string; these are the columns read into a ProwlerResult.
_COLUMNS = ("CHECK_ID", "RESOURCE_UID", "RESOURCE_NAME", "REGION", "STATUS", "STATUS_EXTENDED", "SEVERITY")


@dataclass(frozen=True)
class ProwlerResult:
    """One CSV row: one check evaluated on one resource.

    For AWS, Prowler's RESOURCE_UID column holds the resource's ARN (or, for account-level
    checks, an ARN-like string such as `arn:aws:iam::123456789012:root`); `resource_arn` is the
    same value when it starts with `arn:` and "" otherwise. `resource_name` is Prowler's
    RESOURCE_NAME (the short id: bucket name, sg-…, user name).
    """

    check_id: str
    resource_uid: str
    resource_arn: str
    region: str
    status: str  # PASS, FAIL or MANUAL (MUTED only with a mutelist)
    status_extended: str
    resource_name: str = ""
    severity: str = ""


@dataclass
class ProwlerRun:
    """What one Prowler run produced and cost.

    `peak_rss_mb` is `/usr/bin/time -v`'s "Maximum resident set size": the largest RSS reached
    by any single process of the run (Prowler itself; it scans with threads, not processes), not
    a sum over processes. `wall_seconds` is the elapsed time of the whole command, start-up
    included; `cpu_seconds` (user + system) is steadier than wall time on a shared machine.
    """

    returncode: int
    wall_seconds: float
    peak_rss_mb: float
    cpu_seconds: float = 0.0
    results: list[ProwlerResult] = field(default_factory=list)
    stderr_tail: str = ""
    csv_path: Path | None = None
    command: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when Prowler finished its scan (0, or 3 = "some findings failed")."""
        return self.returncode in (0, EXIT_FINDINGS_FAILED)

    def status_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(r.status for r in self.results).items()))

    def summary(self) -> dict[str, object]:
        per_check: dict[str, Counter[str]] = {}
        for r in self.results:
            per_check.setdefault(r.check_id, Counter())[r.status] += 1
        return {
            "returncode": self.returncode,
            "ok": self.ok,
            "wall_seconds": round(self.wall_seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "results": len(self.results),
            "checks_with_results": len(per_check),
            "status_counts": self.status_counts(),
            "per_check": {k: dict(sorted(v.items())) for k, v in sorted(per_check.items())},
            "csv": str(self.csv_path) if self.csv_path else None,
            "stderr_tail": self.stderr_tail,
        }


def ensure_prowler(venv: Path = DEFAULT_VENV, *, python: str = "python3.11") -> Path:
    """Return the `prowler` executable in `venv`, creating the venv and installing Prowler if missing."""
    executable = venv / "bin" / "prowler"
    if executable.exists():
        return executable
    if not (venv / "bin" / "python").exists():
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"prowler=={PROWLER_VERSION}"],
        check=True,
    )
    if not executable.exists():
        raise FileNotFoundError(f"pip installed prowler but {executable} is missing")
    return executable


def prowler_env(endpoint: str, region: str, home: Path, tmpdir: Path) -> dict[str, str]:
    """The environment for a Prowler run against a moto server at `endpoint`.

    Built from scratch (only PATH/LANG inherited) so no real AWS profile, credential or proxy
    setting of the caller's leaks in. HTTP(S)_PROXY at the server itself makes S3 Control's
    virtual-host URLs (`<account>.127.0.0.1:PORT`) reach moto as absolute-URI requests.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(home),
        "TMPDIR": str(tmpdir),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "HTTP_PROXY": endpoint,
        "HTTPS_PROXY": endpoint,
        "http_proxy": endpoint,
        "https_proxy": endpoint,
        "NO_PROXY": "",
        "no_proxy": "",
    }
    return env


def prowler_services(services: list[str]) -> list[str]:
    """`services` in Prowler's names (see SERVICE_ALIASES), first occurrence kept, order kept."""
    return list(dict.fromkeys(SERVICE_ALIASES.get(s, s) for s in services))


def build_command(
    executable: Path,
    *,
    services: list[str],
    region: str,
    out_dir: Path,
    checks: list[str] | None = None,
    scan_unused_services: bool = False,
    retries_max_attempts: int | None = None,
    extra_args: list[str] | None = None,
) -> list[str]:
    cmd = [str(executable), "aws", "-f", region]
    # --check and --service are mutually exclusive in Prowler: checks, when given, win.
    if checks:
        cmd += ["--check", *checks]
    else:
        cmd += ["--service", *prowler_services(services)]
    cmd += [
        "-M", "csv", "json-ocsf",
        "-o", str(out_dir),
        "-F", OUTPUT_NAME,
        "--no-banner", "--no-color", "-z",
        "--log-level", "ERROR",
    ]  # fmt: skip
    if scan_unused_services:
        cmd.append("--scan-unused-services")
    if retries_max_attempts is not None:
        cmd += ["--aws-retries-max-attempts", str(retries_max_attempts)]
    if extra_args:
        cmd += extra_args
    return cmd


def run_prowler(
    executable: Path,
    *,
    endpoint: str,
    services: list[str],
    region: str,
    out_dir: Path,
    checks: list[str] | None = None,
    scan_unused_services: bool = False,
    retries_max_attempts: int | None = None,
    extra_args: list[str] | None = None,
    timeout: float | None = 1800,
) -> ProwlerRun:
    """Scan the moto server at `endpoint` with Prowler and parse what it found.

    `out_dir` receives Prowler's outputs (prowler.csv, prowler.ocsf.json, compliance/) and the
    run's own HOME, TMPDIR and /usr/bin/time report. `checks` restricts the run to those check
    ids (instead of `services`). `scan_unused_services`: Prowler skips resources it judges unused
    (e.g. security groups with no network interface, the default VPC) unless this is set.
    `retries_max_attempts`: Prowler's --aws-retries-max-attempts (its default is 3). moto answers
    an unimplemented API with HTTP 500, which botocore retries with backoff, so on moto a lower
    value shortens the run without changing any result.
    """
    out_dir = out_dir.resolve()
    home = out_dir / "home"
    tmpdir = out_dir / "tmp"
    for d in (out_dir, home, tmpdir):
        d.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{OUTPUT_NAME}.csv"
    csv_path.unlink(missing_ok=True)
    time_report = out_dir / "time-v.txt"
    cmd = build_command(
        executable,
        services=services,
        region=region,
        out_dir=out_dir,
        checks=checks,
        scan_unused_services=scan_unused_services,
        retries_max_attempts=retries_max_attempts,
        extra_args=extra_args,
    )
    full = [TIME_BINARY, "-v", "-o", str(time_report), *cmd]
    env = prowler_env(endpoint, region, home, tmpdir)
    with tempfile.TemporaryFile(dir=tmpdir) as err:
        proc = subprocess.run(
            full, env=env, cwd=out_dir, stdout=subprocess.DEVNULL, stderr=err, timeout=timeout, check=False
        )
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    (out_dir / "stderr.txt").write_text(stderr)
    timing = parse_time_report(time_report.read_text() if time_report.exists() else "")
    results = parse_csv(csv_path) if csv_path.exists() else []
    return ProwlerRun(
        returncode=proc.returncode,  # /usr/bin/time exits with the command's own code
        wall_seconds=timing.wall_seconds,
        peak_rss_mb=timing.max_rss_kb / 1024,
        cpu_seconds=timing.cpu_seconds,
        results=results,
        stderr_tail=stderr[-_STDERR_TAIL_CHARS:],
        csv_path=csv_path if csv_path.exists() else None,
        command=cmd,
    )


_WALL_RE = re.compile(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*(\S+)")
_RSS_RE = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")
_USER_RE = re.compile(r"User time \(seconds\):\s*([\d.]+)")
_SYS_RE = re.compile(r"System time \(seconds\):\s*([\d.]+)")


@dataclass(frozen=True)
class TimeReport:
    wall_seconds: float
    cpu_seconds: float
    max_rss_kb: int


def parse_time_report(text: str) -> TimeReport:
    """Wall time, user+system CPU and max RSS from `/usr/bin/time -v` output; zeros when absent."""
    wall = 0.0
    if m := _WALL_RE.search(text):
        for part in m.group(1).split(":"):
            wall = wall * 60 + float(part)
    cpu = sum(float(m.group(1)) for rx in (_USER_RE, _SYS_RE) if (m := rx.search(text)))
    peak = int(m.group(1)) if (m := _RSS_RE.search(text)) else 0
    return TimeReport(wall_seconds=wall, cpu_seconds=cpu, max_rss_kb=peak)


def parse_csv(path: Path) -> list[ProwlerResult]:
    """Prowler's CSV output (`;`-separated, one row per check x resource) as ProwlerResults."""
    csv.field_size_limit(sys.maxsize)
    out: list[ProwlerResult] = []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter=";")
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: not a Prowler CSV, missing columns {missing}")
        for row in reader:
            uid = row["RESOURCE_UID"] or ""
            out.append(
                ProwlerResult(
                    check_id=row["CHECK_ID"],
                    resource_uid=uid,
                    resource_arn=uid if uid.startswith("arn:") else "",
                    region=row["REGION"] or "",
                    status=row["STATUS"],
                    status_extended=row["STATUS_EXTENDED"] or "",
                    resource_name=row["RESOURCE_NAME"] or "",
                    severity=row["SEVERITY"] or "",
                )
            )
    return out


# --- prowler_checks.json: facts about Prowler's AWS checks, from the installed package ---------------

CHECK_SERVICES = [
    "iam", "s3", "ec2", "vpc", "rds", "cloudtrail", "kms", "cloudwatch", "logs", "lambda", "ecs",
    "config", "guardduty", "securityhub", "accessanalyzer", "account", "inspector2",
]  # fmt: skip
CIS_3_0_FILE = "cis_3.0_aws.json"
FSBP_FILE = "aws_foundational_security_best_practices_aws.json"
# Written by hand (own words), kept from the previous file when the facts are regenerated.
HAND_WRITTEN = ("condition", "reports_on")


def prowler_package_dir(venv: Path = DEFAULT_VENV) -> Path:
    """The installed `prowler` package inside `venv` (site-packages/prowler)."""
    found = sorted(venv.glob("lib/python3*/site-packages/prowler"))
    if not found:
        raise FileNotFoundError(f"no prowler package under {venv}; run ensure_prowler first")
    return found[0]


def _installed_version(package_dir: Path) -> str:
    dists = sorted(package_dir.parent.glob("prowler-*.dist-info"))
    return dists[0].name.removeprefix("prowler-").removesuffix(".dist-info") if dists else "unknown"


def check_facts(
    package_dir: Path, services: list[str] = CHECK_SERVICES, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Ids, severities, resource types and CIS 3.0 / FSBP mappings of the AWS checks of `services`.

    Only identifiers and mappings are read from Prowler's files, never its prose; `condition` and
    `reports_on` (own-words descriptions) are carried over from `previous` (the last file), and
    are "" for a check that is new since.
    """
    by_id: dict[str, dict[str, Any]] = {e["check_id"]: e for e in (previous or {}).get("checks", [])}
    compliance = package_dir / "compliance" / "aws"
    cis = json.loads((compliance / CIS_3_0_FILE).read_text())
    fsbp = json.loads((compliance / FSBP_FILE).read_text())
    cis_of: dict[str, list[str]] = {}
    fsbp_of: dict[str, list[str]] = {}
    for req in cis["Requirements"]:
        for check_id in req["Checks"]:
            cis_of.setdefault(check_id, []).append(req["Id"])
    for req in fsbp["Requirements"]:
        for check_id in req["Checks"]:
            fsbp_of.setdefault(check_id, []).append(req["Id"])

    checks: list[dict[str, Any]] = []
    service_root = package_dir / "providers" / "aws" / "services"
    for service_dir in prowler_services(services):
        for path in sorted(service_root.glob(f"{service_dir}/*/*.metadata.json")):
            meta = json.loads(path.read_text())
            check_id = meta["CheckID"]
            old = by_id.get(check_id, {})
            checks.append(
                {
                    "check_id": check_id,
                    "service": meta["ServiceName"],
                    "severity": meta["Severity"],
                    "resource_type": meta["ResourceType"],
                    "deprecated": meta["CheckTitle"].startswith("[DEPRECATED]"),
                    **{k: old.get(k, "") for k in HAND_WRITTEN},
                    "cis_3_0": cis_of.get(check_id, []),
                    "fsbp": fsbp_of.get(check_id, []),
                }
            )
    cis_rows = []
    for req in cis["Requirements"]:
        attrs = req["Attributes"][0] if req["Attributes"] else {}
        cis_rows.append(
            {
                "id": req["Id"],
                "section": attrs.get("Section", ""),
                "subsection": attrs.get("SubSection", ""),
                "profile": attrs.get("Profile", ""),
                "assessment": attrs.get("AssessmentStatus", ""),
                "checks": req["Checks"],
            }
        )
    fsbp_rows = []
    for req in fsbp["Requirements"]:
        attrs = req["Attributes"][0] if req["Attributes"] else {}
        fsbp_rows.append(
            {
                "id": req["Id"],
                "service": attrs.get("Service", ""),
                "severity": attrs.get("Severity", ""),
                "checks": req["Checks"],
            }
        )
    return {
        "prowler_version": _installed_version(package_dir),
        "services": services,
        "service_aliases": SERVICE_ALIASES,
        "checks": checks,
        "cis_3_0": cis_rows,
        "fsbp": fsbp_rows,
    }


def write_check_facts(path: Path, venv: Path = DEFAULT_VENV) -> dict[str, Any]:
    """Regenerate `path` from the Prowler in `venv`, keeping its hand-written descriptions."""
    previous = json.loads(path.read_text()) if path.exists() else None
    facts = check_facts(prowler_package_dir(venv), previous=previous)
    path.write_text(json.dumps(facts, indent=1, ensure_ascii=False) + "\n")
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--endpoint", help="moto server URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--services", nargs="+", default=["iam", "s3", "ec2", "rds", "cloudtrail", "kms"])
    parser.add_argument("--checks", nargs="+", default=None, help="run only these check ids")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--out-dir", type=Path, default=None, help="default: a new temporary directory")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--scan-unused-services", action="store_true")
    parser.add_argument("--retries-max-attempts", type=int, default=None, help="Prowler's default: 3")
    parser.add_argument("--per-check", action="store_true", help="include per-check status counts")
    parser.add_argument(
        "--write-checks", type=Path, metavar="JSON", help="regenerate prowler_checks.json instead of scanning"
    )
    args = parser.parse_args(argv)
    if args.write_checks:
        facts = write_check_facts(args.write_checks, ensure_prowler(args.venv).parent.parent)
        missing = [c["check_id"] for c in facts["checks"] if not c["condition"]]
        print(f"wrote {args.write_checks}; checks without a hand-written condition: {missing}")
        return 0
    if not args.endpoint:
        parser.error("--endpoint is required to scan")
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="prowler-run-"))
    executable = ensure_prowler(args.venv)
    run = run_prowler(
        executable,
        endpoint=args.endpoint,
        services=args.services,
        region=args.region,
        out_dir=out_dir,
        checks=args.checks,
        scan_unused_services=args.scan_unused_services,
        retries_max_attempts=args.retries_max_attempts,
    )
    summary = run.summary()
    if not args.per_check:
        summary.pop("per_check")
    if run.ok:
        summary.pop("stderr_tail")
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if run.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
