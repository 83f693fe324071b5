"""Agreement between CloudWarden's posture findings and Prowler's, resource by resource.

A check both implement is one of CloudWarden's with `prowler_id` set. For each such check the two
sides' results are keyed by the resource they name (`resource_key`), and each key is one of:

- `agree` / `disagree`: both judged the resource (PASS or FAIL);
- `only_cloudwarden` / `only_prowler`: one side judged it, the other has no result for it, or
  one that is not a verdict (ERROR, MANUAL, NOT_APPLICABLE);
- `neither`: both sides have a result but neither is a verdict (e.g. both could not read it).

Every key that is not `agree` is explained by the first entry of `known_differences.toml` that
matches it (check, kind, resource glob, statuses): its category (`our_bug`, `simulator`,
`reading`) and reason. What no entry explains is `unexplained`, and an entry that explained
nothing in the run is reported as stale, so the table cannot silently drift from the results.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KNOWN_DIFFERENCES = Path(__file__).with_name("known_differences.toml")
VERDICTS = ("PASS", "FAIL")
KINDS = ("agree", "disagree", "only_cloudwarden", "only_prowler", "neither")
CATEGORIES = {
    "our_bug": "CloudWarden's bug",
    "simulator": "simulator artefact",
    "reading": "different reading of the control",
    "unexplained": "not explained",
}
ACCOUNT = "(account)"
# When one side has several results for one key (CloudWarden's regional and global Config
# results, Prowler's one row per unused access key of a user), the key takes the first of these.
_PRECEDENCE = ("FAIL", "ERROR", "MANUAL", "MUTED", "PASS", "NOT_APPLICABLE")
# ARN resource-type prefixes both scanners put before a resource's own id.
_TYPE_PREFIXES = (
    "security-group/", "instance/", "volume/", "snapshot/", "vpc/", "network-acl/", "key/", "trail/",
    "user/", "role/", "policy/", "function:", "db:", "cluster:", "snapshot:", "cluster-snapshot:",
    "image/", "file-system/", "elastic-ip/", "eip-allocation/",
)  # fmt: skip


def resource_key(value: str) -> str:
    """What both scanners name the same resource by: the ARN's resource part, type prefix dropped."""
    if not value.startswith("arn:"):
        return value
    parts = value.split(":", 5)
    tail = parts[5] if len(parts) == 6 else value
    for prefix in _TYPE_PREFIXES:
        if tail.startswith(prefix):
            return tail[len(prefix) :]
    return tail


def is_account_level(resource_id: str) -> bool:
    """CloudWarden's resource id for a result about the account as a whole (or a region of it)."""
    return resource_id.endswith((":root", ":account"))


@dataclass(frozen=True)
class Side:
    """One side's say on one resource of one check (several results folded into one)."""

    status: str
    reason: str

    @property
    def verdict(self) -> bool:
        return self.status in VERDICTS

    def text(self) -> str:
        return f"{self.status}: {self.reason}"


def _fold(items: Iterable[tuple[str, str]]) -> Side:
    by_status: dict[str, list[str]] = {}
    for status, reason in items:
        by_status.setdefault(status, []).append(reason)
    status = min(by_status, key=lambda s: _PRECEDENCE.index(s) if s in _PRECEDENCE else len(_PRECEDENCE))
    return Side(status, " | ".join(dict.fromkeys(by_status[status])))


@dataclass
class Row:
    check: str
    prowler_check: str
    resource: str
    kind: str
    cloudwarden: Side | None
    prowler: Side | None
    category: str = ""
    reason: str = ""
    explained_by: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "prowler_check": self.prowler_check,
            "resource": self.resource,
            "kind": self.kind,
            "cloudwarden": self.cloudwarden.text() if self.cloudwarden else "(no result)",
            "prowler": self.prowler.text() if self.prowler else "(no result)",
            "category": self.category,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class KnownDifference:
    """One entry of known_differences.toml."""

    index: int
    check: str
    kind: str
    category: str
    reason: str
    resource: str = "*"
    cloudwarden: str | None = None  # status CloudWarden gave (None: any, "none": no result)
    prowler: str | None = None

    def matches(self, row: Row) -> bool:
        if not fnmatch.fnmatchcase(row.check, self.check) or self.kind != row.kind:
            return False
        if not fnmatch.fnmatchcase(row.resource, self.resource):
            return False
        for wanted, side in ((self.cloudwarden, row.cloudwarden), (self.prowler, row.prowler)):
            if wanted is not None and wanted != (side.status if side else "none"):
                return False
        return True


