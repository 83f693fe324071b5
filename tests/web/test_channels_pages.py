"""The channels page: adding and removing channels, secrets never shown, a real test alert, intake."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from cloudwarden.alerts.intake import eventbridge
from cloudwarden.audit import service as audit
from cloudwarden.simulator.whatsapp import WhatsAppStandIn
from cloudwarden.store.alerting import ChannelRecord, OutboxMessage
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, Workspace
from cloudwarden.worker import context as worker_context
from cloudwarden.worker import tasks
from tests.alerts.channels.slack_server import WEBHOOK_PATH, SlackWebhookServer
from tests.api.conftest import MEMBER_PASSWORD, Service, member_headers
from tests.api.test_intake import Recorder
from tests.web.conftest import sign_in

WS = f"/w/{DEFAULT_WORKSPACE_ID}"
ACCESS_TOKEN = "EAAG-console-test-token-51c2"
APP_SECRET = "console-app-secret-9e0d"
VERIFY_TOKEN = "console-verify-token-77aa"
PHONE_NUMBER_ID = "106540352242922"
UNREACHABLE = f"http://127.0.0.1:9{WEBHOOK_PATH}"  # nothing listens on port 9


@pytest.fixture
def slack() -> Iterator[SlackWebhookServer]:
    server = SlackWebhookServer().start()
    yield server
    server.stop()


@pytest.fixture
def whatsapp() -> Iterator[WhatsAppStandIn]:
    server = WhatsAppStandIn(
        app_secret=APP_SECRET, access_token=ACCESS_TOKEN, phone_number_id=PHONE_NUMBER_ID
    ).start()
    yield server
    server.stop()


@pytest.fixture
def retries(web: Service) -> Recorder:
    """What the test alert queues for a retry, kept instead of run."""
    recorder = Recorder()
    web.client.app.state.work.context.dispatcher = recorder  # type: ignore[attr-defined]
    return recorder


def add(web: Service, token: str, **fields: str) -> str:
    response = web.client.post(f"{WS}/channels", data={"csrf_token": token, **fields}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{WS}/channels?done=added"
    return web.client.get(response.headers["location"]).text


def whatsapp_form(base_url: str) -> dict[str, str]:
    return {
        "kind": "whatsapp",
        "name": "on-call phones",
        "phone_number_id": PHONE_NUMBER_ID,
        "recipients": "+44 7700 900123\n+15550009876",
        "access_token": ACCESS_TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "template_name": "cloudwarden_alert",
        "template_language": "en_US",
        "api_base_url": base_url,
    }


def results_of(text: str) -> dict[tuple[str, str], tuple[str, str]]:
    """The test alert's table: (channel, recipient) -> (status, error)."""
    section = text[text.index('id="test-title"') : text.index('id="configured-title"')]
    rows = re.findall(
        r"<td>([^<]+) <span class=\"muted\">\([^)]+\)</span></td>\s*<td>([^<]*)</td>\s*"
        r"<td><span class=\"badge \w+\">(\w+)</span>.*?</td>\s*<td class=\"wrap-anywhere\">([^<]*)</td>",
        section,
        re.S,
    )
    return {(name, recipient): (status, error) for name, recipient, status, error in rows}


