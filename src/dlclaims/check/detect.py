"""Which claims an answer states: windows of text scored against the knowledge base's examples.

For each window w (a sentence, a clause of a long sentence, or two or three neighbouring sentences) and each
claim c, with R_c the examples of c (asserts, denies and corrects; aliases made canonical in both):

    wl(w, c) = max_{r in R_c} cos(WordLlama(w), WordLlama(r))
    tf(w, c) = max_{r in R_c} (cos_words(w, r) + cos_chars(w, r)) / 2      (TF-IDF, word 1-2 / char 3-5 grams)
    s(w, c)  = wl + 2 tf                                                   (the first-stage score)

Per (sheet, claim) the TOP_K windows with the largest s(w, c) + 0.5 family(block of w, c) are kept, and
the features (``FEATURES``) of the one the learned decision (decide.py) finds most likely are its input:
the two similarities, the claim's rank among all claims in the window, its margin over the family's other
claims, how well the answer block matches the claim's family, how many windows rank the claim first, the
similarity to the claim's negative examples, whether a structural extractor (orders, tables, trends)
found the claim, the window's length in words and whether it is a clause cut from a longer sentence (a
fragment penalty, learned), how many windows score within SUPPORT_RATIO of the best one, and clf_max: the
largest probability any window of the sheet gets for the claim from a classifier trained on all of the
knowledge base's examples at once (classify.py; it learns which words tell the claims apart, where s(w, c)
reads one closest example: leave-one-sheet-out F1 0.853 -> 0.877, average precision 0.912 -> 0.932).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from . import classify, embed, kb, ngrams, refcache
from .ocr import ocr_digits
from .stance import clauses

FEATURES = ("wl", "tf", "log_rank", "family_margin", "block_family", "block_top", "block_gap", "window_family_top",
            "log_n_first", "negative_gap", "structural", "beyond", "log_words", "clause", "log_n_support", "clf_max")
MIN_WORDS = 3  # a shorter sentence ("Pooling:") is read only with its neighbour
CLAUSE_MIN_WORDS = 4
CLAUSE_SPLIT_WORDS = 10  # sentences longer than this are also read clause by clause
SUPPORT_WINDOWS = 3  # windows that vote on the stance of a found claim
SUPPORT_RATIO = 0.85  # ... when they score at least this share of the best window's score
TOP_K = 5  # windows per claim whose features are computed; the decision reads its first top_k (decide.py)


@dataclass
class Window:
    text: str
    block: int  # index of the answer block
    part: str = ""
    sentence: str = ""  # the whole sentence a clause window was cut from (quotes use the sheet's whole words)
    pair: tuple[int, ...] | None = None  # a run of sentences: the indices of its sentence windows

    @property
    def quote(self) -> str:
        return self.sentence or self.text


@dataclass
class Support:
    """A window that matches a claim, with the closest example of each stance: stance -> (score, example)."""

    window: Window
    score: float
    by_stance: dict[str, tuple[float, str]]


@dataclass
class Candidate:
    claim: str
    x: np.ndarray  # (len(FEATURES),)
    window: Window
    example: str  # the knowledge-base example the window matched best
    example_stance: str
    support: list[Support] = field(default_factory=list)  # the best windows, best first
    xk: np.ndarray | None = None  # (K, len(FEATURES)) features of the TOP_K best windows by first-stage score


@dataclass
class _Refs:
    texts: list[str]
    claim_of: np.ndarray  # (R,) claim index
    stance_of: list[str]
    claims: list[str]
    family_of: list[str]
    families: list[str]
    pos_cols: list[np.ndarray]  # per claim: columns of its asserts / denies / corrects
    stance_cols: dict[str, list[np.ndarray]]  # stance -> per claim: columns of its examples of that stance
    neg_cols: list[np.ndarray]  # per claim: columns of its negatives
    emb: np.ndarray | None  # (R, 256)
    word: object
    char: object
    Rw: object
    Rc: object
    beyond: np.ndarray  # (C,) 1 for claims the catalogue marks (beyond)


_ENV = re.compile(r"\\(?:begin|end)\{[^}]*\}")
_MACRO = re.compile(r"\\(?:mathcal|mathbb|mathrm|operatorname|text|left|right|big|Big|cdot|times|frac|sqrt|hat|tilde|"
                    r"bar|quad|qquad|mathbf|boldsymbol)")
_MARKUP = re.compile(r"[$`*_#|{}\\]")
_SPACES = re.compile(r"\s+")


# the step size's Greek letter as typed (Unicode) read as LaTeX's name ("η = 0.1" is "eta = 0.1", as "\\eta" is)
_GREEK = str.maketrans({"η": " eta "})


def _clean(text: str) -> str:
    text = _ENV.sub(" ", text)
    t = _MACRO.sub(" ", text)
    t = _MARKUP.sub(" ", t).translate(_GREEK)
    return kb.canonical(ocr_digits(_SPACES.sub(" ", t).strip().lower()))  # OCR: "circ1es, never c0nverges"


@lru_cache(maxsize=1)
def refs() -> _Refs:
    from ..core.catalogue import claims_by_id

    base = kb.load()
    cat = claims_by_id()
    claims = sorted(base.claims)
    texts, claim_of, stance_of = [], [], []
    for i, cid in enumerate(claims):
        c = base.claims[cid]
        extra = [cat[cid].claim] if cat[cid].claim.strip() else []
        for st in ("asserts", "denies", "corrects", "negatives"):
            for t in (list(c.examples[st]) + (extra if st == "asserts" else [])):
                texts.append(t)
                claim_of.append(i)
                stance_of.append(st)
    claim_of_a = np.array(claim_of)
    pos = [np.where((claim_of_a == i) & np.array([s != "negatives" for s in stance_of]))[0] for i in range(len(claims))]
    neg = [np.where((claim_of_a == i) & np.array([s == "negatives" for s in stance_of]))[0] for i in range(len(claims))]
    st_a = np.array(stance_of)
    stance_cols = {st: [np.where((claim_of_a == i) & (st_a == st))[0] for i in range(len(claims))]
                   for st in ("asserts", "denies", "corrects")}
    cleaned = [_clean(t) for t in texts]
    # TfidfVectorizer settings; fitted once, then read from the user cache (refcache.py; no sklearn import then)
    word_kw = {"ngram_range": (1, 2), "sublinear_tf": True, "stop_words": "english",
               "token_pattern": r"(?u)\b[a-z][a-z0-9]+\b"}
    char_kw = {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True}
    (word, Rw), (char, Rc) = refcache.fit_tfidf("examples", cleaned, [word_kw, char_kw])
    emb = embed.embed_cached(cleaned) if embed.available() else None
    fams = sorted(base.families)
    return _Refs(texts, claim_of_a, stance_of, claims, [base.claims[c].family for c in claims], fams, pos, stance_cols,
                 neg, emb,
                 word, char, Rw, Rc, np.array([0.0 if cat[c].claim.strip() else 1.0 for c in claims]))


def windows_of(block: int, parts: list[tuple[str, list[str]]], offset: int = 0) -> list[Window]:
    """Sentences, clauses of long sentences, and runs of two and three neighbouring sentences of one answer block
    (a claim stated inside an explanation can span three sentences: LOSO F1 0.834 -> 0.843 on the corpus).

    ``parts``: (part label, its sentences in order); ``offset``: where these windows start in the sheet's list
    (pair windows name their two sentences by index in that list)."""
    out: list[Window] = []
    for label, sents in parts:
        first = offset + len(out)
        out += [Window(s, block, label) for s in sents]  # every sentence (short ones are read only in pairs)
        for k in range(len(sents) - 1):
            out.append(Window(sents[k] + " " + sents[k + 1], block, label, pair=(first + k, first + k + 1)))
        for k in range(len(sents) - 2):
            out.append(Window(" ".join(sents[k:k + 3]), block, label, pair=(first + k, first + k + 1, first + k + 2)))
        for s in sents:
            if len(s.split()) > CLAUSE_SPLIT_WORDS:
                cl = [c for c in clauses(s) if len(c.split()) >= CLAUSE_MIN_WORDS]
                if len(cl) > 1:
                    out += [Window(c, block, label, s) for c in cl]
    return out


@dataclass
class Scores:
    wl: np.ndarray  # (W, C)
    tf: np.ndarray  # (W, C)
    neg: np.ndarray  # (W, C)
    best_col: np.ndarray  # (W, C) column of the best-matching example
    by_stance: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # stance -> (W, C) score, column
    words: sp.csr_matrix | None = None  # (W, V) the windows' word TF-IDF rows
    emb: np.ndarray | None = None  # (W, 256) their unit mean embeddings (None without WordLlama)


@lru_cache(maxsize=1)
def _ref_mats() -> tuple[object, object, np.ndarray | None]:
    """The reference matrices as the products below read them, made once: Rw^T in CSR, Rc^T split into its common
    n-grams (dense) and the rest (CSR) (``ngrams.SplitProduct``: a third faster than one sparse product), and the
    (256, R) embedding transpose, contiguous (the window-by-example cosine is taken in float32, as the embeddings are
    stored: 2-3x faster than float64 on CPU)."""
    r = refs()
    embT = None if r.emb is None else np.ascontiguousarray(r.emb.T)
    return r.Rw.T.tocsr(), ngrams.SplitProduct(r.Rc.T.tocsr()), embT


def _per_claim_max(S: np.ndarray, cols: list[np.ndarray], transposed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(W, C) maximum of S (W, R) over each claim's columns, and the column where it is reached. With
    ``transposed`` S is given as its contiguous (R, W) transpose (made once for several calls)."""
    S = S if transposed else np.ascontiguousarray(S.T)  # (R, W): a claim's examples are consecutive rows
    out = np.zeros((S.shape[1], len(cols)), dtype=np.float32)
    arg = np.zeros((S.shape[1], len(cols)), dtype=np.int64)
    w = np.arange(S.shape[1])
    for i, c in enumerate(cols):
        if c.size:
            a, b = int(c[0]), int(c[-1]) + 1
            sub = S[a:b] if b - a == c.size else S[c]  # a view when the columns are contiguous (they are)
            j = sub.argmax(axis=0)
            out[:, i] = sub[j, w]  # the maximum, read where argmax found it (one pass instead of two)
            arg[:, i] = c[j]
    return out, arg