def load_known_differences(path: Path = KNOWN_DIFFERENCES) -> list[KnownDifference]:
    raw = tomllib.loads(path.read_text())
    entries = []
    for i, item in enumerate(raw.get("difference", [])):
        if item.get("kind") not in KINDS[1:]:
            raise ValueError(f"{path}: entry {i} ({item.get('check')}): kind must be one of {KINDS[1:]}")
        if item.get("category") not in CATEGORIES or item["category"] == "unexplained":
            raise ValueError(
                f"{path}: entry {i} ({item.get('check')}): unknown category {item.get('category')}"
            )
        entries.append(KnownDifference(index=i, **item))
    return entries


@dataclass
class Agreement:
    overlapping_checks: list[str]
    rows: list[Row]
    mapped_without_results: dict[str, dict[str, dict[str, int]]]
    stale_entries: list[KnownDifference] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind)

    @property
    def compared(self) -> int:
        return self.count("agree") + self.count("disagree")

    @property
    def rate(self) -> float | None:
        return self.count("agree") / self.compared if self.compared else None

    def explained_rows(self) -> list[Row]:
        return [r for r in self.rows if r.kind != "agree"]

    def category_counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = {}
        for r in self.explained_rows():
            out.setdefault(r.kind, Counter())[r.category] += 1
        return {k: dict(sorted(v.items())) for k, v in out.items()}

    def summary(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "overlapping_checks": len(self.overlapping_checks),
            "checks_with_compared_pairs": len(
                {r.check for r in self.rows if r.kind in ("agree", "disagree")}
            ),
            "compared_pairs": self.compared,
            "agreeing": self.count("agree"),
            "disagreeing": self.count("disagree"),
            "agreement": round(rate, 4) if rate is not None else None,
            "judged_only_by_cloudwarden": self.count("only_cloudwarden"),
            "judged_only_by_prowler": self.count("only_prowler"),
            "judged_by_neither": self.count("neither"),
            "by_kind_and_category": self.category_counts(),
            "unexplained": sum(1 for r in self.rows if r.category == "unexplained"),
            "differences": [r.as_dict() for r in self.explained_rows()],
            "mapped_checks_without_results": self.mapped_without_results,
            "stale_known_differences": [
                {"index": e.index, "check": e.check, "kind": e.kind, "resource": e.resource}
                for e in self.stale_entries
            ],
        }


