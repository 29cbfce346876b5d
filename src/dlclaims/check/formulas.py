"""Claims carried by formulas: the ELBO written out, the min-max equilibrium as a point or a value, the
key-value average written in symbols.

Each sentence goes through latex.py (pylatexenc) to plain text; a formula is cut at its relations (=, >=, <=,
≈, ->) into sides and each side into its top-level signed terms, which are then classified:

* Q-elbo: a side holding a reconstruction term (E_q[log p(x|z)], or a reconstruction loss / MSE) and
  KL(q(z|x) || p(z)) with opposite effective signs states ``elbo.decomposition`` (the same signs deny it:
  ELBO = E[log p(x|z)] + KL); ``log p(x) >=`` an ELBO-like side (or that side ``<= log p(x)``) states
  ``elbo.bound``, the reverse inequality denies it. One formula can carry both.
* Q-minmax: a point such as ``(x, y) = (0, 0)``, ``p = q = 0`` or ``p* = 0, q* = 0`` named as an
  equilibrium / saddle / optimum / stationary point (or both partial derivatives set to zero), or the game's
  optimal value, states ``minmax.equilibrium`` (0: asserts; another point or value: denies). Variable names
  are the family's (p, q) or their aliases from structure.toml (x, y, ...).
* Q-lookup: an output equal to an equal-weight combination of two values with weight 1/2 (``(v_a + v_b)/2``,
  ``0.5 v_a + 0.5 v_b``), two attention weights both ``1/2``, or a query ``q = C(k_a + k_b)`` (in coordinates
  ``q_a = q_b = C``) states ``lookup.average``; a sum with equal weights other than 1/2 denies it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

from . import structure
from .latex import plain_math
from .units import Assertion, Unit

_REL = re.compile(r"(>=|<=|≥|≤|≈|~=|->|=(?!=))")
_NUM = r"[-+]?\d+(?:\.\d+)?"


_WORD_HYPHEN = re.compile(r"(?<=[a-z]{3})-(?=[a-z])|(?<=[a-z])-(?=[a-z]{3})")  # no spaces around it: in a word
_SPOKEN_SIGN = re.compile(r"(?<=[\s\])])(minus|plus)(?=\s+[a-z\\(])")


# a relation in words ("log p(x) is always greater than or equal to the ELBO"), not negated
_WORD_REL = re.compile(r"(?<!not )(?<!never )(?<!n't )\b(?:(?:is|are) )?(?:always )?(greater|larger|bigger|less|smaller|lower) "
                       r"(?:than )?or equal(?: to)?\b")


_CONJ = re.compile(r"\b(?:so|and|then|thus|hence|therefore|which|because|since|while|but|where)\b")


def _plain(text: str) -> str:
    """Lower-case plain math with spaces squeezed out around operators (``log p (x | z)`` -> ``logp(x|z)``)."""
    t = plain_math(text).lower().replace("−", "-").replace("–", "-")
    t = re.sub(r"\belb0\b", "elbo", t)  # OCR's zero for the O
    t = _WORD_REL.sub(lambda m: " <= " if m.group(1) in ("less", "smaller", "lower") else " >= ", t)
    t = _WORD_HYPHEN.sub("\u2010", t)  # log-likelihood, cross-entropy: a word's hyphen (U+2010), never a minus
    t = _SPOKEN_SIGN.sub(lambda m: "-" if m.group(1) == "minus" else "+", t)  # "... ] minus KL(...)" in prose
    t = re.sub(r"&\s*(?=[=<>≤≥:])", "", t)  # an aligned environment's "&=" is "="
    t = re.sub(r"\s*([|()\[\]{},=<>+*/^_≈~-])\s*", r"\1", t)
    t = re.sub(r"\blog\s+(?=[a-z](?:_|\())", "log", t)  # log p(x) -> logp(x)
    return re.sub(r"\s+", " ", t)


def _terms(side: str) -> list[tuple[int, str]]:
    """Top-level signed terms of one side of a formula: ``a-b+(c-d)`` -> [(1, 'a'), (-1, 'b'), (1, '(c-d)')]."""
    out, depth, sign, cur = [], 0, 1, ""
    for i, ch in enumerate(side):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if depth == 0 and ch in "+-" and (i == 0 or side[i - 1] not in "^_(*/") and not (
                side[i - 1:i] == "e" and side[i - 2:i - 1].isdigit()) and not (
                ch == "-" and side[i + 1:i + 2] == ">"):
            if cur.strip():
                out.append((sign, cur.strip()))
            sign, cur = (1 if ch == "+" else -1), ""
            continue
        cur += ch
    if cur.strip():
        out.append((sign, cur.strip()))
    return out


def _first_clause(side: str) -> str:
    """A side up to its first top-level comma or semicolon (``a+b, so ...`` -> ``a+b``)."""
    depth = 0
    for i, ch in enumerate(side):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and ch in ",;":
            return side[:i]
    return side


# -- Q-elbo ------------------------------------------------------------------------------------------------
_SUBS = r"(?:_?\(?[a-z]{1,5}\)?)?"  # q_phi, p_(theta), q
_ARG = r"(?:[^()]|\([^()]{0,6}\)){0,10}"  # x, x_i, x^(i): one nested level
_Q = rf"q{_SUBS}\(z[^|()]{{0,6}}\|x{_ARG}\)"
_PZ = rf"p{_SUBS}\(z\)"
_PZX = rf"p{_SUBS}\(z[^|()]{{0,6}}\|x{_ARG}\)"
_KL = r"(?:d_?\(?kl\)?|kl|d_?\{kl\})[\[(]"
_LATENT = re.compile(rf"q{_SUBS}\(([abchuvwyz])[^|()]{{0,6}}\|x")  # the letter the sheet's posterior is over
_KL_PRIOR = re.compile(rf"{_KL}{_Q}(?:\|\||\||,)(?:{_PZ}|n\(0,i\)|n\(0,1\))")
_KL_POST = re.compile(rf"{_KL}{_Q}(?:\|\||\||,){_PZX}")
_RECON_LL = re.compile(rf"logp{_SUBS}\(x(?:[^|()]|\([^()|]{{0,6}}\)){{0,8}}\|z{_ARG}\)")
_RECON_LOSS = re.compile(r"reconstruction ?(?:loss|error|term)|\bmse\b|\bbce\b|\|\|x-|cross[-\u2010]?entropy")
_LOGPX = re.compile(rf"logp{_SUBS}\(x(?:[^|()]|\([^()|]{{0,6}}\)){{0,8}}\)")
_MARGINAL = re.compile(rf"logp{_SUBS}\(x[^,|()]{{0,8}}\)")  # log p(x), not the joint log p(x, z)
_ELBO_NAME = re.compile(r"elbo|lowerbound|lower bound|\bl\(|\bl_\w+\(|\bl(?:_\w+)?$|^l(?:_\w+)?\b|\\mathcal\{l\}")
_LOSS_NAME = re.compile(r"loss|-elbo|negative elbo|cost|objective to minimi")


def _elbo(text: str) -> list[tuple[str, str, str]]:
    """(claim, stance, formula) for the ELBO formulas of a sentence (the latent named z, or any letter the sheet
    gives it in q(.|x): ``E_{q(y|x)}[log p(x|y)] - KL(q(y|x) || p(y))``)."""
    low = text.lower()
    if "kl" not in low and "log" not in low:  # every formula read below has a KL(...) or a log p(...)
        return []
    s = _plain(text)
    lat = _LATENT.search(s)
    if lat and lat.group(1) != "z":
        s = re.sub(rf"(?<![a-z\\]){lat.group(1)}(?![a-z])", "z", s)
    if not (_KL_PRIOR.search(s) or _LOGPX.search(s) or _RECON_LL.search(s)):
        return []
    out: list[tuple[str, str, str]] = []
    parts = _REL.split(s)
    sides, rels = parts[0::2], parts[1::2]
    for k, side in enumerate(sides):
        terms = _terms(_first_clause(side) if k else side.split(":")[-1])
        recon = [(sg, t) for sg, t in terms if _RECON_LL.search(t) or _RECON_LOSS.search(t)]
        kl = [(sg, t) for sg, t in terms if _KL_PRIOR.search(t)]
        if recon and kl:
            lhs = sides[k - 1] if k else ""
            sg_r, t_r = recon[0]
            if _RECON_LOSS.search(t_r) and not _RECON_LL.search(t_r) or t_r.startswith("-") or re.match(r"-", t_r):
                pol = -1
            elif _RECON_LL.search(t_r):
                pol = -1 if re.search(r"-(?:e\w*[\[(])?logp", t_r) else 1
            else:
                pol = -1 if _LOSS_NAME.search(lhs) else 1 if _ELBO_NAME.search(lhs) or _LOGPX.search(lhs) else 0
            if pol:
                stance = "assert" if sg_r * pol == -kl[0][0] else "deny"
                out.append(("elbo.decomposition", stance, side))
            elif kl[0][0] < 0:
                out.append(("elbo.decomposition", "assert", side))
    nonneg = re.search(r"kl\w*(?:\([^)]*\)+)?(?:>=|≥)0|non[-\u2010]?negative|always positive|>=0|\bbound", s)
    for k, rel in enumerate(rels):
        left, right = sides[k], sides[k + 1]
        if rel == "=" and nonneg:  # log p(x) = ELBO + KL(q(z|x) || p(z|x)), the KL >= 0: the ELBO is below
            px_side, other = (left, right) if _LOGPX.fullmatch(left.split(" ")[-1]) else (right, left)
            if _LOGPX.fullmatch(px_side.split(" ")[-1] if px_side is left else px_side.split(" ")[0]) and any(
                    sg > 0 and _KL_POST.search(t) for sg, t in _terms(_first_clause(other))):
                out.append(("elbo.bound", "assert", f"{left} {rel} {right}"))
            continue
        if rel in ("=", "≈", "->", "~="):
            continue
        # the operands: the few words next to the relation ("... a KL is always >= 0 we get log p(x) >= ELBO":
        # the first >= relates "kl is always" and "0", not the sentence's ELBO and log p(x))
        lo, ro = " ".join(left.split(" ")[-3:]), " ".join(right.split(" ")[:3])
        # ... up to a conjunction ("the KL is >= 0 so log p(x_0) >= ELBO": "0", not "0 so log p(x_0)")
        lo, ro = _CONJ.split(lo)[-1], _CONJ.split(ro)[0]
        big, small = (lo, ro) if rel in (">=", "≥") else (ro, lo)
        big_px = _LOGPX.search(big)
        small_px = _LOGPX.search(small)
        px = big_px or small_px
        if px and (big if big_px else small)[:px.start()].rstrip().endswith("-"):
            # "-log p(x_0) <= L": the negative log-likelihood against the loss (the negative ELBO): the same
            # inequality as log p(x_0) >= ELBO, with both sides negated; against an ELBO by name it says nothing
            other = small if big_px else big
            if re.search(r"elbo|lower ?bound", other):
                continue
            big, small, big_px, small_px = small, big, small_px, big_px
        if big_px and not small_px and _elbo_like(small) or _chain_bound(sides, rels, k, rel):
            out.append(("elbo.bound", "assert", f"{left} {rel} {right}"))
        elif small_px and _elbo_like(big) and not big_px:
            out.append(("elbo.bound", "deny", f"{left} {rel} {right}"))
    return out


def _equal_chain(sides: list[str], rels: list[str], j: int, step: int) -> list[str]:
    """Side j and the sides joined to it by "=" going one way (step -1: left, +1: right), each to its first
    clause: in "log p(x) = log E_q[p(x,z)/q] >= E_q[log p(x,z) - log q] = E_q[log p(x|z)] - KL(q || p(z))" the
    ">=" relates the first two sides' chain to the last two's."""
    out = []
    while 0 <= j < len(sides):
        out.append(_first_clause(sides[j]))
        r = j if step == 1 else j - 1  # the relation on side j's far side
        if not (0 <= r < len(rels)) or rels[r] not in ("=", ":="):
            break
        j += step
    return out


def _chain_bound(sides: list[str], rels: list[str], k: int, rel: str) -> bool:
    """Relation k of a derivation puts log p(x) above the ELBO: its larger side's "=" chain reaches log p(x) and
    its smaller side's the ELBO (before any other log p(x))."""
    big, small = (k, k + 1) if rel in (">=", "≥") else (k + 1, k)
    larger = _equal_chain(sides, rels, big, -1 if big == k else 1)
    smaller = _equal_chain(sides, rels, small, 1 if small == k + 1 else -1)
    if len(larger) + len(smaller) < 3 or not any(_MARGINAL.search(x) and not re.search(r"-\s*logp", x)
                                                 for x in larger):
        return False  # no chain (the operands alone are read), or no log p(x) above, or only -log p(x)
    for x in smaller:
        if _MARGINAL.search(x):
            return False
        if _elbo_like(x):
            return True
    return False


