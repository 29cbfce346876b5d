"""LaTeX to text (latex.py), claims carried by formulas (formulas.py), and the structure specs' validation
(structure.py). Inputs written here."""

from __future__ import annotations

import pytest

from dlclaims.check import structure
from dlclaims.check.formulas import formulas
from dlclaims.check.latex import latex_to_text, math_spans, plain_math, repair_ocr_latex
from dlclaims.check.units import units


@pytest.mark.parametrize("src,plain", [
    (r"$\frac{v_a + v_b}{2}$", "((v_a + v_b)/(2))"),
    (r"$\mathcal{O}(n^2 d)$", "O(n^2 d)"),
    (r"$x_{t+1} = x_t - \eta\, y_t$", "x_(t+1) = x_t - eta y_t"),
    (r"$D_{KL}(q \| p)$", "D_KL(q || p)"),
    (r"$\log p(x) \geq \text{ELBO}$", "log p(x) >= ELBO"),
    (r"$k_j^\top q$", "k_j^T q"),
    ("a 50% drop costs $5 here", "a 50% drop costs $5 here"),  # no comment, no math mode from a price
    ("O(t·l·n²)", "O(t*l*n^2)"),
])
def test_latex_to_plain_text(src, plain):
    assert plain_math(src) == plain


def test_garbled_latex_is_repaired_before_parsing():
    assert repair_ocr_latex("mathbf{h}_3 and k_i^top q") == r"\mathbf{h}_3 and k_i^\top q"
    assert latex_to_text("frac{1}{2} of mathbf{v}") == "((1)/(2)) of v"
    assert repair_ocr_latex("the top layer") == "the top layer"  # English words stay


def test_math_spans():
    spans = math_spans(r"first $a+b$ then $$c = d$$ and \(e\)")
    assert [s[2] for s in spans] == ["a+b", "c = d", "e"]


def _claims(question: str, text: str) -> dict[str, str]:
    return {a.claim: a.stance for a in formulas(question, units(text))}


@pytest.mark.parametrize("text,expected", [
    # one formula, two claims: the decomposition and the bound
    ((r"Jensen gives $\log p_\theta(x) \ge \mathbb{E}_{q_\phi(z \mid x)}[\log p_\theta(x \mid z)]"
      r" - \mathrm{KL}(q_\phi(z \mid x) \,\|\, p(z))$."), {"elbo.decomposition": "assert", "elbo.bound": "assert"}),
    (r"$\mathcal{L} = \mathbb{E}_{q(z|x)}\log p(x|z) - D_{KL}(q(z|x) \| p(z)) \le \log p(x)$",
     {"elbo.decomposition": "assert", "elbo.bound": "assert"}),
    # the KL added to the log-likelihood: the wrong sign
    (r"$\text{ELBO} = \mathbb{E}_{q(z|x)}[\log p(x|z)] + KL(q(z|x) \| p(z))$", {"elbo.decomposition": "deny"}),
    # a loss: reconstruction loss plus KL is the negative ELBO, so the decomposition holds
    ("total loss = MSE(x, x_hat) + KL(q(z|x) || p(z))", {"elbo.decomposition": "assert"}),
    (r"$-\text{ELBO} = -\mathbb{E}_q[\log p(x|z)] + KL(q(z|x)\|p(z))$", {"elbo.decomposition": "assert"}),
    # the bound the wrong way round
    (r"so $\log p(x) \le \text{ELBO}$", {"elbo.bound": "deny"}),
    # a KL with no arguments names neither distribution: not the decomposition
    ("loss = recon + KL", {}),
    # a hyphen inside a word is not a minus, and a spoken "minus" between two terms is
    ("We maximise the expected log-likelihood E_q[log p(x|z)] minus KL(q(z|x) || p(z)).",
     {"elbo.decomposition": "assert"}),
    ("We maximise the expected log-likelihood E_q[log p(x|z)] plus KL(q(z|x) || p(z)).",
     {"elbo.decomposition": "deny"}),
    ("The loss is a cross-entropy term + KL(q(z|x) || p(z)).", {"elbo.decomposition": "assert"}),
    # each relation between its own operands: "a KL is always >= 0" says nothing of log p(x) and the ELBO
    ("Dropping a KL, which is always >= 0, we get log p(x) >= ELBO.", {"elbo.bound": "assert"}),
    # the same bound over a diffusion chain (x_0) is the DDPM's
    ("Since a KL is always >= 0 we get log p(x_0) >= ELBO.", {"diffusion.bound": "assert"}),
])
def test_elbo_formulas(text, expected):
    assert _claims("Q-elbo", text) == expected


