"""Big-O orders: find them in sheet text and parse them with sympy into exponents per symbol.

``O(t \\cdot l \\cdot n^2)``, ``O(n^2 d)``, ``O(t·l·n²)``, ``$\\mathcal{O}(l t^2 n)$`` and
the OCR form ``$t \\ln^2$`` (= t*l*n^2) all become a set of leading monomials,
each a sorted tuple of (symbol, exponent): lower-order terms that another term
dominates are dropped, log factors are ignored. Only a whitelisted token stream
(single-letter symbols, numbers, + - * / ^ and parentheses) reaches sympy.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

Monomial = tuple[tuple[str, float], ...]
Order = frozenset[Monomial]

_BIGO = re.compile(r"(?:\\mathcal\s*\{?\s*O\s*\}?|\\mathcal\s+O|\\operatorname\{O\}|\\Theta|Θ|\\Omega|"
                   r"(?<![A-Za-z0-9_\\])(?:Theta|Omega)|"
                   r"(?<![A-Za-z0-9_\\])[O0o]|big[- ]?o\s*of)\s*(?:\\left|\\big|\\Big)?\s*[(\[]")


def find_orders(text: str) -> list[tuple[int, int, str]]:
    """(start, end, inside) of every O(...) in the text, parentheses balanced."""
    out = []
    for m in _BIGO.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth and i - m.end() < 120:
            c = text[i]
            depth += c in "([{"
            depth -= c in ")]}"
            i += 1
        if depth == 0:
            inside = text[m.end(): i - 1]
            if re.search(r"[A-Za-z]", inside):
                out.append((m.start(), i, inside))
    return out


_SYM = r"[a-zA-Z](?:\^\{?\d\}?)?"
_BARE = re.compile(rf"(?<![A-Za-z0-9_\\^(])(?:{_SYM}(?:\s*(?:\*|·|×|\\cdot|\\times)\s*{_SYM})+|"
                   rf"(?=[a-zA-Z]{{0,3}}\^)(?:[a-zA-Z](?:\^\{{?\d\}}?)?){{2,4}})(?![A-Za-z0-9_(])")


_SPACED = re.compile(rf"(?<![A-Za-z0-9_\\^(])(?=[a-zA-Z ]*\^){_SYM}(?: {_SYM}){{1,3}}(?![A-Za-z0-9_(^])")


_MONO = rf"{_SYM}(?:\s*(?:\*|·|×)?\s*{_SYM}){{0,3}}"
# a letter times a sum of such products, a power among them: "l(t^2 n + t n^2)", "l·(t²n + tn²)"
_FACTORED = re.compile(rf"(?<![A-Za-z0-9_\\^(])[a-zA-Z]\s*(?:\*|·|×)?\s*\((?=[^()]*\^)({_MONO}(?:\s*\+\s*{_MONO})+)\)")


def find_bare_orders(text: str) -> list[tuple[int, int, str]]:
    """Products of single letters written without O(...): "t*l*n^2", "l·t^2·n", "tln^2", "n^2 d" (start, end,
    text); letters apart only with a power among them ("n^2 d", not "a b"); a letter times a sum of them
    ("l(t^2 n + t n^2)")."""
    out = [(m.start(), m.end(), m.group(0)) for m in _FACTORED.finditer(text)]
    spans = [(a, b) for a, b, _ in out]
    out += [(m.start(), m.end(), m.group(0)) for m in _BARE.finditer(text)
            if not any(a < m.end() and m.start() < b for a, b in spans)]
    spans = [(a, b) for a, b, _ in out]
    out += [(m.start(), m.end(), m.group(0)) for m in _SPACED.finditer(text)
            if not any(a < m.end() and m.start() < b for a, b in spans)]
    merged: list[tuple[int, int, str]] = []
    for a, b, _ in sorted(out):  # a sum of such products is one order: "t^2 n + t n^2"
        if merged and re.fullmatch(r"\s*\+\s*", text[merged[-1][1]:a]):
            a = merged.pop()[0]
        merged.append((a, b, text[a:b]))
    return merged


def _latex_to_plain(s: str) -> str:
    s = re.sub(r"\\(?:left|right|big|Big|bigl|bigr|,|;|!|quad|\s)", " ", s)
    s = re.sub(r"\\ln\b", " l*n ", s)  # OCR: t \ln^2 is t*l*n^2
    s = re.sub(r"\\log\b|\blog\b", " log ", s)
    s = re.sub(r"\\sqrt\s*\{([^{}]*)\}", r"((\1)^(1/2))", s)
    s = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"((\1)/(\2))", s)
    s = re.sub(r"\\(?:cdot|times|ast)|[·×∙•⋅]", "*", s)
    s = re.sub(r"\\(?:mathrm|text|mathit)\s*\{([^{}]*)\}", r"\1", s)
    s = s.replace("**", "^").replace("{", "(").replace("}", ")").replace("$", " ")
    s = re.sub(r"log\s*\(?\s*[A-Za-z]\s*\)?", " 1 ", s)  # log factors do not change the exponents
    return s


@lru_cache(maxsize=8192)
def parse_order(inside: str, symbols: tuple[tuple[str, str], ...]) -> Order | None:
    """Leading monomials of an order, or None if it is not an order in the family's symbols."""
    sym_map = dict(symbols)
    s = _latex_to_plain(inside)
    s = re.sub(r"\s*\^\s*", "^", s)
    s = re.sub(r"(?<=[A-Za-z])([2-4])(?![\d.])", r"^\1", s)  # OCR lost the superscript: "tln2" is t*l*n^2
    # a PDF's text layer puts the superscript on the line, spaced: "O(T 2 l n)" is T^2*l*n, "O(n d 2 )" n*d^2
    s = re.sub(r"(?<=[A-Za-z])\s+([2-4])(?![\d.])(?=\s*(?:[A-Za-z)]|$))", r"^\1", s)
    tokens: list[str] = []
    for tok in re.findall(r"[A-Za-z]+|\d+(?:\.\d+)?|[-+*/^()]|\S", s):
        if tok.isalpha():
            letters = list(tok)
            if not all(c in sym_map for c in letters):
                return None
            for k, c in enumerate(letters):
                if k:
                    tokens.append("*")
                tokens.append(sym_map[c])
        elif re.fullmatch(r"\d+(?:\.\d+)?|[-+*/^()]", tok):
            tokens.append(tok)
        elif tok in ",":
            return None
        else:
            return None
    if not any(t.isalpha() for t in tokens):
        return None
    out: list[str] = []
    for t in tokens:  # explicit products between adjacent operands
        if out and (out[-1].isalnum() or out[-1].replace(".", "").isdigit() or out[-1] == ")") and (
                t.isalnum() or t == "("):
            out.append("*")
        out.append(t)
    expr_s = "".join(out).replace("^", "**")
    if len(expr_s) > 200:
        return None
    names = sorted(set(sym_map.values()))
    local = {n: sp.Symbol(n, positive=True) for n in names}
    try:
        expr = parse_expr(expr_s, local_dict=local, global_dict={"Integer": sp.Integer, "Float": sp.Float,
                                                                 "Rational": sp.Rational, "Symbol": sp.Symbol},
                          evaluate=True)
        expr = sp.expand(expr)
    except Exception:  # noqa: BLE001 - any malformed order is simply not an order
        return None
    monos: list[dict[str, float]] = []
    for term in sp.Add.make_args(expr):
        powers = term.as_powers_dict()
        mono = {}
        for base, e in powers.items():
            if isinstance(base, sp.Symbol) and base.name in local:
                try:
                    mono[base.name] = float(e)
                except TypeError:
                    return None
            elif base.free_symbols:
                return None
        if mono:
            monos.append(mono)
    if not monos:
        return None
    keep = [m for m in monos if not any(o != m and all(o.get(k, 0) >= v for k, v in m.items())
                                        and any(o.get(k, 0) > m.get(k, 0) for k in o) for o in monos)]
    return frozenset(tuple(sorted((k, v) for k, v in m.items() if v)) for m in keep)


def order_of(expr: str, names: tuple[str, ...]) -> Order:
    """A catalogue order ("t^2*l*n") -> leading monomials (names map to themselves)."""
    got = parse_order(expr, tuple((n, n) for n in names))
    if got is None:
        raise ValueError(f"not an order: {expr}")
    return got


def show(order: Order) -> str:
    def mono(m: Monomial) -> str:
        return "*".join(k if v == 1 else f"{k}^{v:g}" for k, v in m) or "1"

    return " + ".join(sorted(mono(m) for m in order))
