"""Stance of a window relative to the example it matched: negation scope, retractions, hedges.

A window w matched to a knowledge-base example e of stance s (asserts / denies / corrects) takes
stance s when w and e carry the same negation parity in their matching clause, and the opposite
stance when they differ ("Bob's attention computes the same function" matched to the asserting
example "Bob's attention does not compute the same function" denies the claim). Parity counts
negation triggers ("not", "never", "n't", "no", "cannot", "fails to", "without" ...) that are not
idioms ("not only", "no matter", "non-linear"); the clause is the one of w that shares the most
content words with e. A statement introduced as false ("it is a misconception that X", "X, but
that is wrong") flips once more. Hedges ("may", "might", "probably") are reported, not flipped.
"""

from __future__ import annotations

import functools
import re

from .ocr import ocr_digit_word, ocr_digits
from .structure import load as load_structure

NEG = re.compile(r"\b(?:not|no|never|neither|nor|cannot|fails? to|unable to|nothing|hardly|without|none|rather than|"
                 r"instead of|"
                 r"isn't|aren't|doesn't|don't|didn't|won't|wouldn't|can't|couldn't|shouldn't|hasn't|haven't|"
                 r"wasn't|weren't|lacks?|non)\b|n't\b|"
                 r"!=|≠|=/=|\\neq?\b")  # "softmax(Q)(K^T V) != softmax(QK^T)V": is not equal to
NOT_ONLY = re.compile(r"\bnot (?:only|just|merely)\b")
ONLY = re.compile(r"(?<!\bnot )\b(?:only|just|merely)\b")
IDIOMS = re.compile(r"\bno matter\b|\bif not\b|\bnot necessarily\b|\bnothing but\b|"
                    r"\bno (?:less|fewer|longer than) \b|\bnon[- ]?(?:linear|negative|zero|scalar|trivial|regulari|"
                    r"convex|parametric)\w*|\bwithout (?:loss of generality|any doubt)|"
                    # "a KL is never negative": non-negative, a positive statement
                    r"\b(?:(?:is|are) )?(?:never|not|isn't|aren't|(?:can't|cannot|can not|won't) (?:\w+ )?(?:be|become|go)) "
                    r"negative\b|"
                    # "we cannot compute that KL": it is intractable (an opposite word of "can be computed"), no negation
                    r"\b(?:cannot|can't|can not) (?:\w+ )?(?:be )?(?:comput|evaluat|calculat)\w*|"
                    # "it is not true that X" frames X as false (FRAMED_FALSE flips it): its "not" is that framing
                    r"\bnot true that\b|"
                    # an answer's leading "No," / "No." replies to the question; it does not negate what follows
                    r"^[\s*_>\-]*(?:no|nope)\b(?=[*_]*\s*[,.!:;\u2014-])")
NOT_NEG = re.compile(NOT_ONLY.pattern + "|" + IDIOMS.pattern)  # idioms that negate nothing
SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]}][.!?])\s+")
# clause ends: a sentence end (a negation's scope never crosses it), punctuation, contrastive conjunctions
# (a colon inside a word or formula, "x_{1:T}", "p(x_1:T | x_0)", is no clause end)
CLAUSE = re.compile(SENTENCE_END.pattern + r"|;|:(?!\S)|,\s+|\s\(|\)\s|"
                    r"\b(?:but|whereas|although|however|while|whilst|unlike)\b|\s-\s|\s—\s|"
                    r"\s+and\s+(?=(?:never|not|no|cannot|can't|doesn't|don't|isn't|won't)\b)")
HEDGE = re.compile(r"\b(?:may|might|could|possibly|perhaps|probably|likely|sometimes|i think|i believe|"
                   r"not sure|roughly|approximately)\b")
FRAMED_FALSE = re.compile(r"\b(?:misconception|myth|mistaken belief|common mistake|(?:is|it's|it is) (?:false|wrong|"
                          r"incorrect|untrue|not true)) that\b|"
                          # a view the writer sets up to reject: "it is tempting to call them equal"
                          r"\b(?:(?:it is|it's|is) tempting|(?:one|you|we) (?:might|may|could) be tempted) to\b|"
                          # a first thought the writer goes on to reject: "my first reaction was that eta is too big, but"
                          r"\b(?:my (?:first|initial) (?:reaction|thought|guess|instinct|intuition|idea)|at first (?:i|we) "
                          r"(?:thought|assumed|believed|guessed)|(?:i|we) (?:initially|originally|first) (?:thought|"
                          r"assumed|believed)|(?:i|we) (?:had|would have) (?:expected|guessed|assumed))\b|"
                          # a view the writer says it rejects: "where I disagree with the slides is 'a wrong bias hurts'"
                          r"\b(?:i|we) (?:disagree|(?:don't|do not) agree|(?:don't|do not) (?:believe|buy))(?: with| that)?\b|"
                          # a name the writer rejects: "calling the likelihood 'the regularizer' gets the roles backwards"
                          r"\b(?:calling|to call)\b[^.;]{0,60}?\b(?:is|are|gets?|would be)\s+(?:\w+\s+){0,3}?"
                          r"(?:wrong|incorrect|backwards?|a mistake|mistaken|misleading|a misnomer)\b")
