"""Number sequences (table rows or columns, ``q = 1, 2, 1, ...`` in prose) and trends (rise / plateau / fall,
with negations and hedges) in an answer."""

from __future__ import annotations

import re

from . import cues
from .units import _HEDGE, Assertion, Stance, Unit, negated

# -- sequences -------------------------------------------------------------------------------------------
_NUM = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_VAR = re.compile(r"^\$?\s*\\?(?:mathbf\{)?([a-z])\}?(?:_\{?[a-z0-9]\}?)?(?:\s*\([a-z]\))?\s*\$?$")


def _num(c: str) -> float | None:
    c = c.strip().strip("$*_ ").replace(" ", "").replace("O", "0").replace("l", "1") if c else ""
    return float(c) if _NUM.match(c) else None


def sequences(question: str, us: list[Unit]) -> list[Assertion]:
    out: list[Assertion] = []
    for spec in cues.SEQUENCES:
        if not spec.claim.startswith(question.split("-", 1)[1] + "."):
            continue
        got: dict[str, list[float]] = {}
        quote = ""
        for u in us:
            if u.rows is not None:
                rows = u.rows
                for r in rows:  # one row per variable
                    m = _VAR.match(r[0].lower().strip(" *")) if r else None
                    vals = [_num(c) for c in r[1:] if c.strip()]
                    if m and m.group(1) in spec.variables and len(vals) >= 3 and all(v is not None for v in vals):
                        got[m.group(1)] = vals  # type: ignore[assignment]
                        quote = u.text
                head = [(_VAR.match(c.lower().strip(" *")) or None) for c in rows[0]] if rows else []
                for j, m in enumerate(head):  # one column per variable
                    if m and m.group(1) in spec.variables:
                        vals = [_num(r[j]) if j < len(r) else None for r in rows[1:]]
                        if len(vals) >= 3 and all(v is not None for v in vals):
                            got[m.group(1)] = vals  # type: ignore[assignment]
                            quote = u.text
            else:
                pairs = re.findall(r"\(\s*([-+]?\d+(?:\.\d+)?)\s*[,;]\s*([-+]?\d+(?:\.\d+)?)\s*\)", u.low)
                if len(pairs) >= 4 and len(spec.variables) == 2:  # (p, q) = (1, 1) -> (-1, 2) -> ...
                    first, second = ("q", "p") if re.search(r"\(\s*q\s*,\s*p\s*\)", " ".join(x.low for x in us)) \
                        else ("p", "q")
                    got[first] = [float(a) for a, _ in pairs]
                    got[second] = [float(b) for _, b in pairs]
                    quote = u.text
                    continue
                for m in re.finditer(r"\b([a-z])(?:_\{?[a-z]\}?)?\s*(?:=|:|is|are|goes(?: through)?|takes(?: the values)?|"
                                     r"becomes|runs through|follows|->|→)\s*\(?\s*((?:[-+]?\d+(?:\.\d+)?"
                                     r"\s*[,;]?\s*(?:\.\.\.|…)?\s*){3,})", u.low):
                    if m.group(1) in spec.variables:
                        got[m.group(1)] = [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?", m.group(2))]
                        quote = u.text
        if got:
            says = "; ".join(f"{v} = {', '.join(f'{x:g}' for x in got[v])}" for v in spec.variables if v in got)
            out.append(Assertion(spec.claim, "sequence", "sequence", quote, says, us[0].part if us else "",
                                 data={"sequences": got}))
    return out


# -- trends ----------------------------------------------------------------------------------------------
_RISE = re.compile(r"\b(?:increas\w*|rise\w*|rising|improv\w*|grows?|growing|goes up|higher|better|gains?|helps?|"
                   r"pays? off|benefits?)\b")
_PLAT = re.compile(r"\b(?:plateau\w*|saturat\w*|level\w* off|flatten\w*|stabili[sz]\w*|diminishing returns|stops? "
                   r"(?:improving|increasing|rising|growing|helping)|no (?:further |more )?(?:gain|improvement|benefit)s?|"
                   r"stays? (?:the same|flat|constant)|not (?:much )?(?:better|improv\w*))\b")
_FALL = re.compile(r"\b(?:decreas\w*|falls?|falling|drops?|dropping|declin\w*|worse|degrad\w*|overfit\w*|goes "
                   r"down|hurts?|deteriorat\w*)\b")
_PEAK = re.compile(r"\b(?:optimal|best|sweet spot|peaks?|maximum at|intermediate|moderate|middle)\b")
_AFTER = re.compile(r"\b(?:beyond|after|above|past|once|until|up to|from)\s+(?:about |around |roughly )?"
                    r"(?:h\s*[=≈~]?\s*\d+|\d+|a (?:certain |some )?(?:point|size)|some (?:point|size)|that)")
_MONO = re.compile(r"\b(?:always|keeps?|monotonic\w*|steadily|continu\w*|for all|without limit|indefinitely|"
                   r"the (?:bigger|larger|more|wider))\b")


def _series(spec: cues.TrendClaim, rows: list[list[str]]) -> tuple[list[float], list[float]] | None:
    """The (x, y) numbers of a table with a row (or column) named like the trend's x and one like its y."""
    def named(cells: list[str], pat: str) -> int | None:
        return next((k for k, c in enumerate(cells) if c.strip() and re.search(pat, c.strip().lower())), None)

    for table in (rows, [list(c) for c in zip(*rows)] if rows and len({len(r) for r in rows}) == 1 else []):
        firsts = [r[0] if r else "" for r in table]
        ix, iy = named(firsts, rf"^(?:{spec.x})"), named(firsts, rf"^(?:{spec.y})")
        if ix is None or iy is None or ix == iy:
            continue
        xs, ys = [_num(c) for c in table[ix][1:]], [_num(c) for c in table[iy][1:]]
        if len(xs) == len(ys) >= 3 and None not in xs and None not in ys:
            return xs, ys  # type: ignore[return-value]
    return None


def _table_shape(spec: cues.TrendClaim, rows: list[list[str]]) -> str | None:
    """rise / plateau / fall read off a table of y against increasing x (steps within 1% of y's range are flat)."""
    got = _series(spec, rows)
    if got is None:
        return None
    ys = [y for _, y in sorted(zip(*got))]
    tol = 0.01 * max(max(ys) - min(ys), 1e-12) + 1e-9
    top = max(range(len(ys)), key=lambda k: (ys[k], -k))
    rise = top > 0 and ys[top] - ys[0] > tol
    fall = ys[top] - ys[-1] > max(tol, 0.02 * abs(ys[top]))
    plat = not fall and abs(ys[-1] - ys[-2]) <= max(tol, 0.005 * abs(ys[-1]))
    return "-".join(n for n, on in (("rise", rise), ("plateau", plat), ("fall", fall)) if on) or None


def trends(question: str, us: list[Unit]) -> list[Assertion]:
    out: list[Assertion] = []
    for spec in cues.TRENDS:
        if not spec.claim.startswith(question.split("-", 1)[1] + "."):
            continue
        rise = plat = fall = mono = hedged = False
        quotes = []
        # a sentence without x or y ("It rises, then flattens out.") speaks of them when the sentence before did
        on_topic = False
        for u in us:
            low = u.low
            named = bool(re.search(spec.x, low) or re.search(spec.y, low))
            follows, on_topic = on_topic, named or (on_topic and u.rows is None)
            if u.rows is not None:
                shape = _table_shape(spec, u.rows)
                if shape:
                    rise, plat, fall = rise or "rise" in shape, plat or "plateau" in shape, fall or "fall" in shape
                    quotes.append(u.text)
                continue
            if not (named or follows and re.match(r"\s*(?:it|this|that|then|and|but)\b", low)):
                continue
            hit = False
            # a negated plateau ("never plateaus") is a rise; a negated rise ("stops increasing") a plateau
            for m in _PLAT.finditer(low):
                if negated(low, m.start(), m.end()) and not m.group(0).startswith(("no ", "not ", "stop")):
                    rise = mono = hit = True
                else:
                    plat = hit = True
            for m in _RISE.finditer(low):
                if _PLAT.search(low[max(0, m.start() - 20): m.end()]):
                    continue
                if negated(low, m.start(), m.end()):
                    plat = hit = True  # "does not keep increasing": it rose, then stopped
                    rise |= bool(_MONO.search(low[max(0, m.start() - 30): m.end() + 30]))
                else:
                    rise = hit = True
            for m in _FALL.finditer(low):
                if not negated(low, m.start(), m.end()):
                    fall = hit = True
            if _PEAK.search(low) and re.search(spec.x, low):  # "an intermediate h is best": rise, then fall
                rise = fall = hit = True
            if hit:
                quotes.append(u.text)
                mono |= bool(_MONO.search(low))
                hedged |= bool(_HEDGE.search(low))
        if not quotes:
            continue
        if (plat or fall) and not rise and any(_AFTER.search(x.lower()) for x in quotes):
            rise = True  # "beyond h = 32 it no longer improves": it rose up to there
        shape = "-".join(s for s, on in (("rise", rise), ("plateau", plat), ("fall", fall)) if on)
        stance: Stance = "assert" if shape in spec.claimed else ("deny" if shape == "rise" else "trend")
        words = {"rise": "keeps rising", "plateau": "plateaus", "fall": "falls", "rise-plateau":
                 "rises, then plateaus", "rise-fall": "rises, then falls", "rise-plateau-fall":
                 "rises, then plateaus or falls", "plateau-fall": "plateaus or falls", "rise-plateau-fall-": ""}
        says = f"accuracy {words.get(shape, shape)} with h" + (" (hedged)" if hedged else "")
        out.append(Assertion(spec.claim, "trend", stance, " ".join(quotes)[:400], says, us[0].part if us else "",
                             hedged, data={"shape": shape, "monotone": mono}))
    return out
