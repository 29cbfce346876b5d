"""Benchmark: the checker on real answer sheets, cross-validated leave-one-sheet-out (LOSO).

Reads ../shared/checker-corpus (relative to the repository root) at run time; its texts are never
copied here. For each held-out sheet the decision (check/decide.py) is fitted on the other sheets,
its threshold chosen by an inner leave-one-sheet-out over those sheets, then the held-out sheet is
graded against a fixture store whose verdicts are what theory says (tests/check/check_fixtures.py).

Scores, per family and in total:
  detection   precision / recall / F1 of (sheet, claim) pairs against the labels (all labels);
  grades      accuracy on the found claims whose label has a firm grade (not '?');
  "wrong"     precision: of the findings graded wrong, the share the label grades wrong (old count: on labelled
              claims with a firm grade only; "(all)": every "wrong" grade given, false findings included);
  "to check"  findings set apart for a person (not confident enough for a firm "wrong").
With --store PATH (a real lab store) grades are also compared with the lab's verdicts: a grade that
differs from the label only because the stored verdict differs from theory is counted apart.

    python benchmarks/bench_checker_corpus.py [--fit] [--no-record] [--corpus DIR]

--fit refits the shipped decision on the whole corpus (threshold from LOSO) into
src/dlclaims/check/knowledge/decider.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "checker-corpus"
sys.path.insert(0, str(ROOT / "tests" / "check"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@dataclass
class Sheet:
    name: str
    text: str
    labels: dict[str, tuple[str, str]]  # claim -> (stance, grade)


def load_corpus(corpus: Path = CORPUS) -> list[Sheet]:
    from dlclaims.check.sheet_io import normalise

    out = []
    for md in sorted(corpus.glob("dev-*.md")):
        lab = corpus / f"labels-{md.stem}.tsv"
        if not lab.exists():
            continue
        labels = {}
        for line in lab.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) >= 3:
                labels[cols[0].strip()] = (cols[1].strip(), cols[2].strip())
        out.append(Sheet(md.stem, normalise(md.read_text(encoding="utf-8")), labels))
    return out


def load_own() -> list[Sheet]:
    """Our own labelled sheets (tests/sheets): extra training data, never held out."""
    import json

    from dlclaims.check.sheet_io import normalise

    out = []
    for md in sorted((ROOT / "tests" / "sheets").glob("*.md")):
        lab = md.with_suffix(".labels.json")
        if lab.exists():
            claims = json.loads(lab.read_text(encoding="utf-8"))["claims"]
            out.append(Sheet("own:" + md.stem, normalise(md.read_text(encoding="utf-8")),
                             {c: ("", g) for c, g in claims.items()}))
    return out


def _fit(X: list[np.ndarray], Y: list[np.ndarray], idx: list[int], extra: tuple | None,
         C: float = 1.0, pos_weight: float = 1.0):
    from dlclaims.check import decide

    Xs, Ys = [X[i] for i in idx], [Y[i] for i in idx]
    ws = [np.ones(len(y)) for y in Ys]
    if extra is not None:  # our labelled sheets: half weight (they state about twice as many claims a sheet)
        Xs.append(extra[0])
        Ys.append(extra[1])
        ws.append(np.full(len(extra[1]), OWN_WEIGHT))
    y = np.concatenate(Ys)
    return decide.fit(np.vstack(Xs), y, C=C, weight=np.concatenate(ws) * np.where(y == 1, pos_weight, 1.0))


# what each part adds, measured with this benchmark on 2026-11-30 (total F1 / grade accuracy, same corpus)
ABLATIONS = ("What helps (LOSO F1 / grade accuracy): the regex catalogue it replaces 0.48 F1 (CHECKER-NOTES.md); "
             "TF-IDF similarity only (--no-wordllama) 0.785 / 0.908; with WordLlama 0.801 / 0.908 (kept: +0.016 F1 "
             "for ~5 ms a sheet); family cue regexes as a score bonus changed nothing (0.796 without them: removed); "
             "alias terms as a family bonus lowered F1 to 0.76 (weight 0); training also on tests/sheets 0.801 vs "
             "0.805 corpus-only (kept: more phrasings); stance from the matched example alone 0.67 grade accuracy, with "
             "the denial margin, tight-paraphrase gate and negation scope 0.90. Round 2: a leading 'No,' answers the "
             "question (not a negation) and minmax.no-convergence examples in x/y words 0.806 / 0.911; negative "
             "examples for Q-seq 0.825 / 0.912, and for Q-scalar, Q-align 0.832 / 0.919 (for Q-gen 0.828, Q-bias, Q-cnn: "
             "no gain, not kept); the lab's shape test (knee, widths that fall) read as the measured trend, so a "
             "sheet's fall after the knee is partly where the lab measured a plateau: no change in total (dev grades "
             "moved both ways; kept as the rule the labelling conventions give). Round 3: more examples in our words for thin claims (gen.ae-prior's VAE "
             "half as stated inside VAE/ELBO answers, the diffusion bound and L_T as formulas, ema.adagrad, seq.memory, "
             "the correct ELBO term roles) 0.832 -> 0.834 (Q-diffusion 0.60 -> 0.83, Q-gen 0.72 -> 0.76, others moved "
             "both ways with the refitted decision); tried, not kept: hard negatives for Q-align/Q-cnn 0.818, features "
             "for the mean of the 3 best examples and the window's length 0.820, how far the window stands out among "
             "the sheet's windows 0.839 (noise-sized), clauses of >= 5 words 0.834 / >= 6 0.816, gradient boosting "
             "0.828, pairwise-interaction logistic regression 0.833, decider C / class weight chosen by inner CV 0.840 "
             "(noise-sized, 5x CPU), corpus-only training 0.824, a has-negatives indicator 0.834. Kept: windows of three "
             "neighbouring sentences (claims stated inside explanations) 0.834 -> 0.843, P 0.821 -> 0.832, R 0.848 -> "
             "0.854 (4 sheets gain, 1 loses; +3% analysis CPU). Round 4: denials in our words brought to 20 per "
             "claim (12-16 new per claim), measured per family and kept greedily where total F1 stayed >= 0.838, "
             "grade accuracy >= 0.933 and no extra false 'wrong' grade: kept for Q-elbo (decomposition, bound), "
             "Q-latent, Q-bias, Q-scalar, Q-seq, and for Q-depth only the denials worded with a negation (those "
             "worded as opposites read two right assertions as denials, graded wrong), with 4 asserting examples "
             "for linattn.not-equivalent ('only approximates' was lost to linattn.cost once the others were in): "
             "0.843 / 0.938 -> 0.838 / 0.947 (Q-bias grades 0.57 -> 0.75, Q-elbo F1 0.87 -> 0.89); not kept: "
             "Q-gen (0.831 in the final set: Q-gen F1 0.79 -> 0.74), Q-minmax, Q-cnn, Q-ema, Q-align, Q-lookup, "
             "Q-linattn denials, Q-diffusion (each added a false finding or a firm false 'wrong' grade: F1 "
             "0.832-0.846 with 'wrong' precision (all) 0.6), 13 more asserting examples for elbo.term-roles (0.825). "
             "Then, of those families' new denials, only the ones worded with a negation, same greedy rule: kept for "
             "Q-lookup, Q-gen, Q-ema, Q-align, Q-linattn (1-10 per claim) -> 0.841 / 0.947; not kept for Q-diffusion, "
             "Q-minmax, Q-cnn (0.840-0.845 but a pre-existing wrong grade of a right answer left 'to check'). Round 5 "
             "(which window states the claim): the decision reads the most likely of a pair's top-k first-stage "
             "windows (trained on the first-stage window's features; k of 1, 3, 5 and the threshold chosen by the "
             "inner cross-validation: folds chose 3 (13), 5 (5), 1 (1)), with three new features: the window's length "
             "(log words), whether it is a clause cut from a longer sentence, and how many windows score within 0.85 "
             "of the best: 0.841 / 0.947 -> 0.853 / 0.957 (P 0.823 -> 0.826, R 0.861 -> 0.881; 'wrong' given 4 -> 3, "
             "all labelled wrong); the features alone (k = 1) 0.848, k fixed at 3 0.849, 5 0.854 (not selected on "
             "this: k is chosen inside each fold); trained on every top-3 window with the pair's label 0.831, "
             "not kept. Round 6 (out-of-fold average precision AP and log-loss LL of the pooled leave-one-sheet-out "
             "probabilities are given beside F1: F1 at thresholds chosen inside each fold moves by +-0.015 with any "
             "change, AP and LL less): an answer that is only a table is read under the family its table names "
             "(was dropped as unmatched): AP 0.907 -> 0.912, F1 0.853 unchanged; kept: a claim classifier trained on "
             "the knowledge base's examples alone (multinomial logistic regression over the 47 claims on word TF-IDF "
             "and WordLlama, check/classify.py), its largest P(claim | window) over the sheet's windows as the "
             "16th feature (clf_max): AP 0.912 -> 0.932, LL 0.142 -> 0.125, F1 0.853 -> 0.877 (P 0.855, R 0.901); "
             "its C (fixed at 10 beforehand) 3 / 30 / 100: F1 0.861 / 0.873 / 0.869; with character n-grams too "
             "0.858 (AP 0.934), word n-grams alone 0.839, class centroids instead of a regression 0.863, one-vs-rest "
             "0.859, read at the top-k windows only 0.856, separate word and embedding classifiers 0.848. Tried, not "
             "kept: clause windows that keep brackets and math whole ((p, q), O(n, d)) 0.835, and with fragments "
             "joined 0.823, both kinds together 0.850; on-topic negatives for 15 claims, written from CLAIMS.md "
             "(AP 0.911, F1 0.849); each claim's base rate in the training sheets as a feature 0.843-0.846; the "
             "claim's rank and gap among its family's claims on the sheet 0.844-0.860; BERTScore-style greedy "
             "matching of WordLlama token vectors to the examples (AP 0.919, F1 0.848-0.854); whether the windows "
             "name the claim's model (AE / VAE, ...) 0.869; the classifier's mean over an answer block's sentences "
             "(AP 0.942, LL 0.116, but F1 0.857-0.867 at the folds' thresholds); the threshold F1/2 (optimal for "
             "calibrated probabilities) 0.864; the classifier's best window added to the stance vote (grades "
             "unchanged). Trained on the corpus alone, without our labelled sheets (--no-own), 0.861. Then: 9 more "
             "labelled sheets (tests/sheets/wild_*) written from CLAIMS.md by sessions that never ran the checker, in "
             "the training set at half weight (OWN_WEIGHT; full weight 0.851): 0.874, LL 0.122; on those 9 sheets "
             "(in-sample) grade accuracy was 0.86 with 4 right answers graded wrong, each from a reader bug fixed "
             "since (a hyphen read as a minus, a ', not Y' tail cut from its clause, softmax(Q) read as softmax "
             "attention, a role swap) and a table with one wrong value graded partly (now wrong): 0.90, no right "
             "answer graded wrong; the role links (which ELBO term is the regularizer, check/assignments.py) "
             "0.874 / 0.957 -> 0.877 / 0.966. Then 9 more such sheets (wild_d*, wild_e*, wild_f*), first read as "
             "held out (the shipped decision had never seen them): detection F1 0.923, grade accuracy 0.825, "
             "3 right answers graded wrong, from two more reader bugs fixed since (an inequality read across a "
             "whole sentence: 'a KL is always >= 0 ... log p(x_0) >= ELBO' became 'ELBO >= log p(x)'; the bound "
             "over x_0 is now diffusion.bound) and a denial read from one short clause (a 'wrong' resting on one "
             "clause under a third of its sentence is now held back for a person). With all 49 of our sheets in "
             "training the corpus F1 at the folds' argmax thresholds was 0.857: the pooled F1 curve is flat "
             "(0.855-0.869 for cuts 0.38-0.72) and its argmax jumps; the threshold is now the middle of the cuts "
             "within 0.01 of the best F1 (decide.PLATEAU): 0.868 (argmax 0.857), over training-set variants "
             "0.858-0.868 (argmax 0.851-0.866); own-sheet weight 0.25 / 0.5 / 1: 0.864 / 0.868 / 0.858. A third "
             "round (wild_g*, wild_h*, 6 sheets) read held out: detection F1 0.969, grade accuracy 0.80; two wrong "
             "tables written step by step ('step 5: q=-1 p=1') were not read as tables and a similarity finding of "
             "minmax.table was graded 'right' on its words alone: step-by-step tables are now read (series."
             "step_series) and a table claim found by words alone is 'unknown' (its values were not compared). "
             "A VAE sentence ('decoding prior samples gives realistic digits') read as denying gen.ae-prior's AE half "
             "(graded wrong): a window about one model of a contrasted pair is now read against that model's half "
             "of a two-model example, and a denial about the other model does not apply to it. Left: a VAE KL "
             "'computed in closed form' read as denying diffusion.intractable (a false finding graded wrong). A "
             "fourth round (wild_i*, wild_j*: 6 sheets of answers that quote and correct others, and terse ones) "
             "read held out: detection F1 0.963, grade accuracy 0.846, no right answer graded wrong; a role link "
             "reported from others ('my group said the KL is the regularizer') now yields to the sheet's own "
             "(0.868 on them); 'X, which is not right' as a retraction was tried and dropped (on the corpus it read "
             "a student's remark about one alignment as denying align.cells, graded wrong). A window that matches an "
             "example loosely with the other negations now abstains from the stance vote (it used to assert by "
             "default): on the 30 independent sheets 3 more wrong answers graded wrong (e.g. 'Bob gets the same "
             "outputs, matmul is associative'), and diffusion.intractable's 'closed form' denial now names the "
             "chain's posterior (a VAE's closed-form KL was read as denying it): independent F1 0.960 -> 0.966, "
             "grade accuracy 0.873 -> 0.874, 'wrong' 37/37 with none on false findings; corpus grades unchanged, "
             "corpus F1 0.871 -> 0.862 at the folds' thresholds with the same AP 0.937 and log-loss 0.118 (the "
             "classifier refitted on the edited example: threshold noise). A fifth round (wild_k*, wild_l*: answers "
             "in the voices of forum posts, issue comments and lecture notes, and half-right answers) read held "
             "out: detection F1 0.938, grade accuracy 0.807; one right answer graded wrong ('L_T is constant, its "
             "gradient is exactly zero', a correction graded on the false part it names as if asserted): a "
             "refinement graded on the part it names is now right for either part. With all 36 sheets: corpus "
             "F1 0.868, grade accuracy 0.957; independent F1 0.962, grade accuracy 0.868, 'wrong' 41/41. A sixth "
             "round (wild_m*: all OCR; wild_n*: LaTeX-heavy) read held out: detection F1 0.952, grade accuracy "
             "0.854; a numbered Markdown heading ('## 1. ELBO of the VAE') among keyword headings ('Question 2') "
             "was not a heading and its answer was lost: fixed. Left, graded wrong: a two-sentence window whose "
             "first sentence is about another claim ('It does not say how many units. Depth can be "
             "exponentially more efficient ...') read as denying depth.efficiency, and PyTorch's error message "
             "quoted in a right answer ('... raises grad can be implicitly created only for scalar outputs') read "
             "as denying scalar.error. With all 42 sheets: corpus F1 0.877, grade accuracy 0.957, 'wrong' 3/3; "
             "independent F1 0.965, grade accuracy 0.866, 'wrong' 43/45 on labelled claims. Then both fixed: 'without' "
             "negates its object only, and a denial worded as a negation is read only from a paraphrase that "
             "carries a negation: independent grade accuracy 0.871, 'wrong' 43/44 (left: 'for a vector output the "
             "gradient would be a full Jacobian' read against an example with a ', not a gradient vector' tail); "
             "corpus unchanged. Next stop: 57 more such sheets in 19 rounds (wild_o* to wild_gg*: generative models "
             "and optimizers in detail; formulas and flattened tables; forum threads, homework write-ups and lecture "
             "notes; heavy OCR; weak answers with few claims; derivations; unusual notation and non-native English; "
             "writers who change their mind; all 14 questions briefly; Unicode math; numbers from "
             "the students' own runs; answers laid out as tables), each read held out first: detection F1 0.95-0.98 (0.80 on the weak "
             "answers: on-topic sentences close to a claim are found), grade accuracy 0.80-0.87. Every right answer "
             "graded wrong was traced and the general cause fixed: 'not only' against an 'only'; a negation's scope "
             "crossing a colon ('does not help: alternating updates still cycle'); a sentence ending after a brace; "
             "a quoted exam question ending in '?\"' read as a statement; a window that says an example's head read "
             "against its ', not Y' tail; '-log p(x_0) <= L' read as the ELBO above log p; 'the whole story' read as a "
             "memory word and 'carries h_t forward' as a forward pass; 'on its own' against 'between positions'; 'err = |out - (v_a + v_b)/2|' read as a "
             "negative average. Others fixed on the way: "
             "a heading missing inside an answer (a piece 4x closer to another question moves there with its "
             "neighbours), a heading opening a one-line paragraph or following a sentence inside one, opposite words "
             "as data (sequential/parallel, ... : structure.toml [[opposite]]), a total that names no model ('so one "
             "layer is O(...)') given to the model named before it, 'both' before the order's comma, bare pairs "
             "('1,1 -1,2 ...') and a pair's values in turn ('(q,p): 1 1 2 -1 ...') as tables, the ELBO's latent under "
             "any letter, the bound read through a derivation's '=' chain, display math never a pipe table, a square "
             "product ('W is n×n') a shape and not a cost, a negated opposite word left to the negation, a table written in prose read row by row (a sheet of "
             "'Statement | True/False + reason' tables: F1 0.10 -> 0.93), bars inside brackets or inline math no "
             "cell separators (prose lines with 'q(z|x)' were read as a pipe table and lost), LaTeX \\multicolumn "
             "and two header rows in order tables, pairs one per line, role "
             "links read through OCR damage (an ordinal '1st' is not one), and equivariance-only statements moved "
             "from bias.equivariance's assertions to its corrections. Each kept change left the corpus's findings "
             "and grades unchanged or better and no earlier sheet worse; tried and dropped (each graded some right "
             "answer wrong elsewhere): a one-letter variable mismatch as abstention, a negation's scope of one "
             "word, negated auxiliaries always counted, 'weight sharing' and 'pooling' naming the CNN, holding "
             "back every 'wrong' read through a negation flip (6 of 10 such grades on our sheets were right), "
             "removing the formula-only asserting example of linattn.not-equivalent, a prose-word feature (F1 "
             "0.870, AP unchanged). A last round of ordinary mixed sheets (wild_ff*, wild_gg*), read held out with the final code and "
             "not used for any fix: detection F1 0.940, grade accuracy 0.862, 2 right answers graded wrong (a "
             "', not a gradient vector' tail again; 'a row with one bright cell means ...' against 'every target "
             "word always ...'). With all 130 of our sheets at half weight: corpus F1 0.868 at the folds' "
             "thresholds (AP 0.939, log-loss 0.115: both slightly better than at the stop's start, 0.938 / 0.118), "
             "grade accuracy 0.966, 'wrong' 3/3; independent (99 sheets) F1 0.952, grade accuracy 0.879, 'wrong' "
             "102/110 on labelled claims (4 more on false findings). Then a denial that says something of every "
             "case ('every target word always attends to exactly one source word') is no longer read from a "
             "window about some cases without a quantifier: 10 right align.spread answers no longer graded wrong "
             "or unknown, 2 wrong ones missed: independent grade accuracy 0.886, 'wrong' 101/107; corpus "
             "unchanged. Last, an OCR'd x0 ('log p(xO) >= ELBO') marks the diffusion bound; refitted: corpus F1 "
             "0.866, grade accuracy 0.957 (one grade fewer than just before: the folds' decisions moved with the "
             "changed features of our sheets), 'wrong' 3/3; independent F1 0.954, grade accuracy 0.885, 'wrong' "
             "102/108. Next stop: 36 more such sheets in 12 rounds (wild_hh* to wild_ss*: answers under time "
             "pressure with '(scratch that)' corrections, long contrasting paragraphs, notebook exports, strong "
             "students, copied questions, all 14 questions briefly, ordinary sheets, measured numbers, and three "
             "rounds of weak students with many confident misconceptions), each read held out first: detection "
             "F1 0.92-0.96, grade accuracy 0.87-0.96 on ordinary sheets and 0.75-0.80 on the misconception-heavy "
             "ones (a wrong answer worded close to a right example is still often graded right). 8 right answers "
             "graded wrong came up in those reads; 6 were traced to general causes and fixed: a framing ('it is "
             "tempting to ...') that ran past the writer's own 'but'; an inequality sign ('!=') that was no "
             "negation; a denial read from the clause about the other model of a pair ('... VAE samples look like "
             "digits'); an elided negation ('a VAE is generative; a plain AE is not'); 'first'/'second' term and "
             "'by itself'/'across positions' as opposite words; 'calling X the regularizer gets the roles "
             "backwards' as a framing. Also fixed on the way: a statement withdrawn with '(scratch that)' or "
             "struck through is not read (markers as data), a matrix inside a sentence is no table (a paragraph "
             "with an inline pmatrix had been read as one table and its three min-max claims lost), "
             "'l(t^2 n + t n^2)' as one order and 'not just t^2 l n' as an incomplete one, a line item's model "
             "label ('- Transformer: ...'), a negation's scope across inflections ('does not make' against "
             "'makes'), 'acc ↑' and 'drops again' in trends, a value sum before a bracketed remark, the kind "
             "(time/memory) carried only from a label or an order, role links through the reconstruction "
             "('the KL is what makes the reconstructions good'), and in a ', not Y' tail a scope word said "
             "before it ('a Jacobian for a vector output, not a gradient vector'). Knowledge: eight denials in "
             "our words of gen.ae-prior's classic wrong answer (a plain AE's random codes decode to good "
             "digits: 12 such wrong answers on our sheets had been graded right), lookup.average's denials read "
             "as content, ema.noise's generic example made EMA-specific. Tried and dropped: the next windows "
             "voting when the best ones abstain (2 right answers graded wrong), a denial taken where a window "
             "abstains against a close assertion ('wrong' precision 0.961 -> 0.932), the support share taken "
             "from the best window long enough to vote (0.961 -> 0.949), graded right answers set apart where "
             "abstaining windows outweigh the voters (hundreds of right grades lost), a plateau-then-fall read "
             "as partly (our labels read 'it can even drop' as right), a negated subject ('nothing ...') "
             "negating its whole clause, more denials for cnn.params, cnn.shift-robustness and scalar.cost "
             "(corpus F1 0.858 -> 0.853, 'wrong' precision down). Refitted with all 166 of our sheets: corpus "
             "F1 0.859 at the folds' thresholds (AP 0.941, log-loss 0.1147), grade accuracy 0.957, 'wrong' 3/3; "
             "independent (135 sheets) F1 0.951, grade accuracy 0.891, 'wrong' 165/171. Then six more rounds "
             "(wild_tt* to wild_yy*: comparisons between the two models, heavy OCR, ordinary sheets of three "
             "strengths, answers cut off or crossed out, answers that refer back to their own equations), read "
             "held out first: detection F1 0.94-0.97, grade accuracy 0.87-0.92, 3 right answers graded wrong, "
             "all fixed: comparisons are read with their models (the same comparative word with the models the "
             "other way round says the opposite; forward and reverse mode, the moving average and the plain mean "
             "are contrasted pairs like AE/VAE), OCR digits inside words in a negation's scope ('never c0nverge'), "
             "'moves away' / 'settles' as diverging / converging. Also: a transcription's '[crossed out] ... "
             "[end crossed out]' is withdrawn, a total that fits no claim's order in a sentence about one model "
             "is that model's (5 seq.time-train answers partly -> right), a window saying the assertion's "
             "opposite word takes a close denial (3 wrong seq.decode-sequential answers no longer graded right), "
             "three more minmax.small-step denials ('a smaller eta does not rescue it'): corpus F1 0.866 -> 0.870, "
             "independent 'wrong' precision 0.964 -> 0.974 (corpus F1 0.870 refitted with 184 sheets). Last: a "
             "negated action verb ('doesn't rescue alternating GDA', 'can't keep that KL') aligns with the other "
             "text only through the verb (2 right answers no longer graded wrong; 'wrong' precision 0.974 -> "
             "0.984), and a letter before the noun it counts defines it ('N tokens': a sheet of another course's "
             "notation, wild_zz*, had its orders read with N as the width). Two last rounds (wild_za*, wild_zz*: "
             "short and long answers, Yes/No with a reason; another course's notation), read held out: detection "
             "F1 0.953, grade accuracy 0.859. Refitted with all 190 of our labelled sheets: corpus F1 0.863 at "
             "the folds' thresholds (P 0.852, R 0.874; AP 0.943, log-loss 0.1147, against 0.939 / 0.115 at the "
             "stop's start; F1 at the best single threshold 0.878), grade accuracy 0.965, 'wrong' 3/3; "
             "independent (159 sheets) F1 0.952, grade accuracy 0.894, 'wrong' 196/199 on labelled claims (8 "
             "more on false findings). Next stop: 66 more such sheets in 22 rounds (wild_zb* to wild_zw*: confident "
             "misconceptions, hedging writers who change their mind, flat positive wrong answers, long multi-claim "
             "sentences, generative-model-heavy answers, bare-number headings, PDF text layers, sources "
             "paraphrased, code snippets, hurried typing, subtle slips, homework derivations, non-native connectors, "
             "answers in negative form and with many framings and qualifiers, cost-heavy answers, comparisons), each "
             "read held out first: detection F1 0.92-0.99, grade accuracy 0.71-0.96 (lowest on the misconception "
             "rounds). Every right answer graded wrong in those reads (about 30) was traced; the general causes "
             "fixed: gen.latent-gap only where the answer names the plain autoencoder (knowledge: named_model, the "
             "labelling rule; corpus F1 0.862 -> 0.869: four false findings from VAE-only answers gone, one true "
             "one lost) and VAE-only negatives for it (AP 0.943 -> 0.944, log-loss 0.1144 -> 0.1125); 'non-linear' "
             "= 'nonlinear'; a retraction marker that opens a statement withdraws the one before it ('My first "
             "guess was X. But I don't think so: ...'), and a first thought framed up to the writer's 'but'; opposite "
             "words as data: minus / plus-times (an xfailed phrasing test now passes), upper / lower bound, "
             "improves / hurts, unaffected / degrades, position by position / across positions, read through OCR "
             "digits, an opposite word negated only by a negation among the three words before it; 'never "
             "negative' and 'not true that' no negations ('it is not true that X' frames X once), 'neither X nor "
             "Y' one negation, a framing ends at the writer's colon; a code identifier one word in a negation's "
             "scope; each line of a fenced code block a statement; PDF text layers (superscripts and subscripts on "
             "the line: 'O(T 2 l n)', 'q k 1 2 1 ...'); letter definitions read through OCR, a meaning's own last "
             "letter no definition ('feature dimensio|n'), a name's arguments no bracketed remark "
             "('softmax(Q/sqrt d)'); a bare 'each' after an order per the unit named before it; a kind label "
             "opening a sentence ('Memory: ...') carried; trends: 'go down', 'for large h', 'I can't say much' "
             "no flat curve, a best h after a monotone rise no peak; 'k=3 :' step labels; a window about another "
             "step size than the claim's ('eta = 0.1' against 'with eta = 1 ...') does not vote. Also: where no "
             "window votes, contrast words leaning clearly to the denials or corrections choose the stance (12 "
             "right bias.equivariance corrections no longer partly; one corpus grade labelled partly now right), "
             "and a loose window saying the assertion's opposite word takes a closer plain denial (3 wrong "
             "seq.decode-sequential answers no longer right). Each kept change left the corpus findings and our "
             "earlier sheets unchanged or better. Tried and dropped: a weak finding on a window another family "
             "holds firmly (lost a corpus label); a denial taken from an abstaining window's tight same-parity "
             "denial (no change); three more cnn.shift-robustness denials (3 found, but the refitted TF-IDF "
             "weights moved a right elbo.bound answer to wrong); argument lists kept whole in clause windows "
             "(corpus F1 0.874 -> 0.866, 3 right answers graded wrong); clause windows cut inside a bracket kept "
             "from voting (3 right answers graded wrong); findings whose windows are all formulas dropped "
             "(hundreds of right findings lost); the one-clause hold-back counting only voting windows (3 right "
             "'wrong' grades held back); 'I don't think' negating its whole clause (a wrong answer graded right); "
             "a model carried from the sentence before to a total (two grades worse); own-sheet weight 0.25 / 1 "
             "(0.872 / 0.878 against 0.877 at 0.5: noise). Refitted with all 256 labelled sheets: corpus F1 0.871 "
             "at the folds' thresholds (P 0.868, R 0.874; AP 0.945, log-loss 0.1138, F1 at the best single "
             "threshold 0.882), grade accuracy 0.948, 'wrong' 3/3; independent (225 sheets) F1 0.957, grade "
             "accuracy 0.890, 'wrong' 282/289 on labelled claims (8 more on false findings). Next stop: 36 more such "
             "sheets in 12 rounds (wild_xa* to wild_xl*: study-group explanations, answers that mostly describe and "
             "define, careful setups with few claims, forum copies with off-topic paragraphs, sheets that define "
             "before they claim, equations-first answers, three student strengths, confident misconceptions, "
             "lecture-note summaries, bullet-list notes, ordinary sheets, homework reports), each read held out "
             "first: detection F1 0.79-0.82 on the description-heavy rounds (on-topic descriptions found as claims) "
             "and 0.95-0.98 on the others, grade accuracy 0.85-0.93. Of the 7 right answers graded wrong in those "
             "reads, 6 were traced to general causes and fixed: a table row of sequential steps read as a cost, "
             "'and not Y' as no contrast tail and a tail that only repeats its subject, an order's role read "
             "before a 'while' ('Bob's layer is linear while the usual one is O(n^2 d)'), 'the two keys share the "
             "weight' against 'the weight goes entirely to one' (opposite words), a bare 'each' that points back "
             "read as a quantifier, a line of another answer voting on the stance (AdaGrad's 'w -= lr * dw' for "
             "the min-max step size: the claim's own answers vote where any of their windows scores); left: 'we "
             "cannot compute that KL ..., which is intractable' read as denying diffusion.intractable ('cannot' "
             "against an example that says 'intractable'). Also fixed on the way: an OCR'd 'rnemory' (m read as "
             "rn) in an order's kind (a false finding graded wrong), a formula's colon as a clause end (3 right "
             "diffusion.intractable answers no longer unknown), 'about the same number of units' / 'exponentially "
             "many' as opposite words and 'but I don't think that is true' as a retraction (10 wrong "
             "depth.efficiency answers no longer graded right). Knowledge: negatives for align.why-grey, "
             "seq.per-token and seq.time-infer (sentences of a sibling claim: 28 false findings on our sheets "
             "gone, none lost); a class 'none' in the claim classifier, trained on 16 descriptions per family "
             "(on-topic sentences that state no claim, written from CLAIMS.md): corpus F1 0.887 -> 0.892, AP "
             "0.944 -> 0.951, log-loss 0.1096 -> 0.1078; independent F1 0.951 -> 0.953, 'wrong' precision with "
             "false findings 0.945 -> 0.953 (another helper's 16 per family instead: AP 0.949, log-loss 0.1084, F1 0.885: "
             "the AP and log-loss gain holds, the F1 gain is within its noise). Tried and dropped: 32 descriptions per family (corpus F1 0.878, AP "
             "0.949), the descriptions also as every claim's first-stage negatives (0.868, AP 0.947), "
             "align.why-grey's and seq.decode-sequential's denials read as content (3-4 right answers graded wrong "
             "each), content-worded denials read without a tight paraphrase (many right answers graded wrong), a "
             "'wrong' held back where its passage is also another found claim's (25 right 'wrong' grades held back "
             "for 5 false ones), 'but that is false' as a retraction (it frames a correction, which was lost), the "
             "family's aliases in the stance's content words (right answers graded wrong), an asserting example "
             "rewritten to carry its conclusion (lookup.average: no change where aimed). Refitted with all 292 of "
             "our labelled sheets: corpus F1 0.892 at the folds' thresholds (P 0.883, R 0.901; AP 0.951, log-loss "
             "0.1081, F1 at the best single threshold 0.887), grade accuracy 0.948, 'wrong' 3/3; independent (261 "
             "sheets) F1 0.953 (P 0.936, R 0.971), grade accuracy 0.893, 'wrong' 332/340 on labelled claims (8 "
             "more on false findings). Next stop: 84 more such sheets in 28 rounds (wild_xm* to wild_wo*: forum "
             "replies that quote others, implicit claims, quick midterms, long multi-claim sentences, LaTeX homework, "
             "messy structure, description-heavy answers, TA model solutions, numbered sub-parts, intuition and "
             "analogies, non-native notes, other courses' notation, misremembered questions, comparison tables, swapped"
             " models, copied questions, notebook exports, rushed exams, tutors, ordinary sheets, reasoning to a "
             "conclusion, math-carried claims, forum threads, Yes/No verdicts, long setups), each read held out first: detection F1 "
             "0.92-0.99, grade accuracy 0.78-0.98. Every right answer graded wrong in those reads was traced; the "
             "general causes fixed: a statement quoted from someone else ('Quoting @x: \"...\"', 'Quote (lecture 9):',"
             " 'the old solution says \"...\"') votes on the stance only where the writer's own words do not, and "
             "alone holds back a 'wrong'; a heading line's topic ('## 4. AE vs VAE as generators') names the question "
             "but is no answer statement (15 false findings on our sheets gone, 14 grades better, 5 worse); a positive "
             "denial that a clause of the window contradicts with an opposite word is not taken; a framing frames from"
             " its marker on ('my first reaction was ...'; 'I had expected ...' too), and trends and orders are read "
             "without the framed part; the stance is voted by the claim's own answer's windows even where a fragment of "
             "another answer scores higher; negations and windows read through OCR digits ('cannot fai1 to', 'circ1es, "
             "never c0nverges': a heavily OCR'd rushed sheet's recall 0.76 -> 0.88); 'we cannot compute that KL' says "
             "'intractable' (the long-standing right diffusion.intractable graded wrong, on 4 sheets); 'a KL can't be "
             "negative' no negation; opposite words: realistic / garbage, 't sequential steps' / 'l sequential steps', "
             "'changes nothing' / 'hurts'; an inequality in words ('greater than or equal to'); an inequality's operand "
             "ends at a conjunction; 'stopped improving' a plateau; an order's role is the clause's subject, not a "
             "comparison's object; an order framed or called partial ('t^2 l n alone', 'only the leading term') is not "
             "the total, and a sum of bare products ('t^2 n + t n^2') one order; tables: pairs with a bar between ('1 "
             "1 | -1 2 | ...'), a printout of unnamed columns after a step index, a weak heading-less paragraph joining"
             " the family it leans to. Each kept change left the corpus findings and our earlier sheets unchanged or "
             "better. Tried and dropped: a negated opposite word read as the other word of its pair ('never above' as "
             "'at most': as many grades worse as better), the example's matching clause for the negation parity (net "
             "worse), a too-short clause's sentence voting where no window votes (4 right answers graded wrong), a "
             "denial worded with a negation read only from a negated paraphrase for every claim (hundreds of "
             "minmax.small-step grades worse), a description stating the VAE half ('To generate, we draw z ~ N(0, I) "
             "...') out of the 'none' class (AP 0.944 -> 0.941), the claim classifier also trained on our sheets' best "
             "windows (AP 0.944 -> 0.932: the decision over-trusts it on the sheets it was trained on), the "
             "classifier's best window among the decision's windows with its probability there as a feature (no "
             "change), the classifier's maximum within the claim's own answers (F1 0.889). The shipped decision's "
             "threshold is now the cut with the best F1 over the pooled held-out predictions (0.52 with 339 of our sheets, 0.50 with 345), not the middle of"
             " the cuts within 0.01 of it (0.54: the example sheet's seq.per-token at p 0.53 was lost); the folds keep "
             "the middle. Refitted with all 345 of our labelled sheets: corpus F1 0.898 at the folds' thresholds (P "
             "0.890, R 0.907; AP 0.950, log-loss 0.1084, F1 at the best single threshold 0.887), grade accuracy 0.957,"
             " 'wrong' 3/3; independent (345 "
             "sheets) F1 0.956 (P 0.940, R 0.973), grade accuracy 0.894, 'wrong' 412/419 on labelled claims (13 more "
             "on false findings). Next stop: 36 more such sheets in 12 rounds (wild_wp* to wild_wz*, wild_ua*, "
             "wild_ub*: results spread over a paragraph, swapped models, short answers, hedging writers who change "
             "their mind, copied questions, comparison tables, PDF exports, answers out of order, dense strong answers, "
             "answers that argue against a classmate, an ordinary large class, all-OCR sheets), each read held out "
             "first: detection F1 0.94-0.99 (0.82 on a sheet of space-aligned comparison tables), grade accuracy "
             "0.81-0.94. Every right answer graded wrong in those reads was traced; the general causes fixed: a clause "
             "whose subject is the other model of the example's pair reads the example's words as the opposite, and a "
             "comparison with the same comparative word and the models the other way round says the opposite (a "
             "subject-swap phrasing test that was xfail passes); a claim's phase as knowledge (phase = 'train' | "
             "'test': 'generation is parallel too' does not deny seq.sequential-steps); a classmate, the TA or "
             "the textbook reported without quotation marks is a quotation ('A friend claimed ...'); role links read "
             "through a KL's arguments and a formula's closing bracket; 'I disagree with ...' frames a rejected view "
             "and 'I don't buy that.' withdraws the sentence before it; words in space-aligned columns under a header "
             "naming two models are a table, and each row of a two-model table is also a sentence naming them "
             "(wild_wu3 recall 0.74 -> 0.95); an OCR-merged row of two labelled runs is two rows; an order added to "
             "the one before ('... add O(t n^2) per layer') is a term of its total; a VAE without its KL term names "
             "the plain autoencoder (one corpus miss fewer); 'equals' against 'different'; a degree word ('really') "
             "no negation scope; a near denial read against an assertion's head where its opposite word and ', not' "
             "tail say the same; a window naming neither model no parity flip against a two-model example. Tried and "
             "dropped: an if-clause cut from its sentence not voting (4 grades better, 5 worse, one right answer "
             "graded wrong); a loose match with the other negations always taking a near denial (70 grades worse); "
             "positive denials of negation-worded claims read without a tight paraphrase (70 worse, 2 corpus grades "
             "lost); degree words that include 'more', 'any', 'all', 'always' (3 worse). Refitted with all 411 of our "
             "labelled sheets (threshold 0.52): corpus F1 0.901 at the folds' thresholds (P 0.895, R 0.907; AP 0.941, "
             "log-loss 0.1178), grade accuracy 0.957, 'wrong' 3/3; independent (381 sheets) F1 0.958 (P 0.943, R "
             "0.973), grade accuracy 0.895, 'wrong' 455/465 on labelled claims (15 more on false findings). Two more rounds "
             "(wild_uc*: reasoning that ends in an 'Answer:' summary; wild_ud*: another course's names for the same "
             "things), read held out: detection F1 0.86 and 0.93; the text before an 'Answer:' line was dropped as a "
             "copied prompt even where it was the writer's reasoning: it is now dropped only where it reads as a prompt "
             "(it asks, or opens with an instruction): 7 claims more found on wild_uc*; a typed η reads as 'eta' (4 "
             "wrong minmax.small-step answers more found; the other Greek letters too: 2 grades worse, not kept). With "
             "those and 6 more sheets the corpus F1 read 0.888 (AP 0.938): two corpus labels (dev-06 diffusion.LT, "
             "dev-107 elbo.term-roles) were lost only because their folds' inner cross-validation chose top_k 1 (p 0.12 "
             "and 0.33; 0.76-0.93 at k 3 or 5) on an inner F1 difference at one cut. The inner cross-validation now "
             "chooses k by its average precision (the ranking over all cuts; the threshold is still the F1 plateau's "
             "middle at that k): corpus F1 0.901 (P 0.895, R 0.907; AP 0.942, log-loss 0.1174), grade accuracy 0.957, "
             "'wrong' 3/3, the same as before those changes. "
             "Round 13 (wild_ue* to wild_uj*, 18 sheets: worked numeric examples, terse bullets and a non-native writer, "
             "answers.py-style homework, forum replies with EDITs, lab-report notes, run-on answers without question "
             "numbers), each read held out before any fix: detection F1 0.96-0.99, grade accuracy 0.85-0.93. Kept: a "
             "denial worded without a negation, of a claim whose denials are negations, is read only from a window that "
             "says a word telling the claim's denials from its assertions or a negation of its own (38 grades better, 3 "
             "worse on our sheets; 9 wrong answers held back for a person before are now graded right); 'Transf.' names "
             "the Transformer; a display formula after 'The total is' is that sentence's total, and a total extending "
             "the order of the model named in the sentence before is that model's (an EDIT correcting a table cell); an "
             "average named as what the output is not denies lookup.average. Tried, not kept: the same denial rule for "
             "claims whose denials are content (53 better, 29 worse, 13 more wrong answers graded right); a claim's "
             "topic (kb regex: minmax.small-step must name the step size to vote; 3 better, 9 worse); a claim's "
             "premises (setup statements both sides state, no vote; no change on any sheet); a 'but mostly Y' tail "
             "joined to its clause (no change). Corpus unchanged by the code (F1 0.901, AP 0.942); independent "
             "sheets: the table below.")
# weight of a (sheet, claim) pair of our own labelled sheets (tests/sheets) against one of the corpus: with 49 own
# sheets and the plateau threshold, weight 0.25 / 0.5 / 1 gave LOSO F1 0.864 / 0.868 / 0.858 (log-loss 0.117 /
# 0.119 / 0.125)
OWN_WEIGHT = 0.5
INNER_FOLDS = 6  # folds of whole sheets inside the training sheets, for the threshold
# (C, positive-class weight) of the decision, chosen per fold by the inner cross-validation (first: the default).
# The grid C in {0.1, 0.3, 1, 3} x weight in {1, 2, 4} gave LOSO F1 0.840 against 0.834 (noise-sized) for 5x the CPU,
# and its shipped fit (C 0.3, weight 2, threshold 0.66) lost a finding of the example sheet: one setting is kept.
DECIDER_GRID = ((1.0, 1.0),)
TOP_KS = (1, 3, 5)  # how many first-stage windows per pair the decision reads: chosen by the inner cross-validation


def _fold_decider(X: list[np.ndarray], Y: list[np.ndarray], train: list[int], extra: tuple | None = None,
                  XK: list[np.ndarray] | None = None):
    from sklearn.metrics import average_precision_score

    from dlclaims.check import decide

    # C, the weight of the positive class and the threshold: inner cross-validation over whole training sheets
    # (the extra sheets always train); the setting with the best inner average precision wins (ties: the first in
    # GRID order), and how many first-stage windows per pair it reads (the most likely one is kept)
    best = (-1.0, 1.0, 1.0, 0.5, 1)
    for C, pw in DECIDER_GRID:
        ps, ys = {k: [] for k in TOP_KS}, []
        for f in range(INNER_FOLDS):
            held = train[f::INNER_FOLDS]
            if not held:
                continue
            dj = _fit(X, Y, [i for i in train if i not in held], extra, C, pw)
            for j in held:  # scored as the checker reads a sheet: the most likely of the top-k windows
                for k in TOP_KS:
                    dj.top_k = k
                    ps[k].append(dj.proba(X[j]) if XK is None else dj.proba_best(XK[j])[0])
                ys.append(Y[j])
        y = np.concatenate(ys)
        for k in (TOP_KS if XK is not None else TOP_KS[:1]):
            p = np.concatenate(ps[k])
            cut = decide.choose_threshold(p, y)
            # k by the inner average precision (the ranking over all cuts), not the F1 at one cut: that F1 moves by
            # +-0.01 with any change of the training sheets and flipped folds between k = 1 and k = 5
            ap = float(average_precision_score(y, p))
            if ap > best[0] + 1e-9:
                best = (ap, C, pw, cut, k)
    d = _fit(X, Y, train, extra, best[1], best[2])
    d.note = f"C = {best[1]}, positive-class weight {best[2]}, top_k {best[4]} (inner cross-validation)"
    d.threshold = best[3]
    d.top_k = best[4]
    d.review = min(0.95, d.threshold + 0.15)
    return d


def evaluate(corpus: Path = CORPUS, *, store: Path | None = None, fit_all: bool = False, own: bool = True) -> dict:
    from check_fixtures import build_store

    from dlclaims.check import decide, load_verdicts
    from dlclaims.check.sheet import analyse, decide_sheet, grade_sheet
    from dlclaims.core.catalogue import claims_by_id

    sheets = load_corpus(corpus)
    family = {c: q.question for c, q in claims_by_id().items()}
    t0, c0 = time.perf_counter(), time.process_time()
    analyses = [analyse(s.text) for s in sheets]
    t_an, c_an = time.perf_counter() - t0, time.process_time() - c0
    Y = [np.array([float(c.claim in s.labels) for c in a.candidates]) for a, s in zip(analyses, sheets)]
    # the decision is trained on the features of each pair's first-stage best window and, on a held-out sheet,
    # reads the most likely of the pair's TOP_K windows (decide.proba_best; c.x is that choice by the shipped
    # decision, so it is recomputed here with each fold's decision, never read)
    XK = [np.array([c.xk for c in a.candidates]) for a in analyses]  # (C, K, F) per sheet
    X = [xk[:, 0] for xk in XK]
    extra = None
    if own:
        own_an = [(s, analyse(s.text)) for s in load_own()]
        extra = (np.vstack([np.array([c.xk[0] for c in a.candidates]) for _, a in own_an]),
                 np.concatenate([np.array([float(c.claim in s.labels) for c in a.candidates]) for s, a in own_an]))
    with tempfile.TemporaryDirectory() as d:
        theory = load_verdicts(build_store(Path(d) / "s.sqlite"))
    lab = load_verdicts(store) if store is not None and Path(store).exists() else None
    rows = []  # (sheet, claim, label stance, label grade, found?, found grade, lab grade)
    settings: list[str] = []
    thresholds = []
    oof_p: list[np.ndarray] = []  # out-of-fold probabilities of every (sheet, claim), and its label
    oof_y: list[np.ndarray] = []
    for i, (s, an) in enumerate(zip(sheets, analyses)):
        dec = _fold_decider(X, Y, [j for j in range(len(sheets)) if j != i], extra, XK)
        for c, k in zip(an.candidates, dec.proba_best(XK[i])[1]):  # the most likely window under this fold's fit
            c.x = c.xk[k]
        thresholds.append(dec.threshold)
        settings.append(dec.note)
        ex = decide_sheet(an, sheet=s.name, decider=dec)
        p_i = dec.proba(np.array([c.x for c in an.candidates]))
        oof_p.append(p_i)
        oof_y.append(Y[i])
        pr = dict(zip((c.claim for c in an.candidates), p_i))
        found = {f["claim"]: f for f in grade_sheet(ex, theory)["findings"]}
        found_lab = {f["claim"]: f["grade"] for f in grade_sheet(ex, lab)["findings"]} if lab else {}
        for c in sorted(set(found) | set(s.labels)):
            st, g = s.labels.get(c, ("", ""))
            fg = ("to check" if found[c].get("to_check") else found[c]["grade"]) if c in found else ""
            rows.append((s.name, c, st, g, c in found, fg, found_lab.get(c, ""),
                         round(float(pr.get(c, 0.0)), 2)))
    res = {"sheets": len(sheets), "labels": sum(len(s.labels) for s in sheets), "rows": rows,
           "thresholds": thresholds, "analyse_s": t_an, "analyse_cpu_s": c_an,
           "total": _scores(rows), "per_family": {},
           "oof_threshold": decide.choose_threshold(np.concatenate(oof_p), np.concatenate(oof_y), plateau=0.0),
           "oof": (np.concatenate(oof_p), np.concatenate(oof_y))}
    for fam in sorted({family[r[1]] for r in rows}):
        res["per_family"][fam] = _scores([r for r in rows if family[r[1]] == fam])
    if lab:
        res["lab_differs"] = [(r[0], r[1], r[3], r[5], r[6]) for r in rows
                              if r[4] and r[3] not in ("", "?") and r[5] == r[3] and r[6] and r[6] != r[3]]
    if fit_all:
        d = _fold_decider(X, Y, list(range(len(sheets))), extra, XK)
        # the cut with the best F1 over every held-out prediction of the leave-one-sheet-out (each sheet scored by
        # the decision fitted without it; the median of the folds' own cuts, 0.50, lost a finding of the example
        # sheet at p 0.46, where the pooled cut is 0.46); the argmax itself, as this comment says, not the middle of
        # the cuts within 0.01 of it (the folds use that): with 339 of our sheets the middle, 0.54, lost the example
        # sheet's seq.per-token at p 0.53 where the argmax is 0.52
        d.threshold = res["oof_threshold"]
        d.review = min(0.95, d.threshold + 0.15)
        d.note = (d.note + f"; fitted on {len(sheets)} corpus sheets ({res['labels']} labels)"
                  + (" and our labelled sheets (tests/sheets)" if own else "")
                  + "; threshold: best F1 over the pooled leave-one-sheet-out predictions")
        d.save()
        decide.default.cache_clear()
        res["fitted"] = d
    return res


def evaluate_independent(corpus: Path = CORPUS, prefix: str = "wild_") -> dict:
    """Leave-one-sheet-out over our sheets written by people who never ran the checker (tests/sheets/<prefix>*):
    each is held out of the decision's training (fitted on the corpus and every other labelled sheet), then
    checked and graded against theory like a new sheet. A second honest estimate beside the corpus's."""
    from check_fixtures import build_store

    from dlclaims.check import load_verdicts
    from dlclaims.check.sheet import analyse, decide_sheet, grade_sheet

    sheets = load_corpus(corpus)
    an = [analyse(s.text) for s in sheets]
    XK = [np.array([c.xk for c in a.candidates]) for a in an]
    X = [xk[:, 0] for xk in XK]
    Y = [np.array([float(c.claim in s.labels) for c in a.candidates]) for a, s in zip(an, sheets)]
    own = [(s, analyse(s.text)) for s in load_own()]
    ox = [np.array([c.xk[0] for c in a.candidates]) for _, a in own]
    oy = [np.array([float(c.claim in s.labels) for c in a.candidates]) for s, a in own]
    with tempfile.TemporaryDirectory() as d:
        theory = load_verdicts(build_store(Path(d) / "s.sqlite"))
    rows = []
    for i, (s, a) in enumerate(own):
        if not s.name.startswith("own:" + prefix):
            continue
        keep = [j for j in range(len(own)) if j != i]
        dec = _fold_decider(X, Y, list(range(len(sheets))), (np.vstack([ox[j] for j in keep]),
                                                              np.concatenate([oy[j] for j in keep])), XK)
        for c, k in zip(a.candidates, dec.proba_best(np.array([c.xk for c in a.candidates]))[1]):
            c.x = c.xk[k]
        found = {f["claim"]: f for f in grade_sheet(decide_sheet(a, sheet=s.name, decider=dec), theory)["findings"]}
        for c in sorted(set(found) | set(s.labels)):
            g = s.labels.get(c, ("", ""))[1]
            fg = ("to check" if found[c].get("to_check") else found[c]["grade"]) if c in found else ""
            # our labels write "unknown" where the corpus writes "?" (no firm grade)
            rows.append((s.name, c, "x" if c in s.labels else "", "?" if g == "unknown" else g, c in found, fg, "",
                         0.0))
    return {"sheets": sum(s.name.startswith("own:" + prefix) for s, _ in own), "rows": rows,
            "total": _scores(rows)}


