"""Grade one sheet's text: segment -> match -> extract -> grade."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.catalogue import claims_by_id, questions
from . import kb
from .assignments import read as read_assignments
from .decide import Decider
from .decide import default as default_decider
from .detect import Candidate, Window, candidates, contrast_words, refs, windows_of
from .extract import Assertion, extract, units
from .units import withdraw
from .grade import _combine, evidence, grade, held_back, run_command
from .match import Match, match_row, score_many
from .ocr import ocr_lower
from .segment import Part, Segment, segment
from .stance import STANCE_MIN_WORDS, hedged, models_named, setting_of, subject_of, vote_detail
from .stance import clear_caches as clear_stance_caches
from .structural import self_evident

WEAK_MIN_SCORE = 0.05  # a headed answer scoring at least this for its best family is read for that family
PARA_MIN_SCORE = 0.22  # a heading-less paragraph needs a clearer match
MOVE_MIN_SCORE = 0.3  # a paragraph of a headed answer moves to another family scoring this and 1.5x its answer's
MOVE_RATIO = 4.0  # ... or scoring PARA_MIN_SCORE and this many times its answer's (a heading that is missing)
PART_MIN_WORDS = 8
SIBLING_RATIO = 0.8  # an answer scoring this close for a second family is read for that family's claims too


@dataclass
class Extracted:
    """A sheet's assertions before grading (grading needs the store; extraction does not)."""

    sheet: str
    path: str
    items: list[tuple[Assertion, str, Any]] = field(default_factory=list)  # (assertion, sheet label, Match)
    unmatched: list[str] = field(default_factory=list)
    note: str | None = None


def _paragraphs(part: Part) -> list[Part]:
    out, buf, line = [], [], part.line
    for i, ln in enumerate(part.text.split("\n") + [""]):
        if ln.strip():
            buf.append(ln)
        elif buf:
            out.append(Part(part.label, "\n".join(buf), line))
            buf = []
            line = part.line + i + 1
    return out


_ANSWER = re.compile(r"^\s*(?:[*_>]+\s*)?(?:my\s+)?(?:answer|ans|solution|response|reply)\b\s*[*_]*\s*[:.)\-]\s*[*_]*",
                     re.IGNORECASE)


# how a copied prompt reads: it asks ("... ?") or opens with an instruction or a question word
_PROMPT = re.compile(r"\?|^\W*(?:explain|show|compute|calculate|derive|describe|discuss|compare|give|state|prove|"
                     r"argue|sketch|write|fill|consider|suppose|assume|let|why|what|how|which|when|is|are|does|do|can|"
                     r"should|would|will)\b", re.IGNORECASE)