RETRACTED = re.compile(r"\b(?:but|however|yet)\b[^.!?]{0,20}?\b(?:that|this|it|which)(?: is|'s| was)\s+"
                       r"(?:simply |actually |in fact )?(?:false|wrong|incorrect|untrue|not (?:true|correct|right|the "
                       r"case)|a (?:misconception|myth|mistake))"
                       r"|[;,]\s*(?:but\s+)?(?:it|this|that|they)\s+(?:cannot|can't|doesn't|does not|don't|do not|"
                       r"isn't|is not|won't|will not|wouldn't|would not)\s*[.!]?\s*$")
# words that report what others say ("my group said ...", "people write O(t^2 l n), but ..."): what follows is
# not the sheet's own statement unless it agrees
REPORTED = re.compile(r"\b(?:said|says|claimed|according to|"
                      # "as I remember from the notes": the writer's own recollection, not a report
                      r"(?<!remember from )(?<!learned from )(?<!learned in )the (?:slides|lecture|notes|textbook|book)|"
                      r"(?:my|our|a) (?:study group|group|partner|classmate|friend|ta|tutor))\b|"
                      r"\b(?:people|some|many|others|textbooks?|slides|the lecture|one often|you often|often|usually|"
                      r"commonly)\b(?:\s+\w+){0,3}\s+(?:write|writes|quote|quotes|quoted|say|says|said|claim|claims|"
                      r"state|states|stated|give|gives|given|cite|cites|cited)\b")
# a statement quoted from someone else ('Quoting @tkim: "..."', 'Quote (lecture 9): "..."', 'the old solution says
# "..."', 'my group says'; not 'according to the notes', which mostly endorses): it votes on the stance only where the
# writer's own words do not, and only where the report opens the statement (vote_detail)
QUOTED = re.compile(r"\bquoting\b|\b(?:quote|wrote|writes|posted|replied)\s*(?:\([^()]*\)\s*)?:|"
                    r"\b(?:says|said|claims|claimed|writes|wrote|states|stated)\s*[:,]?\s*[\"\u201c]|"
                    r"\b(?:my|our|a|one|another) (?:study group|group|(?:lab )?partner|classmate|friend|ta|tutor|"
                    r"colleague|teammate|fellow student)s?\b|"
                    r"\b(?:people|many|others|textbooks?|slides|the lecture)\b(?:\s+\w+){0,3}\s+(?:write|say|said|claim|state)s?\b|"
                    r"\b(?:someone|somebody|the (?:ta|tutor|textbook|book|slides|lecture|lecturer|old solution))\s+(?:\w+\s+)?"
                    r"(?:claim|say|argue|think|believe|suggest|write)(?:s|ed|d)?\b")
WORD = re.compile(r"[a-z][a-z0-9]+")
_STOP = frozenset("the a an of to in and or is are be it this that for with on as by at from its their they we "
                  "which not no never does do can".split())

_DEGREE = frozenset("really actually necessarily very quite".split())

FLIP = {"asserts": "denies", "denies": "asserts", "corrects": "corrects"}


def clear_caches() -> None:
    """Forget the memoised readings (per sheet: a sheet's windows recur across its claims, not across sheets)."""
    for f in (_content, _stems, matching_clause, aligned_parity, _all_sides, _has_opposite, opposed, _ocr_low):
        f.cache_clear()


_NOR = re.compile(r"\bnor\b")


def parity(text: str) -> int:
    """Number of negations (idioms removed) modulo 2."""
    low = NOT_NEG.sub(" ", ocr_digits(text.lower()))  # OCR: "cannot fai1 to" is "cannot fail to"
    n = len(NEG.findall(low))
    if "neither" in low:  # "neither X nor Y" is one negation
        n -= min(low.count("neither"), len(_NOR.findall(low)))
    return n % 2


_SCOPE_END = re.compile(r"[,;:!?]|\.(?:\s|$)")  # a negation's scope ends with its clause
_IDENT = re.compile(r"[a-z][a-z0-9_]+")  # a word, or a code identifier whole


_INFLECTION = re.compile(r"(?<=...)(?:ing|ed|s)$")
_FINAL_E = re.compile(r"(?<=...)e$")


def _stem(word: str) -> str:
    """A word's first five letters after an inflection and a final e ("makes", "make" -> "mak"), read through OCR's
    digits for letters ("c0nverge", "regu1arized")."""
    if "0" in word or "1" in word:
        word = ocr_digit_word(word)
    return _FINAL_E.sub("", _INFLECTION.sub("", word))[:5]


# verbs whose negation is about the action itself ("can't keep that KL", "doesn't rescue GDA"): the object after
# them is no evidence that the other text says the negated thing
_ACTION_VERBS = frozenset("rescue rescues fix fixes fixed keep keeps kept save saves saved solve solves help helps "
                          "change changes matter matters remove removes".split())
_TAIL_START = re.compile(r",\s*$")  # a ", not Y" contrast tail


@functools.lru_cache(maxsize=16384)
def _stems(low: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in WORD.findall(low) if w not in _STOP)


