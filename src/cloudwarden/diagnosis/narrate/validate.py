"""Check an LLM narration against the diagnosis it narrates; return what it got wrong.

`violations(text, diagnosis)` applies four rules to the restored text (placeholders already
put back). "The evidence" means every string in the Diagnosis: hypotheses (resource keys,
names, evidence resources and summaries, next steps), the alarm (name, ARN, reason,
resources) and the unavailable-evidence lines.

1. Unknown placeholders. A placeholder-shaped token (ARN_7, IP_2, ...) that survived
   restoration was never issued, so the model invented it.
2. Resources. Every identifier the text names must occur in the evidence:
   - ARNs, email addresses, IPv4/IPv6 addresses and 12-digit account IDs (the masking
     patterns), compared exactly;
   - AWS resource ids such as sg-0abc12345 or i-0123456789abcdef0;
   - name-like tokens: a token with an underscore or a digit joined by "-", "_" or "."
     (orders-db-2, pg_stat_activity, web-7f9c); and a hyphenated or dotted token without
     digits (storefront-web) when it is quoted, follows a resource noun ("service X",
     "instance X", "function X", ...) or shares a part of five or more letters with the
     name of a resource the evidence is about (the usual shape of a hallucinated sibling:
     orders-db-sg beside orders-db).
   Tokens are compared case-insensitively against the tokens of the evidence, so a piece
   of an ARN (prod-main) or a name in a log summary counts as present. Dates, times,
   versions, plain numbers with units and HTTP status classes are never name-like.
   English compounds (read-only, out-of-memory) are left alone unless one of the triggers
   above applies, so ordinary prose does not cause a fallback.
3. Faults. Every fault type the text names, by its identifier (memory_leak) or a spelled
   form ("memory leak", "connection exhaustion", "access denied", "throttled", ...), must be
   the fault of some hypothesis. Negated mentions count too: the narration should not
   discuss causes the engine did not rank. Two exemptions keep this precise: a quoted span
   copied verbatim from the evidence is a quotation, not a claim; and in a sentence about
   unavailable evidence, "access denied" and "throttled" describe why a source could not
   be read (that is how collection fails), not the incident's cause.
4. Contradiction. The first sentence with cause language ("root cause", "most likely",
   "caused by", "due to", ...) is the text's claim. In it, the first fault named must be
   the top hypothesis's fault, and the first hypothesis resource named must be the top
   hypothesis's resource. Mentions of the alarm's own resources are skipped unless the top
   hypothesis is about one of them, since the symptom is often named before its cause
   ("the target group's 5xx alarm fired because of a bad deploy of storefront-api").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from cloudwarden.diagnosis.faults import FAULTS
from cloudwarden.diagnosis.model import Diagnosis, Hypothesis
from cloudwarden.diagnosis.narrate import masking

FAULT_PATTERNS: dict[str, re.Pattern[str]] = {name: spec.claim_pattern for name, spec in FAULTS.items()}
# How evidence collection fails: these may describe a gap without naming a cause.
GAP_FAULTS = frozenset({"permission_denied", "throttling"})
_GAP_SENTENCE_RE = re.compile(
    r"unavailable|could not be (?:read|collected)|not available|evidence gap|missing evidence", re.IGNORECASE
)
_CAUSE_RE = re.compile(
    r"\broot[\s-]cause|\bmost likely\b|\blikeliest\b|\b(?:likely|probable|primary|main) cause\b|\bcaused by\b"
    r"|\bbecause of\b|\bdue to\b|\bculprit\b|\btraced to\b|\btriggered by\b|\bstem(?:s|med)? from\b",
    re.IGNORECASE,
)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+")
_QUOTED_RE = re.compile(r"\"([^\"]+)\"|`([^`]+)`|“([^”]+)”")
_ISO_TIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_AWS_ID_RE = re.compile(
    r"(?<![\w-])(?:sg|i|vpc|subnet|eni|ami|vol|snap|rtb|igw|nat|acl|tgw|lt|eipalloc|vpce|pcx)-[0-9a-f]{8,17}(?![\w-])"
)
_NOT_A_NAME_RES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"[\d.,_-]+",  # numbers, dates, decimals
        r"v?\d+(?:\.\d+)+(?:-[a-z0-9]+)?",  # versions
        r"[\d.]+(?:ms|s|m|h|min|mins|x|k|kb|mb|gb|tb|kib|mib|gib|%)",  # quantities
        r"(?:http-?)?[1-5]xx(?:-\w+)?",  # status classes
    )
]
# Words after which a hyphenated token is a resource's name ("service storefront-web"); plurals too.
RESOURCE_NOUNS = frozenset(
    (
        "service", "instance", "function", "lambda", "queue", "database", "db", "cluster", "role", "group",
        "bucket", "table", "topic", "balancer", "container", "host", "node", "endpoint", "stream",
    )
)  # fmt: skip
_SHARED_PART_MIN = 5
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"


def violations(text: str, diagnosis: Diagnosis) -> list[str]:
    """Every rule the text breaks, as sentences a user can read; empty when it is faithful."""
    corpus = _Corpus(diagnosis)
    found = [
        *_unknown_placeholders(text, corpus),
        *_unknown_identifiers(text, corpus),
        *_unknown_names(text, corpus),
        *_unranked_faults(text, diagnosis, corpus),
        *_contradictions(text, diagnosis),
    ]
    return list(dict.fromkeys(found))  # one report per distinct violation, rule by rule


# Identifiers compared whole; the label is how a violation names them.
_IDENTIFIERS: list[tuple[str, re.Pattern[str]]] = [
    ("resource", masking.ARN_RE),
    ("email address", masking.EMAIL_RE),
    ("IP address", masking.IPV4_RE),
    ("IP address", masking.IPV6_CANDIDATE_RE),
    ("account", masking.ACCOUNT_RE),
]


class _Corpus:
    """Everything the diagnosis says, indexed the ways the rules look things up."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        self.strings = list(_strings(diagnosis.model_dump(mode="json")))
        joined = "\n".join(self.strings)
        self.tokens = {t.lower() for t in _TOKEN_RE.findall(joined)}
        self.identifiers = {
            m.group(0).lower() for _, pattern in _IDENTIFIERS for m in pattern.finditer(joined)
        }
        # Names of every resource the evidence is about. The alarm's name is left out: its parts
        # ("high", "errors") are too often plain words.
        keys = {*diagnosis.alarm.resources, *(e.resource for h in diagnosis.hypotheses for e in h.evidence)}
        names = {h.resource_name for h in diagnosis.hypotheses} | {_last_segment(key) for key in keys}
        self.name_parts = {
            part.lower()
            for name in names
            for part in re.split(r"[-_.]", name)
            if len(part) >= _SHARED_PART_MIN
        }

    def quotes(self, quoted: str) -> bool:
        return any(quoted in s for s in self.strings)


