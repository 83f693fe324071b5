"""The posture pages: a responder presses "Scan now" (the worker scans the simulated account), a
viewer reads the scores, their trend and the findings, an admin suppresses a finding."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from cloudwarden.posture import service as posture_service
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.store.posture import PostureSuppression
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry
from cloudwarden.store.types import utcnow
from cloudwarden.web.trend_chart import Line, trend_chart
from cloudwarden.worker import context as worker_context
from cloudwarden.worker import tasks
from tests.api.conftest import MEMBER_PASSWORD, Service, member_headers, start_service
from tests.api.test_intake import Recorder
from tests.conftest import add_connected_account
from tests.web.conftest import sign_in

WS = f"/w/{DEFAULT_WORKSPACE_ID}"
API = f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}"
CHECK = "iam_root_access_key_absent"


@pytest.fixture
def web_sim(
    sim: SimulatorClient, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Service]:
    """The service over HTTPS whose AWS is the simulated account."""
    monkeypatch.delenv("CLOUDWARDEN_AWS_ENDPOINT_URL", raising=False)
    yield from start_service(sqlite_url, tmp_path, base_url="https://testserver", simulator_url=sim.endpoint)


@pytest.fixture
def queued(web_sim: Service) -> Recorder:
    """The tasks the service queues, for the test to run as the worker would."""
    context = web_sim.client.app.state.work.context  # type: ignore[attr-defined]
    recorder = Recorder()
    context.dispatcher = recorder
    worker_context.install(context)
    return recorder


def connect(service: Service, sim: SimulatorClient) -> str:
    """The simulated account, connected through the role its onboarding stack created."""
    context = service.client.app.state.work.context  # type: ignore[attr-defined]
    with service.factory.begin() as db:
        account = add_connected_account(db, "123456789012", name="shop-prod")
        account.role_arn = deploy_onboarding_stack(
            sim, principal_arn=context.settings.principal_arn, external_id=account.external_id
        ).read_role_arn
        return account.id


def scan_now(service: Service, queued: Recorder, account_id: str, token: str) -> None:
    """Press "Scan now", then run what it queued, as the worker does."""
    pressed = service.client.post(
        f"{WS}/posture/accounts/{account_id}/scan", data={"csrf_token": token}, follow_redirects=False
    )
    assert pressed.status_code == 303, pressed.text
    assert pressed.headers["location"].startswith(f"{WS}/posture?done=scan")
    task, kwargs = queued.sent.pop()
    assert task == "posture_scan" and kwargs["account_id"] == account_id
    tasks.posture_scan(**kwargs)


def text_of(html: str) -> str:
    """What a person reads: the page without its tags, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_scan_now_then_scores_trend_changes_and_findings(
    web_sim: Service, sim: SimulatorClient, queued: Recorder
) -> None:
    account_id = connect(web_sim, sim)
    token = sign_in(web_sim.client)
    before = web_sim.client.get(f"{WS}/posture")
    assert before.status_code == 200
    assert "shop-prod" in before.text and "Not scanned yet." in text_of(before.text)
    assert f'action="{WS}/posture/accounts/{account_id}/scan"' in before.text

    scan_now(web_sim, queued, account_id, token)
    sim.client("s3", region="us-east-1").create_bucket(Bucket="web-posture-new-bucket")
    scan_now(web_sim, queued, account_id, token)

    page = web_sim.client.get(f"{WS}/posture?done=scan")
    assert page.status_code == 200
    seen = text_of(page.text)
    assert "Scan queued." in seen
    # The scores the API reports for the latest scan, as the page shows them.
    scans = web_sim.client.get(
        f"{API}/posture/scans", params={"account_id": account_id}, headers=web_sim.auth_headers
    ).json()
    assert len(scans) == 2
    latest = scans[-1]
    for framework in latest["scores"].values():
        judged = framework["passed"] + framework["failed"] + framework["unknown"]
        assert (
            f"{framework['title']} {framework['share'] * 100:.0f}% ({framework['passed']} of {judged})"
            in seen
        )
        assert f"{framework['score']:.1f} / 100" in seen
    changes = latest["changes"]
    assert changes["new"] > 0, "the new bucket fails checks it did not fail before"
    assert f"{changes['new']} new {changes['resolved']} resolved {changes['recurring']} recurring" in seen
    # One trend chart per framework, with its text alternatives: <title>, <desc> and a table.
    assert page.text.count('<svg class="chart trend"') == len(latest["scores"])
    descriptions = re.findall(r'<desc id="[^"]+">([^<]+)</desc>', page.text)
    assert len(descriptions) == len(latest["scores"])
    assert all("2 scans from" in unescape(d) and "weighted score" in unescape(d) for d in descriptions)
    assert "The trend as a table" in seen and page.text.count('<path class="line score"') == len(
        latest["scores"]
    )
    assert "Findings from AWS security services" in seen

    # Findings: failures by default, with their reason and remediation; filters narrow them.
    failed = web_sim.client.get(f"{WS}/posture/findings")
    assert failed.status_code == 200
    listed = text_of(failed.text)
    assert f"{latest['counts']['FAIL']} findings match" in listed
    assert 'class="badge pass"' not in failed.text.split('<ol class="findings"')[1]
    assert "Risk and remediation" in listed and "AWS CLI" in listed and "Terraform" in listed
    bucket = web_sim.client.get(
        f"{WS}/posture/findings", params={"q": "web-posture-new-bucket", "change": "new"}
    )
    bucket_text = text_of(bucket.text)
    assert "web-posture-new-bucket" in bucket_text and "new" in bucket_text
    assert re.search(r"\b[1-9]\d* findings? match", bucket_text)
    passed = web_sim.client.get(
        f"{WS}/posture/findings", params={"status": "PASS", "framework": "cis_aws_3_0", "severity": "high"}
    )
    passed_section = passed.text.split('<ol class="findings"')[1]
    assert 'class="badge fail"' not in passed_section and 'class="badge medium"' not in passed_section
    assert f"{latest['counts']['PASS']} findings match" not in text_of(passed.text)  # narrowed
    everything = web_sim.client.get(f"{WS}/posture/findings", params={"status": "", "page": "2"})
    assert "page 2 of" in text_of(everything.text) and 'rel="prev"' in everything.text
    wrong = web_sim.client.get(f"{WS}/posture/findings", params={"severity": "catastrophic"})
    assert wrong.status_code == 400 and "No severity 'catastrophic'" in text_of(wrong.text)