def _elbo_like(side: str) -> bool:
    return bool(_ELBO_NAME.search(side) or _KL_PRIOR.search(side) or _RECON_LL.search(side))


# -- Q-minmax ----------------------------------------------------------------------------------------------
_EQ_WORDS = re.compile(r"equilibri\w*|saddle|\bnash\b|optim\w*|stationary|fixed point|solution|minimax point|"
                       r"critical point|converge\w* to")
_VALUE = re.compile(rf"(?:optimal|equilibrium|game|minimax|min[-\u2010]?max|saddle(?: point)?|nash)\s+value\s*(?:of|is|=|:|will be|"
                    rf"would be|should be)?\s*(?:the game\s*)?(?:is\s*)?({_NUM})\b")


@lru_cache(maxsize=1)
def _players() -> str:
    names = {"p", "q"}
    for spec in structure.load().sequences:
        if spec.claim.startswith("minmax."):
            names |= set(spec.variables) | set(spec.aliases)
    return "[" + "".join(sorted(names)) + "]"


_NOT_EQ = re.compile(r"start\w*|initial\w*|\binit\b|\bfrom\b|begin\w*|\bafter\b|\bstep\b|\bthen\b|\bbut\b|"
                     r"\bwhile\b|iterat\w*|\breturn\w*|\bback\b|\bvisit\w*|\bgoes\b|\bmoves?\b")