@functools.lru_cache(maxsize=16384)
def aligned_parity(text: str, other: str) -> int:
    """Parity of the negations of ``text`` whose scope (the next two content words) also occurs in ``other``:
    a negation of something the other text does not talk about ("..., without looking at other tokens")
    does not count. "Not only" negates an "only" of the other text ("mixing happens in the MLP, not only in
    attention" against "only attention mixes the tokens"); elsewhere it is an idiom ("not only X but also Y")."""
    low = ocr_digits(text.lower())
    if not NEG.search(low):  # most texts: no negation at all (idioms only remove some)
        return 0
    olow = other.lower()
    low = (IDIOMS if ONLY.search(olow) else NOT_NEG).sub(" ", low)
    there = _stems(olow)
    n = 0
    for m in NEG.finditer(low):
        if m.group(0) == "nor" and "neither" in low[:m.start()]:
            continue  # "neither X nor Y" is one negation
        # "without" negates its object only ("without an argument raises an error": the argument, not the error)
        k = 1 if m.group(0) == "without" else 2
        scope = _SCOPE_END.split(low[m.end():m.end() + 60], maxsplit=1)[0]  # "does not help: updates cycle"
        # "without grad_outputs": one word; a degree word is no scope ("isn't really more expensive": "expensive")
        words = [w for w in _IDENT.findall(scope) if w not in _STOP and w not in _DEGREE]
        nxt = [_stem(w) for w in words][:k]
        if k == 2 and len(nxt) == 2 and nxt[0] not in there and words[0] in _ACTION_VERBS:
            nxt = nxt[:1]  # "doesn't rescue alternating GDA": the negated verb, not its object, must be the other's
        # a scope word the text already said before its negation tells nothing ("a Jacobian for a vector output, not
        # a gradient vector": "vector" is the subject; "gradient" is what is denied)
        said = _stems(low[:m.start()]) if _TAIL_START.search(low[:m.start()]) else frozenset()
        # ... unless it is all the tail says ("the output is a vector, so its derivative is a Jacobian, not a vector")
        n += bool(({w for w in nxt if w not in said} or set(nxt)) & there)
    return n % 2


def clauses(text: str) -> list[str]:
    out = [c.strip() for c in CLAUSE.split(text) if c and c.strip()]
    return out or [text]


@functools.lru_cache(maxsize=16384)
def _content(text: str) -> frozenset[str]:
    return frozenset(w[:6] for w in WORD.findall(text.lower()) if w not in _STOP)


@functools.lru_cache(maxsize=16384)
def matching_clause(window: str, example: str) -> str:
    """The clause of the window sharing the most content words with the example (ties: the first)."""
    ex = _content(example)
    cl = clauses(window)
    if len(cl) == 1:
        return cl[0]
    return max(cl, key=lambda c: len(_content(c) & ex) / (1 + 0.05 * len(_content(c))))


_CONTRAST_TAIL = re.compile(r"\s*(?:\([^()]*\)\s*)?(?:,\s*(?:and\s+|but\s+)?|\s+(?:and|but)\s+)(not\b[^,;:.!?]*)")


_TAIL = re.compile(r",\s*not\b[^,;:.!?]*[.!?]?\s*$")  # a sentence's closing ", not Y"


def with_contrast_tail(window: str, clause: str) -> str:
    """The clause with the "..., not Y" that follows it in the window ("is a Jacobian (m x n), not a gradient
    vector"): the contrast belongs to the clause it corrects, as in an example worded the same way."""
    i = window.find(clause)
    m = _CONTRAST_TAIL.match(window, i + len(clause)) if i >= 0 else None
    return f"{clause}, {m.group(1).strip()}" if m else clause


def matching_sentence(window: str, example: str) -> str:
    """The sentence of the window sharing the most content words with the example (ties: the first)."""
    ss = [x for x in SENTENCE_END.split(window) if x.strip()]
    if len(ss) <= 1:
        return window
    ex = _content(example)
    return max(ss, key=lambda x: len(_content(x) & ex))


_FRAME_END = re.compile(r"\b(?:but|however|yet|whereas|although|though)\b|[;:]")  # the writer's own view starts here


def framed_spans(low: str) -> list[tuple[int, int]]:
    """(start, end) of each part of a lower-cased text that it frames as false: from a marker to the writer's own
    view ("you might be tempted to write O(t^2 l n) and move on ... don't stop there: ...")."""
    out: list[tuple[int, int]] = []
    for m in FRAMED_FALSE.finditer(low):
        if out and m.start() < out[-1][1]:
            continue
        end = _FRAME_END.search(low, m.end())
        out.append((m.start(), end.start() if end else len(low)))
    return out


def unframed(low: str) -> str:
    """A lower-cased text without the parts it frames as false, from each marker to the writer's own view ("i had
    expected overfitting at h = 64 but the plot doesn't show that" -> "but the plot doesn't show that")."""
    out, at = [], 0
    for x, y in framed_spans(low):
        out.append(low[at:x])
        at = y
    return "".join(out) + low[at:]


