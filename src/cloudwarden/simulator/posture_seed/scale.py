"""The `size` knob: benign resources, in moto's backends directly or through the API."""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cloudwarden.simulator.posture_seed._base import (
    EXTRA_KINDS,
    EXTRA_PREFIX,
    SeederBase,
    SeedReport,
    _Clients,
    _tags,
    _tolerate,
)


def _split(size: int) -> dict[str, int]:
    """`size` spread over the extra kinds as evenly as it divides."""
    base, rest = divmod(size, len(EXTRA_KINDS))
    return {kind: base + (1 if i < rest else 0) for i, kind in enumerate(EXTRA_KINDS)}


def _extra_name(kind: str, index: int) -> str:
    short = {"s3_bucket": "bucket", "security_group": "sg", "iam_user": "user", "ebs_volume": "volume"}[kind]
    return f"{EXTRA_PREFIX}{short}-{index:05d}"


def _moto_in_this_process(seeder: SeederBase) -> bool:
    """Whether the simulator's moto is this process's: the bucket just made over HTTP is here."""
    if "moto.s3.models" not in sys.modules:
        return False
    from moto.s3.models import s3_backends

    try:
        return seeder.public_bucket in s3_backends[seeder.account_id]["aws"].buckets
    except KeyError:
        return False


class _ExtraInProcess:
    """Benign resources written into moto's backends (same objects its API would make)."""

    def __init__(self, account_id: str, region: str) -> None:
        from moto.ec2.models import ec2_backends
        from moto.iam.models import iam_backends
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        partition = get_partition(region)
        self.region = region
        self.s3 = s3_backends[account_id][partition]
        self.ec2 = ec2_backends[account_id][region]
        self.iam = iam_backends[account_id][partition]

    def create(self, size: int, report: SeedReport) -> None:
        counts = _split(size)
        makers: dict[str, Callable[[list[str]], None]] = {
            "s3_bucket": self._buckets,
            "security_group": self._groups,
            "iam_user": self._users,
            "ebs_volume": self._volumes,
        }
        for kind, count in counts.items():
            names = [_extra_name(kind, i) for i in range(count)]
            makers[kind](names)
            report.extra[kind] = names

    def _buckets(self, names: list[str]) -> None:
        from moto.s3.models import PublicAccessBlock

        encryption = {
            "Rule": {
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                "BucketKeyEnabled": "true",
            }
        }
        for name in names:
            bucket = self.s3.buckets.get(name) or self.s3.create_bucket(name, self.region)
            bucket.public_access_block = PublicAccessBlock(True, True, True, True)
            bucket.encryption = encryption
            bucket.ownership_rule = "BucketOwnerEnforced"  # type: ignore[assignment]  # moto keeps the rule

    def _groups(self, names: list[str]) -> None:
        vpc = self.ec2.get_default_vpc()
        if vpc is None:
            raise RuntimeError(f"the simulated account has no default VPC in {self.region}")
        vpc_id = vpc.id
        existing = {g.name for g in self.ec2.groups.get(vpc_id, {}).values()}
        for name in names:
            if name not in existing:
                self.ec2.create_security_group(
                    name, "Benign application security group", vpc_id=vpc_id, tags={"Name": name}
                )

    def _users(self, names: list[str]) -> None:
        for name in names:
            if name not in self.iam.users:
                self.iam.create_user(self.region, name, path="/scale/")

    def _volumes(self, names: list[str]) -> None:
        tagged = {
            tags.get("Name")
            for resource_id, tags in self.ec2.tags.items()
            if resource_id.startswith("vol-") and isinstance(tags, dict)
        }
        zone = f"{self.region}a"
        for name in names:
            if name in tagged:
                continue
            volume = self.ec2.create_volume(size=8, zone_name=zone, encrypted=True, volume_type="gp3")
            self.ec2.create_tags([volume.id], {"Name": name})


class _ExtraOverHttp:
    """Benign resources through the API: what a simulator in another process allows.

    A few requests in flight at once: with the simulator in another process, its work and the
    client's overlap."""

    WORKERS = 4

    def __init__(self, clients: _Clients) -> None:
        self.region = clients.region
        self.s3 = clients("s3")
        self.ec2 = clients("ec2")
        self.iam = clients("iam")

    def create(self, size: int, report: SeedReport) -> None:
        counts = _split(size)
        vpcs = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        vpc_id = str(vpcs[0]["VpcId"])
        groups = {
            g["GroupName"]
            for page in self.ec2.get_paginator("describe_security_groups").paginate(
                Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
            )
            for g in page["SecurityGroups"]
        }
        volumes = {
            t["Value"]
            for page in self.ec2.get_paginator("describe_volumes").paginate(
                Filters=[{"Name": "tag:Name", "Values": [f"{EXTRA_PREFIX}volume-*"]}]
            )
            for v in page["Volumes"]
            for t in v.get("Tags", [])
            if t["Key"] == "Name"
        }
        buckets = {b["Name"] for b in self.s3.list_buckets()["Buckets"]}
        users = {
            u["UserName"]
            for page in self.iam.get_paginator("list_users").paginate(PathPrefix="/scale/")
            for u in page["Users"]
        }
        makers: dict[str, Callable[[str], None]] = {
            "s3_bucket": lambda name: None if name in buckets else self._bucket(name),
            "security_group": lambda name: None if name in groups else self._group(name, vpc_id),
            "iam_user": lambda name: None if name in users else self._user(name),
            "ebs_volume": lambda name: None if name in volumes else self._volume(name),
        }
        with ThreadPoolExecutor(max_workers=self.WORKERS) as pool:
            for kind, count in counts.items():
                names = [_extra_name(kind, i) for i in range(count)]
                list(pool.map(makers[kind], names))
                report.extra[kind] = names

    def _group(self, name: str, vpc_id: str) -> None:
        self.ec2.create_security_group(
            GroupName=name,
            Description="Benign application security group",
            VpcId=vpc_id,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(name)}],
        )

    def _volume(self, name: str) -> None:
        self.ec2.create_volume(
            AvailabilityZone=f"{self.region}a",
            Size=8,
            VolumeType="gp3",
            Encrypted=True,
            TagSpecifications=[{"ResourceType": "volume", "Tags": _tags(name)}],
        )

    def _user(self, name: str) -> None:
        _tolerate(lambda: self.iam.create_user(UserName=name, Path="/scale/"), "EntityAlreadyExists")

    def _bucket(self, name: str) -> None:
        kwargs: dict[str, Any] = {"Bucket": name}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        _tolerate(lambda: self.s3.create_bucket(**kwargs), "BucketAlreadyOwnedByYou")
        self.s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        self.s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
