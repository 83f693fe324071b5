"""One investigation: assume the role, collect evidence for the alarm, diagnose."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cloudwarden.aws.session import AssumedSession, CallLog
from cloudwarden.diagnosis.engine import diagnose
from cloudwarden.diagnosis.model import Diagnosis
from cloudwarden.diagnosis.narrate import Narrator, narrator_from_settings
from cloudwarden.evidence import github_report
from cloudwarden.evidence.collect import collect
from cloudwarden.evidence.context import CollectContext
from cloudwarden.evidence.github_api import GitHubConfig
from cloudwarden.evidence.model import EvidenceBundle


@dataclass
class Investigation:
    diagnosis: Diagnosis
    bundle: EvidenceBundle
    call_log: CallLog
    collect_ms: int
    diagnose_ms: int


def run(
    session: AssumedSession,
    *,
    alarm_name: str,
    lookback_minutes: int,
    narrator: Narrator | None = None,
    github: GitHubConfig | None = None,
) -> Investigation:
    """Collect, diagnose, then narrate (the template unless an LLM narrator is configured).

    With `github` (Settings.github_config()), the commits of suspect deployments are compared
    and shown under their bad_deploy hypotheses: context for the report, not a scoring input.
    """
    ctx = CollectContext(session=session)
    started = time.perf_counter()
    bundle = collect(ctx, alarm_name=alarm_name, lookback_minutes=lookback_minutes, github=github)
    collected = time.perf_counter()
    diagnosis = diagnose(bundle)
    github_report.attach(diagnosis, bundle)
    chosen = narrator or narrator_from_settings()
    diagnosis.narration = chosen.narrate(diagnosis)
    done = time.perf_counter()
    return Investigation(
        diagnosis=diagnosis,
        bundle=bundle,
        call_log=ctx.call_log,
        collect_ms=int((collected - started) * 1000),
        diagnose_ms=int((done - collected) * 1000),
    )