def _scores(rows: list[tuple]) -> dict:
    tp = sum(1 for r in rows if r[4] and r[2])
    fp = sum(1 for r in rows if r[4] and not r[2])
    fn = sum(1 for r in rows if not r[4] and r[2])
    firm = [r for r in rows if r[4] and r[3] in ("right", "wrong", "partly")]
    same = sum(r[5] == r[3] for r in firm)
    wrong = [r for r in firm if r[5] == "wrong"]
    wrong_all = [r for r in rows if r[4] and r[5] == "wrong"]  # every "wrong" grade, false findings included
    p = tp / (tp + fp) if tp + fp else 1.0
    rc = tp / (tp + fn) if tp + fn else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": rc,
            "f1": 2 * p * rc / (p + rc) if p + rc else 0.0, "graded": len(firm),
            "grade_accuracy": same / len(firm) if firm else float("nan"),
            "wrong_findings": len(wrong),
            "wrong_precision": sum(r[3] == "wrong" for r in wrong) / len(wrong) if wrong else float("nan"),
            "wrong_all": len(wrong_all),
            "wrong_precision_all": sum(r[3] == "wrong" for r in wrong_all) / len(wrong_all) if wrong_all else float("nan"),
            "to_check": sum(1 for r in rows if r[4] and r[5] == "to check")}