def _unknown_placeholders(text: str, corpus: _Corpus) -> list[str]:
    return [
        f"names placeholder {m.group(0)} that stands for nothing in the evidence"
        for m in masking.PLACEHOLDER_RE.finditer(text)
        if m.group(0).lower() not in corpus.tokens
    ]


def _unknown_identifiers(text: str, corpus: _Corpus) -> list[str]:
    found = []
    for label, pattern in _IDENTIFIERS:
        # An account ID or address inside an ARN is judged with the ARN, not again on its own.
        haystack = text if pattern is masking.ARN_RE else masking.ARN_RE.sub(" ", text)
        for m in pattern.finditer(haystack):
            value = m.group(0)
            if pattern is masking.IPV6_CANDIDATE_RE and not masking.valid_ipv6(value):
                continue
            if value.lower() not in corpus.identifiers:
                found.append(f"names {label} {value} not in the evidence")
    return found


def _unknown_names(text: str, corpus: _Corpus) -> list[str]:
    scrubbed = _scrub(text)
    found = []
    previous = ""
    for match in _TOKEN_RE.finditer(scrubbed):
        token = match.group(0)
        known = token.lower() in corpus.tokens or token.lower() in FAULT_PATTERNS
        if not known and _looks_like_resource(token, match, scrubbed, previous, corpus):
            found.append(f"names resource {token} not in the evidence")
        previous = token
    return found