def _tfidf(vec, counts):
    """TF-IDF rows from raw counts, as the fitted vectorizer computes them (sublinear tf, idf, l2 norm)."""
    return ngrams.tfidf(vec, counts)


def score_windows(texts: list[str], pairs: list[tuple[int, int] | None] | None = None) -> Scores:
    """Similarities of each window to every example. A window with ``pairs[i] = (j, k)`` (or (j, k, l)) is the
    concatenation of those windows: its counts and token sums are theirs added, not recomputed.

    Windows that read the same (a one-clause sentence is also its clause; a tenth of a sheet's windows) are
    scored once: every score is a function of its row alone."""
    pairs = pairs or [None] * len(texts)
    key: dict[object, int] = {}
    inv = np.empty(len(texts), dtype=np.int64)  # (W,) each window's row among the distinct ones
    first: list[int] = []
    cleaned: list[str | None] = []  # per distinct row: its cleaned text (None for a run)
    for i, p in enumerate(pairs):
        c = _clean(texts[i]) if p is None else None
        j = key.setdefault(c if p is None else tuple(int(inv[j]) for j in p), len(first))  # a run: after its sentences
        if j == len(first):
            first.append(i)
            cleaned.append(c)
        inv[i] = j
    u_pairs = [None if pairs[i] is None else tuple(int(inv[j]) for j in pairs[i]) for i in first]
    sc = _score_distinct(cleaned, u_pairs)
    if len(first) == len(texts):
        return sc
    return Scores(sc.wl[inv], sc.tf[inv], sc.neg[inv], sc.best_col[inv],
                  {st: (v[inv], c[inv]) for st, (v, c) in sc.by_stance.items()},
                  None if sc.words is None else sc.words[inv], None if sc.emb is None else sc.emb[inv])


