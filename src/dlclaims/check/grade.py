"""Grade what a sheet asserts against the stored, measured verdict of the claim.

=========================  =========  =========  =========  ============
sheet's stance             supported  refuted    partial    inconclusive
=========================  =========  =========  =========  ============
asserts the claim          right      wrong      partly     unknown
denies the claim           wrong      right      partly     unknown
states the test's finding  partly     right      right      unknown
=========================  =========  =========  =========  ============

Orders, sequences and trends are compared piece by piece with the verdict's
numbers where it has them (simulated sequences, a measured shape), else with
the catalogue's claim and true orders; all pieces right -> right, none ->
wrong, some -> partly (a table's sequences: one wrong -> wrong). No stored verdict -> unknown, with the command that
would measure the claim.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from .cues import SEQUENCES, TRENDS
from .extract import Assertion

Grade = Literal["right", "wrong", "partly", "unknown"]
_BY_STANCE: dict[str, dict[str, Grade]] = {
    "assert": {"supported": "right", "refuted": "wrong", "partial": "partly"},
    "deny": {"supported": "wrong", "refuted": "right", "partial": "partly"},
    "nuance": {"supported": "partly", "refuted": "right", "partial": "right"},
}
REPORT_LINK = "report/index.html#{claim}"


def run_command(claims: list[str] | str) -> str:
    ids = [claims] if isinstance(claims, str) else list(claims)
    return "dlclaims run --only " + " ".join(dict.fromkeys(ids))


def _compact(numbers: dict[str, Any], limit: int = 700) -> dict[str, Any]:
    """The verdict's numbers, without the long arrays (the report has them all)."""
    if len(json.dumps(numbers, default=str)) <= limit:
        return numbers
    out: dict[str, Any] = {}
    for k, v in numbers.items():
        s = json.dumps(v, default=str)
        if len(s) <= 160:
            out[k] = v
    return out


def evidence(claim: str, v: Any) -> dict[str, Any]:
    if v is None:
        return {"note": "no stored verdict for this claim yet", "command": run_command(claim)}
    ev: dict[str, Any] = {"rule": v.rule, "numbers": _compact(v.numbers), "link": REPORT_LINK.format(claim=claim),
                          "kind": getattr(v, "evidence", "measured")}  # exact | measured | simulated
    if v.parts:
        ev["parts"] = dict(v.parts)
        if getattr(v, "part_evidence", None):
            ev["part_kinds"] = dict(v.part_evidence)
    if v.figures:
        ev["figures"] = list(v.figures)
    ev["profile"] = v.profile
    ev["seeds"] = list(v.seeds)
    return ev


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]{4,}", text.lower())}


def _part_stems(name: str) -> set[str]:
    """A part's statement words: its lead before a ':' or '(' when that says enough, else the whole name."""
    lead = _stems(re.split(r":|\(| - |;", name, maxsplit=1)[0])
    return lead if len(lead) >= 2 else _stems(name)


def _cover(words: set[str], statement: set[str]) -> float:
    return len(words & statement) / len(statement) if statement else 0.0


def _part_status(spans: list[str], parts: dict[str, str], claim_text: str = "") -> str | None:
    """The status of the verdict's part(s) that the matched statements state, or None when they state the
    claim as a whole.

    Coverage of a statement = the share of its content words (5-letter stems) found in the answer. An answer
    whose best part coverage is below 1/2, or not above its coverage of the catalogue's own claim
    (``claim_text``), states the claim as a whole (asserting a partial claim as stated is partly). Otherwise
    it states each part of which it has half the words, and half of the words that part does not share with
    the other parts: one status if they agree, 'partial' if not."""
    words = _stems(" ".join(spans))
    stems = {name: st for name in parts if (st := _part_stems(name))}
    cover = [(_cover(words, st), status) for name, status in parts.items() if (st := stems.get(name))]
    best = max((c for c, _ in cover), default=0.0)
    if best < 0.5 or best <= _cover(words, _stems(claim_text)):
        return None
    # a part is stated by the words that tell it from the other parts ("plain", "retains"), not by the
    # words all parts share ("average", "noise"); a part with no words of its own by all of its words
    named = []
    for name, st in stems.items():
        own = st - set().union(*(o for n, o in stems.items() if n != name))
        if _cover(words, own or st) >= 0.5 and _cover(words, st) >= 0.5:
            named.append(parts[name])
    if not named:
        return None
    return named[0] if len(set(named)) == 1 else "partial"


