"""IAM users, policies, the password policy and the root user of the posture seed."""

from __future__ import annotations

import json

from cloudwarden.simulator.posture_seed._base import (
    PREFIX,
    SeederBase,
    _iso,
    _tolerate,
)


class IdentitySeeds(SeederBase):
    def _user(self, name: str) -> str:
        _tolerate(
            lambda: self.client("iam").create_user(
                UserName=name, Tags=[{"Key": "seeded-by", "Value": "cloudwarden"}]
            ),
            "EntityAlreadyExists",
        )
        return self.report.add("iam_user", name)

    def _keys(self, user: str, count: int) -> list[str]:
        """`count` access keys of `user`, reusing the ones it has."""
        iam = self.client("iam")
        keys = [str(k["AccessKeyId"]) for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]
        while len(keys) < count:
            keys.append(str(iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]))
        return keys[:count]

    def iam(self) -> None:
        iam = self.client("iam")
        iam.update_account_password_policy(
            MinimumPasswordLength=8,
            RequireSymbols=False,
            RequireNumbers=False,
            RequireUppercaseCharacters=False,
            RequireLowercaseCharacters=False,
            AllowUsersToChangePassword=True,
        )

        console = self._user(f"{PREFIX}console-user-no-mfa")
        _tolerate(
            lambda: iam.create_login_profile(
                UserName=console,
                Password="Summer2024!",  # noqa: S106 - the weak password of a demo user
                PasswordResetRequired=False,
            ),
            "EntityAlreadyExists",
        )
        stale = self._user(f"{PREFIX}stale-access-key")
        (stale_key,) = self._keys(stale, 1)
        two = self._user(f"{PREFIX}two-active-keys")
        two_keys = self._keys(two, 2)
        inline = self._user(f"{PREFIX}inline-policy")
        iam.put_user_policy(
            UserName=inline,
            PolicyName=f"{PREFIX}inline-s3-full-access",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        )

        policy_name = f"{PREFIX}full-admin-star-star"
        policy_arn = f"arn:aws:iam::{self.account_id}:policy/{policy_name}"
        _tolerate(
            lambda: iam.create_policy(
                PolicyName=policy_name,
                Description="Allows every action on every resource",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                    }
                ),
            ),
            "EntityAlreadyExists",
        )
        self.report.add("iam_policy", policy_name)
        group = f"{PREFIX}admins"
        _tolerate(lambda: iam.create_group(GroupName=group), "EntityAlreadyExists")
        iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
        iam.add_user_to_group(GroupName=group, UserName=console)
        self.report.add("iam_group", group)

        # What moto's API cannot date: ages and last uses, through backdate_iam.
        self.sim.inject(
            "backdate_iam",
            account_id=self.account_id,
            region=self.region,
            payload={
                "users": [
                    {
                        "user_name": console,
                        "created": _iso(self.days_ago(400)),
                        "password_last_used": _iso(self.days_ago(2)),
                    },
                    {
                        "user_name": stale,
                        "created": _iso(self.days_ago(210)),
                        "access_keys": [
                            {
                                "access_key_id": stale_key,
                                "created": _iso(self.days_ago(200)),
                                "last_used": None,
                            }
                        ],
                    },
                    {
                        "user_name": two,
                        "created": _iso(self.days_ago(120)),
                        "access_keys": [
                            {
                                "access_key_id": two_keys[0],
                                "created": _iso(self.days_ago(110)),
                                "last_used": _iso(self.days_ago(1)),
                                "last_used_service": "s3",
                            },
                            {
                                "access_key_id": two_keys[1],
                                "created": _iso(self.days_ago(30)),
                                "last_used": _iso(self.days_ago(3)),
                                "last_used_service": "dynamodb",
                            },
                        ],
                    },
                    {"user_name": inline, "created": _iso(self.days_ago(60))},
                ]
            },
        )

        self.report.fails("IAM user with a console password has no MFA", console)
        self.report.fails("IAM user's access key is older than 90 days", stale, f"{two} (key 1, 110 days)")
        self.report.fails("IAM user's access key has not been used for 45 days or more (never used)", stale)
        self.report.fails("IAM user has two active access keys", two)
        self.report.fails("IAM user has an inline policy (permissions not managed through groups)", inline)
        self.report.fails(
            "Customer-managed policy allows full administrative privileges ('*:*')",
            f"{policy_name} (on {group})",
        )
        self.report.fails(
            "Password policy: minimum length 8 (< 14), no password reuse prevention, no symbols, "
            "numbers, upper or lower case required, passwords never expire",
            "account password policy",
        )

    def root(self) -> None:
        self.sim.inject(
            "root_credentials",
            account_id=self.account_id,
            region=self.region,
            payload={
                "account_created": _iso(self.days_ago(3 * 365)),
                "access_keys": [
                    {
                        "active": True,
                        "last_rotated": _iso(self.days_ago(700)),
                        "last_used": _iso(self.days_ago(6)),
                        "last_used_service": "ec2",
                    }
                ],
                "mfa_active": False,
                "password_last_used": _iso(self.days_ago(4)),
            },
        )
        self.report.add("root_credentials", "root access key (active, 700 days old), no MFA")
        self.report.fails("Root user has an active access key", "<root_account>")
        self.report.fails("Root user has no MFA (neither virtual nor hardware)", "<root_account>")
        self.report.fails(
            "Root user was used recently (password 4 days ago, key 6 days ago)", "<root_account>"
        )

    # -- data, logging, keys, compute -------------------------------------------------------
