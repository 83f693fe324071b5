"""The CloudTrail checks, and what several share: judging the S3 buckets the trails deliver to."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from cloudwarden.posture.collectors.cloudtrail import judged_trails
from cloudwarden.posture.collectors.s3 import Bucket, S3Data
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import Result, Unknown

# judge(bucket, the S3 data, the bucket's ARN, "bucket <name> (trail <names>)")
TrailBucketJudge = Callable[[Bucket, S3Data, str, str], Result]


def judge_trail_buckets(inventory: Inventory, judge: TrailBucketJudge, what: str) -> Iterator[Result]:
    """judge(...) once for each S3 bucket a trail delivers to, when the bucket is in the account.

    Regions whose trails could not be read are an ERROR each; a bucket of another account is
    NOT_APPLICABLE (`what` is judged there, e.g. "its access logging"); no trail delivering to S3
    is NOT_APPLICABLE for the account.
    """
    trails, unread = judged_trails(inventory)
    for region, why in unread:
        yield Result.error(inventory.region_arn("cloudtrail", region), region, why)
    by_bucket: dict[str, list[str]] = {}
    for trail in trails:
        if trail.s3_bucket:
            by_bucket.setdefault(trail.s3_bucket, []).append(trail.name)
    if not by_bucket:
        if not unread:
            yield Result.not_applicable(inventory.account_arn, GLOBAL, "no CloudTrail trail delivers to S3")
        return
    s3 = inventory.account("s3")
    for name, trail_names in sorted(by_bucket.items()):
        arn = f"arn:{inventory.partition}:s3:::{name}"
        which = f"bucket {name} (trail {', '.join(trail_names)})"
        if not isinstance(s3, S3Data):
            yield Result.error(
                arn, GLOBAL, s3 if isinstance(s3, Unknown) else "the S3 inventory is unreadable"
            )
            continue
        bucket = next((b for b in s3.buckets if b.name == name), None)
        if bucket is None:
            reason = f"{which} is not in this account: judge {what} in the account that owns it"
            yield Result.not_applicable(arn, GLOBAL, reason)
            continue
        yield judge(bucket, s3, arn, which)