def _claim_text(claim: str) -> str:
    from ..core.catalogue import claims_by_id

    c = claims_by_id().get(claim)
    return c.claim if c is not None else ""


def _claim_names_parts(claim: str, parts: dict[str, str]) -> bool:
    """Does the claim's own text join several of the verdict's parts (not only the test's internals)?"""
    from ..core.catalogue import claims_by_id

    c = claims_by_id().get(claim)
    if c is None:
        return False
    words = _stems(c.claim)
    return sum(bool(st := _part_stems(n)) and len(words & st) >= max(1, 0.5 * len(st)) for n in parts) >= 2


def _seq_ok(sheet: list[float], true: list[float]) -> bool | None:
    """Does the sheet's sequence agree with the true one (from step 0 or step 1), over >= 3 shared steps?"""
    for skip in (0, 1):  # the sheet may repeat the start point, or begin one step in
        for off in (0, 1):
            n = min(len(sheet) - skip, len(true) - off)
            if n >= 3 and all(abs(a - b) < 1e-6 for a, b in zip(sheet[skip:skip + n], true[off:off + n])):
                return True
    return False if min(len(sheet), len(true)) >= 3 else None


_ROLE_TOKENS = {"rnn": {"rnn", "recurrent"}, "transformer": {"tf", "transformer", "trf"},
                "softmax": {"softmax", "sm", "soft"}, "bob": {"bob", "linear", "lin"}}


def measured_slopes(numbers: Any) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(role, symbol) -> (mean, lo, hi) of every log-log slope in a verdict's numbers whose key names a role and a
    symbol ("slopes": {"rnn_t": {"time": {"mean": 1.02, "lo": .., "hi": ..}}}); the first one found wins."""
    out: dict[tuple[str, str], tuple[float, float, float]] = {}

    def val(x: Any) -> tuple[float, float, float] | None:
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return float(x), float(x), float(x)
        if isinstance(x, dict):
            if "mean" in x and isinstance(x["mean"], (int, float)):
                m = float(x["mean"])
                return m, float(x.get("lo", m)), float(x.get("hi", m))
            for k in ("time", "slope", "flops"):
                if k in x:
                    return val(x[k])
        return None

    def walk(x: Any, path: list[str]) -> None:
        if not isinstance(x, dict):
            return
        for k, v in x.items():
            toks = set(re.split(r"[^a-z0-9]+", str(k).lower()))
            here = path + [str(k).lower()]
            if any("slope" in h for h in here):
                allt = set().union(*(set(re.split(r"[^a-z0-9]+", h)) for h in here))
                roles = [r for r, al in _ROLE_TOKENS.items() if al & allt]
                syms = [t for t in toks if len(t) == 1 and t.isalpha()]
                got = val(v)
                if got is not None and len(roles) == 1 and len(syms) == 1:
                    out.setdefault((roles[0], syms[0]), got)
                    continue
            walk(v, here)
    walk(numbers, [])
    return out


def _by_slopes(piece: dict[str, Any], numbers: Any) -> Grade:
    """An order that is neither the claim's nor the true one: right only if the measured slopes bear it out."""
    exps = piece.get("exponents") or {}
    if not str(piece.get("aspect", "")).startswith(("time", "cost")):
        return "wrong"
    slopes = measured_slopes(numbers)
    checked = {s: slopes[(piece["role"], s)] for s in exps if (piece["role"], s) in slopes}
    if not checked:
        return "wrong"
    piece["measured_slopes"] = {s: round(m, 2) for s, (m, _, _) in checked.items()}
    ok = all(lo - 0.25 <= exps[s] <= hi + 0.25 for s, (_, lo, hi) in checked.items())
    return "right" if ok else "wrong"


