"""``write_report``: the store -> one HTML page, one Markdown file, the figures and the sheet pages.

Layout of the output folder (default: ``<store folder>/report``)::

    index.html          overview matrix, one section per question, not-run claims, sheets
    report.md           the same content as Markdown
    figures/*.png       copies of the figures the verdicts name (the folder is self-contained)
    sheets/*.html|.md   one feedback page per graded sheet, and class-summary.* for several

Anchors: a question's section has its id (``#Q-minmax``) and a claim its id
(``#minmax.table``), in the HTML page and the Markdown file alike.

The report only reads the store: a missing or empty store is never created,
it gives a report that says what to run.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.catalogue import questions
from ..core.errors import BadInput
from ..core.store import Store, StoredResult, StoredVerdict
from .numbers import KV, numbers_node
from .reasons import reason, undecided, what_would_decide
from .render import NOT_RUN, STATUS_ORDER, _missing_dirs, prepare_out, render, static_text, write_text
from .sheets import class_tally, sheet_summaries, write_sheet_pages

DEFAULT_SEEDS = {"quick": 3, "full": 5}  # as dlclaims.core.runner.DEFAULT_SEEDS (not imported: it loads torch)


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    markdown: Path
    folder: Path
    sheets: tuple[Path, ...] = ()


@dataclass
class FigureView:
    name: str  # file name, e.g. "minmax-radius.png"
    href: str | None  # "figures/minmax-radius.png", None when the file is missing
    caption: str = ""  # what it shows and how to read it (stored with the drawing)
    number: int = 0  # "Figure 3" on the page
    claims: list[str] = field(default_factory=list)  # the claims whose verdicts name it

    @property
    def anchor(self) -> str:
        return "fig-" + Path(self.name).stem


@dataclass
class ClaimView:
    id: str
    question: str
    statement: str  # the claim as an answer states it (or what it goes beyond with)
    test: str
    beyond: bool
    status: str  # one of STATUS_ORDER
    command: str
    verdict: StoredVerdict | None = None
    numbers: KV = field(default_factory=KV)
    figures: list[FigureView] = field(default_factory=list)
    measured: str = ""  # "quick profile, seeds 0-2, cpu, 0.1.0+abc, 2026-11-24 08:10 UTC"
    sheet_grades: list[tuple[str, int]] = field(default_factory=list)  # graded sheets on this claim, per grade
    evidence: str = ""  # exact / measured / simulated
    parts: list[tuple[str, str, str]] = field(default_factory=list)  # (part, status, evidence kind)
    reason: str = ""  # one line: the deciding numbers, the failed parts, or what decided nothing
    undecided: list[str] = field(default_factory=list)  # inconclusive: what decided nothing
    decide: str = ""  # inconclusive: what would decide it

    @property
    def short(self) -> str:
        return self.id.split(".", 1)[1] if "." in self.id else self.id


@dataclass
class QuestionView:
    id: str
    title: str
    intro: str
    claims: list[ClaimView]
    figures: list[FigureView] = field(default_factory=list)  # each figure once, in the order claims name them

    @property
    def counts(self) -> Counter:
        return Counter(c.status for c in self.claims)


def when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def seeds_text(seeds: list[int]) -> str:
    s = sorted(seeds)
    if len(s) > 2 and s == list(range(s[0], s[-1] + 1)):
        return f"{s[0]}–{s[-1]}"
    return ", ".join(map(str, s))


def run_command(claim: str, v: StoredVerdict | None = None) -> str:
    """The command that measures a claim, with the profile, seeds and device of its stored verdict."""
    parts = ["dlclaims run"]
    if v is not None:
        if v.profile != "quick":
            parts.append(f"--profile {v.profile}")
        n = len(v.seeds)
        if n > 1 and n != DEFAULT_SEEDS.get(v.profile, n):
            parts.append(f"--seeds {n}")
        if v.device.startswith("cuda"):
            parts.append("--device cuda")
    parts.append(f"--only {claim}")
    return " ".join(parts)


def _missing_command(qviews: list[QuestionView]) -> str:
    """One command for every claim not run: a question's id where none of its claims ran, else claim ids."""
    ids: list[str] = []
    for q in qviews:
        missing = [c.id for c in q.claims if c.status == NOT_RUN]
        ids += [q.id] if missing and len(missing) == len(q.claims) and q.id.startswith("Q-") else missing
    return "dlclaims run --only " + " ".join(ids) if ids else ""


def _tally(values: list[str]) -> str:
    """'quick' or 'quick (12), full (3)'."""
    c = Counter(values)
    if len(c) <= 1:
        return next(iter(c), "—")
    return ", ".join(f"{k} ({n})" for k, n in c.most_common())