def _strip_prompt(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop a copied question prompt: the text before an 'Answer:' line, when the answer has one and that text reads
    as a prompt (it asks, or opens with an instruction); reasoning that ends in an 'Answer:' summary is kept."""
    for k, (label, text) in enumerate(parts):
        lines = text.split("\n")
        for i, line in enumerate(lines):
            m = _ANSWER.match(line)
            if m:
                before = "\n".join(lines[:i]).strip() or " ".join(t for _, t in parts[:k]).strip()
                if before and not _PROMPT.search(before):
                    return parts
                rest = "\n".join([line[m.end():]] + lines[i + 1:]).strip()
                return ([(label, rest)] if rest else []) + parts[k + 1:]
    return parts


def _groups(text: str) -> tuple[list[tuple[str, str, list[tuple[str, str]], Any]], list[str], list[np.ndarray]]:
    """(family, sheet label, [(part label, text)], match) per answer, labels no family matched, and each
    answer's family scores (the row of the text it was matched on; merged paragraphs: their maximum)."""
    segs = segment(text)
    # every text that may need a family, scored in one batch
    texts: list[str] = []
    plan: list[tuple[Segment, list[Part], list[Part], int, list[int]]] = []
    for seg in segs:
        if seg.label == "(no heading)":
            paras = [p for part in seg.parts for p in _paragraphs(part)]
            plan.append((seg, paras, paras, -1, list(range(len(texts), len(texts) + len(paras)))))
            texts += [p.text for p in paras]
            continue
        idx = len(texts)
        texts.append(seg.text)
        # sub-parts, or the paragraphs of an answer without sub-parts (a heading OCR missed merges two answers)
        pieces = seg.parts if len(seg.parts) > 1 else [p for part in seg.parts for p in _paragraphs(part)]
        if len(pieces) < 2:
            pieces = seg.parts
        subs = [p for p in pieces if len(pieces) > 1 and len(re.findall(r"\w+", p.text)) >= PART_MIN_WORDS]
        plan.append((seg, pieces, subs, idx, list(range(len(texts), len(texts) + len(subs)))))
        texts += [p.text for p in subs]
    scored = score_many(texts) if texts else None
    groups: list[tuple[str, str, list[tuple[str, str]], Any]] = []
    rows: list[np.ndarray] = []
    unmatched: list[str] = []
    for seg, pieces, parts, idx, sub_idx in plan:
        if idx < 0:  # no heading: match paragraph by paragraph, merge neighbours
            for para, i, m in zip(parts, sub_idx, _paragraph_matches(scored, sub_idx)):
                if m.question is None:
                    continue
                label = f"line {para.line}" + (f" ({para.label})" if para.label else "")
                if groups and groups[-1][0] == m.question and groups[-1][1].startswith("line "):
                    groups[-1][2].append((para.label, para.text))
                    rows[-1] = np.maximum(rows[-1], scored.scores[i])
                else:
                    groups.append((m.question, label, [(para.label, para.text)], m))
                    rows.append(scored.scores[i])
            continue
        m = match_row(scored, idx)
        if m.question is None and m.runner_up and m.score >= WEAK_MIN_SCORE:
            # a weak match still goes to its best family: the decision sees how weak it is (block_family)
            m = Match(m.runner_up, m.score, (), None, 0.0)
        if m.question is None:
            # no prose to match (an answer that is only a table): the family its own structure names, if any
            named = sorted({q for q, _ in self_evident([(p.label, p.text) for p in pieces])})
            if len(named) != 1:
                unmatched.append(seg.label)
                continue
            m = Match(named[0], float(scored.scores[idx][scored.ids.index(named[0])]), (), None, 0.0)
        at = {id(p): i for p, i in zip(parts, sub_idx)}  # a scored piece's row in the batch
        target = _moved_pieces(pieces, {k: scored.scores[i] for k, i in at.items()}, scored.ids.index(m.question))
        own: list[tuple[str, str]] = []
        for k, part in enumerate(pieces):
            if target[k] is None:
                own.append((part.label, part.text))
                continue
            run = k and target[k - 1] == target[k]  # the same run of moved pieces: one answer
            if not run:
                first = next(at[id(p)] for p, t in zip(pieces[k:], target[k:]) if t == target[k] and id(p) in at)
                where = f"({part.label})" if part.label else f"(line {part.line})"
                groups.append((scored.ids[target[k]], f"{seg.label} {where}", [], match_row(scored, first)))
                rows.append(scored.scores[first])
            groups[-1][2].append((part.label, part.text))
            if id(part) in at:
                rows[-1] = np.maximum(rows[-1], scored.scores[at[id(part)]])
        own = _strip_prompt(own)
        if own:
            groups.append((m.question, seg.label, own, m))
            rows.append(scored.scores[idx])
    return groups, unmatched, rows


def _paragraph_matches(scored, rows: list[int]) -> list[Match]:
    """The family of each heading-less paragraph: its match where clear (PARA_MIN_SCORE); a weaker one (a setup line,
    a table: WEAK_MIN_SCORE) joins the family it leans to where the nearest clear paragraph it touches, through
    paragraphs leaning the same way, is that family's ("3. gradient play on f(p, q) = pq ..." and its table before
    "Step 6 is the start again, ...")."""
    ms = [match_row(scored, i, min_score=PARA_MIN_SCORE) for i in rows]
    lean = [m.runner_up if m.question is None and m.runner_up and m.score >= WEAK_MIN_SCORE else None for m in ms]
    out = list(ms)
    for k, m in enumerate(ms):
        if lean[k] is None:
            continue
        for step in (1, -1):
            j = k + step
            while 0 <= j < len(ms) and ms[j].question is None and lean[j] == lean[k]:
                j += step
            if 0 <= j < len(ms) and ms[j].question == lean[k]:
                out[k] = Match(lean[k], m.score, (), None, 0.0)
                break
    return out


def _moved_pieces(pieces: list, rows: dict[int, np.ndarray], own: int) -> list[int | None]:
    """Per piece of a headed answer, the family (column of ``rows``) it moves to, or None where it stays.

    A piece moves where another family clearly beats the answer's own (``own``): it scores MOVE_MIN_SCORE and
    1.5x, or PARA_MIN_SCORE and MOVE_RATIO x, the answer's family. A heading that OCR or the writer left out
    ("Min-max f(p, q) = pq ..." at the end of the backward() answer) shows as such a piece; the pieces next to
    it that lean the same way go with it, and so do pieces too short to lean (a table) inside such a run or at
    the answer's end. The first piece (the answer's opening) moves only when it is clear itself."""
    lean: list[int | None] = []  # the family each piece scores best for (None: too short to be scored)
    target: list[int | None] = []
    for p in pieces:
        row = rows.get(id(p))
        best = None if row is None else int(row.argmax())
        lean.append(best)
        clear = row is not None and best != own and (row[best] > max(MOVE_MIN_SCORE, 1.5 * row[own]) or
                                                      row[best] > max(PARA_MIN_SCORE, MOVE_RATIO * row[own]))
        target.append(best if clear else None)
    for k in [k for k, t in enumerate(target) if t is not None]:
        for step in (-1, 1):
            j, run = k + step, []
            while 1 <= j < len(pieces) and target[j] is None and lean[j] in (None, target[k]):
                run.append(j)
                j += step
            # a leaning piece joins; a short one only between two that join, or at the answer's end
            while run and lean[run[-1]] is None and not (step == 1 and j == len(pieces)):
                run.pop()
            for j in run:
                target[j] = target[k]
    return target


@dataclass
class Analysis:
    """What a sheet says before the decision: answer blocks, structural findings, and one candidate per claim."""

    groups: list[tuple[str, str, list[tuple[str, str]], Any]]
    structural: list[tuple[Assertion, str, Any]]
    candidates: list[Candidate]
    unmatched: list[str]


def analyse(text: str) -> Analysis:
    ocr_lower.cache_clear()  # its cache serves the readers of one sheet (no carry-over between sheets)
    clear_stance_caches()
    text = withdraw(text)  # "X (scratch that) Y": X is not read
    groups, unmatched, rows = _groups(text)
    structural: list[tuple[Assertion, str, Any]] = []
    wins: list[Window] = []
    for b, (q, label, parts, m) in enumerate(groups):
        every = [(lab, units(t, lab)) for lab, t in parts]
        flat = [u for _, us in every for u in us if not u.derived]  # (a table's row sentences: for the windows only)
        found = extract(q, parts, flat)
        if m.runner_up and m.runner_up_score >= SIBLING_RATIO * m.score:  # e.g. one answer on CNN vs MLP and bias
            have = {a.claim for a in found}
            found += [a for a in extract(m.runner_up, parts, flat) if a.claim not in have]
        have = {a.claim for a in found}  # a table or formula that names its family, in a block matched elsewhere
        found += [a for _, a in self_evident(parts, flat, q) if a.claim not in have]  # (structural.py, A2)
        have = {a.claim for a in found}  # which term plays which part (assignments.py)
        found += [a for a in read_assignments([(lab, u.text) for lab, us in every for u in us
                                               if not u.asks and not u.derived])
                  if a.claim not in have]
        for a in found:
            structural.append((a, label + (f" ({a.part})" if a.part and "(" not in label else ""), m))
        wins += windows_of(b, [(lab, [u.text for u in us if u.rows is None and not u.asks]) for lab, us in every],
                           offset=len(wins))
    cands: list[Candidate] = []
    if groups:
        fams = refs().families
        ids = [q.id for q in questions()]
        block_fam = np.array(rows)[:, [ids.index(f) for f in fams]]
        cands = candidates(wins, block_fam, {a.claim for a, _, _ in structural})
    return Analysis(groups, structural, cands, unmatched)


def _names_model(group: tuple, subject: tuple[str, str] | None) -> bool:
    """The answer block (an ``Analysis.groups`` entry) names the claim's model (``stance.subject_of``)."""
    return subject is None or subject[0] in models_named(" ".join(text for _, text in group[2]))


def decide_sheet(an: Analysis, *, sheet: str, path: str = "", decider: Decider | None = None) -> Extracted:
    """Keep the structural findings and the candidates the decision accepts, each with its stance."""
    ex = Extracted(sheet, path)
    ex.unmatched = an.unmatched
    d = decider or default_decider()
    have = {a.claim for a, _, _ in an.structural}
    probs = d.proba(np.array([c.x for c in an.candidates])) if an.candidates else np.zeros(0)
    by_claim = dict(zip((c.claim for c in an.candidates), probs))
    for a, label, m in an.structural:
        a.data.setdefault("confidence", round(float(max(by_claim.get(a.claim, 0.0), d.review)), 3))
        ex.items.append((a, label, m))
    known = kb.load().claims
    for c, p in zip(an.candidates, probs):
        if p < d.threshold or c.claim in have:
            continue
        ck = known[c.claim]
        if ck.named_model and not _names_model(an.groups[c.window.block], subject_of(c.claim)):
            continue
        st, win, _, share = vote_detail(c.support, ck.denials, contrast_words(c.claim),
                                        subject_of(c.claim), setting_of(c.claim), ck.phase) if c.support else \
            ("asserts", c.window, c.example, 1.0)
        _, label, _, m = an.groups[win.block]
        stance = {"asserts": "assert", "denies": "nuance" if ck.examples["corrects"] else "deny",
                  "corrects": "nuance"}[st]
        says = ck.says.get(st) or (ck.says["asserts"] if st == "asserts" else f"not: {ck.says['asserts']}")
        voters = [s_ for s_ in c.support if len(s_.window.text.split()) >= STANCE_MIN_WORDS]
        a = Assertion(c.claim, "proposition", stance, win.quote, says, win.part, hedged(win.text),
                      {"spans": [win.text], "n_pos": 2, "confidence": round(float(p), 3),
                       "review": bool(p < d.review), "stance_share": round(float(share), 3),
                       # the stance rests on one clause, under a third of the sentence it was cut from: too little
                       # to grade wrong on
                       "one_clause": len(voters) == 1 and bool(voters[0].window.sentence) and
                       3 * len(voters[0].window.text.split()) < len(voters[0].window.sentence.split())})
        ex.items.append((a, label + (f" ({win.part})" if win.part and "(" not in label else ""), m))
    if not an.groups:
        ex.note = "no question recognised: no answer matched a question family of the catalogue"
    elif not ex.items:
        ex.note = "questions recognised, but no claim of the catalogue found in the answers"
    return ex


def extract_sheet(text: str, *, sheet: str, path: str = "", decider: Decider | None = None) -> Extracted:
    if not text.strip():
        ex = Extracted(sheet, path)
        ex.note = "empty sheet: nothing to grade"
        return ex
    return decide_sheet(analyse(text), sheet=sheet, path=path, decider=decider)


def grade_sheet(ex: Extracted, verdicts: dict[str, Any], *, store_missing: bool = False) -> dict[str, Any]:
    """The ``check --json`` object of one sheet."""
    known = claims_by_id()
    per_claim: dict[str, dict[str, Any]] = {}
    for a, label, m in ex.items:
        v = verdicts.get(a.claim)
        g, why = grade(a, v)
        hold = held_back(a, g)  # a "wrong" that is not firm: kept, set apart for a person (grade.py)
        if hold:
            g, why = "unknown", f"to check: tentatively wrong ({why}), but {hold}"
        f = {"question": known[a.claim].question, "sheet_question": label, "claim": a.claim, "quote": a.quote,
             "says": a.says, "verdict": v.status if v is not None else None, "grade": g,
             "evidence": evidence(a.claim, v), "why": why, "kind": a.kind,
             "matched_words": list(m.words) if m is not None else [],
             "match_score": round(float(m.score), 3) if m is not None else None}
        if a.hedged:
            f["hedged"] = True
        # how sure the reader is that the sheet states this claim (decide.py); below `review`: for a person to check
        f["confidence"] = a.data.get("confidence")
        if a.data.get("review") or hold:
            f["review"] = True
        if hold:
            f["to_check"] = "wrong"  # the tentative grade a person should confirm (grade is "unknown" until then)
        if a.kind == "complexity":
            keys = ("aspect", "role", "sheet", "claimed", "truth", "grade", "measured_slopes")
            f["orders"] = [{k: p.get(k) for k in keys}
                           for p in a.data["pieces"]]
        if a.claim in per_claim:  # the same claim twice on one sheet: one finding, grades combined
            old = per_claim[a.claim]
            old["confidence"] = max(old.get("confidence") or 0.0, f["confidence"] or 0.0)
            old["grade"] = _combine([old["grade"], g])
            if old["grade"] != "unknown":
                old.pop("to_check", None)
            old["quote"] = (old["quote"] + " / " + a.quote)[:600]
            continue
        per_claim[a.claim] = f
    findings = list(per_claim.values())
    pts = {"right": 1.0, "partly": 0.5, "wrong": 0.0}
    graded = [f for f in findings if f["grade"] in pts]
    tally = {g: sum(f["grade"] == g for f in findings) for g in ("right", "partly", "wrong", "unknown")}
    result: dict[str, Any] = {
        "sheet": ex.sheet, "findings": findings,
        "score": round(sum(pts[f["grade"]] for f in graded) / len(graded), 3) if graded else None,
        "tally": tally,
    }
    if ex.path and ex.path != ex.sheet:
        result["path"] = ex.path
    if ex.note:
        result["note"] = ex.note
    if ex.unmatched:
        result["unmatched"] = ex.unmatched
    missing = [f["claim"] for f in findings if f["verdict"] is None]
    if missing:
        result["to_measure"] = run_command(missing)
        if store_missing:
            result["store"] = "no store yet: every claim is unknown until it is measured"
    return result
