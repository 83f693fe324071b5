"""S3 buckets and access points, CloudTrail trails and KMS keys of the posture seed."""

from __future__ import annotations

import functools
import json
from typing import Any

from cloudwarden.simulator.posture_seed._base import (
    PREFIX,
    SeederBase,
    _tolerate,
)


class StorageSeeds(SeederBase):
    def _bucket(self, name: str) -> str:
        s3 = self.client("s3")
        kwargs: dict[str, Any] = {"Bucket": name}
        if self.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        _tolerate(lambda: s3.create_bucket(**kwargs), "BucketAlreadyOwnedByYou")
        return self.report.add("s3_bucket", name)

    def _sse(self, name: str, algorithm: str = "AES256") -> None:
        """Default encryption (AWS applies SSE-S3 to every new bucket; moto applies none)."""
        self.client("s3").put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )

    def _block_public_access(self, name: str, on: bool) -> None:
        self.client("s3").put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": on,
                "IgnorePublicAcls": on,
                "BlockPublicPolicy": on,
                "RestrictPublicBuckets": on,
            },
        )

    def _tls_only(self, name: str, extra: list[dict[str, Any]] | None = None) -> None:
        statements = [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                # Same as "*" in AWS; moto's PutBucketLogging fails on a target whose policy has a
                # string Principal.
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            *(extra or []),
        ]
        policy = {"Version": "2012-10-17", "Statement": statements}
        self.client("s3").put_bucket_policy(Bucket=name, Policy=json.dumps(policy))

    def s3(self) -> None:
        s3 = self.client("s3")
        public = self._bucket(self.public_bucket)
        # Public as it is made public in AWS: BPA off, ACLs re-enabled, public-read, open policy.
        self._block_public_access(public, on=False)
        s3.put_bucket_ownership_controls(
            Bucket=public, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
        )
        s3.put_bucket_acl(Bucket=public, ACL="public-read")
        s3.put_bucket_policy(
            Bucket=public,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PublicRead",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::{public}/*",
                        }
                    ],
                }
            ),
        )
        self._sse(public)
        s3.put_bucket_tagging(
            Bucket=public, Tagging={"TagSet": [{"Key": "purpose", "Value": "website-assets"}]}
        )
        s3.put_object(Bucket=public, Key="index.html", Body=b"<h1>assets</h1>", ContentType="text/html")

        logs = self._bucket(f"{PREFIX}access-logs")
        self._block_public_access(logs, on=True)
        s3.put_bucket_ownership_controls(
            Bucket=logs, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        self._sse(logs)
        s3.put_bucket_versioning(Bucket=logs, VersioningConfiguration={"Status": "Enabled"})
        self._tls_only(
            logs,
            [
                {
                    "Sid": "S3ServerAccessLogsPolicy",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{logs}/*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": self.account_id}},
                }
            ],
        )

        private = self._bucket(f"{PREFIX}private-records")
        self._block_public_access(private, on=True)
        s3.put_bucket_ownership_controls(
            Bucket=private, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
        self._sse(private, "aws:kms")
        s3.put_bucket_versioning(Bucket=private, VersioningConfiguration={"Status": "Enabled"})
        self._tls_only(private)
        s3.put_bucket_logging(
            Bucket=private,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": f"{private}/"}},
        )
        s3.put_bucket_lifecycle_configuration(
            Bucket=private,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire-old-versions",
                        "Status": "Enabled",
                        "Filter": {},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                    }
                ]
            },
        )

        self.report.fails("S3 bucket is publicly readable: its ACL grants AllUsers READ", public)
        self.report.fails("S3 bucket policy allows anyone (Principal '*') to read objects", public)
        self.report.fails("S3 Block Public Access is off on the bucket", public)
        self.report.fails("S3 account-level Block Public Access is not configured", self.account_id)
        self.report.fails("S3 bucket policy does not deny non-TLS requests (aws:SecureTransport)", public)
        self.report.fails("S3 bucket versioning is not enabled", public)
        self.report.fails("S3 server access logging is not enabled", public, logs)
        self.report.fails("S3 bucket ACLs still apply (object ownership not enforced)", public)
        self.report.fails(
            "S3 bucket has no lifecycle rules, event notifications or Object Lock", public, logs
        )
        self.report.passes(
            "S3 bucket private: Block Public Access on, ACLs disabled, SSE-KMS, versioning with a "
            "lifecycle rule for old versions, TLS-only policy, access logging",
            private,
        )
        self._access_points(public, private)

    def _access_points(self, public: str, private: str) -> None:
        """A CDN partner's access point to the assets bucket, created with Block Public Access off
        (it cannot be turned on afterwards), and the analytics team's with AWS's defaults (all on)."""
        s3control = self.client("s3control")
        settings = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        points = {
            f"{PREFIX}assets-cdn-partner": (public, dict.fromkeys(settings, False)),
            f"{PREFIX}records-analytics": (private, None),
        }
        for name, (bucket, block) in points.items():
            extra = {"PublicAccessBlockConfiguration": block} if block else {}
            create = functools.partial(
                s3control.create_access_point, AccountId=self.account_id, Name=name, Bucket=bucket, **extra
            )
            _tolerate(create, "AccessPointAlreadyOwnedByYou")
            self.report.add("s3_access_point", name)
        self.report.fails("S3 access point has Block Public Access off", f"{PREFIX}assets-cdn-partner")
        self.report.passes("S3 access point blocks public access", f"{PREFIX}records-analytics")

    # -- VPC, security groups, EC2 ------------------------------------------------------------

    def cloudtrail(self) -> None:
        bucket = self._bucket(f"{PREFIX}cloudtrail-logs-no-access-logging")
        self._block_public_access(bucket, on=True)
        self._sse(bucket)
        arn = f"arn:aws:cloudtrail:{self.region}:{self.account_id}:trail/{PREFIX}trail-single-region"
        self.client("s3").put_bucket_policy(
            Bucket=bucket,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AWSCloudTrailAclCheck",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:GetBucketAcl",
                            "Resource": f"arn:aws:s3:::{bucket}",
                            "Condition": {"StringEquals": {"aws:SourceArn": arn}},
                        },
                        {
                            "Sid": "AWSCloudTrailWrite",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{self.account_id}/*",
                            "Condition": {
                                "StringEquals": {
                                    "s3:x-amz-acl": "bucket-owner-full-control",
                                    "aws:SourceArn": arn,
                                }
                            },
                        },
                    ],
                }
            ),
        )
        trail = f"{PREFIX}trail-single-region"
        cloudtrail = self.client("cloudtrail")
        _tolerate(
            lambda: cloudtrail.create_trail(
                Name=trail,
                S3BucketName=bucket,
                IsMultiRegionTrail=False,
                EnableLogFileValidation=False,
                IncludeGlobalServiceEvents=True,
            ),
            "TrailAlreadyExistsException",
        )
        cloudtrail.start_logging(Name=trail)
        self.report.add("cloudtrail_trail", trail)
        self.report.fails("No multi-region CloudTrail trail (the only trail is single-region)", trail)
        self.report.fails("CloudTrail log file validation is not enabled", trail)
        self.report.fails("CloudTrail logs are not encrypted with KMS (SSE-KMS)", trail)
        self.report.fails("CloudTrail trail is not integrated with CloudWatch Logs", trail)
        self.report.fails("S3 access logging is not enabled on the CloudTrail bucket", bucket)
        self.report.fails("S3 bucket versioning is not enabled", bucket)
        self.report.passes("A CloudTrail trail is logging in the region", self.region)
        self.report.passes("The CloudTrail bucket is not publicly accessible", bucket)
        self._legacy_trail()

    def _legacy_trail(self) -> None:
        """A proof-of-concept trail, stopped but never deleted, whose bucket was opened to a
        vendor's log tool with a public-read ACL: its old logs are readable by anyone."""
        bucket = self._bucket(f"{PREFIX}poc-trail-logs-public")
        trail = f"{PREFIX}trail-poc-stopped"
        arn = f"arn:aws:cloudtrail:{self.region}:{self.account_id}:trail/{trail}"
        s3 = self.client("s3")
        self._block_public_access(bucket, on=False)
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
        )
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
        self._sse(bucket)
        statements = [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": action,
                "Resource": resource,
                "Condition": {"StringEquals": {"aws:SourceArn": arn}},
            }
            for sid, action, resource in (
                ("AWSCloudTrailAclCheck", "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}"),
                ("AWSCloudTrailWrite", "s3:PutObject", f"arn:aws:s3:::{bucket}/AWSLogs/{self.account_id}/*"),
            )
        ]
        s3.put_bucket_policy(
            Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
        )
        cloudtrail = self.client("cloudtrail")
        _tolerate(
            lambda: cloudtrail.create_trail(Name=trail, S3BucketName=bucket, IsMultiRegionTrail=False),
            "TrailAlreadyExistsException",
        )
        cloudtrail.stop_logging(Name=trail)
        self.report.add("cloudtrail_trail", trail)
        self.report.fails(
            "The CloudTrail bucket is publicly readable (ACL grants AllUsers READ, Block Public Access off)",
            bucket,
        )
        self.report.fails(
            "CloudTrail trail is stopped, without log file validation, KMS encryption or CloudWatch Logs",
            trail,
        )

    def kms(self) -> None:
        kms = self.client("kms")
        alias = f"alias/{PREFIX}app-data-no-rotation"
        existing = [
            a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == alias and a.get("TargetKeyId")
        ]
        if existing:
            key_id = str(existing[0]["TargetKeyId"])
        else:
            key_id = str(
                kms.create_key(
                    Description=f"{PREFIX}app-data key, rotation never enabled",
                    KeyUsage="ENCRYPT_DECRYPT",
                    KeySpec="SYMMETRIC_DEFAULT",
                    Tags=[{"TagKey": "Name", "TagValue": f"{PREFIX}app-data-no-rotation"}],
                )["KeyMetadata"]["KeyId"]
            )
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        self.report.add("kms_key", f"{alias} ({key_id})")
        self.report.fails("KMS customer managed key rotation is not enabled", key_id)
        self.report.passes("KMS key policy names its principals (the account)", key_id)
        self._public_key()
        self._decrypt_policies(key_id)

    def _public_key(self) -> None:
        """A key shared with a partner: its policy was widened to Principal "*" while debugging a
        cross-account decrypt and never narrowed again. Rotation is on (it fails KMS.5 only)."""
        kms, description = self.client("kms"), f"{PREFIX}partner-exchange key, policy open to anyone"
        keys = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
        found = [k for k in keys if k.get("Description") == description and k.get("KeyState") == "Enabled"]
        root = f"arn:aws:iam::{self.account_id}:root"
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdmin",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "PartnerDecrypt",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:Decrypt", "kms:DescribeKey"],
                    "Resource": "*",
                },
            ],
        }
        key_id = str(found[0]["KeyId"]) if found else ""
        if not key_id:
            key_id = str(
                kms.create_key(
                    Description=description,
                    Policy=json.dumps(policy),
                    Tags=[{"TagKey": "Name", "TagValue": f"{PREFIX}partner-exchange"}],
                )["KeyMetadata"]["KeyId"]
            )
            kms.enable_key_rotation(KeyId=key_id)
        self.report.add("kms_key", f"{PREFIX}partner-exchange ({key_id})")
        self.report.fails('KMS key policy allows anyone (Principal "*") to decrypt', key_id)

    def _decrypt_policies(self, key_id: str) -> None:
        """The reporting role may decrypt with any key (an inline policy and a customer managed
        policy written with Resource "*"); the app's policy names its one key."""
        iam = self.client("iam")
        key_arn = f"arn:aws:kms:{self.region}:{self.account_id}:key/{key_id}"
        decrypt_any = {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}
        decrypt_one = {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        }
        policies = {}
        for name, statement in (("decrypt-any-key", decrypt_any), ("app-data-decrypt", decrypt_one)):
            policy_name = f"{PREFIX}{name}"
            create = functools.partial(
                iam.create_policy,
                PolicyName=policy_name,
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
            )
            _tolerate(create, "EntityAlreadyExists")
            policies[name] = self.report.add("iam_policy", policy_name)
        role = f"{PREFIX}reporting-role"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        _tolerate(
            lambda: iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust)),
            "EntityAlreadyExists",
        )
        iam.put_role_policy(
            RoleName=role,
            PolicyName=f"{PREFIX}read-encrypted-exports",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [decrypt_any]}),
        )
        self.report.add("iam_role", role)
        self.report.fails(
            "IAM customer managed policy allows kms:Decrypt on all KMS keys", policies["decrypt-any-key"]
        )
        self.report.passes(
            "IAM customer managed policy allows kms:Decrypt on one named key", policies["app-data-decrypt"]
        )
        self.report.fails("IAM role's inline policy allows kms:Decrypt on all KMS keys", role)
