"""The structured claims (orders, sequences, trends) and per-family symbols, roles and aliases, from
structure.toml, validated when loaded: unknown claims or families, orders that do not parse and patterns that do
not compile raise ``StructureError`` with the offending entry named."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from .orders import order_of


class StructureError(ValueError):
    """structure.toml is malformed."""


@dataclass(frozen=True)
class OrderClaim:
    """A complexity claim: big-O orders per (aspect, role), as the claim states them and as they truly are."""

    claim: str
    question: str
    claimed: dict[tuple[str, str], str]
    truth: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class SequenceClaim:
    claim: str
    variables: tuple[str, ...]  # the catalogue's names of the sequences
    simulated: tuple[str, ...]  # the verdict's numbers holding the simulated sequences, same order
    claimed: tuple[str, ...]  # the verdict's numbers holding the claim's sequences
    rule: dict[str, Any] = field(default_factory=dict)  # {"first": "q", "eta": 1.0, "q": "+p", "p": "-q"}
    aliases: dict[str, str] = field(default_factory=dict)  # a sheet's name -> the catalogue's, when nothing says


@dataclass(frozen=True)
class TrendClaim:
    claim: str
    x: str  # regex for the swept quantity
    y: str  # regex for the measured quantity
    claimed: frozenset[str]  # the trend shapes that state the claim


@dataclass(frozen=True)
class AssignmentClaim:
    """A claim about which term plays which part: (term, part) pairs the claim states and the truth states."""

    claim: str
    terms: dict[str, tuple[str, ...]]  # term -> patterns that name it
    parts: dict[str, tuple[str, ...]]  # part -> patterns that name it
    asserts: tuple[tuple[str, str], ...]  # (term, part) pairs as the claim pairs them
    denies: tuple[tuple[str, str], ...]  # (term, part) pairs as they truly are: stating one denies the claim
    says: dict[str, str] = field(default_factory=dict)  # stance -> normalised statement


@dataclass(frozen=True)
class Structure:
    orders: tuple[OrderClaim, ...]
    sequences: tuple[SequenceClaim, ...]
    trends: tuple[TrendClaim, ...]
    symbols: dict[str, dict[str, str]]
    meanings: dict[str, dict[str, tuple[str, ...]]]
    roles: dict[str, dict[str, tuple[str, ...]]]
    aspects: dict[str, tuple[tuple[str, str], ...]]
    default_aspect: dict[str, str]
    length_symbol: dict[str, str] = field(default_factory=dict)  # the symbol "linear complexity" is about
    per_symbol: dict[str, str] = field(default_factory=dict)  # an order without it is per unit of it (per layer)
    assignments: tuple[AssignmentClaim, ...] = ()
    model_pairs: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = ()  # ((name, regex), (name, regex))
    opposites: tuple[tuple[str, str], ...] = ()  # (regex, regex): words that say the opposite of each other
    retractions: tuple[str, ...] = ()  # regexes: markers that withdraw what the writer wrote just before them
    counts: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # family -> symbol -> nouns it counts


def _regex(where: str, pat: Any) -> str:
    if not isinstance(pat, str) or not pat:
        raise StructureError(f"structure.toml: {where}: a pattern must be a non-empty string")
    try:
        re.compile(pat)
    except re.error as e:
        raise StructureError(f"structure.toml: {where}: bad pattern {pat!r}: {e}") from None
    return pat


def _keyed(d: dict[str, str], claim: str, what: str, roles: dict[str, Any], symbols: dict[str, str]
           ) -> dict[tuple[str, str], str]:
    """An order table keyed "aspect/role" -> {(aspect, role): order}, every order parsed once to validate it."""
    out = {}
    for k, expr in d.items():
        aspect, _, role = k.partition("/")
        if role not in roles:
            raise StructureError(f"structure.toml: order {claim}.{what}: unknown role in {k!r}")
        try:
            order_of(expr, tuple(sorted(set(symbols.values()))))
        except ValueError as e:
            raise StructureError(f"structure.toml: order {claim}.{what}: {e}") from None
        out[(aspect, role)] = expr
    return out


def parse(data: dict[str, Any], known_claims: dict[str, Any] | None = None) -> Structure:
    """Validate the parsed TOML and build the specs (``known_claims``: claim id -> catalogue claim)."""
    if known_claims is None:
        from ..core.catalogue import claims_by_id

        known_claims = claims_by_id()
    fams = data.get("family") or {}
    if not isinstance(fams, dict) or not fams:
        raise StructureError("structure.toml: no [family.*] tables")
    symbols, meanings, roles, aspects, default, length, per = {}, {}, {}, {}, {}, {}, {}
    counts: dict[str, dict[str, tuple[str, ...]]] = {}
    for q, f in fams.items():
        sym = f.get("symbols") or {}
        if not sym or not all(isinstance(k, str) and len(k) == 1 and isinstance(v, str) for k, v in sym.items()):
            raise StructureError(f"structure.toml: family {q}: symbols must map single letters to names")
        symbols[q] = dict(sym)
        names = set(sym.values())
        for key, into in (("meanings", meanings), ("counts", counts)):  # per symbol: the words that define it
            into[q] = {}
            for s, pats in (f.get(key) or {}).items():
                if s not in names:
                    raise StructureError(f"structure.toml: family {q}: {key} for unknown symbol {s!r}")
                into[q][s] = tuple(_regex(f"{q}.{key}.{s}", p) for p in pats)
        roles[q] = {r: tuple(_regex(f"{q}.roles.{r}", p) for p in pats) for r, pats in (f.get("roles") or {}).items()}
        aspects[q] = tuple((a["aspect"], _regex(f"{q}.aspects.{a.get('aspect')}", a.get("pattern")))
                           for a in f.get("aspects") or [])
        if "default_aspect" not in f or f["default_aspect"] not in {a for a, _ in aspects[q]} | {
                f"{k}-{p}" for k in ("time", "memory") for p in ("train", "infer")}:
            raise StructureError(f"structure.toml: family {q}: default_aspect missing or unknown")
        default[q] = f["default_aspect"]
        if "length_symbol" in f:
            if f["length_symbol"] not in names:
                raise StructureError(f"structure.toml: family {q}: length_symbol names no symbol")
            length[q] = f["length_symbol"]
        if "per_symbol" in f:
            if f["per_symbol"] not in names:
                raise StructureError(f"structure.toml: family {q}: per_symbol names no symbol")
            per[q] = f["per_symbol"]
    orders = []
    for o in data.get("order") or []:
        claim = o.get("claim")
        if claim not in known_claims:
            raise StructureError(f"structure.toml: order for unknown claim {claim!r}")
        q = known_claims[claim].question
        if q not in symbols:
            raise StructureError(f"structure.toml: order {claim}: family {q} has no [family.{q}] table")

        claimed = _keyed(o.get("claimed") or {}, claim, "claimed", roles[q], symbols[q])
        if not claimed:
            raise StructureError(f"structure.toml: order {claim}: no claimed orders")
        truth = _keyed(o.get("truth") or {}, claim, "truth", roles[q], symbols[q])
        if set(truth) - set(claimed):
            raise StructureError(f"structure.toml: order {claim}: a true order for a key the claim does not state")
        orders.append(OrderClaim(claim, q, claimed, truth))
    seqs = []
    for s in data.get("sequence") or []:
        claim = s.get("claim")
        if claim not in known_claims:
            raise StructureError(f"structure.toml: sequence for unknown claim {claim!r}")
        var = tuple(s.get("variables") or ())
        if not var or len(var) != len(s.get("simulated") or ()) or len(var) != len(s.get("claimed") or ()):
            raise StructureError(f"structure.toml: sequence {claim}: variables, simulated and claimed must align")
        rule = dict(s.get("rule") or {})
        if rule and (rule.get("first") not in var or any(
                not re.fullmatch(r"[+-][a-z]", str(rule.get(v, ""))) for v in var)):
            raise StructureError(f"structure.toml: sequence {claim}: rule needs 'first' and '+x'/'-x' per variable")
        start = rule.get("start") or {}
        if not isinstance(start, dict) or any(k not in var or not isinstance(x, (int, float)) for k, x in start.items()):
            raise StructureError(f"structure.toml: sequence {claim}: rule.start must map variables to numbers")
        aliases = dict(s.get("aliases") or {})
        if any(v not in var for v in aliases.values()):
            raise StructureError(f"structure.toml: sequence {claim}: an alias names an unknown variable")
        seqs.append(SequenceClaim(claim, var, tuple(s["simulated"]), tuple(s["claimed"]), rule, aliases))
    trends = []
    for t in data.get("trend") or []:
        claim = t.get("claim")
        if claim not in known_claims:
            raise StructureError(f"structure.toml: trend for unknown claim {claim!r}")
        shapes = frozenset(t.get("claimed") or ())
        if not shapes or any(not re.fullmatch(r"(?:rise|plateau|fall)(?:-(?:rise|plateau|fall))*", x) for x in shapes):
            raise StructureError(f"structure.toml: trend {claim}: claimed shapes must be like 'rise-plateau'")
        trends.append(TrendClaim(claim, _regex(f"trend {claim}.x", t.get("x")), _regex(f"trend {claim}.y", t.get("y")),
                                 shapes))
    assignments = []
    for a in data.get("assignment") or []:
        claim = a.get("claim")
        if claim not in known_claims:
            raise StructureError(f"structure.toml: assignment for unknown claim {claim!r}")
        terms = {t: tuple(_regex(f"assignment {claim}.terms.{t}", p) for p in pats)
                 for t, pats in (a.get("terms") or {}).items()}
        parts = {t: tuple(_regex(f"assignment {claim}.parts.{t}", p) for p in pats)
                 for t, pats in (a.get("parts") or {}).items()}
        pairs = []
        for key in ("asserts", "denies"):
            given = a.get(key) or []
            # one pair ["kl", "regularizer"] or several [["kl", "regularizer"], ["likelihood", "reconstruction"]]
            got = [tuple(p) for p in given] if given and all(isinstance(p, list) for p in given) else [tuple(given)]
            for pair in got:
                if len(pair) != 2 or pair[0] not in terms or pair[1] not in parts or not terms[pair[0]] or \
                        not parts[pair[1]]:
                    raise StructureError(f"structure.toml: assignment {claim}.{key} must name a term and a part "
                                         "with patterns")
            pairs.append(tuple(got))
        says = {"asserts": str(a.get("says_asserts", "")), "denies": str(a.get("says_denies", ""))}
        assignments.append(AssignmentClaim(claim, terms, parts, pairs[0], pairs[1], says))
    pairs = []
    for k, mp in enumerate(data.get("model_pair") or []):
        if not isinstance(mp, dict) or len(mp) != 2:
            raise StructureError(f"structure.toml: model_pair {k + 1} must name exactly two models")
        (a, pa), (b, pb) = mp.items()
        pairs.append(((a, _regex(f"model_pair.{a}", pa)), (b, _regex(f"model_pair.{b}", pb))))
    opposites = []
    for k, op in enumerate(data.get("opposite") or []):
        words = op.get("words") if isinstance(op, dict) else None
        if not isinstance(words, list) or len(words) != 2:
            raise StructureError(f"structure.toml: opposite {k + 1} must give two words (regexes)")
        opposites.append((_regex(f"opposite {k + 1}", words[0]), _regex(f"opposite {k + 1}", words[1])))
    markers = (data.get("retraction") or {}).get("markers", [])
    if not isinstance(markers, list):
        raise StructureError("structure.toml: retraction.markers must be a list of regexes")
    retractions = tuple(_regex(f"retraction marker {k + 1}", m) for k, m in enumerate(markers))
    return Structure(tuple(orders), tuple(seqs), tuple(trends), symbols, meanings, roles, aspects, default, length,
                     per, tuple(assignments), tuple(pairs), tuple(opposites), retractions, counts)


@lru_cache(maxsize=1)
def load() -> Structure:
    """The package's structure.toml, parsed and validated (once)."""
    text = resources.files("dlclaims.check").joinpath("structure.toml").read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise StructureError(f"structure.toml: {e}") from None
    return parse(data)
