"""OCR-tolerant text for cue matching: lower case, fixed big-O misreads, and words corrected toward the domain.

A word of a transcribed sheet that is not in the domain vocabulary (the
catalogue's words and the knowledge base's words, aliases and examples) is replaced by its closest domain word
when they are nearly the same (rapidfuzz normalised Indel ratio >= 0.84, and >= 0.88 for short
words): "transfomer" -> "transformer", "softrnax" -> "softmax".
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz, process

from ..core.catalogue import catalogue_text

_COMMON = frozenset(["about", "above", "after", "again", "against", "always", "answer", "because", "before", "being", "below", "between", "both", "cannot", "could", "does", "doing", "down", "during", "each", "every", "first", "from", "further", "have", "having", "here", "however", "into", "itself", "just", "more", "most", "much", "never", "only", "other", "over", "same", "should", "since", "some", "still", "such", "than", "that", "their", "them", "then", "there", "these", "they", "this", "those", "through", "under", "until", "very", "were", "what", "when", "where", "which", "while", "with", "would", "your", "given", "using", "three", "seven", "eight", "large", "larger", "smaller", "small", "lower", "higher", "better", "worse", "faster", "slower", "become", "becomes", "because", "where", "whereas", "although", "though", "therefore", "thus", "hence", "another", "either", "neither", "rather", "quite", "often", "maybe", "might", "shows", "shown", "showing", "state", "states", "stated", "think", "thought", "right", "wrong", "means", "meaning", "instead", "whole", "total"])


@lru_cache(maxsize=1)
def vocabulary() -> tuple[frozenset[str], dict[int, list[str]]]:
    from .kb import load

    words = set(re.findall(r"[a-z]{4,}", catalogue_text().lower()))
    base = load()  # the knowledge base's words, aliases and examples
    for fk in base.families.values():
        words.update(re.findall(r"[a-z]{4,}", fk.words.lower()))
        for canon, alts in fk.aliases.items():
            words.update(re.findall(r"[a-z]{4,}", " ".join((canon,) + alts)))
        for c in fk.claims:
            for ex in c.examples.values():
                words.update(re.findall(r"[a-z]{4,}", " ".join(ex).lower()))
    words.update(("recurrent", "transformer", "softmax", "autoencoder", "equivalent", "bottleneck", "plateau",
                  "plateaus", "accuracy", "convolution", "convolutional", "equivariant", "invariant", "jacobian",
                  "gradient", "converge", "converges", "diverges", "oscillates", "optimum", "equilibrium",
                  "posterior", "intractable", "realistic", "regularization", "regularizer", "likelihood",
                  "parameters", "sequential", "parallel", "increases", "decreases", "increasing", "decreasing"))
    by_len: dict[int, list[str]] = {}
    for w in words:
        by_len.setdefault(len(w), []).append(w)
    return frozenset(words) | _COMMON, by_len


@lru_cache(maxsize=65536)
def correct_word(w: str) -> str:
    vocab, by_len = vocabulary()
    if len(w) < 4 or w in vocab or not w.isalpha():
        return w
    for a, b in _CONFUSIONS:  # one typical OCR confusion that lands on a known word
        k = w.find(a)
        while k >= 0:
            fixed = w[:k] + b + w[k + len(a):]
            if fixed in vocab:
                return fixed
            k = w.find(a, k + 1)
    if any(w[:k] in vocab for k in range(5, len(w))):  # a known stem's inflection ("regularise", "translating")
        return w
    if len(w) < 5:
        return w
    cands = [c for n in range(len(w) - 2, len(w) + 3) for c in by_len.get(n, ())]
    cutoff = 0.84 if len(w) >= 7 else 0.88
    hit = process.extractOne(w, cands, scorer=fuzz.ratio, score_cutoff=100 * cutoff)
    return hit[0] if hit else w


_CONFUSIONS = (("rn", "m"), ("m", "rn"), ("cl", "d"), ("l", "i"), ("i", "l"), ("vv", "w"), ("ii", "u"), ("c", "e"),
               ("e", "c"), ("h", "b"), ("u", "v"), ("v", "u"), ("a", "o"), ("o", "a"))
_BIGO = re.compile(r"(?<![a-z0-9])[0o](?=\s*\()")
_WORD = re.compile(r"[a-z]+")


_LATEX_SUBS = (
    (re.compile(r"\\(?:text|mathrm|mathbf|mathit|operatorname|textbf|emph|boldsymbol)\s*\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\\mathbb\s*\{?\s*e\s*\}?"), "e"),
    (re.compile(r"\\mathcal\s*\{?\s*o\s*\}?"), "o"),
    (re.compile(r"\\mathcal\s*\{\s*([a-z])\s*\}"), r"\1"),
    (re.compile(r"_\{?\\(?:theta|phi|psi)\}?"), ""),  # p_\theta(x|z) -> p(x|z)
    (re.compile(r"\\(?:geq|ge|geqslant)\b"), ">="),
    (re.compile(r"\\(?:leq|le|leqslant)\b"), "<="),
    (re.compile(r"\\(?:gg)\b"), ">>"),
    (re.compile(r"\\(?:cdot|times)\b"), "*"),
    (re.compile(r"\\(?:top|intercal)\b"), "t"),
    (re.compile(r"\\(?:sim)\b"), "~"),
    (re.compile(r"\\(?:approx)\b"), "≈"),
    (re.compile(r"\\(?:log|exp|sqrt|frac|sum|eta|beta|sigma|theta|phi|mu|epsilon|alpha)\b"),
     lambda m: m.group(0)[1:]),
    (re.compile(r"\\(?:,|;|!|quad|qquad|left|right|big|bigl|bigr|Big)"), " "),
    (re.compile(r"\\\|"), "||"),
)


def delatex(t: str) -> str:
    """Inline LaTeX to the plain forms the cue patterns know (lower-case input)."""
    if "\\" not in t:
        return t
    for pat, rep in _LATEX_SUBS:
        t = pat.sub(rep, t)
    return t


# a word with a 0 or 1 among its letters is an OCR misread of o or l ("b0th", "sca1ar", "ELB0", "1ook")
# (not an ordinal: "1st", "10th")
_DIGIT_WORD = re.compile(r"(?<![\w\\^])(?![01]+(?:st|nd|rd|th)\b)(?=[a-z01]*[a-z][a-z01]*[a-z])(?=[a-z]*[01])[a-z01]{3,}"
                         r"(?![\w(^])")
_DIGIT_FIX = str.maketrans({"0": "o", "1": "l"})


def ocr_digit_word(word: str) -> str:
    """A lower-case word with OCR's digits for letters read back ("c0nverge" -> "converge"); other words unchanged."""
    return word.translate(_DIGIT_FIX) if _DIGIT_WORD.fullmatch(word) else word