def test_an_admin_adds_channels_whose_secrets_are_never_shown(
    web: Service, slack: SlackWebhookServer, whatsapp: WhatsAppStandIn
) -> None:
    token = sign_in(web.client)
    page = add(web, token, kind="slack", name="incidents chat", webhook_url=slack.url)
    assert "Channel added." in page and "incidents chat" in page
    page = add(web, token, **whatsapp_form(whatsapp.base_url))
    card = page[page.index("<h3>on-call phones</h3>") :]
    card = card[: card.index("</li>")]
    assert "phone_number_id" in card and PHONE_NUMBER_ID in card
    assert "447700900123, 15550009876" in card  # normalised E.164 numbers
    assert "cloudwarden_alert" in card and whatsapp.base_url in card
    for secret in ("access_token", "app_secret", "verify_token"):
        assert re.search(rf"<dt>{secret}</dt>\s*<dd>set ", card), secret
    assert f"/api/v1/intake/workspaces/{DEFAULT_WORKSPACE_ID}/whatsapp/" in card  # the URL to give Meta
    for secret in (ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, WEBHOOK_PATH, slack.url):
        assert secret not in page, secret
    with web.factory() as db:
        created = audit.entries(db, workspace_id=DEFAULT_WORKSPACE_ID, action="channel.create")
    assert [(e.actor, e.details["kind"]) for e in created] == [
        ("owner@example.com", "slack"),
        ("owner@example.com", "whatsapp"),
    ]
    # The same model as the API refuses a bad field (and never echoes a secret it was sent).
    bad = web.client.post(
        f"{WS}/channels",
        data={
            "csrf_token": token,
            **whatsapp_form(whatsapp.base_url),
            "name": "second",
            "phone_number_id": "12ab",
        },
    )
    assert bad.status_code == 422 and "phone_number_id" in bad.text and ACCESS_TOKEN not in bad.text
    insecure = web.client.post(
        f"{WS}/channels",
        data={
            "csrf_token": token,
            "kind": "slack",
            "name": "plain",
            "webhook_url": "http://hooks.example.com/x",
        },
    )
    assert insecure.status_code == 422 and "must use https" in insecure.text
    assert "hooks.example.com" not in insecure.text
    again = web.client.post(
        f"{WS}/channels",
        data={"csrf_token": token, "kind": "slack", "name": "incidents chat", "webhook_url": slack.url},
    )
    assert again.status_code == 400 and "exists already" in again.text
    unknown = web.client.post(f"{WS}/channels", data={"csrf_token": token, "kind": "pager", "name": "x"})
    assert unknown.status_code == 400 and "No channel kind" in unknown.text


def test_a_test_alert_goes_through_every_channel_and_each_result_is_shown(
    web: Service, slack: SlackWebhookServer, whatsapp: WhatsAppStandIn, retries: Recorder
) -> None:
    token = sign_in(web.client)
    add(web, token, kind="slack", name="chat", webhook_url=slack.url)
    add(web, token, **whatsapp_form(whatsapp.base_url))
    add(web, token, kind="slack", name="old webhook", webhook_url=UNREACHABLE)

    answer = web.client.post(f"{WS}/channels/test", data={"csrf_token": token})
    assert answer.status_code == 200
    results = results_of(answer.text)
    assert results[("chat", "—")] == ("sent", "—")
    assert results[("on-call phones", "…0123")] == ("sent", "—")
    assert results[("on-call phones", "…9876")] == ("sent", "—")
    status, error = results[("old webhook", "—")]
    assert status == "pending" and "unreachable" in error  # said as it is, and retried later
    assert "(will be retried)" in answer.text and "3 of 4 test messages sent." in answer.text
    assert slack.requests == 1 and len(slack.received) == 1
    assert sorted(m.to for m in whatsapp.sent) == ["15550009876", "447700900123"]
    assert [task for task, _ in retries.sent] == ["deliver_message"]
    tested = answer.text[answer.text.index('id="test-title"') : answer.text.index('id="configured-title"')]
    assert "447700900123" not in tested and "15550009876" not in tested  # recipients masked

    # The deliveries stay listed on the page, newest first, with their status.
    page = web.client.get(f"{WS}/channels").text
    deliveries = page[page.index('id="deliveries-title"') :]
    assert deliveries.count('<td class="hide-narrow">test</td>') == 4
    assert '<span class="badge pending">pending</span>' in deliveries and "Slack unreachable" in deliveries

    slack.respond_next(404, "no_service")  # the webhook was revoked: not worth retrying
    again = web.client.post(f"{WS}/channels/test", data={"csrf_token": token})
    status, error = results_of(again.text)[("chat", "—")]
    assert status == "dead" and "no_service" in error
    with web.factory() as db:
        tests = audit.entries(db, workspace_id=DEFAULT_WORKSPACE_ID, action="channel.test")
        assert [(e.actor, e.details["messages"]) for e in tests] == [("owner@example.com", 4)] * 2
        assert len(db.scalars(select(OutboxMessage)).all()) == 8


