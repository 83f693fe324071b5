"""An SQS queue (known from the alarm that watches it, or a function's event source)."""

from __future__ import annotations

import re

from cloudwarden.evidence.kinds._arn import arns
from cloudwarden.evidence.kinds._spec import KindSpec, Metric, Reference

# https://sqs.us-east-1.amazonaws.com/123456789012/orders (also the legacy queue.amazonaws.com form)
_URL = re.compile(
    r"https://(?:sqs\.([\w-]+)\.amazonaws\.com(?:\.cn)?|([\w-]+)\.queue\.amazonaws\.com)/(\d{12})/([\w-]+(?:\.fifo)?)"
)


def _reference(text: str) -> Reference | None:
    for parts in arns(text, "sqs"):
        return Reference(":".join(parts), parts[5], {"queue_name": parts[5]})
    url = _URL.search(text)
    if url is None:
        return None
    region, account, name = url.group(1) or url.group(2), url.group(3), url.group(4)
    return Reference(f"arn:aws:sqs:{region}:{account}:{name}", name, {"queue_name": name})


SPEC = KindSpec(
    name="sqs_queue",
    label="SQS queue",
    identifiers=("queue_name",),
    metrics=(
        Metric("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", harm=1),
        Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
        Metric("AWS/SQS", "NumberOfMessagesDeleted", "Sum"),
        Metric("AWS/SQS", "NumberOfMessagesSent", "Sum"),
        Metric("AWS/SQS", "NumberOfMessagesReceived", "Sum"),
    ),
    dimensions=lambda r: (("QueueName", str(r.attributes.get("queue_name"))),),
    identifying_dimension="QueueName",
    referenced_as="env-reference",
    from_reference=_reference,
)