def test_suppressions_are_listed_validated_and_audited(web_sim: Service, sim: SimulatorClient) -> None:
    account_id = connect(web_sim, sim)
    with web_sim.factory.begin() as db:
        old = posture_service.add_suppression(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            check_id="s3_bucket_versioning_enabled",
            resource_id="arn:aws:s3:::scratch-*",
            reason="scratch buckets are rebuilt every night",
            owner="platform@example.com",
            expires_at=utcnow() + timedelta(days=1),
            created_by="owner@example.com",
        )
        old.expires_at = utcnow() - timedelta(days=1)
    token = sign_in(web_sim.client)
    form = {
        "csrf_token": token,
        "check_id": CHECK,
        "resource_id": "*",
        "account_id": account_id,
        "reason": "short",
        "owner": "security@example.com",
        "days": "30",
    }
    too_short = web_sim.client.post(f"{WS}/posture/suppressions", data=form)
    assert too_short.status_code == 422
    said = text_of(too_short.text)
    assert (
        "The suppression was not added" in said
        and "Reason: String should have at least 10 characters" in said
    )
    assert 'aria-invalid="true" aria-describedby="reason-error"' in too_short.text
    assert "security@example.com" in too_short.text, "what was typed is kept"
    unknown = web_sim.client.post(
        f"{WS}/posture/suppressions",
        data={**form, "check_id": "no_such_check", "reason": "accepted by the CISO"},
    )
    assert unknown.status_code == 400 and "No posture check 'no_such_check'" in text_of(unknown.text)
    too_long = web_sim.client.post(
        f"{WS}/posture/suppressions", data={**form, "reason": "accepted by the CISO", "days": "400"}
    )
    assert too_long.status_code == 422 and "Days: Input should be less than or equal to 365" in text_of(
        too_long.text
    )

    made = web_sim.client.post(
        f"{WS}/posture/suppressions",
        data={**form, "reason": "the break-glass key is kept in the safe"},
        follow_redirects=False,
    )
    assert (
        made.status_code == 303 and made.headers["location"] == f"{WS}/posture/suppressions?done=suppressed"
    )
    listed = web_sim.client.get(made.headers["location"])
    rows = listed.text.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert len(rows) == 2
    live, expired = text_of(rows[0]), text_of(rows[1])
    assert (
        CHECK in live and "the break-glass key is kept in the safe" in live and "security@example.com" in live
    )
    assert "in force" in live and "shop-prod" in live
    assert "expired" in expired and "scratch buckets" in expired and 'class="expired"' in rows[1]
    assert "Suppression added." in text_of(listed.text)
    # The API lists the same suppression in force, and the change is audited as the API's is.
    api = web_sim.client.get(f"{API}/posture/suppressions", headers=web_sim.auth_headers).json()
    assert [s["check_id"] for s in api] == [CHECK]
    with web_sim.factory.begin() as db:
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "posture.suppress")))
        assert [(e.target_id, e.actor) for e in entries] == [(CHECK, "owner@example.com")]
        assert db.scalar(select(PostureSuppression).where(PostureSuppression.check_id == CHECK)) is not None
    # A finding's "Suppress" link fills the form in.
    prefilled = web_sim.client.get(
        f"{WS}/posture/suppressions",
        params={"check_id": CHECK, "resource_id": "arn:aws:iam::123456789012:root"},
    )
    assert 'value="arn:aws:iam::123456789012:root"' in prefilled.text and f'value="{CHECK}"' in prefilled.text


