"""Every command: --help is clean, and a bad value for each option is one clear error, not a traceback.

The command tree is walked from the app itself, so a new option without a bad value here fails
`test_every_option_has_a_bad_value_case`: add the case when you add the option.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cloudwarden.cli.main import app
from cloudwarden.config import get_settings

LONG = "x" * 5000
GOOD_ROLE = "arn:aws:iam::123456789012:role/CloudWardenReadOnly"
SUPPRESS = ["--reason", "accepted by the 2026 review", "--owner", "sec@example.com"]
# (command path, parameter name) -> (a representative bad value, arguments that make the rest valid)
BAD_VALUES: dict[tuple[str, str], tuple[str, list[str]]] = {
    ("connect", "role_arn"): ("notanarn", []),
    ("connect", "region"): ("mars", ["--role-arn", GOOD_ROLE]),
    ("connect", "name"): (LONG, ["--role-arn", GOOD_ROLE]),
    ("investigate", "alarm"): (LONG, []),
    ("investigate", "account"): ("no-such-account", ["--alarm", "a"]),
    ("investigate", "at"): ("yesterday", ["--alarm", "a"]),
    ("iam-template", "format_"): ("yaml", []),
    ("iam-template", "policy"): ("AdministratorAccess", []),
    ("iam-template", "principal"): ("notanarn", []),
    ("demo", "scenario"): ("no-such-scenario", []),
    ("accounts show", "account"): ("no-such-account", []),
    ("audit export", "format_"): ("xml", []),
    ("accounts remove", "account"): ("no-such-account", ["--yes"]),
    ("bench diagnose", "cases"): ("0", []),
    ("bench diagnose", "seed"): ("not-a-number", []),
    ("bench diagnose", "scenarios"): ("/nonexistent/scenarios", []),
    ("bench diagnose", "account_size"): ("huge", []),
    ("bench diagnose", "unrelated"): ("5", []),
    ("sim onboard", "policy"): ("AdministratorAccess", []),
    ("sim up", "port"): ("99999", []),
    ("sim up", "tick"): ("-1", []),
    ("sim inject", "name"): ("no-such-scenario", []),
    ("sim inject", "endpoint"): ("not-a-url", ["bad_deploy"]),
    ("sim inject", "seed"): ("not-a-number", ["bad_deploy"]),
    ("serve", "host"): ("not a host", []),
    ("serve", "port"): ("0", []),
    ("serve", "workers"): ("0", []),
    ("admin bootstrap", "email"): ("notanemail", ["--name", "Ana", "--password-stdin"]),
    ("admin bootstrap", "name"): (LONG, ["--email", "ana@example.com", "--password-stdin"]),
    ("channels add", "name"): (
        LONG,
        ["--config", '{"kind": "sns", "topic_arn": "arn:aws:sns:us-east-1:123456789012:t"}'],
    ),
    ("channels add", "config"): ('{"kind": "pager"}', ["--name", "x"]),
    ("channels remove", "channel_id"): ("no-such-channel", []),
    ("channels pause", "channel_id"): ("no-such-channel", []),
    ("channels resume", "channel_id"): ("no-such-channel", []),
    ("posture scan", "account"): ("no-such-account", []),
    ("posture scan", "region"): ("mars", []),
    ("posture scan", "check"): ("no_such_check", []),
    ("posture scan", "output_dir"): ("/etc/hostname", []),
    ("posture report", "scan_id"): ("no-such-scan", []),
    ("posture report", "account"): ("no-such-account", []),
    ("posture report", "fmt"): ("xml", []),
    ("posture report", "output_file"): ("/nonexistent/dir/report.html", []),
    ("posture trend", "account"): ("no-such-account", []),
    ("posture trend", "limit"): ("0", []),
    ("posture suppress", "check"): ("no_such_check", SUPPRESS),
    ("posture suppress", "reason"): ("short", ["iam_root_access_key_absent", "--owner", "sec@example.com"]),
    ("posture suppress", "owner"): (
        " ",
        ["iam_root_access_key_absent", "--reason", "accepted by the 2026 review"],
    ),
    ("posture suppress", "days"): ("0", ["iam_root_access_key_absent", *SUPPRESS]),
    ("posture suppress", "resource"): (LONG, ["iam_root_access_key_absent", *SUPPRESS]),
    ("posture suppress", "account"): ("no-such-account", ["iam_root_access_key_absent", *SUPPRESS]),
    ("worker", "concurrency"): ("0", []),
    ("worker", "queues"): ("two words", []),
}


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path, command
        if hasattr(command, "commands"):
            yield from _commands(command, path)


COMMANDS = list(_commands(typer.main.get_command(app)))
OPTIONS = [
    (" ".join(path), param)
    for path, command in COMMANDS
    for param in command.params
    if not getattr(param, "is_flag", False) and param.name not in ("help",)
]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLOUDWARDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'cw.db'}")
    monkeypatch.setenv("CLOUDWARDEN_SIMULATOR_URL", "http://127.0.0.1:9")  # nothing listens
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS] + [()], ids=lambda p: " ".join(p) or "cloudwarden")
def test_help_is_plain_and_complete(cli: CliRunner, path: tuple[str, ...]) -> None:
    for flag in ("--help", "-h"):
        result = cli.invoke(app, [*path, flag])
        assert result.exit_code == 0, result.output
        assert "Usage: " in result.stdout and "Traceback" not in result.output
        assert "<str>" not in result.stdout and "<bool>" not in result.stdout, result.stdout
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    for param in command.params:
        if param.name != "help" and hasattr(param, "help"):
            assert param.help, f"{' '.join(path)} {param.opts[0]} has no help text"


def test_every_option_has_a_bad_value_case() -> None:
    missing = [f"{path} {param.name}" for path, param in OPTIONS if (path, param.name) not in BAD_VALUES]
    assert not missing, f"add a representative bad value to BAD_VALUES for: {missing}"


def test_version(cli: CliRunner) -> None:
    result = cli.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("cloudwarden ")


@pytest.mark.parametrize(
    ("path", "param"),
    [(p, param) for p, param in OPTIONS if (p, param.name) in BAD_VALUES],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_a_bad_value_is_one_clear_error(cli: CliRunner, path: str, param: Any) -> None:
    bad, rest = BAD_VALUES[(path, param.name)]
    given = [bad] if param.param_type_name == "argument" else [param.opts[0], bad]
    args = [*path.split(), *given, *rest]
    result = cli.invoke(app, args)
    assert result.exit_code == 2, f"{args[:6]}: exit {result.exit_code}\n{result.output[-1500:]}"
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 <= len([e for e in errors if e.lower().startswith("error")]) <= 1, result.stderr
    assert len(result.output) < 2000, "a 5,000-character value must be echoed truncated"
    command = dict(COMMANDS)[tuple(path.split())]
    if any("--json" in getattr(p, "opts", []) for p in command.params):
        as_json = cli.invoke(app, [*args, "--json"])
        assert as_json.exit_code == 2
        body = json.loads(as_json.stdout)
        assert body["error"]["code"] in ("usage", "not_found", "configuration") and body["exit_code"] == 2