_LINK_AFTER = re.compile(r"^\)?\s*(?:is|are|=|as|which is|,)?\s*(?:the |a |an |its |our |unique |only )*"
                         r"(?:equilibri\w*|saddle|nash|optim\w*|stationary|fixed point|solution|minimax point|critical)")


def _tied(s: str, start: int, end: int) -> bool:
    """Is the point at s[start:end] what an equilibrium word names ("the equilibrium is (0, 0)", "(0, 0) is the
    saddle point"), not a start or a step of the iterates ("from (1, 1) we never reach the optimum")?"""
    before = s[max(0, start - 60):start]
    last = None
    for last in _EQ_WORDS.finditer(before):
        pass
    if last is not None and not _NOT_EQ.search(before[last.end():]) and not re.search(r"[.;]", before[last.end():]):
        return True
    return bool(_LINK_AFTER.match(s[end:end + 40]))


def _equilibrium(text: str) -> list[tuple[str, str, str]]:
    s = _plain(text)
    v = _players()
    star = r"(?:\^?\*|_?\(?\*\)?|_?eq|_?opt)?"
    points: list[tuple[float, float, str]] = []
    for pat, vals in ((rf"\(({v}){star},({v}){star}\)=\(({_NUM}),({_NUM})\)", (3, 4)),
                      (rf"(?<![a-z])({v}){star}=({v}){star}=({_NUM})(?!\.?\d)", (3, 3)),
                      (rf"(?<![a-z(])({v}){star}=({_NUM})(?:,| and |and)({v}){star}=({_NUM})(?!\.?\d)", (2, 4))):
        for m in re.finditer(pat, s):
            if m.group(1) != m.group(2 if vals != (2, 4) else 3) and _tied(s, m.start(), m.end()):
                points.append((float(m.group(vals[0])), float(m.group(vals[1])), m.group(0)))
    grads = re.findall(rf"(?:\bd|grad_?) ?f ?/? ?d? ?({v})=({v})=0(?!\.?\d)", s)  # df/dp = q = 0
    if len({g[0] for g in grads}) == 2:
        points.append((0.0, 0.0, "; ".join(f"df/d{a} = {b} = 0" for a, b in grads)))
    if not points:
        for m in re.finditer(r"\borigin\b", s):  # "the saddle point is the origin"
            if _tied(s, m.start(), m.end()):
                points.append((0.0, 0.0, "origin"))
                break
    if not points:
        for m in re.finditer(rf"\(({_NUM}),({_NUM})\)", s):
            if _tied(s, m.start(), m.end()):
                points.append((float(m.group(1)), float(m.group(2)), m.group(0)))
    out = []
    if points:
        zero = all(a == 0 and b == 0 for a, b, _ in points)
        out.append(("minmax.equilibrium", "assert" if zero else "deny", " ; ".join(x for _, _, x in points)))
    else:
        m = _VALUE.search(plain_math(text).lower())
        if m:
            out.append(("minmax.equilibrium", "assert" if float(m.group(1)) == 0 else "deny", m.group(0)))
    return out


