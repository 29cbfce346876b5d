"""The synthetic bilingual corpus: seeded, within its lengths, every phenomenon present, bad configs refused."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlclaims.core.errors import ConfigError
from dlclaims.data.bilingual import (
    BOS,
    EOS,
    NULL_WORD,
    PAD,
    SPECIALS,
    BilingualConfig,
    Pair,
    alignment_types,
    feasible_lengths,
    generate,
    min_vocab_size,
    single_source_shortcut,
    to_tensors,
)

SMALL = BilingualConfig(n_train=300, n_test=20)


@pytest.fixture(scope="module")
def corpus():
    return generate(SMALL)


def test_same_seed_same_corpus_other_seed_other_corpus(corpus):
    assert generate(SMALL) == corpus
    other = generate(BilingualConfig(n_train=300, n_test=20, seed=SMALL.seed + 1))
    assert other.train != corpus.train


def test_vocabulary_and_lengths(corpus):
    assert len(corpus.src_vocab) == SMALL.vocab_size + len(SPECIALS)
    assert len(set(corpus.src_vocab)) == len(corpus.src_vocab) and len(set(corpus.tgt_vocab)) == len(corpus.tgt_vocab)
    for p in corpus.train + corpus.test:
        assert SMALL.min_len <= len(p.src) <= SMALL.max_len
        assert SMALL.min_len <= len(p.tgt) <= SMALL.max_len
        assert min(p.src) >= len(SPECIALS) and min(p.tgt) >= len(SPECIALS)


def test_links_are_valid_and_cover_every_target_word(corpus):
    for p in corpus.train:
        assert all(0 <= i < len(p.tgt) and 0 <= j < len(p.src) for i, j in p.links)
        assert {i for i, _ in p.links} == set(range(len(p.tgt)))


def test_every_phenomenon_occurs(corpus):
    types = {t for p in corpus.train for t in p.types}
    assert {"one-to-one", "reordered", "one-to-many", "many-to-one"} <= types
    null_id = corpus.src_vocab.index(NULL_WORD)
    with_null = [p for p in corpus.train if null_id in p.src]
    assert with_null, "the particle with no counterpart never occurs"
    for p in with_null:
        j = p.src.index(null_id)
        assert all(jj != j for _, jj in p.links)


def test_alignment_types_from_links():
    # target: x0 <- s0; x1, x2 <- s2 (one-to-many); x3 <- s1 (crosses x1, x2); x4 <- s3, s4 (many-to-one)
    links = [(0, 0), (1, 2), (2, 2), (3, 1), (4, 3), (4, 4)]
    assert alignment_types(links, 6) == ("one-to-one", "one-to-many", "one-to-many", "reordered", "many-to-one",
                                         "null")


def test_to_tensors_layout(corpus):
    pairs = corpus.test[:5]
    src, tin, tout = to_tensors(pairs)
    assert src.shape[0] == tin.shape[0] == 5 and tin.shape == tout.shape
    for n, p in enumerate(pairs):
        assert src[n, : len(p.src)].tolist() == list(p.src) and bool((src[n, len(p.src):] == PAD).all())
        assert tin[n, 0] == BOS and tout[n, len(p.tgt)] == EOS
        assert torch.equal(tin[n, 1: len(p.tgt) + 1], tout[n, : len(p.tgt)])


@pytest.mark.parametrize("kw", [{"min_len": 0}, {"max_len": 0}, {"min_len": 6, "max_len": 5}, {"max_len": 2},
                                {"min_len": 14, "max_len": 20},
                                {"vocab_size": 10}, {"vocab_size": min_vocab_size() - 1}, {"n_train": 0},
                                {"p_adj": 1.5}])
def test_a_corpus_that_cannot_be_generated_is_a_config_error(kw):
    with pytest.raises(ConfigError):
        BilingualConfig(**kw)


def test_smallest_vocabulary_generates():
    c = generate(BilingualConfig(vocab_size=min_vocab_size(), n_train=30, n_test=5))
    assert len(c.src_vocab) == min_vocab_size() + len(SPECIALS)


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(sorted(feasible_lengths())), st.integers(0, 3), st.integers(0, 1000))
def test_any_feasible_length_range_is_respected(pair, widen, seed):
    lo = min(pair)
    hi = max(pair) + widen
    c = generate(BilingualConfig(min_len=lo, max_len=hi, n_train=8, n_test=2, seed=seed))
    assert all(lo <= len(p.src) <= hi and lo <= len(p.tgt) <= hi for p in c.train + c.test)


def test_samples_share_the_lexicon_but_not_the_sentences(corpus):
    other = generate(BilingualConfig(n_train=300, n_test=20, sample=1))
    assert other.src_vocab == corpus.src_vocab and other.tgt_vocab == corpus.tgt_vocab
    assert other.train != corpus.train
    assert generate(BilingualConfig(n_train=300, n_test=20, sample=1)) == other  # seeded


def test_multiword_share_oversamples_many_to_one_in_the_test_set_only():
    plain = generate(BilingualConfig(n_train=200, n_test=200))
    multi = generate(BilingualConfig(n_train=200, n_test=200, multiword_share=0.5))
    assert multi.train == plain.train  # the training sample is the same sentences

    def with_m2o(pairs):
        return sum("many-to-one" in p.types for p in pairs)

    assert with_m2o(multi.test) >= 100  # at least the forced half
    assert with_m2o(multi.test) > 2 * with_m2o(plain.test)
    # the forced pairs are spread through the test set, not all at the front
    assert 0 < sum("many-to-one" in p.types for p in multi.test[:100]) < 100


def test_multiword_share_needs_room_for_a_contraction():
    assert not any(s <= 5 for s, _ in feasible_lengths(contraction=True))  # PREP the NOUN after DET NOUN VERB
    with pytest.raises(ConfigError, match="contraction"):
        BilingualConfig(min_len=3, max_len=5, multiword_share=0.2)
    with pytest.raises(ConfigError, match="p_pp"):
        BilingualConfig(p_pp=0.0, multiword_share=0.2)


def test_single_source_shortcut_on_hand_made_pairs():
    # source 5 = "to", 6 = "the", 7 = "a"; target 10 = "au" (to + the), 11 = "a", 12 = "le", 13 = "un"
    au = Pair((5, 6), (10,), ((0, 0), (0, 1)))
    to_a = Pair((5, 7), (11, 13), ((0, 0), (1, 1)))
    the = Pair((6,), (12,), ((0, 0),))
    got = single_source_shortcut([au, to_a, the])
    # "to" goes to au once and to "a" once (1/2); "the" to au once and to "le" once (1/2): neither alone tells
    assert got == {"many_to_one_words": 1, "determined_by_one_source_word": 0,
                   "mean_best_single_word_probability": 0.5}
    # without "to a", "to" always yields "au": one source word determines the many-to-one word
    got = single_source_shortcut([au, the])
    assert got["determined_by_one_source_word"] == 1 and got["mean_best_single_word_probability"] == 1.0


def test_the_generated_contractions_need_both_source_words(corpus):
    """"to the" -> "au": neither "to" (also "to a") nor "the" (also "le") alone gives the contraction."""
    got = single_source_shortcut(corpus.train)
    assert got["many_to_one_words"] > 0 and got["determined_by_one_source_word"] == 0
    assert got["mean_best_single_word_probability"] < 0.9
