"""SNS publishes to a topic in the simulated AWS account; Stubber covers what moto cannot refuse."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import ANY, Stubber

from cloudwarden.alerts.channels.base import DeliveryFailed, OutboundMessage
from cloudwarden.alerts.channels.configs import SnsConfig
from cloudwarden.alerts.channels.sns import SnsChannel, sns_subject
from cloudwarden.simulator.client import SimulatorClient
from tests.alerts.channels.conftest import free_port

DIAGNOSIS = OutboundMessage(
    kind="diagnosis",
    subject="checkout-5xx: bad deploy — storefront-api\nv2.14.0 " + "x" * 200,
    text="5xx rose 40x after v2.14.0.",
    facts=(("Confidence", "high"),),
    url="https://cloudwarden.example.com/incidents/42",
    reference="outbox-7",
)
TOPIC = "arn:aws:sns:us-east-1:123456789012:oncall"


def topic_with_queue(sim: SimulatorClient, name: str) -> tuple[str, Any, str]:
    sns, sqs = sim.client("sns"), sim.client("sqs")
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return topic_arn, sqs, queue_url


def stubbed_channel(error_code: str, status: int) -> tuple[SnsChannel, Stubber]:
    client = boto3.client(
        "sns", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stubber = Stubber(client)
    stubber.add_client_error(
        "publish",
        service_error_code=error_code,
        service_message=f"{error_code} (stubbed)",
        http_status_code=status,
    )
    stubber.activate()
    return SnsChannel(SnsConfig(topic_arn=TOPIC), client_factory=lambda region: client), stubber


def test_publish_reaches_the_topics_subscribers(sim: SimulatorClient) -> None:
    topic_arn, sqs, queue_url = topic_with_queue(sim, "oncall")
    regions: list[str] = []

    def factory(region: str) -> Any:
        regions.append(region)
        return sim.client("sns", region=region)

    result = SnsChannel(SnsConfig(topic_arn=topic_arn), client_factory=factory).send(DIAGNOSIS, recipient="")

    [delivered] = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    notification = json.loads(delivered["Body"])
    assert regions == ["us-east-1"] and result.provider_id == notification["MessageId"]
    subject = notification["Subject"]
    assert subject.startswith("checkout-5xx: bad deploy - storefront-api v2.14.0 xxx")
    assert len(subject) < 100 and subject.isascii() and subject.endswith("...")
    assert notification["Message"].startswith("checkout-5xx: bad deploy — storefront-api v2.14.0")
    assert "Confidence: high" in notification["Message"]
    assert notification["MessageAttributes"]["kind"] == {"Type": "String", "Value": "diagnosis"}


def test_missing_topic_is_not_retryable(sim: SimulatorClient) -> None:
    config = SnsConfig(topic_arn="arn:aws:sns:us-east-1:123456789012:deleted-topic")
    with pytest.raises(DeliveryFailed) as failure:
        SnsChannel(config, client_factory=lambda region: sim.client("sns", region=region)).send(
            DIAGNOSIS, recipient=""
        )
    assert not failure.value.retryable and "NotFound" in failure.value.reason
    assert failure.value.details["code"] == "NotFound"


@pytest.mark.parametrize(
    ("code", "status"), [("Throttling", 400), ("InternalError", 500), ("KMSThrottling", 400)]
)
def test_throttling_and_server_errors_are_retryable(code: str, status: int) -> None:
    channel, stubber = stubbed_channel(code, status)
    with pytest.raises(DeliveryFailed) as failure:
        channel.send(DIAGNOSIS, recipient="")
    assert failure.value.retryable and code in failure.value.reason
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(("code", "status"), [("AuthorizationError", 403), ("InvalidParameter", 400)])
def test_refusals_are_not_retryable_and_name_the_code(code: str, status: int) -> None:
    channel, _ = stubbed_channel(code, status)
    with pytest.raises(DeliveryFailed) as failure:
        channel.send(DIAGNOSIS, recipient="")
    assert not failure.value.retryable and code in failure.value.reason and failure.value.status == status


def test_unreachable_endpoint_is_retryable() -> None:
    def factory(region: str) -> Any:
        return boto3.client(
            "sns",
            region_name=region,
            endpoint_url=f"http://127.0.0.1:{free_port()}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1),
        )

    with pytest.raises(DeliveryFailed) as failure:
        SnsChannel(SnsConfig(topic_arn=TOPIC), client_factory=factory).send(DIAGNOSIS, recipient="")
    assert failure.value.retryable and "unreachable" in failure.value.reason


def test_fifo_topic_gets_a_group_and_a_deduplication_id_from_the_reference() -> None:
    client = boto3.client(
        "sns", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stubber = Stubber(client)
    fifo = "arn:aws:sns:eu-west-1:123456789012:oncall.fifo"
    expected = {
        "TopicArn": fifo,
        "Message": ANY,
        "Subject": ANY,
        "MessageAttributes": ANY,
        "MessageGroupId": "cloudwarden",
        "MessageDeduplicationId": ANY,
    }
    for _ in range(2):
        stubber.add_response("publish", {"MessageId": "m-1"}, expected)
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.sns.Publish", lambda params, **_: sent.append(dict(params))
    )
    with stubber:
        channel = SnsChannel(SnsConfig(topic_arn=fifo), client_factory=lambda region: client)
        channel.send(DIAGNOSIS, recipient="")
        channel.send(DIAGNOSIS, recipient="")  # a retry of the same outbox message
    assert sent[0]["MessageDeduplicationId"] == sent[1]["MessageDeduplicationId"]
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Ålarm: café\r\nInjected: header", "Alarm: cafe Injected: header"),
        ("\x00\x07  ", None),
        ("🚨🚨", None),
    ],
)
def test_subject_is_folded_to_what_sns_accepts(subject: str, expected: str | None) -> None:
    assert sns_subject(subject) == expected
