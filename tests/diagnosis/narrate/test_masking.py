from __future__ import annotations

import json
import re

from cloudwarden.diagnosis.narrate.masking import Masker
from cloudwarden.diagnosis.narrate.prompt import evidence_payload
from tests.diagnosis.narrate.conftest import ACCOUNT, ACTOR, DB_IP, EMAIL, IPV6_CIDR, SENSITIVE, SG_WEB_DB


def test_masked_payload_contains_no_identifier_and_restores_exactly(diagnosis):
    masker = Masker()
    masked = json.dumps(masker.mask_json(evidence_payload(diagnosis)))

    leaked = [value for value in SENSITIVE if value in masked]
    assert leaked == []
    # Every placeholder the model might echo maps back to the exact original.
    for placeholder, original in masker.table.items():
        assert masker.restore(f"see {placeholder}.") == f"see {original}."


def test_same_value_gets_the_same_placeholder_everywhere(diagnosis):
    masker = Masker()
    masked = masker.mask_json(evidence_payload(diagnosis))
    top = masked["hypotheses"][0]
    assert top["resource"] == top["evidence"][0]["resource"]
    assert top["resource"].startswith("ARN_")
    assert masked["account_id"] == "ACCOUNT_1"


def test_each_kind_gets_its_own_placeholder():
    masker = Masker()
    text = (
        f"{ACTOR} opened {DB_IP}:5432 and {IPV6_CIDR}/56 for account {ACCOUNT}; "
        f"ask {EMAIL} (host ip-10-20-1-123.ec2.internal)"
    )
    masked = masker.mask_text(text)
    assert re.fullmatch(
        r"ARN_1 opened IP_\d:5432 and IP_\d/56 for account ACCOUNT_1; ask EMAIL_1 \(host IP_\d\.ec2\.internal\)",
        masked,
    )
    assert len({v for k, v in masker.table.items() if k.startswith("IP_")}) == 3
    assert masker.restore(masked) == text


def test_times_versions_and_long_ids_are_left_alone():
    masker = Masker()
    text = (
        "at 13:06:00 UTC (2026-11-23T13:06:00+00:00) v2.14.0 deployment ecs-svc/4098288358748346696 z=+134.2"
    )
    assert masker.mask_text(text) == text


def test_placeholder_shaped_text_in_the_evidence_is_not_confused_with_ours():
    masker = Masker()
    masked = masker.mask_json({"summary": f"worker IP_1 rejected {DB_IP}"})
    assert masked == {"summary": "worker IP_1 rejected IP_2"}
    assert masker.restore("IP_2 and IP_1") == f"{DB_IP} and IP_1"


def test_arn_at_sentence_end_keeps_its_full_stop():
    masker = Masker()
    assert masker.mask_text(f"Blocked by {SG_WEB_DB}.") == "Blocked by ARN_1."
