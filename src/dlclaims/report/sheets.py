"""Feedback pages for graded answer sheets: one HTML + Markdown page per sheet, and a class summary.

Input: the ``check --json`` results (one dict per sheet: ``sheet``, ``findings``
[``question``, ``claim``, ``quote``, ``says``, ``verdict``, ``grade``,
``evidence``], ``score``). A sheet's own words are data, never markup: HTML
goes through Jinja2 autoescape (and a CSP that forbids inline handlers), and
Markdown through :func:`~dlclaims.report.numbers.md_text`.

Used by ``dlclaims report`` (pages under ``report/sheets/``) and by
``dlclaims check --out DIR``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.catalogue import claims_by_id, questions
from .numbers import KV, Link, Node, Text, compact, to_node
from .render import GRADES, STATUS_ORDER, css_class, render, safe_href, static_text, write_text

CLASS_SUMMARY = "class-summary"
LINK_KEYS = ("link", "href", "url", "report", "section", "anchor")


@dataclass
class FindingView:
    question: str
    claim: str
    claim_href: str | None
    quote: str
    says: str
    verdict: str  # a status, "not run" or free text
    verdict_is_status: bool
    grade: str
    why: str  # the checker's reason for the grade, when it gives one
    evidence: Node
    details: KV  # every other field of the finding (matched words, the sheet's own question label, ...)
    says_sentence: str = ""  # what the sheet claims, as a sentence
    why_sentence: str = ""  # what was measured and why that makes the answer right, wrong or partly right
    rule: str = ""  # the verdict's rule in words
    figures: list[tuple[str, str]] = field(default_factory=list)  # (href, file name) of the verdict's figures
    confidence: float | None = None  # how sure the checker is that the sheet states this claim (0..1)
    review: bool = False  # low confidence: a person should check that the sheet says this
    to_check: str = ""  # a tentative grade held back (e.g. "wrong" from a stance that was not read firmly)


@dataclass
class SheetView:
    result: dict[str, Any]
    name: str
    slug: str
    score: str
    findings: list[FindingView] = field(default_factory=list)
    grades: list[tuple[str, int]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def html(self) -> str:
        return f"{self.slug}.html"

    @property
    def md(self) -> str:
        return f"{self.slug}.md"


@dataclass
class ClaimTally:
    claim: str
    question: str
    counts: list[tuple[str, int]]  # (grade, sheets) in GRADES order
    sheets: int


def _slugs(names: list[str]) -> list[str]:
    """File-name-safe, unique, deterministic slugs from sheet names ('a/alice.md' -> 'alice')."""
    out: list[str] = []
    seen: set[str] = {CLASS_SUMMARY}
    for name in names:
        stem = Path(str(name).replace("\\", "/")).stem or "sheet"
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:60] or "sheet"
        slug, k = base, 2
        while slug.lower() in seen:
            slug, k = f"{base}-{k}", k + 1
        seen.add(slug.lower())
        out.append(slug)
    return out


def _text(x: Any) -> str:
    if x is None:
        return ""
    return x if isinstance(x, str) else compact(x)


def _link_or_node(key: str, value: Any, report_href: str | None) -> Node:
    href = safe_href(value) if key.lower() in LINK_KEYS else None
    if href is not None:
        page, _, anchor = href.partition("#")
        if report_href is not None and anchor and (page == "" or page.endswith("index.html")):
            href = f"{report_href}#{anchor}"  # a link into the report, from wherever these pages sit
        elif page == "":
            return Text(value)  # an anchor with no report to point into
        return Link(value, href)
    return to_node(value, 1)


def evidence_node(evidence: Any, report_href: str | None = None) -> Node:
    if isinstance(evidence, dict) and evidence:
        return KV([(str(k), _link_or_node(str(k), v, report_href)) for k, v in evidence.items()])
    if evidence is None or evidence == {} or evidence == []:
        return Text("")
    return to_node(evidence, 1)


def _verdict_text(v: Any) -> tuple[str, bool]:
    if isinstance(v, dict):
        v = v.get("status", compact(v))
    if v is None:
        return "not run", True
    s = _text(v)
    return s, s in STATUS_ORDER


_STANCE_WORDS = {"assert": "claims", "deny": "denies", "nuance": "refines", "refine": "refines"}
_GRADE_SENTENCE = {
    "right": "The sheet agrees with what was measured, so this answer is right.",
    "wrong": "The sheet says the opposite of what was measured, so this answer is wrong.",
    "partly": "The sheet agrees with only part of what was measured, so this answer is partly right.",
}


def _stance(f: dict[str, Any]) -> str:
    st = _text(f.get("stance")).lower()
    if st:
        return st
    why = _text(f.get("why")).lower()
    return "deny" if "denies" in why else "nuance" if "refines" in why else "assert"


def says_sentence(f: dict[str, Any]) -> str:
    """'The sheet claims that <the catalogue's statement of the claim>' (or denies / refines it)."""
    claim = claims_by_id().get(_text(f.get("claim")))
    statement = (claim.claim or claim.test).strip().rstrip(".") if claim else ""
    stance = _stance(f)
    if not statement:
        return f"The sheet says: {_text(f.get('says'))}." if f.get("says") else ""
    if stance == "deny":
        return f"The sheet denies that {statement}."
    if stance in ("nuance", "refine"):
        return f"The sheet qualifies the claim that {statement}."
    return f"The sheet claims that {statement}."


