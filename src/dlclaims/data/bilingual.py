"""A seeded synthetic bilingual corpus with gold word alignments (for Q-align).

The source language is English-like (SVO, adjective before noun); the target
language is French-like. Every sentence pair is built from one template, so the
gold alignment (a set of links ``(i, j)``: target word i translates source word
j) is known exactly. The templates contain the four phenomena of the question:

- one-to-one words: determiners, plain nouns, adjectives, plain verbs, adverbs,
  prepositions each become one target word;
- local reordering: ``ADJ NOUN`` becomes ``NOUN' ADJ'`` (the links cross);
- one-to-many: compound nouns and some verbs become two target words;
- many-to-one: ``to the`` / ``of the`` contract into one target word (``au``,
  ``du``), which draws on two source words;
- a word with no counterpart: the emphatic source particle ``do`` is dropped.

Grammar (source side; optional parts in brackets)::

    S  -> NP [do] VERB [NP] [PREP NP] [ADV]        NP -> DET [ADJ] NOUN

Both sides of a pair have between ``min_len`` and ``max_len`` words
(rejection sampling over the templates). The lexicon and the sentences come
from one NumPy generator seeded with ``seed``: same config, same corpus.
``sample`` > 0 draws another sample of sentences over the same lexicon (from a
generator seeded with ``(seed, sample)``): independent replicates of one
language pair. ``multiword_share`` of the test pairs are drawn conditioned on
holding a many-to-one word (a contraction), so that the rare type is
oversampled in the test set (each such pair is still a sentence of the grammar).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from ..core.config import require

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<s>", "</s>")

AlignType = Literal["one-to-one", "reordered", "one-to-many", "many-to-one", "null"]
ALIGN_TYPES: tuple[AlignType, ...] = ("one-to-one", "reordered", "one-to-many", "many-to-one", "null")

# Closed-class words: source -> target.
DETS = {"the": "le", "a": "un"}
PREPS = {"in": "dans", "on": "sur", "with": "avec", "to": "a", "of": "de", "from": "depuis"}
CONTRACT = {"to": "au", "of": "du"}  # PREP + "the" -> one target word
NULL_WORD = "do"  # emphatic particle, no counterpart
N_FUNCTION = len(DETS) + len(PREPS) + 1
SHARES = {"noun": 0.40, "adj": 0.25, "verb": 0.25, "adv": 0.10}  # of the open-class vocabulary
MIN_PER_CLASS = 2
LONGEST_SOURCE = 13  # DET ADJ NOUN do VERB DET ADJ NOUN PREP DET ADJ NOUN ADV
SHORTEST = 3  # DET NOUN VERB


def min_vocab_size() -> int:
    """The smallest ``vocab_size`` whose open classes all get MIN_PER_CLASS words."""
    v = N_FUNCTION
    while min(_class_sizes(v).values()) < MIN_PER_CLASS:
        v += 1
    return v


def _class_sizes(vocab_size: int) -> dict[str, int]:
    rest = max(vocab_size - N_FUNCTION, 0)
    sizes = {k: int(s * rest) for k, s in SHARES.items()}
    sizes["noun"] += rest - sum(sizes.values())  # rounding remainder goes to the nouns
    return sizes


@dataclass(frozen=True)
class BilingualConfig:
    vocab_size: int = 300  # source words (function words included)
    min_len: int = 4  # both sides of every pair have min_len..max_len words
    max_len: int = 12
    n_train: int = 4000
    n_test: int = 200
    seed: int = 1234
    p_adj: float = 0.5  # an NP has an adjective
    p_do: float = 0.15  # the null particle before the verb
    p_obj: float = 0.7
    p_pp: float = 0.4
    p_adv: float = 0.4
    p_the: float = 0.6  # DET is "the" (else "a")
    compound_share: float = 0.25  # nouns that become two target words
    split_verb_share: float = 0.3  # verbs that become two target words (aux + verb)
    sample: int = 0  # which sample of sentences over the lexicon of `seed` (0: the lexicon's own generator)
    multiword_share: float = 0.0  # share of test pairs drawn to hold a many-to-one word (oversampling)

    def __post_init__(self) -> None:
        need = min_vocab_size()
        require(self.vocab_size >= need,
                f"vocab_size must be at least {need} for the sentence templates ({N_FUNCTION} function words and "
                f"{MIN_PER_CLASS} nouns, adjectives, verbs and adverbs each), got {self.vocab_size}")
        require(self.min_len >= 1, f"min_len must be at least 1, got {self.min_len}")
        require(self.max_len >= self.min_len, f"max_len ({self.max_len}) must be at least min_len ({self.min_len})")
        require(self.max_len >= SHORTEST,
                f"max_len must be at least {SHORTEST} (the shortest template, DET NOUN VERB), got {self.max_len}")
        require(self.min_len <= LONGEST_SOURCE,
                f"min_len must be at most {LONGEST_SOURCE} (the longest template), got {self.min_len}")
        require(any(self.min_len <= s <= self.max_len and self.min_len <= t <= self.max_len
                    for s, t in feasible_lengths()),
                f"no template gives both sides {self.min_len}..{self.max_len} words long")
        require(self.n_train >= 1 and self.n_test >= 1, "n_train and n_test must be at least 1")
        for name in ("p_adj", "p_do", "p_obj", "p_pp", "p_adv", "p_the", "compound_share", "split_verb_share",
                     "multiword_share"):
            val = getattr(self, name)
            require(0.0 <= val <= 1.0, f"{name} must be in [0, 1], got {val}")
        require(self.sample >= 0, f"sample must be non-negative, got {self.sample}")
        if self.multiword_share > 0:
            require(self.p_pp > 0 and self.p_the > 0,
                    "multiword_share > 0 needs p_pp > 0 and p_the > 0 (a contraction is PREP + 'the')")
            require(any(self.min_len <= s <= self.max_len and self.min_len <= t <= self.max_len
                        for s, t in feasible_lengths(contraction=True)),
                    f"multiword_share > 0: no sentence with a contraction has both sides {self.min_len}.."
                    f"{self.max_len} words long")


def feasible_lengths(contraction: bool = False) -> set[tuple[int, int]]:
    """Every (source length, target length) that some template choice gives (with a contraction, if asked)."""
    out = set()
    # choices: subj adj, subj compound, do, split verb, obj (adj, compound), pp (adj, compound, contraction), adv
    for sa, sc, do, sv, ob, oa, oc, pp, pa, pc, ct, adv in itertools.product((0, 1), repeat=12):
        if (not ob and (oa or oc)) or (not pp and (pa or pc or ct)) or (contraction and not ct):
            continue
        s = 2 + sa + do + 1 + ob * (2 + oa) + pp * (3 + pa) + adv
        t = 2 + sa + sc + 1 + sv + ob * (2 + oa + oc) + pp * (3 + pa + pc - ct) + adv
        out.add((s, t))
    return out


@dataclass(frozen=True)
class Pair:
    """One sentence pair: token ids (no specials) and the gold links (target i, source j)."""

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    links: tuple[tuple[int, int], ...]

    @property
    def types(self) -> tuple[AlignType, ...]:
        return alignment_types(self.links, len(self.tgt))


@dataclass(frozen=True)
class Corpus:
    src_vocab: tuple[str, ...]  # index = token id; ids 0..2 are SPECIALS
    tgt_vocab: tuple[str, ...]
    train: tuple[Pair, ...]
    test: tuple[Pair, ...]

    def words(self, pair: Pair) -> tuple[list[str], list[str]]:
        return [self.src_vocab[i] for i in pair.src], [self.tgt_vocab[i] for i in pair.tgt]


def alignment_types(links: tuple[tuple[int, int], ...] | list[tuple[int, int]], n_tgt: int) -> tuple[AlignType, ...]:
    """The gold type of every target word, from the links alone.

    many-to-one: the word links to >= 2 source words; one-to-many: its source
    word links to >= 2 target words; reordered: its single link crosses
    another link ((i - i')(j - j') < 0); one-to-one: otherwise; null: no link.
    """
    src_of: dict[int, list[int]] = {}
    fan: dict[int, int] = {}
    for i, j in links:
        src_of.setdefault(i, []).append(j)
        fan[j] = fan.get(j, 0) + 1
    out: list[AlignType] = []
    for i in range(n_tgt):
        js = src_of.get(i, [])
        if not js:
            out.append("null")
        elif len(js) >= 2:
            out.append("many-to-one")
        elif fan[js[0]] >= 2:
            out.append("one-to-many")
        elif any((i - i2) * (js[0] - j2) < 0 for i2, j2 in links):
            out.append("reordered")
        else:
            out.append("one-to-one")
    return tuple(out)


def _pseudo_words(rng: np.random.Generator, n: int, consonants: str, vowels: str, syllables: int,
                  taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        w = "".join(consonants[rng.integers(len(consonants))] + vowels[rng.integers(len(vowels))]
                    for _ in range(syllables))
        if rng.random() < 0.5:
            w += consonants[rng.integers(len(consonants))]
        if w not in taken:
            taken.add(w)
            out.append(w)
    return out


def generate(cfg: BilingualConfig) -> Corpus:
    """Build the lexicon and the train/test pairs from ``cfg.seed``."""
    rng = np.random.default_rng(cfg.seed)
    sizes = _class_sizes(cfg.vocab_size)
    s_taken = set(DETS) | set(PREPS) | {NULL_WORD}
    t_taken = set(DETS.values()) | set(PREPS.values()) | set(CONTRACT.values())
    src_words = {k: _pseudo_words(rng, n, "bdfgklmnprstvz", "aeiou", 2, s_taken) for k, n in sizes.items()}
    # Target lexicon: each open-class source word -> 1 or 2 target words.
    n_comp = max(1, round(cfg.compound_share * sizes["noun"]))
    n_split = max(1, round(cfg.split_verb_share * sizes["verb"]))
    lex: dict[str, tuple[str, ...]] = {}
    for cls, words in src_words.items():
        n_two = n_comp if cls == "noun" else n_split if cls == "verb" else 0
        two = set(rng.choice(len(words), size=min(n_two, len(words) - 1), replace=False).tolist()) if n_two else set()
        for k, w in enumerate(words):
            parts = 2 if k in two else 1
            lex[w] = tuple(_pseudo_words(rng, parts, "cdjlmnrstvwx", "aeiouy", 2 + (cls == "verb"), t_taken))
    for s, t in {**DETS, **PREPS}.items():
        lex[s] = (t,)

    src_vocab = SPECIALS + tuple(sorted(s_taken))
    tgt_vocab = SPECIALS + tuple(sorted(t_taken))
    s_id = {w: i for i, w in enumerate(src_vocab)}
    t_id = {w: i for i, w in enumerate(tgt_vocab)}

    def pick(cls: str) -> str:
        words = src_words[cls]
        return words[rng.integers(len(words))]

    def sentence() -> tuple[list[str], list[str], list[tuple[int, int]]]:
        src: list[str] = []
        tgt: list[str] = []
        links: list[tuple[int, int]] = []

        def emit(s_words: list[str], t_groups: list[tuple[list[str], list[int]]]) -> None:
            """Append source words and target groups; each group's words link to the given source offsets."""
            base = len(src)
            src.extend(s_words)
            for t_words, offsets in t_groups:
                for tw in t_words:
                    links.extend((len(tgt), base + o) for o in offsets)
                    tgt.append(tw)

        def noun_phrase(prep: str | None = None) -> None:
            det = "the" if rng.random() < cfg.p_the else "a"
            adj = pick("adj") if rng.random() < cfg.p_adj else None
            noun = pick("noun")
            words = ([prep] if prep else []) + [det] + ([adj] if adj else []) + [noun]
            o = 1 if prep else 0
            if prep and det == "the" and prep in CONTRACT:
                head = [([CONTRACT[prep]], [0, 1])]  # many-to-one
            elif prep:
                head = [([lex[prep][0]], [0]), ([lex[det][0]], [1])]
            else:
                head = [([lex[det][0]], [0])]
            noun_at = o + 1 + (1 if adj else 0)
            groups = head + [(list(lex[noun]), [noun_at])]  # adjective after the noun: links cross
            if adj:
                groups.append((list(lex[adj]), [o + 1]))
            emit(words, groups)

        noun_phrase()
        if rng.random() < cfg.p_do:
            emit([NULL_WORD], [])
        verb = pick("verb")
        emit([verb], [(list(lex[verb]), [0])])
        if rng.random() < cfg.p_obj:
            noun_phrase()
        if rng.random() < cfg.p_pp:
            noun_phrase(list(PREPS)[rng.integers(len(PREPS))])
        if rng.random() < cfg.p_adv:
            adv = pick("adv")
            emit([adv], [(list(lex[adv]), [0])])
        return src, tgt, links

    def draw(n: int, n_multi: int = 0) -> tuple[Pair, ...]:
        """n pairs; the first n_multi are drawn to hold a many-to-one word, then all are shuffled."""
        out = []
        for k in range(n):
            for _attempt in range(100_000):
                s, t, links = sentence()
                multi = len({i for i, _ in links}) < len(links)  # a target word with two links
                if (cfg.min_len <= len(s) <= cfg.max_len and cfg.min_len <= len(t) <= cfg.max_len
                        and (k >= n_multi or multi)):
                    break
            else:  # pragma: no cover - the config check makes every length range reachable
                raise RuntimeError("could not draw a sentence of the requested lengths")
            out.append(Pair(tuple(s_id[w] for w in s), tuple(t_id[w] for w in t), tuple(sorted(links))))
        if n_multi:
            out = [out[i] for i in rng.permutation(n)]
        return tuple(out)

    if cfg.sample:
        rng = np.random.default_rng([cfg.seed, cfg.sample])  # same lexicon, another sample of sentences
    train = draw(cfg.n_train)
    return Corpus(src_vocab, tgt_vocab, train, draw(cfg.n_test, round(cfg.multiword_share * cfg.n_test)))