def framed_false(window: str, clause: str = "") -> bool:
    """The window frames a statement as false ("it is a misconception that ...", "..., but that is wrong"). With
    ``clause``: only where the clause lies inside the framed part ("It is tempting to blame eta, but a smaller step
    does not help": the framing ends at the "but")."""
    low = window.lower()
    if RETRACTED.search(low):
        return True
    frames = list(FRAMED_FALSE.finditer(low))
    if not frames:
        return False
    if not clause:
        return True
    at = low.find(clause.lower()[:40])
    if at < 0:
        return True
    # the framed part runs from the marker to the writer's own view: a clause that ends before the marker is the
    # writer's ("... go round a closed orbit ...; my first reaction was that a smaller step would converge")
    for m in frames:
        end = _FRAME_END.search(low, m.end())
        if m.start() < at + len(clause) and (end is None or at < end.start()):
            return True
    return False


def relative_stance(window: str, example: str, example_stance: str) -> str:
    """The window's stance toward the claim, from the stance of the example it matched."""
    clause = matching_clause(window, example)
    flip = parity(clause) != parity(matching_clause(example, clause))
    flip ^= framed_false(window) and not framed_false(example)
    return FLIP[example_stance] if flip else example_stance


def hedged(window: str) -> bool:
    return bool(HEDGE.search(window.lower()))


STANCE_MIN_WORDS = 6  # a shorter window ("in the latent space.") finds a claim but does not vote on its stance
DENY_NEAR = 0.12  # ... or within this of them, where the window says the assertion's opposite word
DENY_MARGIN = 0.08  # a window takes the stance of a denial (or correction) only when it beats the assertions by this
TIGHT = 0.35  # content-word overlap (Jaccard) above which a negation-parity difference flips the stance
SAME_HEAD = 0.6  # ... above which a window says what an example says before its ", not Y" tail


_MATH = re.compile(r"\$[^$]*\$|\\[a-zA-Z]+")


def prose_words(text: str) -> int:
    """Words of two letters or more outside inline math and LaTeX commands ("$y = \\eta x$" has none)."""
    return len(re.findall(r"[A-Za-z]{2,}", _MATH.sub(" ", text)))