def why_sentence(f: dict[str, Any], verdict: str) -> str:
    """What was measured and why that makes the grade, in sentences."""
    from .reasons import reason, undecided

    ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
    numbers = ev.get("numbers") if isinstance(ev.get("numbers"), dict) else {}
    parts = ev.get("parts") if isinstance(ev.get("parts"), dict) else {}
    grade = _text(f.get("grade")) or "unknown"
    if verdict in ("not run", "") or f.get("verdict") is None:
        cmd = ev.get("command") or f"dlclaims run --only {_text(f.get('claim'))}"
        return f"This claim has not been measured yet, so the answer cannot be graded. To measure it: {cmd}."
    if verdict == "inconclusive":
        und = undecided(numbers, parts, limit=1)
        return ("The measurement could not decide this claim" + (f" ({und[0]})" if und else "")
                + ", so the answer is not graded either way.")
    detail = reason(verdict, numbers, parts)
    lead = {"supported": "The measurement supports the claim",
            "refuted": "The measurement refutes the claim",
            "partial": "The measurement supports only part of the claim"}.get(verdict, f"Measured: {verdict}")
    return f"{lead}{f' ({detail})' if detail else ''}. " + _GRADE_SENTENCE.get(grade, "The answer could not be graded.")


def _figures(f: dict[str, Any], report_href: str | None) -> list[tuple[str, str]]:
    ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
    names = ev.get("figures") if isinstance(ev.get("figures"), list) else []
    if not report_href or not names:
        return []
    base = report_href.rsplit("/", 1)[0] + "/figures/" if "/" in report_href else "figures/"
    out = []
    for n in names:
        href = safe_href(base + Path(str(n)).name)
        if href:
            out.append((href, Path(str(n)).name))
    return out


_SHOWN_APART = {"rule", "figures"}


def _finding(f: dict[str, Any], report_href: str | None) -> FindingView:
    claim = _text(f.get("claim"))
    href = safe_href(f"{report_href}#{claim}") if report_href and claim else None
    verdict, is_status = _verdict_text(f.get("verdict"))
    extra = [(str(k), to_node(v, 1)) for k, v in f.items() if k not in _FINDING_KEYS and v not in (None, "", [], {})]
    ev = f.get("evidence")
    rest = {k: v for k, v in ev.items() if k not in _SHOWN_APART} if isinstance(ev, dict) else ev
    return FindingView(_text(f.get("question")), claim, href, _text(f.get("quote")), _text(f.get("says")),
                       verdict, is_status, _text(f.get("grade")) or "unknown", _text(f.get("why")),
                       evidence_node(rest, report_href), KV(extra), says_sentence(f), why_sentence(f, verdict),
                       _text(ev.get("rule")) if isinstance(ev, dict) else "", _figures(f, report_href),
                       _confidence(f.get("confidence")), f.get("review") is True, _text(f.get("to_check")))