def single_source_shortcut(pairs: tuple[Pair, ...] | list[Pair]) -> dict[str, float | int]:
    """Can a many-to-one target word be told from ONE of its gold source words alone?

    For a source word w, p(f | w) = share of w's links (over ``pairs``) that go to target word f. A many-to-one
    word f_i with gold source words G_i is determined by one of them if max_{j in G_i} p(f_i | w_j) = 1: then a
    model could emit it while attending to that word only, and the gold alignment would not be what it must use.
    Returns the number of many-to-one words, how many one gold source word determines, and the mean of
    max_{j in G_i} p(f_i | w_j) over them (NaN without a many-to-one word).
    """
    count: dict[int, dict[int, int]] = {}
    for p in pairs:
        for i, j in p.links:
            row = count.setdefault(p.src[j], {})
            row[p.tgt[i]] = row.get(p.tgt[i], 0) + 1
    best = []
    for p in pairs:
        src_of: dict[int, list[int]] = {}
        for i, j in p.links:
            src_of.setdefault(i, []).append(j)
        for i, js in src_of.items():
            if len(js) >= 2:
                best.append(max(count[p.src[j]][p.tgt[i]] / sum(count[p.src[j]].values()) for j in js))
    return {"many_to_one_words": len(best), "determined_by_one_source_word": sum(b == 1.0 for b in best),
            "mean_best_single_word_probability": float(np.mean(best)) if best else float("nan")}


def to_tensors(pairs: tuple[Pair, ...] | list[Pair], *, src_len: int | None = None,
               tgt_len: int | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Right-padded id tensors: src (N, S), tgt_in = <s> + tgt (N, T), tgt_out = tgt + </s> (N, T).

    T = longest target + 1; PAD (0) fills the rest.
    """
    S = src_len or max(len(p.src) for p in pairs)
    T = tgt_len or max(len(p.tgt) for p in pairs) + 1
    src = torch.full((len(pairs), S), PAD, dtype=torch.long)
    tin = torch.full((len(pairs), T), PAD, dtype=torch.long)
    tout = torch.full((len(pairs), T), PAD, dtype=torch.long)
    for n, p in enumerate(pairs):
        src[n, : len(p.src)] = torch.tensor(p.src)
        tin[n, : len(p.tgt) + 1] = torch.tensor((BOS,) + p.tgt)
        tout[n, : len(p.tgt) + 1] = torch.tensor(p.tgt + (EOS,))
    return src, tin, tout