def _score_distinct(cleaned_all: list[str | None], pairs: list[tuple[int, ...] | None]) -> Scores:
    """``score_windows`` on distinct rows: ``cleaned_all[i]`` the cleaned text of a sentence or clause, None for
    a run of them (``pairs[i]``)."""
    r = refs()
    base = [i for i, p in enumerate(pairs) if p is None]
    pos = {i: k for k, i in enumerate(base)}
    cleaned = [cleaned_all[i] for i in base]
    # (W, n_base) sparse map: a base window is itself, a pair window the sum of its two
    ri = [i for i, p in enumerate(pairs) for _ in ((i,) if p is None else p)]
    ci = [pos[j] for i, p in enumerate(pairs) for j in ((i,) if p is None else p)]
    M = sp.csr_matrix((np.ones(len(ri)), (ri, ci)), shape=(len(pairs), len(base)))
    Ww = _tfidf(r.word, M @ ngrams.counts(r.word, cleaned))
    Wc = _tfidf(r.char, M @ ngrams.counts(r.char, cleaned))
    RwT, RcT, embT = _ref_mats()
    tf_all = (Ww @ RwT).toarray()  # (W, R) the mean of the word and character cosines
    tf_all += RcT.times(Wc)
    tf_all *= 0.5
    E = None
    if embT is not None:
        sums, _ = embed.token_sums(cleaned)
        E = embed.unit(M @ sums).astype(np.float32)  # (W, 256)
        wl_all = (E @ embT).astype(np.float64)
    else:
        wl_all = np.zeros_like(tf_all)
    comb = 2 * tf_all
    comb += wl_all
    combT = np.ascontiguousarray(comb.T)  # (R, W), once for every per-claim maximum below
    by_stance = {st: _per_claim_max(combT, cols, True) for st, cols in r.stance_cols.items()}
    # the best example over asserts / denies / corrects is the best of the three stances' best
    # (ties to the earlier column, as one argmax over the claim's columns would)
    sts = [st for st in ("asserts", "denies", "corrects") if st in by_stance]
    has = np.stack([np.array([r.stance_cols[st][c].size > 0 for c in range(len(r.claims))]) for st in sts])  # (3, C)
    vals = np.stack([np.where(has[k][None, :], by_stance[st][0], -np.inf) for k, st in enumerate(sts)])  # (3, W, C)
    colsk = np.stack([by_stance[st][1] for st in sts])
    top = vals.max(axis=0)
    first = np.where(vals == top[None], colsk, np.iinfo(np.int64).max).min(axis=0)
    best = np.where(np.isfinite(top), first, 0)
    rows = np.arange(len(pairs))[:, None]
    wl = wl_all[rows, best]
    tf = tf_all[rows, best]
    negc = _per_claim_max(combT, r.neg_cols, True)[0]
    has_neg = np.array([c.size > 0 for c in r.neg_cols])
    neg = np.where(has_neg[None, :], negc - (wl + 2 * tf), -1.0)
    return Scores(wl.astype(np.float32), tf.astype(np.float32), neg.astype(np.float32), best, by_stance, Ww, E)