def _confidence(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1 else None


_KNOWN = {"sheet", "findings", "score", "tally"}
_FINDING_KEYS = {"question", "claim", "quote", "says", "verdict", "grade", "evidence", "why", "stance", "confidence",
                 "review", "to_check"}


def _score(x: Any) -> str:
    """A fraction in [0, 1] as a percentage; anything else as compact text."""
    if isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1:
        return f"{x:.0%}"
    return _text(x) or "—"



def sheet_summaries(results: list[dict[str, Any]], report_href: str | None = None) -> list[SheetView]:
    """One view per sheet result, with its slug (the pages' file name stem)."""
    names = [_text(r.get("sheet")) or f"sheet {i + 1}" for i, r in enumerate(results)]
    out = []
    for r, name, slug in zip(results, names, _slugs(names)):
        findings = [_finding(f, report_href) for f in (r.get("findings") or []) if isinstance(f, dict)]
        counts = Counter(f.grade for f in findings)
        grades = [(g, counts.get(g, 0)) for g in GRADES] + sorted((g, n) for g, n in counts.items() if g not in GRADES)
        notes = [(str(k), _text(v)) for k, v in r.items() if k not in _KNOWN and v not in (None, "", [], {})]
        out.append(SheetView(r, name, slug, _score(r.get("score")), findings, grades, notes))
    return out


def sheet_grade_for_claim(grades: list[str]) -> str:
    """A sheet's one grade for a claim it touches several times: agreeing findings keep their grade,
    unknown ones give way to graded ones, and a mix of graded ones is 'partly'."""
    g = set(grades)
    if len(g) > 1:
        g.discard("unknown")
    return g.pop() if len(g) == 1 else "partly"


def class_tally(sheets: list[SheetView]) -> list[ClaimTally]:
    """Per claim (catalogue order, then others): how many sheets got it right / wrong / partly / unknown."""
    per: dict[str, Counter] = {}
    question: dict[str, str] = {}
    for s in sheets:
        mine: dict[str, list[str]] = {}
        for f in s.findings:
            key = f.claim or f"({f.question or 'no claim'})"
            mine.setdefault(key, []).append(f.grade)
            question.setdefault(key, f.question)
        for claim, gs in mine.items():
            per.setdefault(claim, Counter())[sheet_grade_for_claim(gs)] += 1
    order = {c.id: i for i, c in enumerate(c for q in questions() for c in q.claims)}
    known = claims_by_id()
    rows = []
    for claim in sorted(per, key=lambda c: (order.get(c, len(order)), c)):
        q = known[claim].question if claim in known else question.get(claim, "")
        rows.append(ClaimTally(claim, q, [(g, per[claim].get(g, 0)) for g in GRADES], sum(per[claim].values())))
    return rows


def write_sheet_pages(results: list[dict[str, Any]], out_dir: Path, *, report_href: str | None = None) -> list[Path]:
    """Write ``<sheet>.html`` and ``<sheet>.md`` per sheet into out_dir, plus ``class-summary.html``/``.md``
    when there are several sheets. ``report_href`` (e.g. "../index.html") links claims to the report."""
    from .render import prepare_out

    out_dir = prepare_out(Path(out_dir))
    sheets = sheet_summaries(results, report_href)
    css = static_text("report.css")
    paths: list[Path] = []
    several = len(sheets) > 1
    for s in sheets:
        ctx = {"sheet": s, "report_href": report_href, "class_href": several and f"{CLASS_SUMMARY}.html"}
        paths.append(write_text(out_dir / s.html, render("html", "sheet.html.j2", css=css, script=None, **ctx)))
        ctx["class_href"] = several and f"{CLASS_SUMMARY}.md"
        paths.append(write_text(out_dir / s.md, render("md", "sheet.md.j2", **ctx)))
    if several:
        ctx = {"sheets": sheets, "tally": class_tally(sheets), "report_href": report_href}
        paths.append(write_text(out_dir / f"{CLASS_SUMMARY}.html",
                                render("html", "class.html.j2", css=css, script=None, **ctx)))
        paths.append(write_text(out_dir / f"{CLASS_SUMMARY}.md", render("md", "class.md.j2", **ctx)))
    return paths


__all__ = ["class_tally", "css_class", "sheet_summaries", "write_sheet_pages"]