def _jaccard(a: str, b: str) -> float:
    x, y = _content(a), _content(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def _tight(clause: str, example: str) -> bool:
    return _jaccard(clause, example) >= TIGHT


_UNIVERSAL = re.compile(r"\b(?:every|always)\b")
# (a bare "each" before its verb points back to the words just named: "'house' and 'the' ... so each is aligned with
# exactly one source word" speaks of those two)
_QUANTIFIED = re.compile(r"\b(?:every|always|each(?!\s+(?:is|has|was|gets|one)\b)|all|any|whole|entire|only|never)\b")


def _particular(clause: str, denial: str) -> bool:
    """The denial says something of every case ("every target word always attends to exactly one source word") and
    the window of some cases, without a quantifier ("a row with a single bright cell means the word is aligned to
    exactly one source word"): it does not deny."""
    return bool(_UNIVERSAL.search(denial.lower())) and not _QUANTIFIED.search(clause.lower())


def _negated_paraphrase(clause: str, denial: str) -> bool:
    """A denial worded as a negation is read only from a tight paraphrase that carries a negation too ("a deep net
    does it with 2 units per layer" is no paraphrase of "a deep net has no more pieces than a shallow one")."""
    return _tight(clause, denial) and (not parity(denial) or bool(parity(clause)))


NO_VOTE_LEAN = 2.5  # log-odds of the contrast words toward the denials that stand for a stance no window states
CONTRAST = 0.1  # weight of the contrast words' log-odds (per nat) against a denial's similarity lead


def contrast(window: str, odds: dict[str, float] | None) -> float:
    """Log-odds that the window asserts rather than denies, from the words that tell the claim's asserting
    examples from its denying ones (naive Bayes over 5-letter stems, ``detect.contrast_words``)."""
    return float(sum(_word_odds(window, odds)))


def _word_odds(text: str, odds: dict[str, float] | None) -> list[float]:
    """The log-odds of each distinct word of the text that tells the claim's sides apart (``detect.contrast_words``)."""
    if not odds:
        return []
    return [v for w in set(WORD.findall(text.lower())) if (v := odds.get(w[:5])) is not None]


def _distinct_denial(clause: str, denial: str, sentence: str, odds: dict[str, float] | None) -> bool:
    """A denial of a claim whose denials are negations, read from a window: a tight paraphrase of it
    (``_negated_paraphrase``); where the denial is worded without a negation ("... is independent of the output
    size"), the window must also say a word that tells the claim's denials from its assertions (negative log-odds,
    ``contrast``) or a negation of its own: a window whose words both sides share ("the full Jacobian of an output
    of size m needs m backward passes") is no denial, however close it scores."""
    if not _negated_paraphrase(clause, denial):
        return False
    if parity(denial) or not odds or parity(clause):
        return True
    return any(v < 0 for v in _word_odds(sentence, odds))


def window_stance(window: str, by_stance: dict[str, tuple[float, str]], denials: str = "content",
                  odds: dict[str, float] | None = None, sentence: str = "") -> tuple[str, str]:
    """(stance, example) of one window from its closest example of each stance.

    Assertion is the default; a denial or a correction must match clearly better (DENY_MARGIN), and
    where the claim's denials are negations (``denials="negation"``) the window must also be a tight
    paraphrase of the denial: a loose similarity to a short negated sentence says little. The chosen
    example's stance flips when the window's matching clause is a tight paraphrase of it with the
    other negation parity, and once more when the window frames the statement as false. A loose match with the
    other parity "abstains": it neither asserts nor denies (independent sheets: 3 more wrong answers graded
    wrong, none graded wrong in error; corpus unchanged)."""
    a = by_stance.get("asserts", (-9.0, ""))
    st, (score, ex) = "asserts", a
    # > 0: the window's words lean to the assertions; read in the window's sentence that talks about the claim
    # (of a two-sentence window, the other sentence's "never" is not this claim's)
    about = window if models_named(window) else sentence or window  # the text that says which model it is about
    told = matching_sentence(window, " ".join(e for _, e in by_stance.values()))
    lead = CONTRAST * contrast(told, odds)
    for other in ("denies", "corrects"):
        o = by_stance.get(other)
        if o is not None and o[0] - max(score, a[0]) - lead > DENY_MARGIN and (
                denials == "content" or _distinct_denial(matching_clause(window, o[1]), o[1], told, odds)) and \
                not any(other_model(t, o[1]) for t in (about, matching_sentence(window, o[1]),
                                                       matching_clause(window, o[1]))) and \
                not _particular(matching_clause(window, o[1]), o[1]) and \
                not (denials == "content" and other == "denies" and parity(o[1]) == 0 and
                     any(opposed(c, o[1]) for c in clauses(window))):
            # (a positive denial that a clause of the window contradicts with an opposite word is not what the window
            # says: "nothing constrains the codes to look like N(0, I), so random codes decode to junk" against
            # "random latents ... look like real digits")
            st, score, ex = other, o[0], o[1]
    o = by_stance.get("denies")
    if st == "asserts" and o is not None and o[0] - a[0] - lead > DENY_MARGIN and not parity(o[1]) and \
            opposed(window, a[1]) and not opposed(window, o[1]) and not other_model(about, o[1]):
        # a closer denial worded without a negation, not a tight paraphrase, but the window says the opposite word of
        # the assertion and not of the denial ("the whole output comes out of one parallel pass" against "... is
        # produced token by token" and "... produces the whole output in parallel"): the window denies
        return "denies", o[1]
    clause = with_contrast_tail(sentence or window, matching_clause(window, ex))
    ex = part_about(ex, about)  # a clause naming one model: its half
    head = _TAIL.sub("", ex)
    # the example's words that say what it holds: without its ", not Y" tail where the window has none ("a different
    # attention, not a faster implementation of the same one": "different", not "same")
    said = head if head != ex and not _TAIL.search(clause) else ex
    if said != ex and _jaccard(clause, head) >= SAME_HEAD:
        # "the derivative is a Jacobian" against "... is a Jacobian matrix, not a gradient vector": the window says
        # the example's head and not its contrast; compare the head
        ex = head
    said_opposite = opposed(clause, said)
    # the head's opposite word and its ", not Y" tail say the same ("gives garbage, not realistic digits" against
    # "gives realistic digits"): read once, from the head
    negs_of = said if said != ex and said_opposite else ex
    # the window is about the other model of the example's pair ("it is the moving average that reacts slowly"
    # against "the plain average reacts slowly"): the same words say the opposite of the claim, the opposite
    # words say the same ("the EMA reacts at once"); one more parity
    crossed = other_model(clause, ex) and not _compared_only(clause.lower())
    other_parity = ((aligned_parity(clause, negs_of) != aligned_parity(negs_of, clause)) != said_opposite) != crossed
    framed = framed_false(sentence or window, clause) and not framed_false(ex)
    # the parity differs and the window frames its statement as false: the two cancel ("it is not true that autograd
    # cannot handle vector outputs" says what "autograd handles vector outputs" says), loose match or tight
    flip = (_tight(clause, ex) or framed) and other_parity
    if other_parity and not framed and _both_models(ex, about):
        # a two-model example ("the VAE's samples look like real data, the autoencoder's do not") against a window
        # that names neither model ("most samples do not look like real images"): which half it matches, and so
        # whether its negation differs, is unknown; it does not vote
        return "abstains", ex
    if other_parity and not flip and not framed:
        # a loose match with the other negations ("Bob's version first computes K^T V" against "Bob's attention
        # does not compute the same function"): the window says neither; it does not vote, unless it says the
        # opposite word of the assertion and a denial that scored about as well agrees with it ("the transformer
        # emits all tokens in parallel" against "... is sequential too" and "... produces the whole output at once")
        if st == "asserts" and o is not None and o[0] >= score - DENY_NEAR and opposed(clause, said) and \
                aligned_parity(clause, negs_of) == aligned_parity(negs_of, clause):
            dcl = with_contrast_tail(sentence or window, matching_clause(window, o[1]))
            if aligned_parity(dcl, o[1]) == aligned_parity(o[1], dcl) and not opposed(dcl, o[1]) and \
                    not any(other_model(t, o[1]) for t in (about, dcl)):
                return "denies", o[1]
        return "abstains", ex
    flip ^= framed
    return (FLIP[st] if flip else st), ex



OPPOSITES = tuple((re.compile(a), re.compile(b)) for a, b in load_structure().opposites)
_EITHER = tuple(re.compile(f"(?:{a.pattern})|(?:{b.pattern})") for a, b in OPPOSITES)  # one search for an absent pair
_ANY_OPPOSITE = re.compile("|".join(f"(?:{p.pattern})" for pair in OPPOSITES for p in pair) or r"(?!)")


@functools.lru_cache(maxsize=16384)
def _ocr_low(text: str) -> str:
    return ocr_digits(text.lower())


@functools.lru_cache(maxsize=16384)
def opposed(text: str, other: str) -> bool:
    """An odd number of word pairs (``OPPOSITES``) where one text says one word and the other text the opposite one
    (and not the first): "the Transformer is parallel at test time" against "... is sequential at test time"."""
    low, olow = _ocr_low(text), _ocr_low(other)  # OCR: "paralle1" is "parallel"
    same_comparison = bool(_comparatives(low) & _comparatives(olow))
    if not (_has_opposite(low) and _has_opposite(olow)):  # most texts: no such word (one search)
        return same_comparison and _swapped(low, olow, both=True)
    n, shared = 0, False
    for (ta, tb), (oa, ob) in zip(_all_sides(low), _all_sides(olow)):
        n += (ta and not tb and ob and not oa) or (tb and not ta and oa and not ob)
        shared |= ta != tb and oa != ob
    # a comparison with the models the other way round says the opposite with the same word ("the CNN needs more
    # weights than the MLP" against "the MLP needs more parameters than the CNN") and the same with the opposite one
    # (where both texts say a word of some pair: a comparison of the same kind)
    # (or where both compare with the same word before "than": "the CNN loses more accuracy than the MLP" against "the
    # MLP's accuracy drops much more than the CNN's")
    swapped = (shared and bool(_COMPARED.search(low) or _COMPARED.search(olow)) and _swapped(low, olow)) or \
        (same_comparison and _swapped(low, olow, both=True))
    return (n + swapped) % 2 == 1


@functools.lru_cache(maxsize=16384)
def _has_opposite(low: str) -> bool:
    """The (lower-cased) text says a word of some opposite pair (memoised per sheet: the examples recur)."""
    return _ANY_OPPOSITE.search(low) is not None


@functools.lru_cache(maxsize=16384)
def _all_sides(low: str) -> tuple[tuple[bool, bool], ...]:
    """Which words of each opposite pair a (lower-cased) text says (memoised per sheet)."""
    if not _has_opposite(low):
        return ((False, False),) * len(OPPOSITES)
    return tuple(_sides(a, b, low) if either.search(low) else (False, False)
                 for (a, b), either in zip(OPPOSITES, _EITHER))


_COMPARED = re.compile(r"\bthan\b|\bcompared (?:to|with)\b|\brelative to\b|\bversus\b|\bvs\b|\bunlike\b")
_OBJECT_WORDS = r"than|compared (?:to|with)|relative to|versus|vs\.?|unlike"  # what stands before a comparison's object
_OBJECT = re.compile(rf"\b(?:{_OBJECT_WORDS})\s+(?:the\s+|a\s+|an\s+)?$")


def _lead(low: str, a: str, b: str, ra: str, rb: str) -> str | None:
    """The model a comparison is about (its subject): the other one where a named model stands right after "than" /
    "compared to" / "unlike"; else the one named first; None if neither is named."""
    named = [(m, this, that) for m, this, that in ((re.search(ra, low), a, b), (re.search(rb, low), b, a)) if m]
    for m, _, that in named:
        if _OBJECT.search(low[max(0, m.start() - 20):m.start()]):
            return that
    return min(named, key=lambda x: x[0].start())[1] if named else None


_LIKE = re.compile(rf"\b(?:{_OBJECT_WORDS}|like|as|the way)\s+(?:the\s+|a\s+|an\s+)?$")


def _compared_only(low: str) -> bool:
    """Every model the (lower-cased) clause names stands as a comparison's object ("not regularized the way the VAE's
    is", "realistic digits just like a VAE"): the clause is not about that model."""
    starts = [m.start() for pair in MODEL_PAIRS for _, rx in pair for m in re.finditer(rx, low)]
    return bool(starts) and all(_LIKE.search(low[max(0, i - 20):i]) for i in starts)


_COMPARATIVE = re.compile(r"\b(more|less|fewer|\w{3,}er)\b(?=(?:\s+[\w']+){0,2}\s+than\b)")


def _comparatives(low: str) -> frozenset[str]:
    """The comparative words of a (lower-cased) text's comparisons: "more" in "loses more accuracy than"."""
    return frozenset(_COMPARATIVE.findall(low)) if " than " in low else frozenset()


def _swapped(low: str, olow: str, both: bool = False) -> bool:
    """The texts speak of the two models of a pair (one of them compares both; with ``both``, each of them), each
    with the other model as its subject ("the MLP is hurt more than the CNN" against "the CNN is more robust")."""
    for (a, ra), (b, rb) in MODEL_PAIRS:
        la, lb = _lead(low, a, b, ra, rb), _lead(olow, a, b, ra, rb)
        pair = {a, b}
        if la and lb and (pair <= models_named(low) and pair <= models_named(olow) if both else
                          pair <= models_named(low) or pair <= models_named(olow)):
            return la != lb
    return False


def _sides(a: re.Pattern, b: re.Pattern, low: str) -> tuple[bool, bool]:
    """Which words of an opposite pair a text says, not counting a negated one ("do not look across positions",
    "never converges"): the negation's parity reads those."""
    def said(pat: re.Pattern) -> bool:  # a negation among the three words before it negates it
        return any(not NEG.search(NOT_NEG.sub(" ", " ".join(low[max(0, m.start() - 25):m.start()].split()[-3:])))
                   for m in pat.finditer(low))
    return said(a), said(b)


# Models that answers contrast (structure.toml [[model_pair]]): a claim about one of a pair is about that model
# only. Each model's names, as regexes over lower-cased text.
MODEL_PAIRS: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = load_structure().model_pairs


@functools.lru_cache(maxsize=4096)
def models_named(text: str) -> frozenset[str]:
    """The contrasted models a text names (``MODEL_PAIRS``)."""
    low = text.lower()
    return frozenset(name for pair in MODEL_PAIRS for name, rx in pair if re.search(rx, low))


_HALVES = re.compile(r";\s*|,\s*(?:but|while|whereas)\s+|\s+(?:but|while|whereas)\s+")


def part_about(example: str, window: str) -> str:
    """The half of a two-model example ("a plain autoencoder gives no realistic samples; a VAE's prior samples are
    realistic") about the one model the window names; the whole example otherwise."""
    w = models_named(window)
    for (a, _), (b, _) in MODEL_PAIRS:
        if (a in w) != (b in w) and {a, b} <= models_named(example):
            mine = a if a in w else b
            halves = [h for h in _HALVES.split(example) if h.strip()]
            keep = [h for h in halves if mine in models_named(h) and (b if mine == a else a) not in models_named(h)]
            if keep:
                return " ".join(_unelided(h, halves) for h in keep)
    return example


_ELIDED = re.compile(r"^(.*\b(is|are|does|do|can|will|would))\s+(?:not|n't)\s*[.!]?\s*$")


def _unelided(half: str, halves: list[str]) -> str:
    """"a plain autoencoder is not" after "a VAE is a generative model": "a plain autoencoder is not a generative
    model" (the negation's scope is the other half's predicate)."""
    m = _ELIDED.match(half)
    if not m:
        return half
    for other in halves:
        p = re.search(rf"\b{m.group(2)}\s+(?!not\b)(.+?)[.!]?\s*$", other)
        if other is not half and p:
            return f"{m.group(1)} not {p.group(1)}"
    return half


def _both_models(example: str, window: str) -> bool:
    """The example speaks of both models of a pair and the window of neither."""
    e, w = models_named(example), models_named(window)
    return any(a in e and b in e and a not in w and b not in w for (a, _), (b, _) in MODEL_PAIRS)


def other_model(window: str, example: str) -> bool:
    """The example is about one model of a contrasted pair and the window only about the other ("decoding the
    VAE's prior samples gives realistic digits" against "a plain autoencoder's random latents give realistic
    digits"): the window cannot take the example's stance."""
    w, e = models_named(window), models_named(example)
    return any((a in e) != (b in e) and (a in w) != (b in w) and (a in w) != (a in e)
               for (a, _), (b, _) in MODEL_PAIRS)


def claim_subject(claim_text: str) -> tuple[str, str] | None:
    """(the model, the other model of its pair) when the claim's text names exactly one model of a contrasted
    pair ("the plain autoencoder's latent space is not regularized" -> ("ae", "vae")); None otherwise (no model,
    or both halves of a contrast: those are graded per half)."""
    named = models_named(claim_text)
    for (a, _), (b, _) in MODEL_PAIRS:
        if a in named and b not in named:
            return a, b
        if b in named and a not in named:
            return b, a
    return None


@functools.cache
def subject_of(claim: str) -> tuple[str, str] | None:
    """``claim_subject`` of a catalogue claim id."""
    from ..core.catalogue import claims_by_id

    c = claims_by_id().get(claim)
    return claim_subject(c.claim) if c is not None else None


def subject_reading(window: str, subject: tuple[str, str] | None) -> str:
    """How a window bears on a claim about one of two contrasted models: 'vote' (it names the claim's model,
    or the claim has no such subject), 'assert-only' (it names neither model: the claim's model is implied at
    most, so it may assert but never deny it), 'none' (it names only the other model: a statement about the
    VAE neither asserts nor denies a claim about the plain autoencoder)."""
    if subject is None:
        return "vote"
    named = models_named(window)
    if subject[0] in named:
        return "vote"
    return "none" if subject[1] in named else "assert-only"


def vote(support: list, denials: str = "content", odds: dict[str, float] | None = None) -> tuple[str, object, str]:
    """The stance of a found claim: the score-weighted vote of its best windows (detect.Support);
    returns (stance, the first window of that stance, its example)."""
    return vote_detail(support, denials, odds)[:3]  # type: ignore[return-value]


# a step size by any of its names and its value: "eta = 0.1", "\\eta=1", "η = 0.5", "a learning rate of 0.01"
_STEP = re.compile(r"(?:\\eta|η|\beta|\blr|\blearning rate|\bstep[- ]?size|\bstep)\s*(?:=|of|:)\s*(\d+(?:\.\d+)?|\.\d+)")


@functools.cache
def setting_of(claim: str) -> float | None:
    """The step size a catalogue claim is stated for ("with eta = 1 the iterates never reach the optimum"), if any."""
    from ..core.catalogue import claims_by_id

    c = claims_by_id().get(claim)
    m = _STEP.search(c.claim.lower()) if c is not None else None
    return float(m.group(1)) if m else None


def other_setting(window: str, setting: float | None) -> bool:
    """The window speaks of another step size than the claim's ("with eta = 0.1 the iterates spiral in" is not about
    eta = 1): it does not vote on the claim's stance."""
    if setting is None:
        return False
    values = {float(v) for v in _STEP.findall(window.lower())}
    return bool(values) and setting not in values


_PHASE = {"test": re.compile(r"\btest[- ]?time\b|\bat test\b|\binference\b|\bgenerat\w*|\bdecod\w*|\bsampl\w*|"
                            r"\bautoregressiv\w*"),
          "train": re.compile(r"\btrain\w*|\bbackprop\w*|\bteacher[- ]forc\w*")}


def other_phase(window: str, phase: str | None) -> bool:
    """The window speaks of the other phase only ("generation is parallel too" for a claim about training): it does
    not vote on the claim's stance."""
    if phase is None:
        return False
    low = window.lower()
    other = "test" if phase == "train" else "train"
    return bool(_PHASE[other].search(low)) and not _PHASE[phase].search(low)


def _quoted(window) -> bool:
    """The window states what someone else says: a report (``QUOTED``) in the first half of its sentence up to the
    window's end ('Quoting @tkim: "... halve it and GDA converges"'; not "I'd say X; the gap people claim ...")."""
    low = window.quote.lower()
    at = low.find(window.text.lower()[:30])
    upto = low[:at + len(window.text)] if at >= 0 else low
    m = QUOTED.search(upto)
    return bool(m) and m.start() < 0.5 * len(upto)


def vote_detail(support: list, denials: str = "content",
                odds: dict[str, float] | None = None, subject: tuple[str, str] | None = None,
                setting: float | None = None, phase: str | None = None) -> tuple[str, object, str, float]:
    """``vote`` and the winning stance's share of the vote's weight (1.0: every voting window agrees;
    a share below 1 means the windows read the claim with different stances: an ambiguous stance; 0 when
    no voting window has STANCE_MIN_WORDS words of prose outside its math, or none talks about the claim's
    model). ``subject`` (``claim_subject``): a window about the other model does not vote, one that names
    neither model votes only for an assertion."""
    weights: dict[str, float] = {}
    first: dict[str, tuple[object, str]] = {}
    full = [s for s in support if len(s.window.text.split()) >= STANCE_MIN_WORDS]
    worded = [s for s in full if prose_words(s.window.text) >= STANCE_MIN_WORDS]
    votes = []
    for s in full:  # a window under STANCE_MIN_WORDS words finds the claim but does not vote on its stance
        if other_setting(s.window.text, setting) or other_phase(s.window.text, phase):
            continue
        st, ex = window_stance(s.window.text, s.by_stance, denials, odds, s.window.quote)
        if st == "abstains":
            continue
        reading = subject_reading(s.window.text, subject)
        if reading == "none" or (reading == "assert-only" and st != "asserts"):
            continue
        votes.append((s, st, ex, _quoted(s.window)))
    # what others say ('Quoting @tkim: "..."') votes only where the writer's own words don't; alone, it states no
    # stance of the writer's (share 0: a 'wrong' from it is held back for a person)
    reported = bool(votes) and all(rep for *_, rep in votes)
    votes = votes if reported else [v for v in votes if not v[3]]
    voted = 0
    for s, st, ex, _ in votes:
        voted += 1
        weights[st] = weights.get(st, 0.0) + s.score
        first.setdefault(st, (s.window, ex))
    if not voted:  # no window takes a stance: read as asserting, with no stance stated, unless the windows' words
        # lean clearly to the denials and corrections (contrast words, summed over the windows): then the closest
        # of those, with no stance stated either (a "wrong" from it is held back)
        s = (full or support)[0]
        lean = sum(contrast(x.window.text, odds) for x in (full or support))
        other = [st for st in ("denies", "corrects") if st in s.by_stance]
        if lean <= -NO_VOTE_LEAN and other:
            st = max(other, key=lambda k: s.by_stance[k][0])
            ex = s.by_stance[st][1]
            clause = matching_clause(s.window.text, ex)
            if aligned_parity(clause, ex) == aligned_parity(ex, clause):  # not against a negation it lacks
                return st, s.window, ex, 0.0
        return "asserts", s.window, s.by_stance.get("asserts", (0.0, ""))[1], 0.0
    best = max(weights, key=lambda k: (weights[k], k == "asserts"))
    total = sum(max(w, 0.0) for w in weights.values())
    share = max(weights[best], 0.0) / total if total > 0 else 1.0
    if not worded or reported:  # no window says it in words (a formula, a fragment): the stance is read, not stated
        share = 0.0
    return best, first[best][0], first[best][1], share
