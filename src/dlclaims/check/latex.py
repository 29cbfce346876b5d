"""LaTeX in answer sheets to plain, linear text, through pylatexenc's parser.

``latex_to_text`` turns ``$\\frac{v_a + v_b}{2}$`` into ``((v_a + v_b)/(2))``,
``$\\log p(x) \\geq \\mathbb{E}_{q}[\\log p(x|z)] - D_{KL}(q \\| p)$`` into
``log p(x) >= E_q[log p(x|z)] - D_KL(q || p)`` and ``$\\mathcal{O}(n^2 d)$`` into
``O(n^2 d)``: fractions and multi-symbol sub/superscripts keep their grouping
(parentheses), relations become ASCII (``>=``, ``<=``, ``<<``, ``->``), font
macros (``\\mathbf``, ``\\mathcal``, ``\\text``, ``\\operatorname``) keep their argument
as plain letters, ``\\top`` and ``\\intercal`` become ``T``, products become ``*``.

``repair_ocr_latex`` first puts back a backslash that a transcription lost in
front of a known macro (``mathbf{x}_0``, ``k_j^top q``, ``frac{1}{2}``), so that
garbled math parses like typed math. Offsets are not preserved.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pylatexenc import latex2text as l2t
from pylatexenc.latexwalker import LatexGroupNode

# macros that keep their single argument as plain text (pylatexenc would render bold / script Unicode letters)
_FONT = ("mathbf", "mathrm", "mathcal", "mathit", "mathsf", "mathtt", "mathbb", "boldsymbol", "bm", "bb", "text", "textbf",
         "textit", "textrm", "emph", "operatorname", "mathfrak", "pmb", "vec", "hat", "tilde", "bar", "widehat",
         "widetilde", "overline", "underline", "dot", "ddot")
_SYMBOLS = {  # macro -> ASCII text
    "geq": " >= ", "ge": " >= ", "geqslant": " >= ", "leq": " <= ", "le": " <= ", "leqslant": " <= ",
    "gg": " >> ", "ll": " << ", "neq": " != ", "ne": " != ", "approx": " ≈ ", "sim": " ~ ", "simeq": " ≈ ",
    "propto": " ∝ ", "cdot": " * ", "times": " * ", "ast": " * ", "cdots": " ... ", "ldots": " ... ", "dots": " ... ",
    "top": "T", "intercal": "T", "|": " || ", "Vert": " || ", "lVert": " || ", "rVert": " || ", "mid": " | ",
    "vert": " | ", "lvert": " | ", "rvert": " | ", "to": " -> ", "rightarrow": " -> ", "longrightarrow": " -> ",
    "Rightarrow": " => ", "leftarrow": " <- ", "gets": " <- ", "mapsto": " -> ", "in": " in ", "infty": "inf",
    "partial": "d", "nabla": " grad ", "quad": " ", "qquad": " ", ",": " ", ";": " ", "!": "", ":": " ", " ": " ",
    "left": "", "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "", "bigl": "", "bigr": "", "Bigl": "",
    "Bigr": "", "middle": "", "displaystyle": "", "limits": "", "nolimits": "", "log": "log", "ln": "ln",
    "exp": "exp", "min": "min", "max": "max", "sum": "sum", "prod": "prod", "lim": "lim", "arg": "arg",
    "argmin": "argmin", "argmax": "argmax", "det": "det", "tr": "tr", "langle": "<", "rangle": ">",
    "lbrace": "{", "rbrace": "}", "{": "{", "}": "}", "%": "%", "&": "&", "#": "#", "_": "_", "$": "$",
}
_KNOWN = tuple(_FONT) + ("frac", "dfrac", "tfrac", "sqrt", "top", "cdot", "times", "log", "geq", "leq", "sim",
                         "approx", "alpha", "beta", "gamma", "lambda", "theta", "phi", "psi", "mu", "sigma", "eta",
                         "epsilon", "varepsilon", "Sigma", "nabla", "partial", "infty", "right", "left", "mathcal")
# a lost backslash: a known macro name glued to '{', or right after '^' / '_', or a bare \top-like token
_LOST = re.compile(r"(?<![\\A-Za-z])(" + "|".join(sorted(set(_KNOWN), key=len, reverse=True)) + r")(?=\s*\{)"
                   r"|(?<=[\^_])(top|intercal|prime|star|theta|phi|psi|mu|sigma|alpha|beta|lambda|eta)(?![A-Za-z])"
                   r"|(?<![\\A-Za-z])(cdot|leq|geq|approx|infty|nabla)(?![A-Za-z])")


def repair_ocr_latex(text: str) -> str:
    """Put back the backslash a transcription lost: ``mathbf{x}_0`` -> ``\\mathbf{x}_0``, ``k^top`` -> ``k^\\top``."""
    return _LOST.sub(lambda m: "\\" + m.group(0), text)


class _Plain(l2t.LatexNodes2Text):
    """LatexNodes2Text that keeps the grouping of sub/superscripts and fraction parts."""

    def group_node_to_text(self, node: LatexGroupNode) -> str:  # pylatexenc's hook
        inner = self.nodelist_to_text(node.nodelist).strip()
        if node.delimiters and node.delimiters[0] == "{" and len(inner) > 1 and not re.fullmatch(
                r"[A-Za-z]+|\d+|[A-Za-z][A-Za-z ]*[A-Za-z]", inner) and inner[0] + inner[-1] != "()":
            return "(" + inner + ")"
        if node.delimiters and node.delimiters[0] != "{":
            return node.delimiters[0] + inner + node.delimiters[1]
        return inner


def _last_arg(prefix: str):
    """A macro rendered as its last (mandatory) argument, wrapped as ``prefix(arg)`` when a prefix is given."""
    def repl(node, l2tobj) -> str:
        args = [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None]
        inner = l2tobj.nodelist_to_text([args[-1]]).strip() if args else ""
        if inner.startswith("(") and inner.endswith(")"):
            inner = inner[1:-1]
        return f"{prefix}({inner})" if prefix else inner
    return repl


def _fraction(node, l2tobj) -> str:
    """``\\frac{a+b}{2}`` -> ``(a+b)/(2)``: each part in parentheses once."""
    parts = []
    for a in [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None][-2:]:
        t = l2tobj.nodelist_to_text([a]).strip()
        parts.append(t if t.startswith("(") and t.endswith(")") else f"({t})")
    return "(" + "/".join(parts) + ")" if len(parts) == 2 else "".join(parts)


@lru_cache(maxsize=1)
def _converter() -> _Plain:
    db = l2t.get_default_latex_context_db()
    macros = [l2t.MacroTextSpec(m, simplify_repl=_last_arg("")) for m in _FONT]
    macros += [l2t.MacroTextSpec(m, simplify_repl=_fraction) for m in ("frac", "dfrac", "tfrac")]
    macros += [l2t.MacroTextSpec("sqrt", simplify_repl=_last_arg("sqrt"))]
    macros += [l2t.MacroTextSpec(m, simplify_repl=r.replace("%", "%%")) for m, r in _SYMBOLS.items()]
    db.add_context_category("dlclaims-plain", prepend=True, macros=macros)
    return _Plain(latex_context=db, math_mode="text", strict_latex_spaces=False, keep_comments=True)


@lru_cache(maxsize=1)
def _walker_context():
    """The parser's macro arguments, with the ones pylatexenc does not know (\\tfrac{a}{b}, \\bm{x}, ...)."""
    from pylatexenc import latexwalker, macrospec

    db = latexwalker.get_default_latex_context_db()
    db.add_context_category("dlclaims-args", prepend=True, macros=[
        macrospec.MacroSpec(m, "{{") for m in ("tfrac", "dfrac", "cfrac")] + [
        macrospec.MacroSpec(m, "{") for m in ("bm", "boldsymbol", "mathbb", "mathfrak", "pmb", "operatorname",
                                              "widehat", "widetilde", "overline", "underline", "vec", "bb")])
    return db


_MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", re.DOTALL)


@lru_cache(maxsize=8192)
def latex_to_text(text: str, *, repair: bool = True) -> str:
    """Plain linear text of a sentence or formula with LaTeX (see the module doc); the input unchanged if it
    has nothing LaTeX-like or does not parse. Only the delimited formulas (and prose pieces that hold a macro or
    a brace) go through the parser: the words around them are kept as written, and parsing stays cheap."""
    if repair:
        text = repair_ocr_latex(text)
    if "\\" not in text and "$" not in text and "{" not in text:
        return text
    out, last = [], 0
    for m in _MATH.finditer(text):
        out.append(_prose(text[last:m.start()]))
        src = next(g for g in m.groups() if g is not None)
        conv = _convert("$" + src.strip() + "$")  # in math mode: pylatexenc keeps the spaces after macros
        out.append(" " + conv.strip() + " " if m.group(0).startswith(("$$", "\\[")) else conv)
        last = m.end()
    out.append(_prose(text[last:]))
    res = "".join(out)
    res = re.sub(r"[ \t]{2,}", " ", res.replace("\u00a0", " "))
    return res.strip() if text.strip() == text else res


def _prose(piece: str) -> str:
    """Prose between formulas: through the parser only when it holds a macro or a brace (OCR'd math)."""
    if "\\" not in piece and "{" not in piece:
        return piece
    return _convert(piece, prose=True)


