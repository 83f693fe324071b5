"""Contracts for the small moto patches: they fail loudly if a moto upgrade changes what they rely on."""

from __future__ import annotations

import base64
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.patches.sns_signing import canonical


def test_sns_deliveries_with_a_subject_are_signed_over_it(sim: SimulatorClient) -> None:
    from moto.sns.models import sns_backends

    client = sim.client("sns")
    topic = client.create_topic(Name="signed")["TopicArn"]
    client.subscribe(TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/unused")
    backend = sns_backends["123456789012"]["us-east-1"]
    subscription = next(iter(backend.subscriptions.values()))
    data = subscription.get_post_data(json.dumps({"a": 1}), "msg-1", 'ALARM: "x" in US East (N. Virginia)')
    pem = sns_backends["123456789012"]["us-east-1"]._message_public_keys[
        data["SigningCertURL"].rsplit("/", 1)[-1]
    ]
    key = x509.load_pem_x509_certificate(pem).public_key()
    key.verify(base64.b64decode(data["Signature"]), canonical(data), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr, call-arg, arg-type]
    assert data["Subject"].startswith("ALARM")


def test_assumed_role_keys_still_map_to_their_account(sim: SimulatorClient) -> None:
    iam = sim.client("iam")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="probe", AssumeRolePolicyDocument=json.dumps(policy))
    creds = sim.client("sts").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/probe", RoleSessionName="contract"
    )["Credentials"]
    identity = sim.client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).get_caller_identity()
    assert identity["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/probe/")