def compare(
    ours: list[dict[str, Any]],
    theirs: list[Any],
    mapping: Mapping[str, str],
    *,
    prowler_aliases: Mapping[str, Mapping[str, str]] | None = None,
    known: list[KnownDifference] | None = None,
) -> Agreement:
    """Compare CloudWarden's findings (JSON report dicts) with Prowler's results (ProwlerResult).

    `mapping`: CloudWarden check id -> Prowler check id. `prowler_aliases`: per Prowler check, a
    map from Prowler's resource key to the key CloudWarden names the same thing by (Prowler
    reports CloudTrail's bucket logging on the trail, CloudWarden on the bucket).

    A check whose CloudWarden results are all about the account (`is_account_level`) is compared
    at the account: Prowler's results for it, whatever resource they name (a placeholder trail,
    log group, recorder, `detector/unknown`), fold into the one key `(account)`.
    """
    aliases = prowler_aliases or {}
    rows: list[Row] = []
    overlapping: list[str] = []
    without: dict[str, dict[str, dict[str, int]]] = {}
    for check, prowler_id in sorted(mapping.items()):
        mine_raw = [f for f in ours if f["check_id"] == check]
        other_raw = [r for r in theirs if r.check_id == prowler_id]
        if not mine_raw or not other_raw:
            without[check] = {
                "cloudwarden": dict(Counter(f["status"] for f in mine_raw)),
                "prowler": dict(Counter(r.status for r in other_raw)),
            }
            if not mine_raw and not other_raw:
                continue
        overlapping.append(check)
        judged = [f for f in mine_raw if f["status"] != "NOT_APPLICABLE"]
        account_level = bool(judged) and all(is_account_level(f["resource_id"]) for f in judged)
        mine_items: dict[str, list[tuple[str, str]]] = {}
        for f in mine_raw:
            key = ACCOUNT if is_account_level(f["resource_id"]) else resource_key(f["resource_id"])
            mine_items.setdefault(key, []).append((f["status"], f["reason"]))
        other_items: dict[str, list[tuple[str, str]]] = {}
        for r in other_raw:
            key = resource_key(r.resource_uid)
            key = aliases.get(prowler_id, {}).get(key, key)
            if account_level:
                key = ACCOUNT
            other_items.setdefault(key, []).append((r.status, r.status_extended))
        mine = {k: _fold(v) for k, v in mine_items.items()}
        other = {k: _fold(v) for k, v in other_items.items()}
        for key in sorted(set(mine) | set(other)):
            a, b = mine.get(key), other.get(key)
            if a is not None and b is not None and a.verdict and b.verdict:
                kind = "agree" if a.status == b.status else "disagree"
            elif a is not None and a.verdict:
                kind = "only_cloudwarden"
            elif b is not None and b.verdict:
                kind = "only_prowler"
            elif a is not None and a.status == "NOT_APPLICABLE" and b is None:
                continue  # nothing to judge, and Prowler says nothing: not a difference
            else:
                kind = "neither"
            rows.append(Row(check, prowler_id, key, kind, a, b))
    result = Agreement(overlapping, rows, without)
    explain(result, known if known is not None else load_known_differences())
    return result


def explain(agreement: Agreement, known: list[KnownDifference]) -> None:
    used: set[int] = set()
    for row in agreement.explained_rows():
        for entry in known:
            if entry.matches(row):
                row.category, row.reason, row.explained_by = entry.category, entry.reason, entry.index
                used.add(entry.index)
                break
        else:
            row.category, row.reason = "unexplained", "no entry in known_differences.toml matches"
    agreement.stale_entries = [e for e in known if e.index not in used]


def markdown_table(agreement: Agreement, *, width: int = 140) -> str:
    """The differences grouped as (check, kind, category, reason) with their resources."""
    groups: dict[tuple[str, str, str, str, str], list[Row]] = {}
    for row in agreement.explained_rows():
        key = (row.check, row.prowler_check, row.kind, row.category, row.reason)
        groups.setdefault(key, []).append(row)
    lines = [
        "| CloudWarden check (Prowler check) | kind | resources | CloudWarden / Prowler | category | why |",
        "|---|---|---|---|---|---|",
    ]

    def cell(text: str, limit: int) -> str:
        text = " ".join(text.split()).replace("|", "\\|")
        return text if len(text) <= limit else text[: limit - 1] + "…"

    order = {k: i for i, k in enumerate(KINDS)}
    for (check, prowler_check, kind, category, reason), rows in sorted(
        groups.items(), key=lambda kv: (order[kv[0][2]], kv[0][3], kv[0][0])
    ):
        resources = ", ".join(r.resource for r in rows)
        statuses = sorted(
            {
                f"{r.cloudwarden.status if r.cloudwarden else '—'} / {r.prowler.status if r.prowler else '—'}"
                for r in rows
            }
        )
        lines.append(
            f"| `{check}` (`{prowler_check}`) | {kind.replace('_', ' ')} | {cell(resources, 90)} | "
            f"{', '.join(statuses)} | {CATEGORIES[category]} | {cell(reason, width * 5)} |"
        )
    return "\n".join(lines)