def seeds_fact(verdicts: list[StoredVerdict]) -> str:
    """How many seeds the verdicts rest on, in words: '3 seeds (0–2) for 37 claims; one run for 10 claims
    (deterministic or exact)'."""
    c = Counter(tuple(sorted(v.seeds)) for v in verdicts)
    out = []
    for seeds, n in sorted(c.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        what = (f"{len(seeds)} seeds ({seeds_text(list(seeds))})" if len(seeds) > 1
                else f"one run (seed {seeds[0]})" if seeds else "no seed")
        out.append(f"{what} for {n} claim{'s' if n != 1 else ''}")
    return "; ".join(out)


def _copy_figures(names: list[str], src: Path, dst: Path) -> dict[str, str | None]:
    """Copy each named figure into dst (skipping unchanged ones); name -> relative href or None if missing."""
    out: dict[str, str | None] = {}
    same = src.exists() and dst.exists() and os.path.samefile(src, dst)
    for name in dict.fromkeys(names):
        base = Path(name).name  # never a path outside the figures folder
        s = src / base
        if not base or not s.is_file():
            out[name] = None
            continue
        if not same:
            d = dst / base
            st = s.stat()
            if not (d.exists() and d.stat().st_size == st.st_size and d.stat().st_mtime >= st.st_mtime):
                dst.mkdir(parents=True, exist_ok=True)
                shutil.copy2(s, d)
        out[name] = f"figures/{base}"
    return out


Captions = dict[tuple[str, str, str, str], dict[str, str]]


def _read_store(path: Path) -> tuple[list[StoredVerdict], list[StoredResult], list[dict[str, Any]], Captions]:
    """Everything the report needs; a missing or empty (0-byte) store reads as empty and is not created."""
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return [], [], [], {}
    try:
        with Store.open(path, create=False, readonly=True) as store:
            return store.latest_verdicts(), store.results(), store.latest_checks(), store.figure_captions()
    except sqlite3.Error as e:  # e.g. a store on a read-only disk, or locked beyond the busy timeout
        raise BadInput(f"cannot read the store {path}: {e}") from None


def _claim_view(c, v: StoredVerdict | None, figs: dict[str, str | None]) -> ClaimView:
    statement = c.claim or c.test
    view = ClaimView(c.id, c.question, statement, c.test, c.beyond, v.status if v else NOT_RUN,
                     run_command(c.id, v), v)
    if v is not None:
        view.numbers = numbers_node(v.numbers)
        view.figures = [FigureView(Path(f).name, figs.get(f)) for f in v.figures]
        view.measured = (f"{v.profile} profile, seeds {seeds_text(v.seeds)}, {v.device}, "
                         f"code {v.code_version}, {when(v.measured)}")
        view.evidence = v.evidence
        view.parts = [(p, st, v.part_evidence.get(p, v.evidence)) for p, st in v.parts.items()]
        view.reason = reason(v.status, v.numbers, v.parts)
        if v.status == "inconclusive":
            view.undecided = undecided(v.numbers, v.parts) or [
                "no interval is undecided, but the numbers met neither the rule's condition for supported nor "
                "for refuted (see the rule)"]
            view.decide = what_would_decide(v.profile, len(v.seeds))
    return view


def _question_figures(q: QuestionView, captions: Captions, start: int) -> int:
    """Each figure of the question once, numbered from ``start``; the claims refer to it by number."""
    seen: dict[str, FigureView] = {}
    for c in q.claims:
        v = c.verdict
        caps = captions.get((v.experiment, v.config_hash, json.dumps(v.seeds), v.code_version), {}) if v else {}
        refs = []
        for f in c.figures:
            if f.name not in seen:
                start += 1
                f.number, f.caption = start, caps.get(f.name, "")
                seen[f.name] = f
                q.figures.append(f)
            seen[f.name].claims.append(c.id)
            refs.append(seen[f.name])
        c.figures = refs
    return start


def _measured_results(verdicts: list[StoredVerdict], results: list[StoredResult]) -> list[StoredResult]:
    """The stored results the current verdicts were judged from (same experiment, config and code version,
    their seeds): their compute time is what the verdicts cost, however often they were judged again."""
    keys = {(v.experiment, v.config_hash, v.code_version): set(v.seeds) for v in verdicts}
    out = []
    for r in results:
        seeds = keys.get((r.experiment, r.config_hash, r.code_version))
        if r.status == "ok" and seeds is not None and set(r.seeds) <= seeds:
            out.append(r)
    return out


@dataclass(frozen=True)
class _Stray:
    """A stored claim id that the catalogue no longer has."""

    id: str
    question: str
    claim: str = ""
    test: str = ""
    beyond: bool = False


def build_context(store_path: Path, out_dir: Path) -> dict[str, Any]:
    verdicts, results, checks, captions = _read_store(store_path)
    by_claim = {v.claim: v for v in verdicts}
    figs = _copy_figures([f for v in verdicts for f in v.figures], store_path.parent / "figures", out_dir / "figures")

    qviews: list[QuestionView] = []
    known: set[str] = set()
    for q in questions():
        qviews.append(QuestionView(q.id, q.title, q.intro,
                                   [_claim_view(c, by_claim.get(c.id), figs) for c in q.claims]))
        known.update(c.id for c in q.claims)
    strays = [v for v in verdicts if v.claim not in known]
    if strays:
        qviews.append(QuestionView("other", "stored claims the catalogue no longer lists", "",
                                   [_claim_view(_Stray(v.claim, v.question), v, figs) for v in strays]))
    n_figures = 0
    for q in qviews:
        n_figures = _question_figures(q, captions, n_figures)
    claims = [c for q in qviews for c in q.claims]
    not_run = [c for c in claims if c.status == NOT_RUN]

    latest_ok = {}
    for v in verdicts:
        latest_ok[v.experiment] = max(latest_ok.get(v.experiment, 0.0), v.created_at)
    failed = [r for r in results if r.status != "ok" and r.finished_at > latest_ok.get(r.experiment, 0.0)]
    measured_from = _measured_results(verdicts, results)
    compute_s = sum(r.duration_s for r in measured_from)

    sheets = sheet_summaries(checks)
    graded = {t.claim: [(g, n) for g, n in t.counts if n] for t in class_tally(sheets)}
    for c in claims:
        c.sheet_grades = graded.get(c.id, [])
    totals = Counter(c.status for c in claims)
    facts = []
    if verdicts:
        facts = [
            ("profile", _tally([v.profile for v in verdicts])),
            ("seeds", seeds_fact(verdicts)),
            ("evidence", ", ".join(f"{k} for {n} claim{'s' if n != 1 else ''}"
                                   for k, n in Counter(v.evidence for v in verdicts).most_common())),
            ("device", _tally([v.device for v in verdicts])),
            ("code version", _tally([v.code_version for v in verdicts])),
            ("measured", f"{when(min(v.measured for v in verdicts))} – {when(max(v.measured for v in verdicts))}"
             if len({int(v.measured) // 60 for v in verdicts}) > 1 else when(verdicts[0].measured)),
            ("compute time", f"{compute_s:.1f} s in the {len(measured_from)} run(s) these verdicts were judged from"),
        ]
    return {
        "store": str(store_path),
        "questions": qviews,
        "claims": claims,
        "not_run": not_run,
        "not_run_command": _missing_command(qviews),
        "totals": [(s, totals.get(s, 0)) for s in STATUS_ORDER],
        "n_claims": len(claims),
        "n_measured": len(claims) - len(not_run),
        "facts": facts,
        "failed": [(r.experiment, seeds_text(list(r.seeds)), (r.error or "").strip().splitlines()[0:1], when(r.finished_at))
                   for r in failed],
        "empty": not verdicts,
        "sheets": sheets,
        "max_claims": max((len(q.claims) for q in qviews), default=0),
        "n_figures": n_figures,
    }


def write_report(store_path: Path | str, out_dir: Path | str | None = None) -> ReportPaths:
    """Write index.html, report.md, figures/ and sheets/ into out_dir (default: beside the store)."""
    store_path = Path(store_path)
    target = (Path(out_dir) if out_dir is not None else store_path.parent / "report").absolute()
    made = [d for d in _missing_dirs(target)]
    out = prepare_out(target)
    try:
        ctx = build_context(store_path, out)
        sheet_paths: list[Path] = []
        if ctx["sheets"]:
            sheet_paths = write_sheet_pages([s.result for s in ctx["sheets"]], out / "sheets",
                                            report_href="../index.html")
        script = static_text("filter.js")
        html = render("html", "index.html.j2", css=static_text("report.css"), script=script, **ctx)
        md = render("md", "report.md.j2", **ctx)
        return ReportPaths(write_text(out / "index.html", html), write_text(out / "report.md", md), out,
                           tuple(sheet_paths))
    except BaseException:
        if made:  # a folder this call made: leave nothing behind
            shutil.rmtree(made[-1], ignore_errors=True)
        raise