def test_removing_a_channel_deletes_its_secrets_and_is_audited(
    web: Service, slack: SlackWebhookServer
) -> None:
    token = sign_in(web.client)
    page = add(web, token, kind="slack", name="chat", webhook_url=slack.url)
    channel_id = re.search(r'/channels/([0-9a-f-]{36})/remove"', page).group(1)  # type: ignore[union-attr]
    assert 'data-confirm="Remove the channel chat?' in page

    no_token = web.client.post(f"{WS}/channels/{channel_id}/remove", data={})
    assert no_token.status_code == 403
    removed = web.client.post(
        f"{WS}/channels/{channel_id}/remove", data={"csrf_token": token}, follow_redirects=False
    )
    assert removed.status_code == 303 and removed.headers["location"] == f"{WS}/channels?done=removed"
    page = web.client.get(removed.headers["location"]).text
    assert "Channel removed." in page and "<h3>chat</h3>" not in page and "No channels yet" in page
    with web.factory() as db:
        record = db.get(ChannelRecord, channel_id)
        assert record is not None and record.removed_at is not None and record.sealed_secrets is None
        entries = audit.entries(db, workspace_id=DEFAULT_WORKSPACE_ID, action="channel.remove")
        assert [(e.actor, e.target_id) for e in entries] == [("owner@example.com", channel_id)]
    twice = web.client.post(f"{WS}/channels/{channel_id}/remove", data={"csrf_token": token})
    assert twice.status_code == 404


def test_with_no_channel_a_test_alert_says_nothing_was_sent(web: Service) -> None:
    token = sign_in(web.client)
    answer = web.client.post(f"{WS}/channels/test", data={"csrf_token": token})
    assert answer.status_code == 200 and "No enabled channel: nothing was sent" in answer.text


def test_intake_addresses_are_shown(web: Service) -> None:
    sign_in(web.client)
    page = web.client.get(f"{WS}/channels").text
    base = f"/api/v1/intake/workspaces/{DEFAULT_WORKSPACE_ID}"
    assert f"{base}/sns</code>" in page and f"{base}/eventbridge</code>" in page
    assert "X-CloudWarden-Intake-Secret" in page and "no secret yet" in page


def test_a_viewer_reads_and_tests_but_cannot_manage_and_other_workspaces_are_not_found(
    web: Service, slack: SlackWebhookServer, retries: Recorder
) -> None:
    owner_token = sign_in(web.client)
    page = add(web, owner_token, kind="slack", name="chat", webhook_url=slack.url)
    channel_id = re.search(r'/channels/([0-9a-f-]{36})/remove"', page).group(1)  # type: ignore[union-attr]
    viewer = member_headers(web, "viewer")
    theirs = web.client.post(
        "/api/v1/workspaces", headers=viewer, json={"name": "Acme", "slug": "acme"}
    ).json()["id"]
    their_channel = web.client.post(
        f"/api/v1/workspaces/{theirs}/channels",
        headers=viewer,
        json={"name": "acme chat", "config": {"kind": "slack", "webhook_url": slack.url}},
    ).json()["id"]

    web.client.cookies.clear()
    token = sign_in(web.client, "viewer@example.com", MEMBER_PASSWORD)
    page = web.client.get(f"{WS}/channels")
    assert page.status_code == 200 and "<h3>chat</h3>" in page.text
    assert 'aria-current="page">Channels</a>' in page.text
    assert "Add a channel" not in page.text and "/remove" not in page.text and "Send test alert" in page.text
    tested = web.client.post(f"{WS}/channels/test", data={"csrf_token": token})
    assert tested.status_code == 200 and results_of(tested.text)[("chat", "—")] == ("sent", "—")
    refused_add = web.client.post(
        f"{WS}/channels",
        data={"csrf_token": token, "kind": "slack", "name": "mine", "webhook_url": slack.url},
    )
    assert refused_add.status_code == 403
    assert (
        web.client.post(f"{WS}/channels/{channel_id}/remove", data={"csrf_token": token}).status_code == 403
    )
    with web.factory() as db:
        assert db.get(ChannelRecord, channel_id).removed_at is None  # type: ignore[union-attr]

    web.client.cookies.clear()
    owner_token = sign_in(web.client)
    assert web.client.get(f"/w/{theirs}/channels").status_code == 404
    for path in (f"/w/{theirs}/channels/test", f"/w/{theirs}/channels/{their_channel}/remove"):
        assert web.client.post(path, data={"csrf_token": owner_token}).status_code == 404, path
    # Their channel is not the owner's to remove from the owner's workspace either.
    assert (
        web.client.post(f"{WS}/channels/{their_channel}/remove", data={"csrf_token": owner_token}).status_code
        == 404
    )
    assert slack.requests == 1  # only the viewer's own test reached Slack