@pytest.mark.parametrize("text,expected", [
    (r"The saddle point sits at $(x, y) = (0, 0)$.", "assert"),  # x, y: the family's aliases of p, q
    ("The unique equilibrium is p = q = 0.", "assert"),
    ("At the optimum p* = 0 and q* = 0.", "assert"),
    (r"Setting $\partial f / \partial p = q = 0$ and $\partial f / \partial q = p = 0$ gives the stationary point.",
     "assert"),
    ("The Nash equilibrium of the game is (1, 2).", "deny"),
    ("The optimal value is 0.", "assert"),
    ("The optimal value of the game is 2.", "deny"),
    ("We start from (1, 1) and cycle.", None),  # a point with no equilibrium word
])
def test_equilibrium_as_a_point_or_a_value(text, expected):
    assert _claims("Q-minmax", text).get("minmax.equilibrium") == expected


@pytest.mark.parametrize("text,expected", [
    (r"Hence the read-out is $\frac{\mathbf{v}_a + \mathbf{v}_b}{2}$.", "assert"),
    ("so the output is about 0.5 v_a + 0.5 v_b", "assert"),
    (r"the output approaches $\tfrac12 (v_a + v_b)$", "assert"),
    (r"Take $q = \beta(\mathbf{k}_a + \mathbf{k}_b)$ with a large $\beta$.", "assert"),
    ("in coordinates q_a = q_b = C and every other coordinate is 0", "assert"),
    (r"both weights $\alpha_a = \alpha_b \to 1/2$", "assert"),
    ("the output is v_a + v_b", "deny"),  # a sum, not an average
    ("the output is 0.9 v_a + 0.1 v_b", None),  # unequal weights: not this claim's formula
    ("the output is v_j", None),
    # the query is the setup; what the sheet says the output is decides
    ("Take q = beta (k_a + k_b). For large beta the output approaches v_a + v_b.", "deny"),
    ("Take q = beta (k_a + k_b). Then the output is (v_a + v_b)/2.", "assert"),
])
def test_average_of_two_values(text, expected):
    assert _claims("Q-lookup", text).get("lookup.average") == expected


def test_a_negative_log_likelihood_against_the_loss_is_the_bound():
    assert _claims("Q-elbo", "The loss bounds the likelihood: -log p(x) <= L.") == {"elbo.bound": "assert"}
    assert _claims("Q-elbo", "The loss bounds the likelihood: -log p(x) >= L.") == {"elbo.bound": "deny"}
    assert _claims("Q-elbo", "We know that -log p(x) <= ELBO.") == {}  # against the ELBO by name: no reading


def test_a_bound_read_through_a_derivations_chain_of_equalities():
    chain = "log p(x) >= E_q[log p(x,z) - log q(z|x)] = E_q[log p(x|z)] - KL(q(z|x) || p(z))"
    assert _claims("Q-elbo", chain) == {"elbo.decomposition": "assert", "elbo.bound": "assert"}
    assert "elbo.bound" not in _claims("Q-elbo", "log p(x) >= E_q[log p(x,z) - log q(z|x)]")  # no ELBO in the chain
    aligned = ("$$\\begin{aligned}\n\\log p(x) &= \\log \\mathbb{E}_{q(z|x)}[p(x,z)/q(z|x)] \\ge "
               "\\mathbb{E}_q[\\log p(x,z) - \\log q(z|x)] \\\\\n&= \\mathbb{E}_{q(z|x)}[\\log p(x|z)] - "
               "\\mathrm{KL}(q(z|x) \\| p(z))\n\\end{aligned}$$")
    assert _claims("Q-elbo", aligned).get("elbo.bound") == "assert"  # the aligned lines are no table


def test_an_error_against_the_average_is_not_a_negative_average():
    assert _claims("Q-lookup", "We checked err = |out - (v_a + v_b)/2| over 32 seeds.") == {"lookup.average": "assert"}
    assert _claims("Q-lookup", "The output is -(v_a + v_b)/2.") == {"lookup.average": "deny"}  # a unary minus


def test_an_ocr_x0_is_the_diffusion_bound():
    assert _claims("Q-elbo", "log p(xO) >= ELBO because the KL we drop is >= O.") == {"diffusion.bound": "assert"}
    assert _claims("Q-elbo", "log p(x) >= ELBO because the KL is >= 0.") == {"elbo.bound": "assert"}


def test_an_operand_ends_at_a_conjunction_and_an_ocr_elb0_is_the_elbo():
    got = _claims("Q-elbo", "Writing log p(x_0) = ELBO + KL(q(x_1:T|x_0) || p_theta(x_1:T|x_0)), the KL is >= 0 so "
                                 "log p(x_0) >= ELB0, and that is why we maximize the bound.")
    assert got == {"diffusion.bound": "assert"}  # not 'KL ... >= 0 so log p(x_0)' read as ELBO >= log p(x_0)


