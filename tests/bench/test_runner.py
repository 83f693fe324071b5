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
    assert set(report["scores"]) == {"overall", *sorted(scenario.load_all())[:2]}
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
        assert row["truth"]["resource"] and row["truth"]["fault"] == row["scenario"]
        assert row["candidates"]["truth_in_candidates"] is True
        assert row["candidates"]["resource"] == row["candidates"]["engine_reported"]
        assert set(row["rank_of_truth"]) == set(row["top"])
        for ranks in row["rank_of_truth"].values():
            assert set(ranks) == set(runner.LEVELS)
        assert row["top"]["cloudwarden"], "the engine ranked nothing"


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