def candidates(wins: list[Window], block_fam: np.ndarray, structural: set[str]) -> list[Candidate]:
    """One candidate per claim of the catalogue for a sheet: the features of its best window.

    ``block_fam``: (B, F) family match scores per answer block, families in ``refs().families`` order."""
    r = refs()
    C = len(r.claims)
    if not wins:
        return []
    sc = score_windows([w.text for w in wins], [w.pair for w in wins])
    short = np.array([w.pair is None and not w.sentence and len(w.text.split()) < MIN_WORDS for w in wins])
    s = sc.wl + 2 * sc.tf  # (W, C)
    s[short] = -1.0  # a sentence of one or two words ("Pooling:") is read only with its neighbour
    fam_idx = np.array([r.families.index(f) for f in r.family_of])  # (C,)
    blocks = np.array([w.block for w in wins])
    bf = block_fam[blocks][:, fam_idx]  # (W, C) block's score for each claim's family
    order = np.argsort(-s, axis=1)
    rank = np.empty_like(order)
    rank[np.arange(len(wins))[:, None], order] = np.arange(C)[None, :]
    margin = np.zeros_like(s)  # s minus the best other claim of the same family (per family: its best and second)
    rows = np.arange(len(wins))
    for f in np.unique(fam_idx):
        cs = np.where(fam_idx == f)[0]
        if cs.size == 1:
            margin[:, cs[0]] = s[:, cs[0]] - 0.0
            continue
        sub = s[:, cs]  # (W, k)
        am = sub.argmax(axis=1)
        top1 = sub[rows, am]
        rest = sub.copy()
        rest[rows, am] = -np.inf
        top2 = rest.max(axis=1)
        margin[:, cs] = sub - np.where(np.arange(cs.size)[None, :] == am[:, None], top2[:, None], top1[:, None])
    # the window's own family: the family of its best-scoring claim
    win_fam = fam_idx[s.argmax(axis=1)]
    n_first = np.bincount(s.argmax(axis=1), minlength=C)
    top_block = block_fam.max(axis=1)  # (B,)
    top_fam_block = block_fam.argmax(axis=1)
    first = s + 0.5 * bf  # (W, C) the first-stage ranking of windows per claim
    ranked_k = np.argsort(-first, axis=0, kind="stable")[:max(TOP_K, SUPPORT_WINDOWS)]  # (K', C)
    pick = ranked_k[0]  # (C,) best window per claim
    cc = np.arange(C)
    n_words = np.array([len(w.text.split()) for w in wins], dtype=np.float64)
    is_clause = np.array([float(bool(w.sentence)) for w in wins])
    n_support = np.log1p((first >= SUPPORT_RATIO * first[pick, cc][None, :]).sum(axis=0).astype(np.float64))  # (C,)
    structural_c = np.array([float(cl in structural) for cl in r.claims])
    clf_max = classify.load().max_feature(sc.words, sc.emb, short)  # (C,) the sheet's best window by the classifier

    def feats(pk: np.ndarray) -> np.ndarray:  # (C,) window per claim -> (C, F)
        pb = blocks[pk]
        cols = {"wl": sc.wl[pk, cc].astype(np.float64), "tf": sc.tf[pk, cc].astype(np.float64),
                "log_rank": np.log1p(rank[pk, cc]), "family_margin": margin[pk, cc].astype(np.float64),
                "block_family": bf[pk, cc], "block_top": (top_fam_block[pb] == fam_idx).astype(np.float64),
                "block_gap": top_block[pb] - bf[pk, cc], "window_family_top": (win_fam[pk] == fam_idx).astype(np.float64),
                "log_n_first": np.log1p(n_first), "negative_gap": sc.neg[pk, cc].astype(np.float64),
                "structural": structural_c, "beyond": r.beyond.astype(np.float64),
                "log_words": np.log(n_words[pk]), "clause": is_clause[pk], "log_n_support": n_support,
                "clf_max": clf_max}
        return np.stack([cols[f] for f in FEATURES], axis=1)

    Xk = np.stack([feats(ranked_k[k]) for k in range(min(TOP_K, len(wins)))], axis=1)  # (C, K, F)
    chosen = _choose(Xk)  # (C,) which of the K windows the decision reads
    ranked_all = ranked_k[:SUPPORT_WINDOWS]  # (3, C) the best windows per claim
    out = []
    for c in range(C):
        w = pick[c]
        x = Xk[c, chosen[c]].copy()
        col = int(sc.best_col[w, c])
        ranked = [k for k in ranked_all[:, c] if s[k, c] >= SUPPORT_RATIO * s[w, c]]
        # the windows of an answer about the claim's question speak for it: a line of another answer that only
        # shares words (AdaGrad's 'w -= lr * dw' for the min-max step size) votes only where none of those does;
        # they are the best of the claim's TOP_K windows in such answers (a fragment of another answer that scores
        # higher, 'w/o it VAE ~ plain AE', does not keep them out)
        own = [k for k in ranked_k[:, c] if top_fam_block[blocks[k]] == fam_idx[c]]
        own = [k for k in own[:SUPPORT_WINDOWS] if s[k, c] >= SUPPORT_RATIO * s[own[0], c]] if own else []
        support = [Support(wins[k], float(s[k, c]),
                           {st: (float(v[k, c]), r.texts[int(cols[k, c])]) for st, (v, cols) in sc.by_stance.items()
                            if r.stance_cols[st][c].size})
                   for k in (own or ranked)]
        out.append(Candidate(r.claims[c], x, wins[w], r.texts[col], r.stance_of[col], support, Xk[c]))
    return out


