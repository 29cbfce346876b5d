"""The claim catalogue, parsed from the CLAIMS.md shipped inside the package."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .types import Claim


@dataclass(frozen=True)
class Question:
    id: str  # "Q-seq"
    title: str  # "RNN vs Transformer: cost in t, l, n"
    intro: str  # text between the heading and the first claim
    claims: tuple[Claim, ...]


_Q_RE = re.compile(r"^## (Q-[\w-]+)\s+[—-]+\s+(.*)$")
_C_RE = re.compile(r"^- \*\*([\w.-]+)\*\*\s*(\(beyond\))?\s*(.*)$")


def catalogue_text() -> str:
    return resources.files("dlclaims.catalogue").joinpath("CLAIMS.md").read_text(encoding="utf-8")


def _split_claim(body: str) -> tuple[str, str]:
    """'claim (...): X. test: Y' -> (X, Y)."""
    body = " ".join(body.split())
    m = re.search(r"\btest:\s*", body)
    claim_part, test_part = (body[: m.start()], body[m.end():]) if m else (body, "")
    claim_part = re.sub(r"^claim(\s*\([^)]*\))?:\s*", "", claim_part.strip())
    return claim_part.strip(), test_part.strip()


@lru_cache(maxsize=1)
def questions() -> tuple[Question, ...]:
    """Every question of the catalogue, in its order, with its claims."""
    out: list[Question] = []
    qid = title = None
    intro: list[str] = []
    items: list[tuple[str, bool, list[str]]] = []

    def flush() -> None:
        if qid is None:
            return
        claims = []
        for cid, beyond, lines in items:
            c, t = _split_claim(" ".join(lines))
            claims.append(Claim(cid, qid, c if not beyond or c else "", t, beyond))
        out.append(Question(qid, title or "", " ".join(" ".join(intro).split()), tuple(claims)))

    for line in catalogue_text().splitlines():
        qm = _Q_RE.match(line)
        if qm:
            flush()
            qid, title, intro, items = qm.group(1), qm.group(2).strip(), [], []
            continue
        if qid is None:
            continue
        cm = _C_RE.match(line)
        if cm:
            items.append((cm.group(1), bool(cm.group(2)), [cm.group(3)]))
        elif line.startswith("  ") and items:
            items[-1][2].append(line.strip())
        elif line.strip() and not items:
            intro.append(line.strip())
    flush()
    return tuple(out)


@lru_cache(maxsize=1)
def claims_by_id() -> dict[str, Claim]:
    return {c.id: c for q in questions() for c in q.claims}


def question_of(claim_id: str) -> str:
    return claims_by_id()[claim_id].question