def test_the_latent_may_have_any_letter():
    assert _claims("Q-elbo", "ELBO = E_{q(y|x)}[log p(x|y)] - KL(q(y|x) || p(y))") == {"elbo.decomposition": "assert"}
    assert _claims("Q-elbo", "ELBO = E_{q(h|x)}[log p(x|h)] + KL(q(h|x) || p(h))") == {"elbo.decomposition": "deny"}


def test_formulas_only_for_their_family():
    assert _claims("Q-seq", "The equilibrium is p = q = 0.") == {}


def test_structure_loads_and_validates():
    s = structure.load()
    assert {o.claim for o in s.orders} >= {"seq.time-train", "linattn.cost"}
    assert s.sequences[0].rule["first"] == "q"
    good = {"family": {"Q-linattn": {"default_aspect": "cost", "symbols": {"n": "n", "d": "d"},
                                     "roles": {"bob": ["bob"], "softmax": ["softmax"]},
                                     "aspects": [{"aspect": "cost", "pattern": ".*"}]}},
            "order": [{"claim": "linattn.cost", "claimed": {"cost/softmax": "n^2*d", "cost/bob": "n*d^2"}}]}
    assert structure.parse(good).orders[0].claimed[("cost", "bob")] == "n*d^2"
    bad_claim = {**good, "order": [{"claim": "linattn.nope", "claimed": {"cost/bob": "n"}}]}
    with pytest.raises(structure.StructureError, match="unknown claim"):
        structure.parse(bad_claim)
    bad_order = {**good, "order": [{"claim": "linattn.cost", "claimed": {"cost/bob": "n*,d"}}]}
    with pytest.raises(structure.StructureError, match="not an order"):
        structure.parse(bad_order)
    bad_regex = {"family": {"Q-linattn": {**good["family"]["Q-linattn"], "roles": {"bob": ["(unclosed"]}}}}
    with pytest.raises(structure.StructureError, match="bad pattern"):
        structure.parse(bad_regex)
    assert structure.parse({**good, "opposite": [{"words": ["fast", "slow"]}]}).opposites == (("fast", "slow"),)
    with pytest.raises(structure.StructureError, match="opposite 1 must give two words"):
        structure.parse({**good, "opposite": [{"words": ["fast"]}]})


@pytest.mark.parametrize("text,expected", [
    # per-example subscripts x^(i) inside the distributions
    (r"$\mathcal{L}^{(i)} = \mathbb{E}_{q(z|x^{(i)})}[\log p(x^{(i)}|z)] - KL(q(z|x^{(i)}) \| p(z))$",
     {"elbo.decomposition": "assert"}),
    # the identity with the KL to the true posterior, and that KL stated non-negative: the bound
    (r"$\log p(x) = \text{ELBO} + KL(q(z|x) \| p(z|x))$ and that KL is non-negative",
     {"elbo.bound": "assert"}),
    (r"$\log p(x) = \text{ELBO} + KL(q(z|x) \| p(z|x))$", {}),  # nothing said about the KL's sign
])
def test_more_elbo_formulas(text, expected):
    assert _claims("Q-elbo", text) == expected


def test_the_origin_named_as_the_equilibrium():
    assert _claims("Q-minmax", "The only saddle point of f is the origin.") == {"minmax.equilibrium": "assert"}
    assert _claims("Q-minmax", "The iterates circle around the origin.") == {}


@pytest.mark.parametrize("text", [
    "Starting from p = 1 and q = 1, the iterates never reach the optimum.",
    "From (1, 1) the updates go around and never settle at the equilibrium.",
    "The optimum is never reached: after 6 steps we are back at (1, 1).",
    "The equilibrium is not reached; the iterates visit (1, -1) and then (-2, 1).",
])
def test_a_start_or_a_step_is_not_the_equilibrium(text):
    assert _claims("Q-minmax", text) == {}


def test_a_value_before_a_remark_in_brackets_is_read():
    """"the output is v_a + v_b (both weights -> 1)": a sum, not a call v_b(...); it denies the average."""
    from dlclaims.check.formulas import _average
    assert _average("with q = beta(k_a + k_b) the output is v_a + v_b (both weights -> 1).") == \
        [("lookup.average", "deny", "v_a+v_b")]
    assert _average("the output is 0.5 v_a + 0.5 v_b (the average)")[0][:2] == ("lookup.average", "assert")


def test_an_average_named_as_what_the_output_is_not_denies_it():
    """"you get v_a or v_b, not (1/2)(v_a + v_b)" denies lookup.average; the same formula stated plainly asserts it."""
    from dlclaims.check.formulas import _average

    said = r"so you get $v_a$ or $v_b$, not $\frac{1}{2}(v_a + v_b)$."
    assert [(c, st) for c, st, _ in _average(said)] == [("lookup.average", "deny")]
    assert [(c, st) for c, st, _ in _average(said.replace("not", "that is"))] == [("lookup.average", "assert")]