def _looks_like_resource(token: str, match: re.Match[str], text: str, previous: str, corpus: _Corpus) -> bool:
    if _AWS_ID_RE.fullmatch(token):
        return True
    if masking.PLACEHOLDER_RE.fullmatch(token):
        return False  # reported by the placeholder rule
    if not re.search(r"[-_.]", token) or any(p.fullmatch(token) for p in _NOT_A_NAME_RES):
        return False
    if "_" in token or re.search(r"\d", token):
        return True
    before = text[match.start() - 1 : match.start()]
    after = text[match.end() : match.end() + 1]
    quoted = bool(before) and before in _QUOTES and bool(after) and after in _QUOTES
    shares_part = any(part.lower() in corpus.name_parts for part in re.split(r"[-.]", token))
    return quoted or previous.lower().removesuffix("s") in RESOURCE_NOUNS or shares_part


def _unranked_faults(text: str, diagnosis: Diagnosis, corpus: _Corpus) -> list[str]:
    ranked = {h.fault for h in diagnosis.hypotheses}
    found = []
    for sentence in _sentences(_unquote_evidence(text, corpus)):
        about_gaps = bool(_GAP_SENTENCE_RE.search(sentence))
        for fault, pattern in FAULT_PATTERNS.items():
            if fault in ranked or (about_gaps and fault in GAP_FAULTS):
                continue
            found += [
                f'names fault {fault} ("{m.group(0)}") that no hypothesis has'
                for m in pattern.finditer(sentence)
            ]
    return found


def _contradictions(text: str, diagnosis: Diagnosis) -> list[str]:
    if not diagnosis.hypotheses:
        return []
    claim = next((s for s in _sentences(text) if _CAUSE_RE.search(s)), None)
    if claim is None:
        return []
    top = diagnosis.hypotheses[0]
    found = []
    first_fault = _first(claim, ((fault, [pattern]) for fault, pattern in FAULT_PATTERNS.items()))
    if first_fault is not None and first_fault != top.fault:
        found.append(f"contradicts the top hypothesis: its claim names {first_fault} first, not {top.fault}")
    symptoms = set(diagnosis.alarm.resources) - {top.resource}
    mentions = (
        (h.resource, _resource_patterns(h)) for h in diagnosis.hypotheses if h.resource not in symptoms
    )
    first_resource = _first(claim, mentions)
    if first_resource is not None and first_resource != top.resource:
        found.append(
            f"contradicts the top hypothesis: its claim names {first_resource} first, not {top.resource}"
        )
    return found


def _first(sentence: str, candidates: Iterable[tuple[str, list[re.Pattern[str]]]]) -> str | None:
    """The candidate whose pattern matches earliest in the sentence."""
    best: tuple[int, str] | None = None
    for key, patterns in candidates:
        for pattern in patterns:
            m = pattern.search(sentence)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), key)
    return None if best is None else best[1]


def _resource_patterns(h: Hypothesis) -> list[re.Pattern[str]]:
    names = {h.resource, h.resource_name, _last_segment(h.resource)}
    return [re.compile(rf"(?<![\w-]){re.escape(n)}(?![\w-])", re.IGNORECASE) for n in names if n]


def _last_segment(identifier: str) -> str:
    return re.split(r"[/:]", identifier)[-1]


def _scrub(text: str) -> str:
    """Blank what is judged elsewhere (ARNs, addresses, times) so its pieces are not names."""
    for pattern in (masking.ARN_RE, masking.EMAIL_RE, _ISO_TIME_RE, masking.IPV4_RE):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _unquote_evidence(text: str, corpus: _Corpus) -> str:
    def blank(m: re.Match[str]) -> str:
        inner = next(g for g in m.groups() if g is not None)
        return " " * len(m.group(0)) if corpus.quotes(inner) else m.group(0)

    return _QUOTED_RE.sub(blank, text)


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_SPLIT_RE.split(text) if s.strip()]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