def test_who_may_see_and_press_what(web_sim: Service, sim: SimulatorClient, queued: Recorder) -> None:
    account_id = connect(web_sim, sim)
    member_headers(web_sim, "viewer")
    member_headers(web_sim, "responder")

    token = sign_in(web_sim.client, "viewer@example.com", MEMBER_PASSWORD)
    for path in ("/posture", "/posture/findings", "/posture/suppressions"):
        assert web_sim.client.get(WS + path).status_code == 200, path
    overview = web_sim.client.get(f"{WS}/posture").text
    assert "Scan now" not in overview and 'aria-current="page">Posture' in overview
    assert "Add a suppression" not in web_sim.client.get(f"{WS}/posture/suppressions").text
    refused = web_sim.client.post(f"{WS}/posture/accounts/{account_id}/scan", data={"csrf_token": token})
    assert refused.status_code == 403 and queued.sent == []
    suppression = {
        "csrf_token": token,
        "check_id": CHECK,
        "reason": "accepted by the CISO",
        "owner": "me",
        "days": "5",
    }
    assert web_sim.client.post(f"{WS}/posture/suppressions", data=suppression).status_code == 403
    assert web_sim.client.get(f"/w/{'0' * 36}/posture").status_code == 404

    token = sign_in(web_sim.client, "responder@example.com", MEMBER_PASSWORD)
    assert "Scan now" in web_sim.client.get(f"{WS}/posture").text
    no_csrf = web_sim.client.post(f"{WS}/posture/accounts/{account_id}/scan", data={"csrf_token": "0" * 64})
    assert no_csrf.status_code == 403 and queued.sent == []
    missing = web_sim.client.post(f"{WS}/posture/accounts/{'0' * 36}/scan", data={"csrf_token": token})
    assert missing.status_code == 404 and "No such account" in text_of(missing.text)
    pressed = web_sim.client.post(
        f"{WS}/posture/accounts/{account_id}/scan", data={"csrf_token": token}, follow_redirects=False
    )
    assert pressed.status_code == 303
    [(task, kwargs)] = queued.sent
    assert task == "posture_scan" and kwargs == {
        "workspace_id": DEFAULT_WORKSPACE_ID,
        "account_id": account_id,
        "requested_at": kwargs["requested_at"],
    }
    assert "Add a suppression" not in web_sim.client.get(f"{WS}/posture/suppressions").text
    assert (
        web_sim.client.post(
            f"{WS}/posture/suppressions", data={**suppression, "csrf_token": token}
        ).status_code
        == 403
    )


def test_a_trend_chart_spaces_scans_evenly_on_a_fixed_scale_and_says_what_it_shows() -> None:
    days = [datetime(2026, 11, day, 6, 0, tzinfo=UTC) for day in (1, 2, 30)]
    chart = trend_chart(
        days,
        [
            Line("Weighted score", "score", [50.0, None, 100.0]),
            Line("Requirements passed (%)", "share", [0, 25, 140]),
        ],
        title="CIS AWS Foundations Benchmark v3.0",
    )
    score, share = chart.lines
    # Scans are spaced by their order, not their dates; 0 is the bottom, 100 the top, whatever the values.
    assert [p.x for p in share.points] == [chart.left, (chart.left + chart.right) / 2, chart.right]
    assert [p.y for p in share.points] == [chart.bottom, (chart.top + 3 * chart.bottom) / 4, chart.top]
    assert [t.label for t in chart.y_ticks] == ["0", "25", "50", "75", "100"]
    # A scan without a value breaks the line instead of joining across it.
    assert score.path == f"M{chart.left},{(chart.top + chart.bottom) // 2} M{chart.right},{chart.top}"
    assert share.path.count("L") == 2
    assert [t.label for t in chart.x_ticks] == ["Nov 01", "Nov 30"]
    assert chart.description == (
        "CIS AWS Foundations Benchmark v3.0: 3 scans from 2026-11-01 to 2026-11-30; "
        "weighted score 50.0 to 100.0; requirements passed (%) 0.0 to 140.0"
    )
    single = trend_chart(days[:1], [Line("Weighted score", "score", [42.0])], title="FSBP")
    assert single.lines[0].points[0].x == (single.left + single.right) / 2
    assert single.description == "FSBP: 1 scan on 2026-11-01; weighted score 42.0"
    assert trend_chart([], [], title="FSBP").description == "FSBP: no scans yet"
    with pytest.raises(ValueError, match="2 values for 3 scans"):
        trend_chart(days, [Line("Weighted score", "score", [1.0, 2.0])], title="FSBP")
