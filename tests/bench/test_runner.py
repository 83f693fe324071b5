"""Two generated cases end to end through the demo journey, and the command's output."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cloudwarden.bench import cases, runner
from cloudwarden.cli import bench as bench_cli
from cloudwarden.demo import DemoRun, run_demo
from cloudwarden.simulator import scenario
from cloudwarden.simulator.server import SimulatorServer

LEVEL_FIGURES = {"AC@1", "AC@2", "AC@3", "AC@4", "AC@5", "Avg@5"}


def _demo_has_hooks() -> bool:
    fields = {f.name for f in dataclasses.fields(DemoRun)}
    return "chosen" in inspect.signature(run_demo).parameters and "bundle" in fields


pytestmark = pytest.mark.skipif(
    not _demo_has_hooks(),
    reason="needs run_demo(..., chosen=Scenario) and DemoRun.bundle (cloudwarden.demo) to run variants",
)


@pytest.fixture(scope="module")
def report(simulator_server: SimulatorServer) -> dict[str, Any]:
    seen: list[runner.CaseResult] = []
    out = runner.run(cases_count=2, seed=1, server=simulator_server, on_case=seen.append)
    assert len(seen) == 2
    return out


@pytest.mark.slow
def test_report_carries_every_figure(report: dict[str, Any]) -> None:
    json.dumps(report, allow_nan=False)  # strict JSON
    assert report["command"] == "cloudwarden bench diagnose --cases 2 --seed 1"
    assert report["cases_run"] == 2 and report["cases_scored"] == 2, report["cases_failed"]
    assert report["cases_failed"] == []
    assert set(report["methods"]) == set(runner.METHODS)
    for entry in report["methods"].values():
        assert entry["status"] in ("ok", "not installed")
    assert {"inject_time", "topology_size", "chance", "seed", "cases", "scenarios"} <= set(report["config"])
    methods = [m for m, e in report["methods"].items() if e["status"] == "ok"]
    assert {"cloudwarden", "random", "most_recent_change"} <= set(methods)
    shipped = scenario.load_all()  # groups are fault types; a scenario's name need not be its fault's
    assert set(report["scores"]) == {"overall", *(shipped[name].truth.fault for name in sorted(shipped)[:2])}
    for group in report["scores"].values():
        assert group["cases"] >= 1
        assert group["mean_candidates"]["resource"] > 0 and group["mean_candidates"]["resource_fault"] > 0
        for level in runner.LEVELS:
            assert set(group[level]) == {*methods, "chance"}
            for figures in group[level].values():
                assert set(figures) == LEVEL_FIGURES
                assert all(0.0 <= v <= 1.0 for v in figures.values())
    assert report["time_to_diagnosis_ms"]["p50"] > 0
    assert report["time_to_diagnosis_ms"]["p95"] >= report["time_to_diagnosis_ms"]["p50"]
    assert 0 < report["aws_calls_per_investigation"]["p50"] <= report["aws_calls_per_investigation"]["max"]
    assert report["wall_seconds"] > 0
    reliability = report["reliability"]
    assert sum(b["cases"] for b in reliability["buckets"]) == reliability["cases"] == 2
    assert report["account_resources"]["p50"] > 20


@pytest.mark.slow
def test_per_case_rows(report: dict[str, Any]) -> None:
    for row in report["cases"]:
        assert row["error"] is None
        assert {"index", "scenario", "variant", "seed", "knobs", "truth", "alarm", "candidates"} <= set(row)
        assert {
            "time_to_diagnosis_ms",
            "aws_calls",
            "rank_of_truth",
            "top",
            "method_errors",
            "wall_ms",
        } <= set(row)
        assert row["truth"]["resource"]
        assert row["truth"]["fault"] == scenario.load_all()[row["scenario"]].truth.fault
        assert row["candidates"]["truth_in_candidates"] is True
        assert row["candidates"]["resource"] == row["candidates"]["engine_reported"]
        assert set(row["rank_of_truth"]) == set(row["top"])
        for ranks in row["rank_of_truth"].values():
            assert set(ranks) == set(runner.LEVELS)
        assert row["top"]["cloudwarden"], "the engine ranked nothing"
        assert 0.0 <= row["top_confidence"] <= 1.0 and isinstance(row["top1_right"], bool)
        assert row["account"]["resources"] > 20 and row["account"]["unrelated_resources"] == 0


@pytest.mark.slow
def test_command_renders_tables_and_json(report: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        return report

    monkeypatch.setattr(runner, "run", fake_run)
    cli = CliRunner()
    shown = cli.invoke(bench_cli.app, ["diagnose", "--cases", "2", "--seed", "1"], terminal_width=140)
    assert shown.exit_code == 0, shown.output
    for text in ("overall (2 cases)", "CloudWarden", "random", "recent change", "chance", "Avg@5", "p95"):
        assert text in shown.output
    printed = cli.invoke(bench_cli.app, ["diagnose", "--cases", "2", "--seed", "1", "--json"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout)["scores"] == report["scores"]
    assert [(c["cases_count"], c["seed"], c["scenarios_dir"]) for c in calls] == [(2, 1, None)] * 2


def test_command_takes_a_scenarios_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = scenario.scenario_dir() / "throttling.yaml"
    (tmp_path / "throttling.yaml").write_text(source.read_text())
    seen: dict[str, Any] = {}

    def fake_run(**kwargs: Any) -> dict[str, Any]:
        seen.update(kwargs)
        variants = cases.generate(scenario.load_all(kwargs["scenarios_dir"]), cases=3, seed=1)
        seen["bases"] = [v.base for v in variants]
        return {"scores": {}}

    monkeypatch.setattr(runner, "run", fake_run)
    result = CliRunner().invoke(
        bench_cli.app, ["diagnose", "--cases", "3", "--scenarios", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert seen["scenarios_dir"] == tmp_path
    assert seen["command"].endswith(f"--scenarios {tmp_path}")
    assert seen["bases"] == ["throttling"] * 3


@pytest.mark.parametrize(
    ("args", "count", "suffix"),
    [
        ([], 0, "--seed 1"),
        (["--account-size", "large"], 500, "--account-size large"),
        (["--account-size", "small"], 0, "--account-size small"),
        (["--unrelated", "40"], 40, "--unrelated 40"),
    ],
)
def test_command_takes_an_account_size(
    args: list[str], count: int, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(**kwargs: Any) -> dict[str, Any]:
        seen.update(kwargs)
        return {"scores": {}}

    monkeypatch.setattr(runner, "run", fake_run)
    result = CliRunner().invoke(bench_cli.app, ["diagnose", "--cases", "1", *args, "--json"])
    assert result.exit_code == 0, result.output
    assert seen["unrelated"] == count
    assert seen["command"].endswith(suffix)


@pytest.mark.parametrize(
    "args",
    [["--account-size", "large", "--unrelated", "40"], ["--unrelated", "5"], ["--account-size", "huge"]],
)
def test_command_refuses_a_bad_account_size(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "run", lambda **_: pytest.fail("ran with a bad account size"))
    result = CliRunner().invoke(bench_cli.app, ["diagnose", "--cases", "1", *args])
    assert result.exit_code == 2, result.output


def test_render_shows_the_reliability_table_and_account_size(capsys: pytest.CaptureFixture[str]) -> None:
    from cloudwarden.bench import scoring

    report: dict[str, Any] = {
        "scores": {},
        "methods": {},
        "reliability": scoring.reliability([(0.95, True), (0.8, False), (0.3, True)]),
        "time_to_diagnosis_ms": {"p50": 500, "p95": 900},
        "aws_calls_per_investigation": {"p50": 41, "max": 55, "over_budget": 3, "budget": 30},
        "account_resources": {
            "min": 560,
            "p50": 562,
            "max": 565,
            "unrelated_deploy_ms_p50": 11000,
            "unrelated_deploy_ms_max": 12000,
        },
        "cases_scored": 3,
        "cases_run": 3,
        "wall_seconds": 60.0,
        "config": {"inject_time": "x", "topology_size": "y", "unrelated_resources": 500},
        "cases_failed": [],
    }
    bench_cli.render(report)
    shown = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    for text in ("reliability", "[0.9, 1]", "[0, 0.2)", "right in 1 of 2", "not met", "over 30 in 3"):
        assert text in shown, text
    assert "min 560, p50 562, max 565 (500 unrelated)" in shown, shown[-400:]
