"""The claim knowledge base: example statements per claim and aliases per family, as data (knowledge/*.toml).

One TOML file per question family::

    family = "Q-elbo"
    words = "extra domain words for matching the family"
    descriptions = ["...", ...]     # optional: on-topic text that states no claim (definitions, setups, figures)
    [aliases]                       # canonical term = [what writers say instead]
    kl = ["kullback-leibler", "relative entropy"]
    [[claim]]
    id = "elbo.term-roles"
    says_asserts = "..."            # normalised statement of each stance (shown in findings)
    asserts = ["...", ...]          # statements that assert the claim as the catalogue words it
    denies = ["...", ...]           # its negation, or a corrected version that contradicts the wording
    denials = "content"             # optional: the denials are correct versions in other words (default
                                    # "negation": a denial must be a close paraphrase of a negated statement)
    corrects = ["...", ...]         # optional: what the claim's test establishes (graded like a refinement)
    negatives = ["...", ...]        # optional: text of the family that is NOT this claim
    named_model = true              # optional: found only in an answer that names the claim's model (the one
                                    # model of a contrasted pair its catalogue text names: stance.subject_of)
    phase = "train"                 # optional: "train" or "test": the claim speaks of that phase only, so a
                                    # sentence about the other phase alone does not vote on its stance

Examples are written in our own words from CLAIMS.md. ``load()`` validates everything at start:
unknown families or claim ids, a catalogue claim without examples, empty lists, and an alias that
two families map to different canonical terms are errors (``KBError``) naming the file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DIR = Path(__file__).with_name("knowledge")
STANCES = ("asserts", "denies", "corrects", "negatives")
MIN_EXAMPLES = 20  # asserts + denies + corrects per claim


class KBError(ValueError):
    """The knowledge base is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class ClaimKB:
    id: str
    family: str
    examples: dict[str, tuple[str, ...]]  # stance -> statements
    says: dict[str, str]  # stance -> normalised statement
    denials: str = "negation"  # "negation": denials negate the claim; "content": they state a correct version
    named_model: bool = False  # found only in an answer that names the claim's model
    phase: str | None = None  # "train" | "test": the phase the claim speaks of (None: either)


@dataclass(frozen=True)
class FamilyKB:
    id: str
    words: str
    aliases: dict[str, tuple[str, ...]]
    claims: tuple[ClaimKB, ...]
    descriptions: tuple[str, ...] = ()  # on-topic sentences that state no claim (the claim classifier's "none")


@dataclass(frozen=True)
class KB:
    families: dict[str, FamilyKB]
    claims: dict[str, ClaimKB]
    canon: dict[str, str]  # alias (lower case) -> canonical term

    def family_of(self, claim: str) -> str:
        return self.claims[claim].family


