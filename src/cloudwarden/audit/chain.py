"""The hash chain: each entry's digest covers its fields and the previous entry's digest.

Changing, removing or reordering an entry breaks the link after it; `first_broken` names the
first such link. A plain digest chain is tamper-evident against anyone who cannot rewrite every
later entry too; exporting the head digest elsewhere (a ticket, a log archive) anchors it
against those who can.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
FIELDS = (
    "workspace_id",
    "seq",
    "at",
    "actor_id",
    "actor",
    "action",
    "target_type",
    "target_id",
    "source_ip",
    "outcome",
    "details",
    "prev_hash",
)


def canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def digest(entry: Mapping[str, Any]) -> str:
    """SHA-256 of the entry's fields (FIELDS) as canonical JSON."""
    document = {name: entry.get(name) for name in FIELDS}
    if isinstance(document["at"], datetime):
        document["at"] = canonical_time(document["at"])
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    checked: int
    first_broken: int | None = None  # the seq of the first entry whose link does not hold
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify(entries: Iterable[Mapping[str, Any]]) -> Verdict:
    """Check entries given in seq order. The oldest kept entry anchors the chain (retention may
    have removed those before it); after it, seq must be contiguous and every link hold."""
    previous: Mapping[str, Any] | None = None
    checked = 0
    for entry in entries:
        seq = int(entry["seq"])
        if previous is None:
            if seq == 1 and entry["prev_hash"] != GENESIS:
                return Verdict(checked, seq, "the first entry does not start the chain")
        else:
            if seq != int(previous["seq"]) + 1:
                return Verdict(
                    checked, int(previous["seq"]) + 1, f"entry {int(previous['seq']) + 1} is missing"
                )
            if entry["prev_hash"] != previous["hash"]:
                return Verdict(checked, seq, f"entry {seq} does not follow entry {previous['seq']}")
        if digest(entry) != entry["hash"]:
            return Verdict(checked, seq, f"entry {seq} was changed after it was written")
        checked += 1
        previous = entry
    return Verdict(checked)