# -- Q-lookup ----------------------------------------------------------------------------------------------
_V = r"v_?(?:\(([a-z0-9])\)|([a-z0-9]))"  # v_a, va, v_(a)
_NOT_CALLED = r"(?![a-z]|\([^()]{0,3}\))"  # "v_b(both weights -> 1)" is a value before a remark; "v(x)" a call
_SYMBOL_TOKEN = re.compile(_V + _NOT_CALLED)


def _coefficients(expr: str) -> dict[str, sp.Expr] | None:
    """Coefficients of the values v_a, v_b, ... in a linear expression, via sympy (None if it is not one)."""
    names: dict[str, sp.Symbol] = {}

    def sym(m: re.Match) -> str:
        k = m.group(1) or m.group(2)
        names.setdefault(k, sp.Symbol("v" + k))
        return f" v{k} "

    e = _SYMBOL_TOKEN.sub(sym, expr)
    if len(names) < 2:
        return None
    e = re.sub(r"(?<=[\d)])\s*(?=[v(])|(?<=\))\s*(?=\d)", "*", e.strip())
    e = re.sub(r"(?<=\d)\s+(?=v)", "*", e)
    if re.search(r"[^v0-9a-z+\-*/(). ]", e) or re.search(r"[a-uw-z]", re.sub(r"v[a-z0-9]", "", e)):
        return None
    try:
        x = parse_expr(e.replace("^", "**"), local_dict={f"v{k}": s for k, s in names.items()},
                       global_dict={"Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational,
                                    "Symbol": sp.Symbol})
        x = sp.nsimplify(sp.expand(x), rational=True)
    except Exception:  # noqa: BLE001 - not a formula of values
        return None
    if not x.is_polynomial(*names.values()) or sp.Poly(x, *names.values()).total_degree() != 1:
        return None
    return {k: x.coeff(s) for k, s in names.items()}