# formulas the parser returns as written: ASCII letters, digits, inner single spaces and operators, no macro, brace,
# dash run ('--' becomes an en dash), quote or special character (tests/check/test_speed_paths.py compares)
_AS_WRITTEN = re.compile(r"\$(?! )(?:[A-Za-z0-9()\[\]+*/=<>^_,.;:|!?#@]| (?! )|-(?!-))*(?<! )\$")


@lru_cache(maxsize=16384)
def _convert(src: str, prose: bool = False) -> str:
    if not prose and _AS_WRITTEN.fullmatch(src):
        return src[1:-1]  # pylatexenc would return it unchanged (a third of the formulas: 'O(n^2 d)', 'x_1^2')
    return _parse(src, prose)


def _parse(src: str, prose: bool = False) -> str:
    text = re.sub(r"(?<!\\)%", r"\\%", src)  # a percent sign is not a comment in an answer
    text = re.sub(r"(?<!\\)&", r"\\&", text) if "\\begin" not in text else text
    if prose:
        text = text.replace("$", r"\$")
    try:
        out = _converter().latex_to_text(text, latex_context=_walker_context())
    except Exception:  # noqa: BLE001 - pylatexenc is tolerant; anything it cannot read stays as written
        return src
    out = re.sub(r"[ \t]{2,}", " ", out.replace("\u00a0", " "))
    return re.sub(r"\s*\n\s*", " ", out) if "\n" not in src else out


_UNICODE = str.maketrans({"≥": ">=", "≤": "<=", "≫": ">>", "≪": "<<", "·": "*", "×": "*", "⋅": "*", "∙": "*",
                          "−": "-", "–": "-", "⊤": "T", "∥": "||", "‖": "||", "→": "->", "←": "<-", "𝔼": "E",
                          "²": "^2", "³": "^3", "⁴": "^4", "√": "sqrt", "∼": "~", "η": "eta", "β": "beta",
                          "λ": "lambda", "θ": "theta", "ϕ": "phi", "φ": "phi", "μ": "mu", "σ": "sigma",
                          "α": "alpha", "Σ": "Sigma", "∇": " grad ", "∂": "d", "’": "'"})


def plain_math(text: str) -> str:
    """``latex_to_text`` plus ASCII for the Unicode math a typed or transcribed answer may use (≥, ·, ², ⊤, ‖)."""
    return latex_to_text(text).translate(_UNICODE)




def math_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, LaTeX source) of every delimited formula: ``$...$``, ``$$...$$``, ``\\[...\\]``, ``\\(...\\)``."""
    return [(m.start(), m.end(), next(g for g in m.groups() if g is not None)) for m in _MATH.finditer(text)]
