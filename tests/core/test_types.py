import pytest

from dlclaims.core.catalogue import claims_by_id, questions
from dlclaims.core.types import verdict, verdict_from_parts


@pytest.mark.parametrize("holds,status", [(True, "supported"), (False, "refuted"), (None, "inconclusive")])
def test_verdict_status_follows_holds(holds, status):
    assert verdict("minmax.table", holds=holds, rule="r").status == status


@pytest.mark.parametrize(
    "parts,status",
    [
        ({"a": True, "b": True}, "supported"),
        ({"a": False, "b": False}, "refuted"),
        ({"a": True, "b": False}, "partial"),
        ({"a": True, "b": None}, "inconclusive"),
        ({"a": True, "b": False, "c": None}, "partial"),
        ({"a": False, "b": None}, "refuted"),  # an undecided part does not hide a refutation
        ({"a": None, "b": None}, "inconclusive"),
    ],
)
def test_verdict_from_parts(parts, status):
    v = verdict_from_parts("bias.equivariance", parts=parts, rule="r")
    assert v.status == status
    assert set(v.parts) == set(parts)


def test_verdict_evidence_kind_per_part_and_overall():
    v = verdict_from_parts("align.cells", parts={"identity": True, "trained": None},
                           evidence={"identity": "exact", "trained": "measured"}, rule="r")
    assert v.part_evidence == {"identity": "exact", "trained": "measured"}
    assert v.evidence == "exact"  # the only decisive part is exact
    w = verdict_from_parts("align.cells", parts={"identity": True, "trained": True},
                           evidence={"identity": "exact", "trained": "measured"}, rule="r")
    assert w.evidence == "measured"  # the weakest decisive kind
    assert verdict("lookup.copy", holds=True, rule="r", evidence="exact").evidence == "exact"
    with pytest.raises(ValueError):
        verdict("lookup.copy", holds=True, rule="r", evidence="guessed")
    with pytest.raises(ValueError):
        verdict_from_parts("align.cells", parts={"a": True}, evidence={"b": "exact"}, rule="r")


def test_catalogue_has_every_question_in_order():
    qs = [q.id for q in questions()]
    assert qs[0] == "Q-seq" and "Q-gen" in qs and len(qs) == len(set(qs))
    c = claims_by_id()
    assert c["minmax.table"].question == "Q-minmax"
    assert c["lookup.noisy-keys"].beyond and not c["lookup.copy"].beyond
    assert "t*l*n^2" in c["seq.time-train"].claim
    assert c["seq.time-train"].test.startswith("time vs t")


def test_json_conversion_of_numpy_values_and_non_finite_floats():
    import json
    from collections import OrderedDict

    import numpy as np

    from dlclaims.core.types import strict_json, to_jsonable

    x = {"a": [np.float32(1.5), float("nan"), np.inf, (1, np.int64(2), np.bool_(True))], 3: np.array([np.nan, 2.0]),
         "o": OrderedDict(k=-np.inf), "s": "text", "n": None, "f": np.float64(0.25)}
    want = {"a": [1.5, "nan", "inf", [1, 2, True]], "3": ["nan", 2.0], "o": {"k": "-inf"}, "s": "text", "n": None,
            "f": 0.25}
    got = strict_json(x)
    assert got == want and type(got["f"]) is float and type(got["a"][3][1]) is int
    json.dumps(got, allow_nan=False)  # strict JSON
    loose = to_jsonable(x)
    assert np.isnan(loose["a"][1]) and loose["a"][2] == float("inf") and loose["o"] == {"k": -float("inf")}