def _choose(Xk: np.ndarray) -> np.ndarray:
    """Per claim, the index of the top-k window the shipped decision finds most likely to state it (the first
    window where the shipped decision was fitted on other features, e.g. while refitting)."""
    from . import decide

    try:
        d = decide.default()
    except (ValueError, FileNotFoundError):
        return np.zeros(len(Xk), dtype=np.int64)
    return d.proba_best(Xk)[1]


@lru_cache(maxsize=64)
def contrast_words(claim: str) -> dict[str, float]:
    """stem -> log-odds that an example containing it asserts (vs denies / corrects) the claim:
    log((df_a + 0.5) / (N_a + 1)) - log((df_d + 0.5) / (N_d + 1)) over 5-letter stems of content words,
    kept where |log-odds| >= 1 (a word that tells the sides apart: "minus" / "plus", "lower" / "upper")."""
    r = refs()
    ENGLISH_STOP_WORDS = r.word.stop_words  # scikit-learn's English list, as the fitted vectorizer kept it
    i = r.claims.index(claim)
    docs: dict[str, list[set[str]]] = {"a": [], "d": []}
    for t, ci, st in zip(r.texts, r.claim_of, r.stance_of):
        if ci == i and st != "negatives":
            words = {w[:5] for w in re.findall(r"[a-z][a-z0-9]+", _clean(t)) if w not in ENGLISH_STOP_WORDS or
                     w in ("not", "no", "never", "cannot")}
            docs["a" if st == "asserts" else "d"].append(words)
    if not docs["d"]:
        return {}
    na, nd = len(docs["a"]), len(docs["d"])
    vocab = set().union(*docs["a"], *docs["d"])
    odds = {w: float(np.log((sum(w in d for d in docs["a"]) + 0.5) / (na + 1))
                     - np.log((sum(w in d for d in docs["d"]) + 0.5) / (nd + 1))) for w in vocab}
    return {w: v for w, v in odds.items() if abs(v) >= 1.0}


def best_example(window: str, claim: str) -> tuple[str, str]:
    """The example of the claim (asserts / denies / corrects) closest to a window, and its stance."""
    r = refs()
    c = r.claims.index(claim)
    sc = score_windows([window])
    col = int(sc.best_col[0, c])
    return r.texts[col], r.stance_of[col]
