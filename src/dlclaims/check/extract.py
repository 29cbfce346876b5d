"""Extract what an answer asserts about each claim of its family.

One small extractor per claim kind:

* propositions (cues.PROPOSITIONS): a pattern in its positive literal form,
  flipped by a negation in its clause ("it is *not* the same function");
* complexity orders (cues.ORDERS): every O(...) parsed with sympy, attributed
  to a role (RNN / Transformer, softmax / Bob's) and an aspect (time,
  memory at training or test time) from its table cell or its clause;
* number sequences (cues.SEQUENCES): table rows or columns named after the
  variables, Markdown or tab-separated, or ``q = 1, 2, 1, ...`` in prose;
* trends (cues.TRENDS): rise / plateau / fall words, with negations and
  hedges ("may plateau or even decrease").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from . import cues
from .ocr import ocr_lower
from .orders import Order, find_bare_orders, find_orders, order_of, parse_order, show

Stance = Literal["assert", "deny", "nuance", "orders", "sequence", "trend"]


@dataclass
class Unit:
    """A sentence, or a table (rows of cells), of one answer part."""

    text: str  # as the sheet writes it
    low: str  # lower-cased, OCR-corrected
    part: str  # sub-part label
    rows: list[list[str]] | None = None

    @property
    def asks(self) -> bool:
        """A question (a copied prompt, or the student asking) asserts nothing."""
        return self.rows is None and self.text.rstrip(" *_)").endswith("?")


@dataclass
class Assertion:
    claim: str
    kind: Literal["proposition", "complexity", "sequence", "trend"]
    stance: Stance
    quote: str
    says: str
    part: str = ""
    hedged: bool = False
    data: dict[str, Any] = field(default_factory=dict)


# -- units ---------------------------------------------------------------------------------------------
_BULLET = re.compile(r"^\s*(?:[-*•·+]\s+|\d{1,2}[.)]\s+|\(?[a-h]\)\s+)")
_ROW = re.compile(r"^\s*\$?[a-zA-Z](?:_\{?\w\}?)?\$?\s*[:=]\s*\(?\s*[-+−]?\d+(?:\.\d+)?\s*[,;\s]\s*[-+−]?\d")
_TABLE_LINE = re.compile(r"^\s*\|.*\|?\s*$")
_SEP_ROW = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_ABBREV = re.compile(r"(?:\bw\.r\.t|\bw\.r\.t\.|\bresp|\bincl|\be\.g|\bi\.e|\bvs|\bcf|\betc|\bapprox|\bfig|\beq|\bresp|\bq|\bp|\bindep|\brecon|\bparams?|\bavg|\bdims?|\bconst|\bprob|\bdef)\.$",
                    re.IGNORECASE)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if "\t" in line and not line.startswith("|"):
        return [c.strip() for c in line.split("\t")]
    return [c.strip() for c in line.strip("|").split("|")]


def _sentences(par: str) -> list[str]:
    out, start = [], 0
    for m in re.finditer(r"(?<=[.!?])\s+(?=\S)", par):
        piece = par[start:m.start()]
        if _ABBREV.search(piece) or re.search(r"\d\.$", piece) and re.match(r"\d", par[m.end():]):
            continue
        out.append(piece)
        start = m.end()
    out.append(par[start:])
    return [s.strip() for s in out if s.strip()]


def units(text: str, part: str = "") -> list[Unit]:
    out: list[Unit] = []
    lines = text.split("\n")
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            joined = ""
            for x in para:  # "trans-" + "former" -> "transformer" (OCR line breaks)
                x = x.strip()
                joined = joined[:-1] + x if re.search(r"[a-z]-$", joined) and x[:1].islower() else \
                    (joined + " " + x if joined else x)
            for s in _sentences(joined):
                out.append(Unit(s, ocr_lower(s), part))
            para.clear()

    while i < len(lines):
        line = lines[i]
        is_tab = line.count("\t") >= 2 or (line.count("\t") >= 1 and re.search(r"\t\s*[-+]?\d", line))
        if _TABLE_LINE.match(line) and line.count("|") >= 2 or is_tab:
            flush()
            rows, raw = [], []
            while i < len(lines) and ((_TABLE_LINE.match(lines[i]) and lines[i].count("|") >= 2)
                                      or lines[i].count("\t") >= 1):
                if not _SEP_ROW.match(lines[i]):
                    rows.append(_cells(lines[i]))
                    raw.append(lines[i].strip())
                i += 1
            txt = "\n".join(raw)
            out.append(Unit(txt, ocr_lower(txt), part, rows))
            continue
        if not line.strip():
            flush()
        elif _ROW.match(line):  # "q : 1, 2, 1, ..." is a statement of its own
            flush()
            para.append(line)
            flush()
        else:
            if _BULLET.match(line):  # a bullet or numbered item starts a new statement
                flush()
            para.append(line)
        i += 1
    flush()
    return out


# -- negation ------------------------------------------------------------------------------------------
_NEG = re.compile(r"\b(?:not|no|never|neither|nor|cannot|fails? to|unable to|nothing|hardly|"
                  r"isn't|aren't|doesn't|don't|didn't|won't|wouldn't|can't|couldn't|shouldn't|hasn't|haven't|"
                  r"wasn't|weren't|lacks?|non)\b|n't\b")
_NOT_NEG = re.compile(r"\bnot (?:only|just|merely)\b|\bno matter\b|\bif not\b|\bnot necessarily\b|\bnothing but\b|"
                      r"\bno (?:less|fewer) than\b|\bnon[- ]?(?:linear|negative|zero|scalar|trivial|regulari)\w*")
_CLAUSE = re.compile(r"[,;:]|\s\(|\)\s|\b(?:but|while|whereas|although|though|however|since|because|so that|so|which|"
                     r"instead|unlike|whilst|then|and (?:has|have|is|are|does|do|it|they|so|then|thus|also))\b|\s-\s")
_HEDGE = re.compile(r"\b(?:may|might|could|possibly|perhaps|probably|likely|can|sometimes|eventually)\b")


_RETRACTED = re.compile(r"[^.!?]*?\b(?:but|however|yet)\b[^.!?]{0,20}?\b(?:that|this|it|which)(?: is|'s| was)\s+"
                        r"(?:simply |actually |in fact )?(?:false|wrong|incorrect|untrue|not (?:true|correct|right|the case)|"
                        r"a (?:misconception|myth|mistake))")


def retracted(low: str, end: int) -> bool:
    """'X, but that is false': the sentence states X only to deny it."""
    return bool(_RETRACTED.match(low, end))


def negated(low: str, start: int, end: int, *, span_only: bool = False) -> bool:
    """Odd number of negations in the clause of the match's end: from the last clause boundary inside the
    match, or else from the clause start before it (only inside the match with ``span_only``)."""
    cut = start if span_only else 0
    inside = [m.end() for m in _CLAUSE.finditer(low, start, end)]
    if inside:
        cut = inside[-1]
    elif not span_only:
        for m in _CLAUSE.finditer(low, 0, start):
            cut = m.end()
    span = _NOT_NEG.sub(lambda m: " " * len(m.group(0)), low[cut:end])
    return len(_NEG.findall(span)) % 2 == 1


# -- propositions ----------------------------------------------------------------------------------------
def _compiled() -> list[tuple[cues.Prop, list[re.Pattern], list[re.Pattern], list[tuple[re.Pattern, bool]],
                              list[re.Pattern]]]:
    global _PROPS
    if _PROPS is None:
        _PROPS = [(p, [re.compile(x) for x in p.pos], [re.compile(x) for x in p.neg],
                   [(re.compile(x), b) for x, b in p.nuance], [re.compile(x) for x in p.exclude])
                  for p in cues.PROPOSITIONS]
    return _PROPS


_PROPS = None


def propositions(question: str, us: list[Unit]) -> list[Assertion]:
    out: list[Assertion] = []
    for prop, pos, neg, nuance, excl in _compiled():
        if not prop.claim.startswith(question.split("-", 1)[1] + "."):
            continue
        for u in us:
            if u.rows is not None:
                continue
            low = u.low
            if any(x.search(low) for x in excl):
                continue
            stance: Stance | None = None
            spans: list[str] = []  # every matched statement: which parts of a claim the sentence names
            n_pos = 0
            for pat, need in nuance:
                m = pat.search(low)
                if m and negated(low, m.start(), m.end(), span_only=prop.span_negation) != need:
                    stance = "nuance"
                    break
            if stance is None:
                votes = []  # (length of match, asserts?): on a conflict the tighter statement wins
                for pats, sign in ((pos, True), (neg, False)):
                    first = True
                    for pat in pats:
                        m = pat.search(low)
                        if m and first:  # a "(?#fixed)" pattern carries its own negation: no flipping
                            flip = not pat.pattern.startswith("(?#fixed)") and negated(
                                low, m.start(), m.end(), span_only=prop.span_negation)
                            flip ^= retracted(low, m.end())
                            votes.append((m.end() - m.start(), sign != flip))
                            first = False
                        if m:
                            spans.append(m.group(0))
                            n_pos += sign
                if not votes:
                    continue
                stance = "assert" if min(votes)[1] else "deny"
            says = {"assert": prop.says_pos, "deny": prop.says_neg or f"not: {prop.says_pos}",
                    "nuance": prop.says_nuance}[stance]
            out.append(Assertion(prop.claim, "proposition", stance, _window(u, spans), says, u.part,
                                 bool(_HEDGE.search(low)), {"spans": spans, "n_pos": n_pos}))
    return out


def _window(u: Unit, spans: list[str], width: int = 300) -> str:
    """The sentence, or for a long run-on OCR sentence the words around what matched."""
    if len(u.text) <= width or not spans:
        return u.text
    k = u.low.find(spans[0])
    centre = (k + len(spans[0]) / 2) / max(len(u.low), 1) if k >= 0 else 0.5
    words = u.text.split()
    mid = int(centre * len(words))
    lo, hi = max(0, mid - 25), min(len(words), mid + 25)
    return ("… " if lo else "") + " ".join(words[lo:hi]) + (" …" if hi < len(words) else "")


# -- complexity ------------------------------------------------------------------------------------------
def _role(question: str, text: str) -> str | None:
    """The role named last in the text (a specific cue beats a generic one)."""
    best: tuple[int, int, str] | None = None
    for rank, (role, pats) in enumerate(cues.ROLE_CUES.get(question, {}).items()):
        for prio, pat in enumerate(pats):
            for m in re.finditer(pat, text):
                key = (-prio if question == "Q-linattn" else 0, m.end(), role)
                if best is None or key[:2] > best[:2]:
                    best = key
    return best[2] if best else None


def _n_roles(question: str, text: str) -> int:
    return sum(any(re.search(p, text) for p in pats) for pats in cues.ROLE_CUES.get(question, {}).values())


def _aspect(question: str, text: str) -> str | None:
    for aspect, pat in cues.ASPECT_CUES.get(question, ()):
        if re.search(pat, text):
            return aspect
    return None


_KIND = (("memory", r"memory|bytes|storage|space|cache\w*|activations|stor\w*"),
         ("time", r"(?<!test )(?<!test-)time\b|cost|comput\w*|flops|operations|runtime|speed"))
_PHASE = (("infer", r"infer\w*|test[- ]time|at test|generat\w*|decod\w*|sampling"),
          ("train", r"train\w*|forward|backward|backprop\w*"))


def _kind_phase(question: str, text: str, first: bool = False) -> tuple[str | None, str | None]:
    """(time|memory, train|infer) named in a context; for a whole sentence, the first of each it names."""
    if question != "Q-seq":
        return None, None
    out = []
    for table in (_KIND, _PHASE):
        hits = [(m.start() if first else -m.end(), name) for name, pat in table for m in [re.search(pat, text)
                                                                                       if first else _last(pat, text)]
                if m]
        out.append(min(hits)[1] if hits else None)
    return out[0], out[1]


def _last(pat: str, text: str) -> re.Match | None:
    m = None
    for m in re.finditer(pat, text):
        pass
    return m


def _join_aspect(question: str, kind: str | None, phase: str | None) -> str:
    if question != "Q-seq":
        return cues.DEFAULT_ASPECT[question]
    return f"{kind or 'time'}-{phase or 'train'}"


_STEPS = re.compile(r"sequential|\bsteps?\b|\bdepth\b|serial|critical path|longest path")
_BOTH = re.compile(r"\bboth\b|\bfor (?:each|either|all)\b|\bin (?:both|either)\b|\beach model")


def _symbols(question: str, us: list[Unit]) -> tuple[tuple[str, str], ...]:
    sym = dict(cues.SYMBOLS[question])
    if question == "Q-seq":
        letters = set("".join(re.findall(r"[a-zA-Z]", " ".join(i for u in us for _, _, i in find_orders(u.text)))))
        if "t" not in letters and "T" not in letters and "n" in letters and "d" in letters:
            sym.update({"n": "t", "N": "t", "d": "n", "D": "n"})  # n for length, d for width
    return tuple(sorted(sym.items()))


def complexity(question: str, us: list[Unit]) -> list[Assertion]:
    specs = [o for o in cues.ORDERS if o.question == question]
    if not specs:
        return []
    syms = _symbols(question, us)
    found: dict[tuple[str, str], tuple[Order, str, str]] = {}  # (aspect, role) -> (order, raw, quote)
    loose: list[tuple[str, Order, str, str]] = []
    partial: dict[tuple[str, str], tuple[dict[str, float], str, str]] = {}  # "quadratic in t" per (aspect, role)
    carry: tuple[str | None, str] = (None, "")  # the kind (time | memory) the previous sentence named, its part
    for u in us:
        if u.rows is not None:
            _orders_in_table(question, u, syms, found)
            continue
        prev_end = 0
        low = u.low
        kind, phase = _kind_phase(question, low, first=True)
        named_kind = kind
        if kind is None and carry[0] and carry[1] == u.part:  # "Memory: ... . At test time RNN O(ln), ..."
            kind = carry[0]
        carry = (named_kind, u.part)
        items = find_orders(u.text)
        spans = [(a, b) for a, b, _ in items]
        items = sorted(items + [x for x in find_bare_orders(u.text)
                                if not any(a <= x[0] < b for a, b in spans)])
        forced: str | None = None
        for k, (a, b, inside) in enumerate(items):
            order = parse_order(inside, syms)
            if order is None:
                continue
            before = u.text[prev_end:a].lower()
            after_end = items[k + 1][0] if k + 1 < len(items) else len(u.text)
            after = re.split(r"[,;.]", u.text[b:after_end].lower(), maxsplit=1)[0]
            lb, la = ocr_lower(before), ocr_lower(after)
            single = len(order) == 1 and len(next(iter(order))) == 1 and next(iter(order))[0][1] == 1
            if question == "Q-seq" and (_STEPS.search(la[:40]) or _STEPS.search(re.split(r"[,;:]", lb)[-1][-60:])
                                        or single and _STEPS.search(low)):
                prev_end = b  # O(t) sequential steps: not a cost (seq.sequential-steps reads it as words)
                continue
            order = _per_unit(question, order, la)
            clause = re.split(r"[,;]", lb)[-1]  # the role named in this clause, else right after the order
            role = _role(question, clause) or _role(question, la)
            if forced is not None:
                role, forced = forced, None
            elif role in cues.ROLE_CUES[question] and re.search(r"\bfrom\s*$", lb) and k + 1 < len(items) and \
                    re.fullmatch(r"\s*(?:to|into|->|→)\s*", u.text[b:items[k + 1][0]]):
                # "Bob's brings the cost from O(n^2 d) to O(n d^2)": the named role is where it goes
                forced = role
                role = next((r for r in cues.ROLE_CUES[question] if r != role), role)
            if role is None and _BOTH.search(la + " " + clause):
                role = "both"
            if role is None and len(items) == 1 and _n_roles(question, low) == 1:
                role = _role(question, low)
            k2, p2 = _kind_phase(question, ocr_lower(before))
            kind, phase = k2 or kind, p2 or phase
            aspect = _join_aspect(question, kind, phase)
            prev_end = b
            for r in (cues.ROLE_CUES[question] if role == "both" else [role] if role else []):
                found[(aspect, r)] = (order, inside, u.text)
            if role is None:
                loose.append((aspect, order, inside, u.text))
        _word_orders(question, u, syms, partial)
    names0 = tuple(sorted(set(dict(syms).values())))
    for aspect, order, inside, quote in loose:  # no role named: attribute by the claim's orders, if one fits
        keys = [key for spec in specs for key, c in spec.claimed.items()
                if key[0] == aspect and key not in found and order_of(c, names0) == order]
        if len(keys) == 1:
            found[keys[0]] = (order, inside, quote)
    out: list[Assertion] = []
    for spec in specs:
        names = tuple(sorted(set(dict(syms).values())))
        pieces = []
        for key, claimed in spec.claimed.items():
            if key not in found:
                continue
            order, raw, quote = found[key]
            c = order_of(claimed, names)
            t = order_of(spec.truth.get(key, claimed), names)
            pieces.append({"aspect": key[0], "role": key[1], "sheet": show(order), "raw": raw.strip(),
                           "claimed": show(c), "truth": show(t), "quote": quote,
                           "outcome": "claim" if order == c else ("truth" if order == t else "other"),
                           "exponents": {k: v for m in order for k, v in m} if len(order) == 1 else None})
        for key, claimed in spec.claimed.items():
            if key in found or key not in partial:
                continue
            exps, words, quote = partial[key]
            c = order_of(claimed, names)
            t = order_of(spec.truth.get(key, claimed), names)
            cx = {k: _exp(c, k) for k in exps}
            tx = {k: _exp(t, k) for k in exps}
            pieces.append({"aspect": key[0], "role": key[1], "sheet": words, "raw": words, "claimed": show(c),
                           "truth": show(t), "quote": quote,
                           "outcome": "claim" if exps == cx else ("truth" if exps == tx else "other"),
                           "exponents": exps, "words": True})
        if pieces:
            quotes = list(dict.fromkeys(p["quote"] for p in pieces))
            says = "; ".join(f"{p['role']} {p['aspect']}: " + (p["sheet"] if p.get("words") else f"O({p['sheet']})")
                             for p in pieces)
            out.append(Assertion(spec.claim, "complexity", "orders", " / ".join(quotes)[:400], says, us[0].part if us
                                 else "", data={"pieces": pieces}))
    return out


_PER = re.compile(r"^\s*(?:per|for (?:each|every|one|a single)|in (?:each|every)|of (?:each|every)|each)\s+"
                  r"(?:single\s+|new\s+)?(layer|(?:time[- ]?)?step|token|position|word)\b")


def _per_unit(question: str, order: Order, after: str) -> Order:
    """'O(t^2 n) per layer' is O(l t^2 n) in all; 'O(l n^2) per step' is O(t l n^2) (Q-seq's symbols)."""
    m = _PER.match(after) if question == "Q-seq" else None
    if m is None:
        return order
    sym = "l" if m.group(1) == "layer" else "t"
    if any(sym in dict(mono) for mono in order):
        return order
    return frozenset(tuple(sorted(mono + ((sym, 1.0),))) for mono in order)


def _exp(order: Order, sym: str) -> float:
    """The leading exponent of one symbol in an order (the largest over its monomials)."""
    return max((dict(m).get(sym, 0.0) for m in order), default=0.0)


_DEGREE = {"constant": 0.0, "linear": 1.0, "linearly": 1.0, "quadratic": 2.0, "quadratically": 2.0, "cubic": 3.0,
           "cubically": 3.0}
_WORD_ORDER = re.compile(r"\b(constant|linear(?:ly)?|quadratic(?:ally)?|cubic(?:ally)?)\s+(?:in|with|w\.?r\.?t\.?|wrt|"
                         r"on)\s+(?:the\s+)?(sequence\s+length|length|(?:hidden\s+)?width|hidden\s+size|(?:number\s+of\s+)?"
                         r"(?:layers|tokens)|depth|head\s+dim\w*|dimension|[a-z]\b)")
_SYM_WORDS = {"Q-seq": {"sequence length": "t", "length": "t", "width": "n", "hidden width": "n", "hidden size": "n",
                        "layers": "l", "number of layers": "l", "depth": "l", "tokens": "t", "number of tokens": "t"},
              "Q-linattn": {"sequence length": "n", "length": "n", "tokens": "n", "number of tokens": "n",
                            "head dim": "d", "dimension": "d", "width": "d"}}


def _word_orders(question: str, u: Unit, syms, partial) -> None:
    """'quadratic in t', 'linear in the width': one exponent per symbol, attributed like an O(...)."""
    sym = dict(syms)
    prev = 0
    for m in _WORD_ORDER.finditer(u.low):
        what = re.sub(r"\s+", " ", m.group(2))
        what = re.sub(r"^head dim\w*", "head dim", what)
        s = _SYM_WORDS.get(question, {}).get(what) or (sym.get(what) if len(what) == 1 else None)
        if s is None:
            continue
        before = u.low[prev:m.start()]
        role = _role(question, before) or _role(question, u.low[:m.start()])
        prev = m.end()
        k2, p2 = _kind_phase(question, u.low[:m.start()])
        aspect = _join_aspect(question, k2, p2)
        for r in (cues.ROLE_CUES[question] if role is None and _BOTH.search(before) else [role] if role else []):
            exps, words, _ = partial.get((aspect, r), ({}, "", u.text))
            exps[s] = _DEGREE[m.group(1)]
            partial[(aspect, r)] = (exps, (words + ", " if words else "") + m.group(0), u.text)


def _orders_in_table(question: str, u: Unit, syms, found) -> None:
    rows = u.rows or []
    if len(rows) < 2:
        return
    header = [ocr_lower(c) for c in rows[0]]
    col_roles = [_role(question, h) for h in header]
    headless = any(parse_order(i, syms) for c in rows[0][1:] for _, _, i in find_orders(c))  # no header row
    if headless:
        header, col_roles = [""] * len(header), [None] * len(header)
    for r in (rows if headless else rows[1:]):
        row_label = ocr_lower(r[0]) if r else ""
        row_role = _role(question, row_label)
        for j, cell in enumerate(r[1:], start=1):
            items = find_orders(cell) or ([(0, len(cell), cell.strip("$ "))] if cell.strip() else [])
            for _, _, inside in items:
                order = parse_order(inside, syms)
                if order is None:
                    continue
                role = col_roles[j] if j < len(col_roles) and col_roles[j] else row_role
                ctx = row_label if col_roles[j:j + 1] and col_roles[j] else (header[j] if j < len(header) else "")
                aspect = _aspect(question, ctx) or _aspect(question, ctx + " " + header[0] if header else ctx) \
                    or cues.DEFAULT_ASPECT[question]
                if role:
                    found[(aspect, role)] = (order, inside, u.text)


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
            if u.rows is not None or not (named or follows and re.match(r"\s*(?:it|this|that|then|and|but)\b", low)):
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


def extract(question: str, parts: list[tuple[str, str]]) -> list[Assertion]:
    """Every assertion an answer (its (part label, text) pairs) makes about its family's claims."""
    every = [u for label, text in parts for u in units(text, label)]
    us = [u for u in every if not u.asks]
    found = complexity(question, us) + sequences(question, every) + trends(question, us)
    have = {a.claim for a in found}
    props = [a for a in propositions(question, us) if a.claim not in have or a.stance == "nuance"]
    merged: dict[str, Assertion] = {a.claim: a for a in found}
    by_claim: dict[str, list[Assertion]] = {}
    for a in props:
        by_claim.setdefault(a.claim, []).append(a)
    for claim, lst in by_claim.items():
        nuance = [a for a in lst if a.stance == "nuance"]
        if claim in merged and nuance:
            merged[claim].data["nuance"] = nuance[0].quote
            continue
        if nuance:
            merged[claim] = nuance[0]
            continue
        n_assert = sum(a.stance == "assert" for a in lst)
        n_deny = len(lst) - n_assert
        pick = [a for a in lst if a.stance == ("assert" if n_assert > n_deny else "deny" if n_deny > n_assert
                                               else lst[-1].stance)]
        a = pick[0]
        if len(pick) > 1:
            a.quote = " ".join(dict.fromkeys(p.quote for p in pick))[:400]
            a.data["spans"] = [s for p in pick for s in p.data.get("spans", [])]
            a.data["n_pos"] = sum(p.data.get("n_pos", 0) for p in pick)
        merged[claim] = a
    order = {c: i for i, c in enumerate(p.claim for p in cues.PROPOSITIONS)}
    return sorted(merged.values(), key=lambda a: (a.part, order.get(a.claim, -1)))
