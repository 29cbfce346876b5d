"""A store with one verdict per claim, for grading the labelled sheets without running experiments.

The statuses are what the catalogue's tests lead one to expect (CLAIMS.md); they go through
core.types.verdict / verdict_from_parts like any measured verdict. minmax.table's numbers come from
simulating the alternating updates here.
"""

from __future__ import annotations

import json
from pathlib import Path

from dlclaims.core.catalogue import claims_by_id
from dlclaims.core.store import Store
from dlclaims.core.types import verdict, verdict_from_parts

SHEETS = Path(__file__).resolve().parent.parent / "sheets"

# claim -> True (holds), False (does not), or a dict of parts (partial claims)
EXPECTED: dict[str, object] = {
    "seq.time-train": {"RNN: t*l*n^2": True, "Transformer: t^2*l*n alone (true cost l(t^2 n + t n^2))": False},
    "seq.time-infer": {"RNN: t*l*n^2": True, "Transformer without a KV cache": False},
    "seq.memory": True, "seq.sequential-steps": True, "seq.decode-sequential": True, "seq.per-token": True,
    "lookup.copy": True, "lookup.average": True,
    "elbo.decomposition": True, "elbo.bound": True, "elbo.term-roles": False,
    "minmax.no-convergence": True, "minmax.small-step": False, "minmax.equilibrium": True,
    "latent.accuracy-vs-h": True,
    "depth.uat": True, "depth.efficiency": True,
    "cnn.params": True, "cnn.shift-robustness": True, "cnn.linear-stack": True,
    "bias.equivariance": {"convolution is translation equivariant": True,
                          "the CNN is translation invariant without pooling": False},
    # the edge depends on the data (CLAIMS.md: two regimes): asserting "the right bias needs less data" as a
    # general rule is partly right (labelling conventions: asserts -> partly)
    "bias.data-efficiency": {"digits at random positions on a canvas: the CNN reaches the MLP's accuracy with less "
                             "data": True,
                             "centred 8x8 digits: no clear edge (the MLP does about as well)": False},
    "bias.misaligned": True,
    "ema.adaptivity": True,
    "ema.noise": {"the moving average filters gradient noise": True,
                  "a plain average of all past gradients retains the noise": False},
    "scalar.error": True, "scalar.vjp": True, "scalar.cost": True,
    "linattn.cost": True, "linattn.not-equivalent": True,
    "align.cells": True, "align.one-to-one": True, "align.spread": True, "align.why-grey": True,
    "diffusion.bound": True, "diffusion.intractable": True,
    "diffusion.LT": {"x_T is nearly independent of x_0": True, "the term contributes little to learning": False},
    "gen.ae-prior": True, "gen.latent-gap": True,
}


def _alternating(steps: int, eta: float = 1.0) -> tuple[list[float], list[float]]:
    p, q = [1.0], [1.0]
    for _ in range(steps):
        q.append(q[-1] + eta * p[-1])
        p.append(p[-1] - eta * q[-1])
    return p, q


def build_store(path: Path, only: set[str] | None = None) -> Path:
    known = claims_by_id()
    vs = []
    for claim, how in EXPECTED.items():
        if only is not None and claim not in only:
            continue
        if isinstance(how, dict):
            vs.append(verdict_from_parts(claim, parts=how, rule="test fixture: parts as the catalogue's test expects"))
        else:
            vs.append(verdict(claim, holds=bool(how), rule="test fixture: as the catalogue's test expects"))
    if only is None or "latent.accuracy-vs-h" in only:  # theory: a rise to a knee, then a plateau (no width falls)
        vs = [v for v in vs if v.claim != "latent.accuracy-vs-h"]
        vs.append(verdict("latent.accuracy-vs-h", holds=True, rule="test fixture: as the catalogue's test expects",
                          numbers={"shape": {"knee_h": 16, "falls_at": []}}))
    if only is None or "minmax.table" in only:
        p, q = _alternating(6)
        claimed_q, claimed_p = [1, 2, 1, -1, -2, -1, 1], [1, -1, -2, -1, 1, 2, 1]
        err = max(abs(a - b) for a, b in zip(q + p, claimed_q + claimed_p))
        vs.append(verdict("minmax.table", holds=err < 1e-9, rule="simulate alternating GDA",
                          numbers={"simulated_q": q, "simulated_p": p, "claimed_q": claimed_q,
                                   "claimed_p": claimed_p, "max_abs_error": err}))
    with Store.open(path) as store:
        store.put_verdicts("fixture", vs, questions={v.claim: known[v.claim].question for v in vs}, profile="quick",
                           seeds=[0, 1], device="cpu", config_hash="fixture", figure_files={})
    return path


def labelled_sheets() -> list[tuple[Path, dict[str, str]]]:
    out = []
    for md in sorted(SHEETS.glob("*.md")):
        lab = md.with_suffix(".labels.json")
        if lab.exists():
            out.append((md, json.loads(lab.read_text(encoding="utf-8"))["claims"]))
    return out


def scores(results: list[tuple[dict[str, str], dict[str, str]]]) -> dict[str, float]:
    """Micro precision / recall / F1 of the (claim) findings, and grade accuracy on the found ones."""
    tp = fp = fn = same = 0
    for found, expected in results:
        hit = set(found) & set(expected)
        tp += len(hit)
        fp += len(set(found) - set(expected))
        fn += len(set(expected) - set(found))
        same += sum(found[c] == expected[c] for c in hit)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "grade_accuracy": same / tp if tp else 0.0,
            "pair_f1": _pair_f1(results)}


def _pair_f1(results: list[tuple[dict[str, str], dict[str, str]]]) -> float:
    tp = fp = fn = 0
    for found, expected in results:
        f, e = set(found.items()), set(expected.items())
        tp += len(f & e)
        fp += len(f - e)
        fn += len(e - f)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
