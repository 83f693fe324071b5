"""An SQS queue (known from the alarm that watches it, or a function's event source)."""

from __future__ import annotations

from cloudwarden.evidence.kinds._spec import KindSpec, Metric

SPEC = KindSpec(
    name="sqs_queue",
    label="SQS queue",
    identifiers=("queue_name",),
    metrics=(
        Metric("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum"),
        Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
        Metric("AWS/SQS", "NumberOfMessagesDeleted", "Sum"),
    ),
    dimensions=lambda r: (("QueueName", str(r.attributes.get("queue_name"))),),
    identifying_dimension="QueueName",
    referenced_as="env-reference",
)