def test_an_admin_makes_the_eventbridge_secret_sees_it_once_and_only_the_newest_works(web: Service) -> None:
    token = sign_in(web.client)
    page = web.client.get(f"{WS}/channels").text
    assert "Make an EventBridge secret" in page and "no secret yet" in page
    first = web.client.post(f"{WS}/channels/intake-secret", data={"csrf_token": token})
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    old_secret = secret_on(first.text)
    assert "secret set" in first.text and "Replace the EventBridge secret" in first.text
    assert old_secret not in web.client.get(f"{WS}/channels").text  # shown once

    second = web.client.post(f"{WS}/channels/intake-secret", data={"csrf_token": token})
    new_secret = secret_on(second.text)
    assert new_secret != old_secret
    intake = f"/api/v1/intake/workspaces/{DEFAULT_WORKSPACE_ID}/eventbridge"
    event = {"id": "not-an-alarm"}  # refused for its shape only once the secret was accepted
    assert (
        web.client.post(intake, json=event, headers={eventbridge.SECRET_HEADER: old_secret}).status_code
        == 403
    )
    assert (
        web.client.post(intake, json=event, headers={eventbridge.SECRET_HEADER: new_secret}).status_code
        == 400
    )
    with web.factory() as db:
        rotations = audit.entries(db, workspace_id=DEFAULT_WORKSPACE_ID, action="intake.secret.rotate")
    assert len(rotations) == 2 and {e.actor for e in rotations} == {"owner@example.com"}


def test_a_viewer_cannot_make_the_eventbridge_secret(web: Service) -> None:
    member_headers(web, "viewer")
    token = sign_in(web.client, "viewer@example.com", MEMBER_PASSWORD)
    assert "EventBridge secret</button>" not in web.client.get(f"{WS}/channels").text
    assert web.client.post(f"{WS}/channels/intake-secret", data={"csrf_token": token}).status_code == 403
    with web.factory() as db:
        assert db.get(Workspace, DEFAULT_WORKSPACE_ID).intake_secret_hash is None  # type: ignore[union-attr]


def secret_on(html: str) -> str:
    found = re.search(r'id="intake-secret">.*?<code>([^<]+)</code>', html, re.S)
    assert found, "no new secret on the page"
    return found.group(1)


def test_a_paused_channel_gets_nothing_until_it_is_resumed(
    web: Service, slack: SlackWebhookServer, retries: Recorder
) -> None:
    token = sign_in(web.client)
    page = add(web, token, kind="slack", name="chat", webhook_url=slack.url)
    channel_id = re.search(r'/channels/([0-9a-f-]{36})/pause"', page).group(1)  # type: ignore[union-attr]
    with web.factory.begin() as db:
        queued = OutboxMessage(
            workspace_id=DEFAULT_WORKSPACE_ID,
            channel_id=channel_id,
            dedup_key="queued-before-the-pause",
            kind="diagnosis",
            recipient="#incidents",
            payload={"text": "memory leak on worker"},
        )
        db.add(queued)
        db.flush()
        message_id = queued.id

    paused = web.client.post(f"{WS}/channels/{channel_id}/pause", data={"csrf_token": token})
    assert "Channel paused" in paused.text and '<span class="badge warn">paused</span>' in paused.text
    assert f"/channels/{channel_id}/resume" in paused.text
    tested = web.client.post(f"{WS}/channels/test", data={"csrf_token": token})
    assert "No enabled channel: nothing was sent" in tested.text
    worker_context.install(web.client.app.state.work.context)  # type: ignore[attr-defined]
    tasks.deliver_message(workspace_id=DEFAULT_WORKSPACE_ID, message_id=message_id)
    with web.factory() as db:
        message = db.get(OutboxMessage, message_id)
        assert message is not None and (message.status, message.last_error) == (
            "dead",
            "the channel was removed or paused",
        )
    assert slack.received == []

    # Resumed through the API, as a script would: alerts reach it again.
    api = f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}/channels/{channel_id}"
    resumed = web.client.patch(api, json={"enabled": True}, headers=web.auth_headers)
    assert resumed.status_code == 200 and resumed.json()["enabled"] is True
    tested = web.client.post(f"{WS}/channels/test", data={"csrf_token": token})
    assert results_of(tested.text)[("chat", "—")] == ("sent", "—") and len(slack.received) == 1
    with web.factory() as db:
        actions = [
            e.action
            for e in audit.entries(db, workspace_id=DEFAULT_WORKSPACE_ID)
            if e.target_id == channel_id
        ]
    assert actions == ["channel.create", "channel.disable", "channel.enable"]
    viewer = member_headers(web, "viewer")
    assert web.client.patch(api, json={"enabled": False}, headers=viewer).status_code == 403
    assert web.client.patch(api, json={"enabled": "maybe"}, headers=web.auth_headers).status_code == 422