_QUERY = re.compile(r"(?<![a-z])q=(?:[a-z]{1,6}|\d+(?:\.\d+)?)?\*?\(\s*(?:k|mu|u|e)_?\(?([a-z0-9])\)?\+(?:k|mu|u|e)_?\(?"
                    r"([a-z0-9])\)?\)")
_QUERY_COORD = re.compile(r"(?<![a-z])q_?\(?([a-z0-9])\)?=q_?\(?([a-z0-9])\)?=(?:[a-z]{1,6}|\d+)\b")
_WEIGHTS = re.compile(r"(?:alpha|a|w|weight|softmax)_?\(?([a-z0-9])\)?(?:=|≈|~)(?:alpha|a|w|weight|softmax)_?\(?"
                      r"([a-z0-9])\)?(?:=|≈|~|->)(?:\(?1\)?/\(?2\)?|0\.5)(?![\d])")


_ARITH = set("0123456789.()*/+- ")


def _value_runs(s: str) -> list[str]:
    """The maximal runs of arithmetic over value symbols (``v_a``, ``v_(b)``) in a plain-math string, with
    unbalanced outer parentheses trimmed: ``is((v_a+v_b)/(2)).`` -> ``((v_a+v_b)/(2))``."""
    toks = [m for m in re.finditer(_V + _NOT_CALLED, s)]
    groups: list[list[re.Match]] = []
    for m in toks:
        if groups and all(c in _ARITH for c in s[groups[-1][-1].end():m.start()]):
            groups[-1].append(m)
        else:
            groups.append([m])
    out = []
    for g in groups:
        if len({m.group(1) or m.group(2) for m in g}) < 2:
            continue
        i, j = g[0].start(), g[-1].end()
        while i > 0 and s[i - 1] in _ARITH:
            if s[i - 1] in "+-" and i > 1 and (s[i - 2].isalnum() or s[i - 2] in ")]_") and \
                    not re.search(r"\b(?:is|are|be|was|equals?|gives?|returns?)$", s[:i - 1]):
                break  # "out - (v_a+v_b)/2": a binary minus joins another term; the run starts after it
            i -= 1
        while j < len(s) and s[j] in _ARITH and not (s[j] == "(" and s[j + 1:j + 3].isalpha()):
            j += 1  # up to a remark in brackets ("(both weights -> 1)")
        run = s[i:j].strip(" .")
        changed = True
        while changed:
            changed = False
            if run.count("(") > run.count(")") and run.startswith("("):
                run, changed = run[1:], True
            if run.count(")") > run.count("(") and run.endswith(")"):
                run, changed = run[:-1], True
            if run[:1] in "+*/." or run[-1:] in "+-*/.":
                run, changed = run.strip("+*/.").rstrip("-"), True
        out.append(run.strip())
    return out