def _combine(grades: list[Grade]) -> Grade:
    known = [g for g in grades if g != "unknown"]
    if not known:
        return "unknown"
    if all(g == "right" for g in known):
        return "right"
    if all(g == "wrong" for g in known):
        return "wrong"
    return "partly"


def _shape_in(numbers: Any) -> str | None:
    """A measured trend shape ('rise-plateau', ...) stored among the verdict's numbers as words, or as the lab's
    shape test (``knee_h`` and ``falls_at``: rise-fall where some width after the knee falls, else rise-plateau)."""
    found: list[str] = []

    def walk(x: Any, key: str = "") -> None:
        if isinstance(x, dict) and re.search(r"shape|trend", key, re.IGNORECASE) and "knee_h" in x and \
                isinstance(x.get("falls_at"), list):  # the lab's shape test: a knee, then the widths that fall
            found.append("rise-fall" if x["falls_at"] else "rise-plateau")
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, str(k))
        elif isinstance(x, str) and re.search(r"shape|trend", key, re.IGNORECASE):
            found.append(x.lower())
    walk(numbers)
    for s in found:
        parts = [w for w in ("rise", "plateau", "fall") if re.search({"rise": r"ris|increas", "plateau": r"plateau|flat|"
                                                                     r"saturat", "fall": r"fall|decreas|drop"}[w], s)]
        if parts:
            return "-".join(parts)
    return None