def _row(name: str, s: dict) -> list:
    """One line of the results table (the columns of ``main``'s header)."""
    return [name, s["tp"], s["fp"], s["fn"], round(s["precision"], 3), round(s["recall"], 3), round(s["f1"], 3),
            s["graded"], round(s["grade_accuracy"], 3), s["wrong_findings"], round(s["wrong_precision"], 3),
            s["wrong_all"], round(s["wrong_precision_all"], 3), s["to_check"]]


def _print_errors(rows: list[tuple]) -> None:
    """Misses, false findings and grades that differ from the label (names only, never the sheet's words)."""
    for r in rows:
        tag = "MISS" if r[2] and not r[4] else "FALSE" if r[4] and not r[2] else \
            "GRADE" if r[3] in ("right", "wrong", "partly") and r[5] != r[3] else ""
        if tag:
            print(f"{tag:6s} {r[0]:16s} {r[1]:24s} label={r[2]}/{r[3]} found={r[5]} conf={r[7]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--store", type=Path, default=None, help="a lab store, to count grades the lab's verdicts change")
    ap.add_argument("--fit", action="store_true", help="refit the shipped decision on the whole corpus")
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--no-own", action="store_true", help="train on the corpus only (not also on tests/sheets)")
    ap.add_argument("--no-wordllama", action="store_true", help="ablation: TF-IDF similarity only")
    ap.add_argument("-v", "--verbose", action="store_true", help="list misses and false findings (names only)")
    ap.add_argument("--independent", action="store_true",
                    help="also leave-one-sheet-out over tests/sheets/wild_* (written by sessions that never ran it)")
    args = ap.parse_args()
    if not args.corpus.exists():
        print(f"no corpus at {args.corpus}: nothing to measure")
        return
    if args.no_wordllama:
        from dlclaims.check import embed

        embed.available = lambda: False  # the features keep their names; wl is 0 everywhere
    t0, c0 = time.perf_counter(), time.process_time()
    res = evaluate(args.corpus, store=args.store, fit_all=args.fit, own=not args.no_own)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    header = ["family", "TP", "FP", "FN", "precision", "recall", "F1", "graded", "grade acc", "wrong found",
              "wrong precision", "wrong given", "wrong precision (all)", "to check"]
    table = [_row(fam, s) for fam, s in list(res["per_family"].items()) + [("total", res["total"])]]
    if args.verbose:
        _print_errors(res["rows"])
    note = (f"Leave-one-sheet-out on {res['sheets']} sheets / {res['labels']} labels of ../shared/checker-corpus "
            f"(decision refitted per fold, threshold from an inner {INNER_FOLDS}-fold cross-validation over whole sheets; fold thresholds "
            f"{min(res['thresholds']):.2f}-{max(res['thresholds']):.2f}). Grades against theory (fixture store). "
            f"Analysis of all sheets {res['analyse_s']:.2f} s wall, {res['analyse_cpu_s']:.2f} s CPU; whole "
            f"benchmark {wall:.1f} s wall, {cpu:.1f} s CPU.")
    note += " " + ABLATIONS
    if "lab_differs" in res:
        note += f" Grades that differ only because the lab's verdict differs from theory: {len(res['lab_differs'])}."
    if args.no_record:
        print(note)
        for row in table:
            print(row)
    else:
        from _results import record

        record("Checker on real answer sheets (leave-one-sheet-out)", header, table, note)
    if res.get("lab_differs"):
        for r in res["lab_differs"]:
            print("lab verdict differs:", *r)
    if args.independent:
        ind = evaluate_independent(args.corpus)
        row = _row("independent sheets (total)", ind["total"])
        if args.verbose:
            _print_errors(ind["rows"])
        inote = (f"Leave-one-sheet-out over the {ind['sheets']} sheets tests/sheets/wild_* (written from CLAIMS.md by "
                 "sessions that never ran the checker, labelled by meaning before any run): each held out of the "
                 "decision's training (the corpus and every other labelled sheet), then checked and graded against "
                 "theory. Their labels are ours, so this is a second estimate beside the corpus's, not a substitute.")
        if args.no_record:
            print(inote)
            print(row)
        else:
            from _results import record

            record("Checker on independently written sheets (leave-one-sheet-out)", header, [row], inote)


if __name__ == "__main__":
    main()
