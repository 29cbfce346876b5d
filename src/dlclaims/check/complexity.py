"""Complexity orders in an answer: every O(...) (or bare product, or 'quadratic in t') parsed with sympy, and
attributed to a role (RNN / Transformer, softmax / Bob's) and an aspect (time, memory at training or test time)
from its table cell or its clause.

Sentences are read through the LaTeX parser (latex.py: ``$\\mathcal{O}(t \\cdot l \\cdot n^{2})$``,
``O(t·l·n²)``, OCR's ``t \\ln^2``); the letters follow the sheet's own definitions ("n is the sequence length")
before the family's defaults (structure.toml); "a layer costs ..." and an order without l are per layer; a
parenthetical after an order ("(each step multiplies by an n x n matrix)") neither hides it nor makes it a count
of steps; cue words are read OCR-repaired (``context``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from . import cues, structure
from .fuzzy import closest
from .latex import plain_math
from .ocr import ocr_digits, ocr_lower
from .orders import Order, find_bare_orders, find_orders, order_of, parse_order, show
from .stance import REPORTED, framed_spans
from .units import Assertion, Unit

# -- complexity ------------------------------------------------------------------------------------------
_BUT = re.compile(r"\b(?:but|however|yet)\b")
_ITEM_LABEL = re.compile(r"\s*(?:[-*•+]\s+|\d+[.)]\s+)?([^:.;,]{2,30}):\s")  # "- transformer: ..." (lower-cased)
_ITEM_START = re.compile(r"\s*(?:[-*•+]|\d+[.)])\s")  # a new line item
LABEL_WORDS = 6  # a sentence this short that names a kind ("Memory at test time:") labels the ones after it
# ... as does a sentence that opens with a kind's label ("Memory: for backward we keep every activation ...")
_KIND_LABEL = re.compile(r"^\W*(?:memory|space|storage|time|run ?time|compute)\b[^:.]{0,25}:")
_INCOMPLETE = re.compile(r"\b(?:not (?:just|only|merely|simply)|more than(?: just)?)\s*$")
_AGREES = re.compile(r"[\s,]*(?:i think |in fact |indeed )?(?:that|this|it)(?:'s| is| holds| was)\s+(?:right|correct|true|"
                     r"fine|accurate)\b")
_FOR_PREVIOUS = re.compile(r"\s*(?:for|of|in)\s+(?:the\s+|an?\s+)?[\w-]+(?:'s)?\s*(?:,\s*)?(?:and|while|but|vs\.?|versus)?\s*$")
_FOR_ROLE = re.compile(r"\s*(?:for|of|in)\s+(?:the\s+|an?\s+)?[\w-]+")
def _role_hits(question: str, text: str) -> list[tuple[tuple[int, int], str, int]]:
    """Every role cue in the text: ((priority, end), role, start); a specific cue ranks above a generic one (Q-linattn),
    then the later one."""
    return [((-prio if question == "Q-linattn" else 0, m.end()), role, m.start())
            for role, pats in cues.ROLE_CUES.get(question, {}).items()
            for prio, pat in enumerate(pats) for m in re.finditer(pat, text)]


def _role(question: str, text: str) -> str | None:
    """The role named last in the text (a specific cue beats a generic one)."""
    hits = _role_hits(question, text)
    return max(hits, key=lambda h: h[0])[1] if hits else None


# the object of a comparison: "the same function as (normal) softmax attention", "cheaper than the RNN" ("vs softmax
# -> O(n^2 d)" names the model whose order follows: not an object here)
_COMPARED_TO = re.compile(r"\b(?:(?:the )?sa(?:m|rn)e \w+ as|as \w+ as|\w+er than|(?:more|less) \w+ than)\s+"
                         r"(?:the\s+|a\s+|an\s+)?(?:\w+\s+){0,2}$")


def _subject_role(question: str, text: str) -> str | None:
    """The role a clause is about: its last named role that is not the object of a comparison ("his layer computes
    the same function as normal softmax attention": not softmax); where every role it names is such an object, the
    family's other role (two roles: the clause compares the other one with it)."""
    hits = _role_hits(question, text)
    if not hits:
        return None
    own = [h for h in hits if not _COMPARED_TO.search(text[max(0, h[2] - 40):h[2]])]
    if own:
        return max(own, key=lambda h: h[0])[1]
    roles = list(cues.ROLE_CUES.get(question, {}))
    obj = max(hits, key=lambda h: h[0])[1]
    return next((r for r in roles if r != obj), None) if len(roles) == 2 else obj


def _n_roles(question: str, text: str) -> int:
    return sum(any(re.search(p, text) for p in pats) for pats in cues.ROLE_CUES.get(question, {}).values())


def _aspect(question: str, text: str) -> str | None:
    for aspect, pat in cues.ASPECT_CUES.get(question, ()):
        if re.search(pat, text):
            return aspect
    return None


_KIND = (("memory", r"memory|bytes|storage|space|cache\w*|activations|\bstor(?:e|es|ed|ing)\b|"  # not "story"
                    r"\b(?:keeps?|kept|holds?)\b[^.,;]{0,25}\b(?:states?|cache|activations)\b|\bremember\w*"),
         ("time", r"(?<!test )(?<!test-)time\b|cost|comput\w*|flops|operations|runtime|speed"))
_PHASE = (("infer", (r"infer\w*|test[- ]time|at test|\btest\b(?![- ]?(?:set|accura|data|loss|error))|generat\w*|"
                   r"decod\w*|sampling|\bkv[- ]?cach\w*|"
                   # the cache of a decoding Transformer: "keeps all keys and values"
                   r"\b(?:keeps|stores|caches) (?:all )?(?:the )?(?:past )?keys and values\b")),
          ("train", r"train\w*|forward[- ](?:pass|and)|backward|backprop\w*"))  # not "carries h_t forward"


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


_ROLE_CLAUSE = re.compile(r"[,;]|\b(?:while|whereas|but|unlike)\b")  # the clause an order's role is read in
_PARTIAL_AFTER = re.compile(r"\s*(?:alone\b|by itself\b|on its own\b|is (?:only|just) (?:the )?(?:leading|dominant|"
                            r"largest|biggest|main) (?:term|part)|(?:only|just) dominates\b)")
_COMPONENT = re.compile(r"\b(?:part|term|component|sub-?layers?|feed[- ]?forward|ffn|mlp|projections?)\b")
# "..., O(T^2 d), but the projections add O(T d^2)": an order added to the one before it, for the same model
_ADDED = re.compile(r"\b(?:adds?|plus|on top(?: of (?:that|it|this))?|in addition|additionally|another)\s*$")
# "O(t) sequential steps": the order counts steps, not cost (what a parenthetical after it says does not count)
_STEP_WORDS = r"sequential|\bsteps?\b|\bdepth\b|serial|critical path|longest path"
_STEPS = re.compile(rf"\s*(?:\S+\s+){{0,2}}?(?:{_STEP_WORDS})")
_STEPS_BEFORE = re.compile(rf"(?:{_STEP_WORDS})[^.]{{0,25}}$")
_STEP_ROW = re.compile(_STEP_WORDS)  # a table row that counts steps ("sequential steps | O(T) | O(l)")
_TIME_WORDS = re.compile(dict(_KIND)["time"])  # ... unless it names a cost too
_PAREN = re.compile(r"(?<!\w)\([^()]{3,}\)")  # a remark in brackets; not a name's arguments ("softmax(q/sqrt d)")
_SHAPE = re.compile(r"\s*(?:\S+\s+)?(?:matri(?:x|ces)|tensors?|arrays?|grids?|blocks?|weights?|shape)\b")  # "an n x n matrix"
_SQUARE = re.compile(r"([a-zA-Z])\s*\*\s*\1")  # "W is n×n", "QK^T is T×T": a square matrix's shape, not a cost
_BOTH = re.compile(r"\bboth\b|\bfor (?:each|either|all)\b|\bin (?:both|either)\b|\beach model")


def _math(text: str) -> str:
    """The order-reading form of a sentence: LaTeX and Unicode math to plain text (latex.py); an OCR'd
    ``t \\ln^2`` is ``t l n^2``."""
    text = re.sub(r"(?<=[A-Za-z])\s*\\ln\b", " l n", text)
    return re.sub(r"(?<=[A-Za-z])_(?=[A-Za-z]{2,})", " ", plain_math(text))  # Memory_test: a word, not a symbol


@lru_cache(maxsize=64)
def _definition_patterns(question: str) -> tuple[tuple[re.Pattern, str, bool], ...]:
    """(pattern, symbol, forward?) per meaning of the family: forward "n = sequence length", reverse "sequence
    length (n)", and a letter before the noun it counts ("N tokens"); compiled once."""
    out = []
    for forward in (True, False):
        for sym, pats in structure.load().meanings.get(question, {}).items():
            m_ = rf"(?:the |a |an )?(?:{'|'.join(pats)})"
            if forward:
                rx = (rf"(?<![\w\\])([a-zA-Z])\$?\s*(?:(?:is|be|=|:|denotes?|for|as|stands for|represents?|"
                      rf"refers to|being|will be|-+)\s*|(?=the\s)){m_}\b")
            else:
                # the letter is a word of its own: "feature dimension" does not define its last "n"
                rx = rf"\b{m_}\s*\(?\s*\$?\b([a-zA-Z])\$?\s*\)?(?![\w(=])(?!\s*=)"
            out.append((re.compile(rx, re.IGNORECASE), sym, forward))
    # last: a letter before the noun it counts ("N tokens", "over n tokens", "L layers")
    for sym, nouns in structure.load().counts.get(question, {}).items():
        rx = rf"(?<![\w\\^_(])\$?([a-zA-Z])\$?\s+(?:{'|'.join(nouns)})\b"
        out.append((re.compile(rx), sym, False))
    return tuple(out)


# the long cue words an OCR misread of which would hide a role, an aspect or a phase; short or common words are
# never corrected ("later" stays "later", not "layer"; "current" stays "current", not "recurrent")
_CUE_WORDS = ("recurrent", "transformer", "transformers", "attention", "self-attention", "inference", "sequential",
              "generation", "generating", "decoding", "training", "backpropagation", "complexity", "computation",
              "operations", "activations", "parallel", "softmax", "feed-forward", "memory", "storage")


@lru_cache(maxsize=32768)
def _fix(word: str) -> str:
    if word in _CUE_WORDS or len(word) < 7:
        return word
    m_for_rn = word.replace("rn", "m")  # OCR reads m as rn: one misreading, two edits ('rnemory', 'mernory')
    if m_for_rn in _CUE_WORDS:
        return m_for_rn
    return closest(word, _CUE_WORDS, max_edits=1 if len(word) < 10 else 2) or word


@lru_cache(maxsize=16384)
def context(text: str) -> str:
    """Lower-cased plain text with OCR-damaged cue words repaired (fuzzy.py: 'transfomer' -> 'transformer',
    never 'current' -> 'recurrent'), the text the role, aspect and step cues are read in."""
    low = _math(text).lower()
    low = re.sub(r"(?<![a-z0-9])[0o](?=\s*\()", "o", low)  # O(...) read as 0(...)
    return re.sub(r"[a-z01-]{7,}", lambda m: _fix(m.group(0).replace("0", "o").replace("1", "l"))
                  if re.search(r"[a-z]", m.group(0)) and not m.group(0).isdigit() else m.group(0), low)


def definitions(question: str, texts: list[str]) -> dict[str, str]:
    """Letters a sheet defines by a meaning the family knows ("let n be the sequence length", "sequence length
    (n)", "d: hidden size") -> the family's symbol for that meaning (structure.toml's meanings); a forward
    definition anywhere wins over a reverse one."""
    out: dict[str, str] = {}
    pats = _definition_patterns(question)
    if not pats:
        return out
    plains = [_math(t) for t in texts]
    # then the OCR-corrected, lower-cased text ("n = sequence 1ength"): it fills only letters the text as written
    # left undefined in either case
    fixed = [o for o in (ocr_lower(p) for p in plains) if o not in plains]
    for texts_, as_written in ((plains, True), (fixed, False)):
        for rx, sym, _forward in pats:  # forward patterns come first
            for plain in texts_:
                for m in rx.finditer(plain):
                    c = m.group(1)
                    if c.lower() not in ("a", "i", "o") and (as_written or c.swapcase() not in out):
                        out.setdefault(c, sym)
    return out


def _symbols(question: str, us: list[Unit]) -> tuple[tuple[str, str], ...]:
    sym = dict(cues.SYMBOLS[question])
    defined = definitions(question, [u.text for u in us if u.rows is None])
    if question == "Q-seq" and not set(defined) & set("nNdD"):
        letters = set("".join(re.findall(r"[a-zA-Z]", " ".join(i for u in us for _, _, i in
                                                                  find_orders(_math(u.text))))))
        if "t" not in letters and "T" not in letters and "n" in letters and "d" in letters:
            sym.update({"n": "t", "N": "t", "d": "n", "D": "n"})  # n for length, d for width
    # the sheet's own definitions win; a letter in the other case follows unless defined itself
    for letter, target in defined.items():
        sym[letter] = target
        other = letter.swapcase()
        if other not in defined:
            sym[other] = target
    return tuple(sorted(sym.items()))


class _Before(NamedTuple):
    """What a sentence leaves for the next one of its part (``complexity``)."""

    part: str
    role: str | None  # the model of the last order read so far in the part
    named: str | None  # the one model the sentence named, where it gave no order of its own
    lead: str | None  # its (lower-cased) words, where it stops where its display formula starts


# a sentence that stops where its formula starts (the formula is a display of its own): "The honest total is"
_LEAD_IN = re.compile(r"\b(?:is|are|becomes?|gives?|comes? to|equals?|total|overall)\s*:?\s*$")
_TOTAL = re.compile(r"\b(?:in total|total|overall|altogether|(?:one|a|each|per|every) layer|the (?:whole )?(?:network|"
                    r"stack|model))\b")


def complexity(question: str, us: list[Unit]) -> list[Assertion]:
    specs = [o for o in cues.ORDERS if o.question == question]
    if not specs:
        return []
    syms = _symbols(question, us)
    found: dict[tuple[str, str], tuple[Order, str, str]] = {}  # (aspect, role) -> (order, raw, quote)
    loose: list[tuple[str, Order, str, str, str | None]] = []  # ..., the one model the sentence names (or None)
    partial: dict[tuple[str, str], tuple[dict[str, float], str, str]] = {}  # "quadratic in t" per (aspect, role)
    carry: tuple[str | None, str] = (None, "")  # the kind (time | memory) the previous sentence named, its part
    item_role: str | None = None  # the model a line item is labelled with ("- Transformer: ...") for its sentences
    prev: _Before | None = None  # what the sentence before left for this one
    for u in us:
        if u.rows is not None:
            _orders_in_table(question, u, syms, found)
            item_role = None
            continue
        prev_end = 0
        text = _math(u.text)
        low = context(u.text)
        n_named = _n_roles(question, low)  # how many models the sentence names
        one_named = _role(question, low) if n_named == 1 else None
        label = _ITEM_LABEL.match(low)
        if label or _ITEM_START.match(u.text):
            item_role = _role(question, label.group(1)) if label and _n_roles(question, label.group(1)) == 1 else None
        kind, phase = _kind_phase(question, low, first=True)
        named_kind = kind
        if kind is None and carry[0] and carry[1] == u.part:  # "Memory: ... . At test time RNN O(ln), ..."
            kind = carry[0]
        framed = framed_spans(text.lower())  # "you might be tempted to write O(t^2 l n), but ...": not the sheet's
        items = find_orders(text)
        spans = [(a, b) for a, b, _ in items]
        items = sorted(items + [x for x in find_bare_orders(text)
                                if not any(a <= x[0] < b for a, b in spans) and not _SHAPE.match(text, x[1])
                                and not _SQUARE.fullmatch(x[2])])
        # the kind carries on from a sentence that gives orders or is a label ("Memory:"), not from a remark
        # ("transformer + KV cache 0.35 s ...": a timing, no memory order)
        carry = (named_kind if items or len(low.split()) <= LABEL_WORDS or _KIND_LABEL.match(low) else None, u.part)
        forced: str | None = None
        last_role: str | None = None  # a total that names no model ("so one layer is O(...)") is the last named one's
        same_part = prev is not None and prev.part == u.part
        lead = prev.lead if same_part and prev.role is not None else None
        if lead is not None:
            last_role = prev.role  # ... also where the words before a display formula end its sentence's unit
        for k, (a, b, inside) in enumerate(items):
            order = parse_order(inside, syms)
            if order is None:
                continue
            before = (lead + " " if lead is not None and k == 0 else "") + text[prev_end:a].lower()
            after_end = items[k + 1][0] if k + 1 < len(items) else len(text)
            after = re.split(r"[,;.]", _PAREN.sub(" ", text[b:after_end].lower()), maxsplit=1)[0]
            lb, la = context(before), context(after)
            single = len(order) == 1 and len(next(iter(order))) == 1 and next(iter(order))[0][1] == 1
            if question == "Q-seq" and (_STEPS.match(la) or _STEPS_BEFORE.search(re.split(r"[,;:]", lb)[-1][-60:])
                                        or single and _STEPS.search(_PAREN.sub(" ", low))):
                prev_end = b  # O(t) sequential steps: not a cost (seq.sequential-steps reads it as words)
                continue
            if any(x <= a < y for x, y in framed):
                prev_end = b
                continue
            if _INCOMPLETE.search(before) or _PARTIAL_AFTER.match(ocr_digits(after.lower())):
                prev_end = b  # "not just t^2 l n", "t^2 l n alone", "... is only the leading term": not the total
                continue
            but = _BUT.search(text[b:].lower())
            if REPORTED.search(re.split(r"[.;:]", lb)[-1]) and but and not _AGREES.match(text[b + but.end():].lower()):
                # "people quote O(t^2 l n) for the Transformer, but ...": someone else's order, not the sheet's; a
                # corrected O(...) after the "but" is the sheet's, for the same model
                if any(x[0] >= b for x in spans):
                    forced = _role(question, re.split(r"[,;]", lb)[-1]) or _role(question, la) or forced
                prev_end = b
                continue
            per = _PER.match(la)
            if question != "Q-seq" and (per and per.group(1) != "layer" or _DECODING.search(low)):
                prev_end = b  # "O(nd) per token during inference": one decoding step, not the family's cost
                continue
            unit = _UNIT_BEFORE.search(lb) if _BARE_EACH.match(la) else None
            if unit:  # "one update per token, L n^2 each": each token's cost
                la = f"per {unit.group(1)}"
            order = _per_unit(question, order, la)
            # the role named in this clause (the last one with words: "the transformer is the same, O(l n)"), else
            # right after the order
            clause = next((c for c in reversed(re.split(r"[,;]", lb)) if re.search(r"[a-z]{2}", c)), "")
            if question == "Q-seq" and _LAYER_SUBJECT.search(clause):  # "a self-attention layer costs O(t^2 n)"
                order = _per_unit(question, order, "per layer")
            # the role is read after a contrast word too ("Bob's layer is linear in n while the usual one is O(n^2 d)")
            named = next((r for c in reversed(_ROLE_CLAUSE.split(clause)) if (r := _subject_role(question, c))), None)
            role = named or _role(question, la) or \
                (last_role if (k > 0 or lead is not None) and _TOTAL.search(clause) else None)
            if k > 0 and _FOR_PREVIOUS.match(before) and _FOR_ROLE.match(la) and _role(question, la):
                # "X for the RNN and Y for the Transformer": the role before Y is X's; Y's comes after it
                role = _role(question, la)
            if forced is not None:
                role, forced = forced, None
            elif role in cues.ROLE_CUES[question] and re.search(r"\bfrom\s*$", lb) and k + 1 < len(items) and \
                    re.fullmatch(r"\s*(?:to|into|->|→)\s*", text[b:items[k + 1][0]]):
                # "Bob's brings the cost from O(n^2 d) to O(n d^2)": the named role is where it goes
                forced = role
                role = next((r for r in cues.ROLE_CUES[question] if r != role), role)
            added = k > 0 and bool(_ADDED.search(lb.rstrip(" ($")))
            if role is None and added and last_role is not None:
                role = last_role  # "... O(T^2 d), but the projections add O(T d^2)": the same model's
            if role is None and _BOTH.search(la + " " + re.split(r"[;:.]", lb)[-1]):  # "same for both, O(tln)"
                role = "both"
            if role is None and len(items) == 1 and one_named:
                role = one_named
            if role is None and not n_named:
                role = item_role  # "- Transformer: not just t^2 l n. ... -> l(t^2 n + t n^2)"
            k2, p2 = _kind_phase(question, context(before))
            kind, phase = k2 or kind, p2 or phase
            aspect = _join_aspect(question, kind, phase)
            prev_end = b
            part_of = _COMPONENT.search(lb) or added  # "the feed-forward part is also O(t l n^2)": a term of the total
            for r in (cues.ROLE_CUES[question] if role == "both" else [role] if role else []):
                if part_of and (aspect, r) in found:
                    total, raw0, quote0 = found[(aspect, r)]
                    found[(aspect, r)] = (_plus(*_same_units(question, total, order)), f"{raw0} + {inside}",
                                          quote0 if quote0 == u.text else f"{quote0} {u.text}")
                elif (aspect, r) in found and (a, b) not in spans and len(order) < len(found[(aspect, r)][0]):
                    pass  # a bare term named later ("the T d^2 part comes from ...") is part of the total given
                else:
                    found[(aspect, r)] = (order, inside, u.text)
            last_role = role or last_role
            if role is None:  # the one model this sentence names, else the one the sentence before named with no
                # order of its own ("EDIT: the TA flagged my Transformer cell. ... per layer it's really t^2 n + t n^2")
                loose.append((aspect, order, inside, u.text, one_named,
                              prev.named if not n_named and same_part else None))
        prev = _Before(u.part, last_role or (prev.role if same_part else None), None if items else one_named,
                       low if not items and _LEAD_IN.search(low) else None)
        _word_orders(question, u, syms, partial)
    names0 = tuple(sorted(set(dict(syms).values())))
    for aspect, order, inside, quote, named, before in loose:  # no role named: by the claim's orders, if one fits
        keys = [key for spec in specs for key, c in spec.claimed.items()
                if key[0] == aspect and key not in found and order_of(c, names0) == order]
        if len(keys) == 1:
            found[keys[0]] = (order, inside, quote)
        elif not keys and named is not None and len(order) > len(found.get((aspect, named), (frozenset(),))[0]):
            # a total that fits no claim, in a sentence about one model ("For the transformer ..., so the total is
            # O(l (T^2 n + T n^2))"): that model's, over a single term read before it
            found[(aspect, named)] = (order, inside, quote)
        elif not keys and named is None and before is not None and (aspect, before) in found and \
                found[(aspect, before)][0] < order:
            # a sentence naming no model, after one that names a model and gives no order: a total that extends the
            # order read for that model ("EDIT: the TA flagged my Transformer cell. ... per layer it's really
            # t^2 n + t n^2" over the table's t^2 l n) is that model's
            found[(aspect, before)] = (order, inside, quote)
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
            per = structure.load().per_symbol.get(question)
            assumed = bool(per and _exp(c, per) and not _exp(order, per))
            if assumed:  # "self-attention is O(n^2 d + n d^2)": an order without l is the cost of one layer
                order = frozenset(tuple(sorted(m + ((per, 1.0),))) for m in order)
            pieces.append({"aspect": key[0], "role": key[1], "sheet": show(order), "raw": raw.strip(),
                           "claimed": show(c), "truth": show(t), "quote": quote,
                           "outcome": "claim" if order == c else ("truth" if order == t else "other"),
                           "exponents": {k: v for m in order for k, v in m} if len(order) == 1 else None,
                           **({"per_layer_assumed": True} if assumed else {})})
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


_DECODING = re.compile(r"\b(?:during|at|for|in) (?:the )?(?:inference|decoding|generation|test[- ]time)|\bper "
                       r"(?:decoding )?(?:step|token)\b|\beach (?:decoding |generation )?step\b")
_LAYER_SUBJECT = re.compile(r"\b(?:a|one|each|every|per|single|a single|for one)\s+(?:[\w-]+\s+){0,2}layers?\b"
                            r"(?![- ]?(?:s|norm|wise))|\blayer[- ]wise\b")
_UNIT = r"(?:single\s+|new\s+)?(layer|(?:time[- ]?)?step|token|position|word)\b"  # what a cost is per
_PER = re.compile(r"^\s*(?:per|for (?:each|every|one|a single)|in (?:each|every)|of (?:each|every)|each)\s+" + _UNIT)


_BARE_EACH = re.compile(r"\s*each\b\s*(?:[,;.)]|$)")  # "..., L n^2 each, so ...": per the unit named before it
_UNIT_BEFORE = re.compile(r"\b(?:per|each|every)\s+" + _UNIT)


def _per_unit(question: str, order: Order, after: str) -> Order:
    """'O(t^2 n) per layer' is O(l t^2 n) in all; 'O(l n^2) per step' is O(t l n^2) (Q-seq's symbols)."""
    m = _PER.match(after) if question == "Q-seq" else None
    if m is None:
        return order
    sym = "l" if m.group(1) == "layer" else "t"
    if any(sym in dict(mono) for mono in order):
        return order
    return frozenset(tuple(sorted(mono + ((sym, 1.0),))) for mono in order)


def _same_units(question: str, a: Order, b: Order) -> tuple[Order, Order]:
    """Two terms of one total in the same units: where one is per layer (no l) and the other has l in every
    monomial ("O(t^2 n)" for the scores, "O(t n^2) per layer" made O(l t n^2)), the per-layer one times l."""
    per = structure.load().per_symbol.get(question)
    if not per:
        return a, b
    has = [all(per in dict(m) for m in o) for o in (a, b)]
    none = [not any(per in dict(m) for m in o) for o in (a, b)]
    times = lambda o: frozenset(tuple(sorted(m + ((per, 1.0),))) for m in o)  # noqa: E731
    if has[0] and none[1]:
        return a, times(b)
    if has[1] and none[0]:
        return times(a), b
    return a, b


def _plus(a: Order, b: Order) -> Order:
    """The leading monomials of the sum of two orders (a term another dominates is dropped)."""
    monos = [dict(m) for m in a | b]
    keep = [m for m in monos if not any(o != m and all(o.get(k, 0) >= v for k, v in m.items()) for o in monos)]
    return frozenset(tuple(sorted(m.items())) for m in keep)


def _exp(order: Order, sym: str) -> float:
    """The leading exponent of one symbol in an order (the largest over its monomials)."""
    return max((dict(m).get(sym, 0.0) for m in order), default=0.0)


_DEGREE = {"constant": 0.0, "linear": 1.0, "linearly": 1.0, "quadratic": 2.0, "quadratically": 2.0, "cubic": 3.0,
           "cubically": 3.0}
_DEG = r"constant|linear(?:ly)?|quadratic(?:ally)?|cubic(?:ally)?"
_WORD_ORDER = re.compile(rf"\b({_DEG})(?:\s+(?:rather than|instead of|and not|not|vs\.?|versus)\s+({_DEG}))?\s+"
                         r"(?:in|with|w\.?r\.?t\.?|wrt|on)\s+(?:the\s+)?(sequence\s+length|length|(?:hidden\s+)?width|"
                         r"hidden\s+size|(?:number\s+of\s+)?(?:layers|tokens)|depth|head\s+dim\w*|dimension|[a-z]\b)")
_WORD_ORDER_BARE = re.compile(
    rf"\b({_DEG})(?:\s+(?:rather than|instead of|and not|not|vs\.?|versus)\s+({_DEG}))?\s+(?:time\s+|memory\s+|"
    rf"computational\s+|compute\s+)?(?:complexity|cost|scaling|runtime|run time)\b(?!\s+(?:in|with|w\.?r\.?t|wrt|on)\b)"
    rf"|\b(?:scal\w*|grow\w*)\s+({_DEG})\b(?!\s+(?:in|with|w\.?r\.?t|wrt|on)\b)")
_SYM_WORDS = {"Q-seq": {"sequence length": "t", "length": "t", "width": "n", "hidden width": "n", "hidden size": "n",
                        "layers": "l", "number of layers": "l", "depth": "l", "tokens": "t", "number of tokens": "t"},
              "Q-linattn": {"sequence length": "n", "length": "n", "tokens": "n", "number of tokens": "n",
                            "head dim": "d", "dimension": "d", "width": "d"}}


def _unique_role(question: str, aspect: str, sym: str, degree: float, names: tuple[str, ...]) -> str | None:
    """The one role whose claimed order has this exponent of ``sym`` (for 'quadratic in t' with no role named)."""
    fits = {key[1] for spec in cues.ORDERS if spec.question == question for key, c in spec.claimed.items()
            if key[0] == aspect and _exp(order_of(c, names), sym) == degree}
    return fits.pop() if len(fits) == 1 else None


def _word_orders(question: str, u: Unit, syms, partial) -> None:
    """'quadratic in t', 'linear in the width', 'linear rather than quadratic in n': one exponent per symbol,
    attributed like an O(...); with no role named, to the one role whose claimed order has that exponent."""
    sym = dict(syms)
    names = tuple(sorted(set(sym.values())))
    prev = 0
    low = context(u.text)
    hits = list(_WORD_ORDER.finditer(low))
    length = structure.load().length_symbol.get(question)
    if length:  # "linear complexity", "scales quadratically": in the family's sequence length
        hits += [m for m in _WORD_ORDER_BARE.finditer(low)
                 if not any(h.start() <= m.start() < h.end() or m.start() <= h.start() < m.end() for h in hits)]
    for m in sorted(hits, key=lambda x: x.start()):
        if m.re is _WORD_ORDER_BARE:
            s = length
        else:
            what = re.sub(r"\s+", " ", m.group(3))
            what = re.sub(r"^head dim\w*", "head dim", what)
            s = _SYM_WORDS.get(question, {}).get(what) or (sym.get(what) if len(what) == 1 else None)
        if s is None:
            continue
        before = low[prev:m.start()]
        role = _role(question, before) or _role(question, low[:m.start()])
        prev = m.end()
        k2, p2 = _kind_phase(question, low[:m.start()])
        aspect = _join_aspect(question, k2, p2)
        said = [(m.group(1) or m.group(3), role)] if m.re is _WORD_ORDER_BARE else [(m.group(1), role)]
        if m.group(2):  # "A rather than B": A is the subject's, B the other role's
            said = [(m.group(1), role), (m.group(2), None)]
        for k, (word, r0) in enumerate(said):
            if r0 is None and role is not None and k:
                r0 = next((r for r in cues.ROLE_CUES[question] if r != role), None)
            roles = (cues.ROLE_CUES[question] if r0 is None and _BOTH.search(before) else [r0] if r0 else [])
            if not roles and (r := _unique_role(question, aspect, s, _DEGREE[word], names)):
                roles = [r]
            for r in roles:
                exps, words, _ = partial.get((aspect, r), ({}, "", u.text))
                exps[s] = _DEGREE[word]
                partial[(aspect, r)] = (exps, (words + ", " if words else "") + m.group(0), u.text)


def _orders_in_table(question: str, u: Unit, syms, found) -> None:
    rows = u.rows or []
    if len(rows) < 2:
        return
    def has_order(r: list[str]) -> bool:
        return any(parse_order(i, syms) for c in r[1:] for _, _, i in find_orders(c))

    # header rows: those before the first row of orders ("time | memory" over "train | test | train | test")
    n_head = next((k for k, r in enumerate(rows) if has_order(r)), 1)
    width = max(len(r) for r in rows)
    header = [context(" ".join(r[j] for r in rows[:n_head] if j < len(r))) for j in range(width)]
    col_roles = [_role(question, h) for h in header]
    headless = n_head == 0  # no header row
    if headless:
        header, col_roles = [""] * width, [None] * width
    for r in rows[n_head:]:
        row_label = context(r[0]) if r else ""
        if question == "Q-seq" and _STEP_ROW.search(row_label) and not _TIME_WORDS.search(row_label):
            continue  # "sequential steps | O(T) | O(l)": step counts, not costs (seq.sequential-steps reads them)
        row_role = _role(question, row_label)
        for j, cell in enumerate(r[1:], start=1):
            cell = _math(cell)
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