def ocr_digits(low: str) -> str:
    """Lower-case text with OCR's digits for letters read back in its words ("paralle1" -> "parallel")."""
    if "0" not in low and "1" not in low:
        return low
    return _DIGIT_WORD.sub(lambda m: m.group(0).translate(_DIGIT_FIX), low)
# abbreviations: spelled out, and without the dots that would end a clause for the cue patterns
_ABBREVS = tuple((re.compile(p), r) for p, r in (
    (r"\be\.\s?g\.", "eg"), (r"\bi\.\s?e\.", "ie"), (r"\bw\.\s?r\.\s?t\.?", "wrt"), (r"\betc\.", "etc"),
    (r"\bvs\.", "vs"), (r"\bcf\.", "cf"), (r"\bw/o\b", "without"), (r"\bw/(?=\s)", "with"), (r"\bb/c\b", "because"),
    (r"\bindep\b\.?", "independent"), (r"\brecon\b\.?", "reconstruction"), (r"\bapprox\b\.?", "approximately"),
    (r"\bparams?\b\.?", "parameters"), (r"\bavg\b\.?", "average"), (r"\bdims?\b\.?", "dimension"),
    (r"\bresp\.", "respectively"), (r"\bconst\b\.?", "constant")))


# a substring every match of each pattern contains: a pattern whose key is absent is not run (same result)
_ABBREV_KEYS = ("e.", "i.", "w.", "etc.", "vs.", "cf.", "w/o", "w/", "b/c", "indep", "recon", "approx", "param", "avg",
                "dim", "resp.", "const")


def expand_abbreviations(t: str) -> str:
    """Lower-case text with its common abbreviations spelled out (offsets are not preserved)."""
    if "." not in t and "/" not in t and not re.search(r"\b(?:indep|recon|approx|params?|avg|dims?|const)\b", t):
        return t
    for (pat, rep), key in zip(_ABBREVS, _ABBREV_KEYS):
        if key in t:
            t = pat.sub(rep, t)
    return t


@lru_cache(maxsize=16384)
def ocr_lower(text: str) -> str:
    """Lower-cased text with OCR fixes, for the cue patterns (offsets are not preserved). Kept per text: a
    sentence is read by several extractors, and as part of its paragraph."""
    t = delatex(text.lower())
    if "(" in t:
        t = _BIGO.sub("o", t)
    t = ocr_digits(t)
    t = expand_abbreviations(t)
    vocab = vocabulary()[0]
    unknown = {w for w in _WORD.findall(t) if len(w) >= 4 and w not in vocab}
    fixes = {w: c for w in unknown if (c := correct_word(w)) != w}
    if not fixes:
        return t  # every word known, too short, or with no correction (most sentences): nothing to replace

    def fix(m: re.Match) -> str:  # not LaTeX commands, not contractions (wouldn't, isn't)
        w = m.group(0)
        if w not in fixes or (m.start() and t[m.start() - 1] == "\\") or t[m.end(): m.end() + 1] in ("'", "\u2019"):
            return w
        return fixes[w]

    return _WORD.sub(fix, t)