def grade(a: Assertion, v: Any) -> tuple[Grade, str]:
    """(grade, why) of one assertion against a stored verdict (None when the claim has not been run)."""
    if v is None:
        return "unknown", "not measured yet: " + run_command(a.claim)
    status = v.status
    if status == "inconclusive":
        return "unknown", "the measurement could not decide this claim"
    if a.kind == "proposition" and any(sq.claim == a.claim for sq in SEQUENCES):
        # a table's claim is its values: found by its words alone, nothing was compared
        return "unknown", "the sheet's values were not read as a table or a sequence: compare them by hand"
    if a.kind == "proposition":
        if v.parts and status == "partial" and _claim_names_parts(a.claim, v.parts) and (
                a.stance != "assert" or a.data.get("n_pos", 0) <= 1):
            # the claim joins several statements, the answer takes up one of them: grade on that part
            ps = _part_status(a.data.get("spans") or [a.quote], v.parts, _claim_text(a.claim))
            if ps in ("supported", "refuted"):
                # a refinement that names the false part ("L_T is constant, its gradient is zero" against "the term
                # contributes little") corrects it: right, as it is for the true part
                g = "right" if a.stance == "nuance" else _BY_STANCE[a.stance][ps]
                return g, f"graded on the part of the verdict the answer names ({ps})"
        g = _BY_STANCE[a.stance].get(status, "unknown")
        return g, (f"the sheet {'asserts' if a.stance == 'assert' else 'denies' if a.stance == 'deny' else 'refines'} " \
                  f"the claim; measured: {status}")
    if a.kind == "complexity":
        gs: list[Grade] = []
        for p in a.data["pieces"]:
            if p["outcome"] == "claim":  # the claim's order; right where it is the truth, or the sheet adds the truth
                exact = p["claimed"] == p["truth"] or bool(a.data.get("nuance"))
                g = {"supported": "right", "refuted": "wrong",
                     "partial": "right" if exact else "partly"}.get(status, "unknown")
            elif p["outcome"] == "truth":
                g = "right"
            else:
                g = _by_slopes(p, v.numbers)
            p["grade"] = g
            gs.append(g)  # type: ignore[arg-type]
        g = _combine(gs)
        return g, "orders compared per term with the claim's and the true orders; measured: " + status
    if a.kind == "sequence":
        spec = next(s for s in SEQUENCES if s.claim == a.claim)
        gs = []
        for var, sim_key, claimed_key in zip(spec.variables, spec.simulated, spec.claimed):
            if var not in a.data["sequences"]:
                continue
            sheet = a.data["sequences"][var]
            true = v.numbers.get(sim_key)
            if isinstance(true, list) and true:
                ok = _seq_ok(sheet, [float(x) for x in true])
                gs.append("unknown" if ok is None else "right" if ok else "wrong")
                continue
            claimed = v.numbers.get(claimed_key)
            if isinstance(claimed, list) and _seq_ok(sheet, [float(x) for x in claimed]):
                gs.append(_BY_STANCE["assert"].get(status, "unknown"))
            else:
                gs.append("wrong" if status == "supported" else "unknown")
        # a table is one answer: a wrong value anywhere makes it wrong (the classic wrong answer), not partly right
        g = "wrong" if "wrong" in gs else _combine(gs)
        return g, "sequences compared with the simulation"  # type: ignore[arg-type]
    if a.kind == "trend":
        spec = next(t for t in TRENDS if t.claim == a.claim)
        measured = _shape_in(v.numbers)
        shape = a.data["shape"]
        if measured:
            said, seen = shape.split("-"), measured.split("-")
            if shape == measured or (set(said) <= set(seen) and said != ["rise"]) or (
                    shape in spec.claimed and set(seen) <= set(said)):
                # every piece the sheet states was measured ("it plateaus" where a rise then a plateau was
                # measured); a lone rise says it keeps rising, which a plateau or fall after it contradicts;
                # or the sheet states the claim's own alternatives ("then plateaus or even falls") and the
                # measured shape is one of them
                return "right", f"the sheet's trend matches the measured one ({measured}; the sheet says {shape})"
            if set(shape.split("-")) & set(measured.split("-")) - {"rise"} or (
                    shape in spec.claimed and measured in spec.claimed):
                return "partly", f"measured: {measured}; the sheet says {shape}"
            return "wrong", f"measured: {measured}; the sheet says {shape}"
        if a.stance in _BY_STANCE:
            return _BY_STANCE[a.stance].get(status, "unknown"), f"trend {shape} against the claim; measured: {status}"
        return ("wrong" if status == "supported" else "partly" if status == "partial" else "unknown",
                f"trend {shape} against the claim; measured: {status}")
    return "unknown", "no grading rule for this kind of claim"


STANCE_AGREE = 0.999  # a "wrong" from a proposition needs every voting window to read the same stance


def held_back(a: Assertion, g: str) -> str | None:
    """Why a "wrong" grade is not firm enough to give (None: give it).

    Grading a right answer wrong is the worst error for a student, so a proposition found by similarity is
    graded wrong only when its stance is unambiguous: every window that votes on the stance reads the same
    one, and the words are not hedged. Otherwise the finding is kept, graded ``unknown``, and set apart for a
    person with its tentative grade (``to_check``). Structural findings (a table, a sequence, an order, a
    trend) compare numbers or exponents exactly and keep their grade. (A low decision confidence, below the
    review cut, already sets a finding apart with ``review``; withholding its "wrong" too changed nothing
    on the corpus, cross-validated, and withheld 3 right "wrong" grades on tests/sheets.)"""
    if g != "wrong" or a.kind != "proposition":
        return None
    if float(a.data.get("stance_share", 1.0)) < STANCE_AGREE:
        return "the sheet's sentences read this claim with different stances"
    if a.hedged:
        return "the sheet hedges this statement"
    if a.data.get("one_clause"):
        return "the stance rests on one clause cut from a longer sentence"
    return None