# a negation right before a formula (in _plain's text, where spaces around math are gone): "..., not (1/2)(v_a+v_b)"
_NEGATED_BEFORE = re.compile(r"(?:\bnot|\bnever|n't|\brather than|\binstead of|\bunlike)\s*(?:exactly|just|simply)?\s*$")


def _average(text: str) -> list[tuple[str, str, str]]:
    s = _plain(text)
    out = []
    for run in _value_runs(s) if "v" in s else []:
        co = _coefficients(run)
        if co is None:
            continue
        vals = list(co.values())
        if len(vals) == 2 and vals[0] == vals[1] and vals[0] != 0:
            at = s.find(run)
            if at >= 0 and _NEGATED_BEFORE.search(s[max(0, at - 30):at]):
                # "you get v_a or v_b, not (1/2)(v_a + v_b)": the average named as what the output is not
                if vals[0] != sp.Rational(1, 2):
                    continue  # "not 2(v_a + v_b)" says nothing of the average
                out.append(("lookup.average", "deny", run))
                break
            out.append(("lookup.average", "assert" if vals[0] == sp.Rational(1, 2) else "deny", run))
            break
    if not out:
        m = _WEIGHTS.search(s)
        if m and m.group(1) != m.group(2):
            out.append(("lookup.average", "assert", m.group(0)))
    if not out:
        m = _QUERY.search(s) or _QUERY_COORD.search(s)
        if m and m.group(1) != m.group(2):
            out.append(("lookup.average", "assert", m.group(0)))
    return out


_SAYS = {("elbo.decomposition", "assert"): "ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)) (as a formula)",
         ("elbo.decomposition", "deny"): "ELBO = E_q[log p(x|z)] + KL (the KL with the wrong sign)",
         ("elbo.bound", "assert"): "the ELBO is a lower bound on log p(x) (as a formula)",
         ("elbo.bound", "deny"): "the ELBO is above log p(x)",
         ("diffusion.bound", "assert"): "log p(x_0) >= ELBO (as a formula)",
         ("diffusion.bound", "deny"): "the ELBO is above log p(x_0)",
         ("minmax.equilibrium", "assert"): "the equilibrium is (0, 0)",
         ("minmax.equilibrium", "deny"): "the equilibrium is another point than (0, 0)",
         ("lookup.average", "assert"): "the output is (v_a + v_b)/2",
         ("lookup.average", "deny"): "the output is not (v_a + v_b)/2"}
_VALUE_RUN = re.compile(r"\bv_?\(?[a-z0-9]")  # a combination of the values v_a, v_b (not the query's k_a, k_b)
_DIFFUSION_VARS = re.compile(r"x_?\(?(?:0(?![\d.])|o(?![a-z\d.]))\)?|x_\(1:t\)|x_\(0:t\)|x_t\b")  # OCR: "x0" as "xO"
_READERS = {"Q-elbo": _elbo, "Q-minmax": _equilibrium, "Q-lookup": _average}


def formulas(question: str, us: list[Unit]) -> list[Assertion]:
    """Every claim the formulas of an answer's sentences carry (one per claim: the first stated)."""
    read = _READERS.get(question)
    if read is None:
        return []
    out: dict[str, Assertion] = {}
    for u in us:
        if u.rows is not None:
            continue
        for claim, stance, formula in read(u.text):
            if claim == "elbo.bound" and _DIFFUSION_VARS.search(formula):
                claim = "diffusion.bound"  # the same bound over a chain x_0 ... x_T: the DDPM's, not the VAE's
            if claim in out and not (claim == "lookup.average" and _VALUE_RUN.search(formula)
                                     and not _VALUE_RUN.search(out[claim].data["formula"])):
                continue  # the first stated wins, except that the output's value beats the query's setup
            says = _SAYS[(claim, stance)]
            if claim == "minmax.equilibrium":
                says += f": {formula}"
            out[claim] = Assertion(claim, "proposition", stance, u.text, says, u.part,
                                   data={"spans": [formula], "n_pos": 1, "formula": formula, "extractor": "formula"})
    return list(out.values())