def _load_file(path: Path, known: dict[str, str]) -> FamilyKB:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise KBError(f"{path.name}: not valid TOML: {e}") from None
    fam = data.get("family")
    if fam not in set(known.values()):
        raise KBError(f"{path.name}: unknown family {fam!r}")
    aliases = {}
    for canon, alts in (data.get("aliases") or {}).items():
        if not isinstance(alts, list) or not alts or not all(isinstance(a, str) and a.strip() for a in alts):
            raise KBError(f"{path.name}: aliases of {canon!r} must be a non-empty list of strings")
        aliases[canon.lower()] = tuple(a.lower() for a in alts)
    claims = []
    for c in data.get("claim") or []:
        cid = c.get("id")
        if cid not in known:
            raise KBError(f"{path.name}: unknown claim id {cid!r}")
        if known[cid] != fam:
            raise KBError(f"{path.name}: claim {cid} belongs to {known[cid]}, not {fam}")
        ex: dict[str, tuple[str, ...]] = {}
        for st in STANCES:
            lst = c.get(st, [])
            if st in c and (not isinstance(lst, list) or not lst):
                raise KBError(f"{path.name}: {cid}.{st} is empty")
            if not all(isinstance(x, str) and x.strip() for x in lst):
                raise KBError(f"{path.name}: {cid}.{st} holds an empty or non-string example")
            ex[st] = tuple(lst)
        if not ex["asserts"]:
            raise KBError(f"{path.name}: {cid} has no 'asserts' examples")
        n = len(ex["asserts"]) + len(ex["denies"]) + len(ex["corrects"])
        if n < MIN_EXAMPLES:
            raise KBError(f"{path.name}: {cid} has {n} examples, at least {MIN_EXAMPLES} needed")
        says = {st: c.get(f"says_{st}", "") for st in ("asserts", "denies", "corrects")}
        denials = c.get("denials", "negation")
        if denials not in ("negation", "content"):
            raise KBError(f"{path.name}: {cid}.denials must be 'negation' or 'content', not {denials!r}")
        named_model = c.get("named_model", False)
        if not isinstance(named_model, bool):
            raise KBError(f"{path.name}: {cid}.named_model must be true or false")
        phase = c.get("phase")
        if phase not in (None, "train", "test"):
            raise KBError(f"{path.name}: {cid}.phase must be 'train' or 'test', not {phase!r}")
        claims.append(ClaimKB(cid, fam, ex, says, denials, named_model, phase))
    desc = data.get("descriptions", [])
    if not isinstance(desc, list) or not all(isinstance(x, str) and x.strip() for x in desc):
        raise KBError(f"{path.name}: descriptions must be a list of non-empty strings")
    return FamilyKB(fam, data.get("words", ""), aliases, tuple(claims), tuple(desc))


def load(directory: Path | None = None) -> KB:
    """Read and validate every knowledge/*.toml (cached for the default folder)."""
    return _load(str(directory or DIR))


@lru_cache(maxsize=4)
def _load(directory: str) -> KB:
    from ..core.catalogue import claims_by_id

    known = {cid: c.question for cid, c in claims_by_id().items()}
    files = sorted(Path(directory).glob("*.toml"))
    if not files:
        raise KBError(f"no knowledge files in {directory}")
    fams: dict[str, FamilyKB] = {}
    canon: dict[str, str] = {}
    for f in files:
        fk = _load_file(f, known)
        if fk.id in fams:
            raise KBError(f"{f.name}: family {fk.id} defined twice")
        fams[fk.id] = fk
        for c, alts in fk.aliases.items():
            for a in alts:
                if canon.get(a, c) != c:
                    raise KBError(f"{f.name}: alias {a!r} maps to both {canon[a]!r} and {c!r}")
                canon[a] = c
    claims = {c.id: c for fk in fams.values() for c in fk.claims}
    missing = sorted(set(known) - set(claims))
    if missing:
        raise KBError(f"claims without knowledge-base examples: {', '.join(missing)}")
    for a, c in canon.items():
        if c in canon:
            raise KBError(f"alias chain: {a!r} -> {c!r} -> {canon[c]!r}")
    return KB(fams, claims, canon)


def _trie(words) -> str:
    """A regular expression for the alternation of ``words``, longest first, written as a trie: at each position
    the longest word that matches (and satisfies what follows the group) wins, as in the flat alternation
    sorted by length, but the regex engine tries one branch per character instead of every word (3x faster)."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return emit(root)


@lru_cache(maxsize=4)
def _alias_re(directory: str) -> re.Pattern | None:
    canon = _load(directory).canon
    if not canon:
        return None
    return re.compile(r"(?<![\w-])(?:" + _trie(canon) + r")(?![\w-])")


def canonical(text: str, directory: Path | None = None) -> str:
    """Lower-case text with every alias replaced by its canonical term ("fcnn" -> "mlp")."""
    d = str(directory or DIR)
    rx = _alias_re(d)
    low = text.lower()
    if rx is None:
        return low
    canon = _load(d).canon
    return rx.sub(lambda m: canon[m.group(0)], low)


def alias_hits(text: str, directory: Path | None = None) -> list[str]:
    """The canonical terms whose aliases occur in a text."""
    d = str(directory or DIR)
    rx = _alias_re(d)
    if rx is None:
        return []
    canon = _load(d).canon
    return [canon[m.group(0)] for m in rx.finditer(text.lower())]
