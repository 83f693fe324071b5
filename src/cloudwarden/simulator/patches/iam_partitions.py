"""Look access keys up in the `aws` partition only.

moto maps every request's access key to an account by scanning all six partitions of every
account's IAM backend; touching a partition builds it, and with AWS managed policies loaded that
costs about a second per partition after every reset. The simulated account lives in the `aws`
partition, so that is the only one worth asking.
"""

from __future__ import annotations

from cloudwarden.simulator.patches import Injector

INJECTORS: dict[str, Injector] = {}
_MARK = "_cloudwarden_aws_partition_only"


def apply() -> None:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.iam import models

    if getattr(models.get_account_id_from, _MARK, False):
        return

    def get_account_id_from(access_key: str) -> str:
        for account_id, account in list(models.iam_backends.items()):
            if access_key in account["aws"].access_keys:
                return str(account_id)
        return DEFAULT_ACCOUNT_ID

    setattr(get_account_id_from, _MARK, True)
    models.get_account_id_from = get_account_id_from


def reset() -> None:
    return None
