"""The report: content, escaping, bad input, and the sheet pages (fast tests on synthetic stores).

The browser test (test_browser.py) opens what these write in Chromium; the slow
test here builds the report from a real quick run of Q-minmax.
"""

from __future__ import annotations

import html
import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from dlclaims.cli import main
from dlclaims.core.catalogue import claims_by_id, questions
from dlclaims.core.errors import BadInput
from dlclaims.core.store import Store
from dlclaims.core.types import verdict, verdict_from_parts
from dlclaims.report import write_report, write_sheet_pages
from dlclaims.report.build import run_command
from dlclaims.report.numbers import KV, Grid, Text, compact, md_node, md_text, numbers_node, to_node
from dlclaims.report.sheets import class_tally, sheet_grade_for_claim, sheet_summaries

EVIL = ['<script>window.__pwned = 1</script>', '<img src=x onerror="window.__pwned = 2">']


def png(path: Path, w: int = 3, h: int = 2) -> Path:
    """A valid RGB PNG of w x h pixels (no matplotlib needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80\x40\x20" * w for _ in range(h))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def fill_store(path: Path, *, checks: list[dict] | None = None) -> Store:
    """A store with a verdict for the claims of Q-minmax and one of Q-scalar (one of each status),
    a claim id the catalogue does not know, figures on disk, and optional check results."""
    figures = path.parent / "figures"
    png(figures / "minmax-radius.png")
    png(figures / "minmax-orbits.png", 5, 4)
    store = Store.open(path)
    q = {c.id: c.question for qq in questions() for c in qq.claims}
    ci = {"mean": 2.01, "lo": 1.9, "hi": 2.12, "n": 3}
    vs = [
        verdict("minmax.table", holds=True, rule="every entry matches to 1e-9",
                numbers={"max_abs_error": 0.0, "claimed_q": [1, 2, 1, -1, -2, -1, 1]}, figures=["orbits"]),
        verdict("minmax.no-convergence", holds=None, rule="slope interval contains 0",
                numbers={"slope": ci, "curve": list(range(100))}, figures=["radius", "gone"]),
        verdict("minmax.small-step", holds=False, rule="no eta < 1 converges",
                numbers={"final_radius": {"alternating": {"0.1": 1.41, "0.5": float("inf")},
                                          "simultaneous": {"0.1": 2533.1, "0.5": float("nan")}}}),
        verdict_from_parts("minmax.equilibrium", parts={"unique": True, "saddle": False},
                           rule="both parts must hold", numbers={}),
    ]
    store.put_verdicts("minmax", vs, questions=q, profile="quick", seeds=[0, 1, 2], device="cpu",
                       config_hash="h1", figure_files={"orbits": "minmax-orbits.png", "radius": "minmax-radius.png",
                                                       "gone": "minmax-gone.png"})
    store.put_verdicts("scalar", [verdict("scalar.vjp", holds=True, rule="equal to torch", numbers={"err": 1e-9})],
                       questions=q, profile="full", seeds=[0, 1, 2, 3, 4, 5, 6], device="cuda:0", config_hash="h2",
                       figure_files={})
    store.put_verdicts("old", [verdict("old.renamed", holds=True, rule="r", numbers={})],
                       questions={"old.renamed": "Q-old"}, profile="quick", seeds=[0], device="cpu",
                       config_hash="h3", figure_files={})
    store.put_result(experiment="seq", config_hash="h4", seeds=(0,), profile="quick", device="cpu", config={},
                     status="failed", measurements=None, error="RuntimeError: out of patience\ntraceback",
                     duration_s=0.1)
    for c in checks or []:
        store.put_check(c["sheet"], c)
    return store


def sheet(name: str, *findings: tuple[str, str, str], quote: str = "the step is too large") -> dict:
    return {"sheet": name, "score": 0.5, "findings": [
        {"question": claims_by_id()[c].question if c in claims_by_id() else "Q-x", "claim": c, "quote": quote,
         "says": says, "verdict": "refuted", "grade": g,
         "evidence": {"rule": "no eta < 1 converges", "numbers": {"eta": 0.1}, "report": f"index.html#{c}"}}
        for c, says, g in findings]}


# -- the report ------------------------------------------------------------------------------
def test_missing_store_gives_a_report_that_says_what_to_run_and_creates_no_store(tmp_path):
    store = tmp_path / "nowhere" / "store.sqlite"
    paths = write_report(store, tmp_path / "out")
    assert not store.exists()
    page, md = paths.html.read_text(), paths.markdown.read_text()
    for text in (page, md):
        assert "dlclaims run" in text and "No measurements yet" in text
        for c in claims_by_id():
            assert f"dlclaims run --only {c}" in text


def test_empty_store_file_is_left_untouched(tmp_path):
    store = tmp_path / "store.sqlite"
    store.touch()
    paths = write_report(store, None)
    assert store.stat().st_size == 0
    assert paths.html == tmp_path / "report" / "index.html"
    assert "No measurements yet" in paths.html.read_text()


def test_every_stored_claim_its_rule_numbers_and_figures_appear(tmp_path):
    s = fill_store(tmp_path / "s" / "store.sqlite")
    stored = s.latest_verdicts()
    s.close()
    paths = write_report(tmp_path / "s" / "store.sqlite", tmp_path / "out")
    page, md = paths.html.read_text(), paths.markdown.read_text()
    for v in stored:
        assert f'id="{v.claim}"' in page and f'<a id="{v.claim}"></a>' in md
        assert html.escape(v.rule) in page and md_text(v.rule) in md
        for f in v.figures:
            if (tmp_path / "s" / "figures" / f).exists():
                assert (paths.folder / "figures" / f).read_bytes() == (tmp_path / "s" / "figures" / f).read_bytes()
                assert f'src="figures/{f}"' in page and f"](figures/{f})" in md
            else:
                assert "missing" in page  # a figure the store names but the disk lacks: said, not a broken image
    assert "minmax-gone.png" not in re.findall(r'src="([^"]+)"', page)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # every anchor unique
    for href in re.findall(r'href="#([^"]+)"', page):
        assert href in ids  # every in-page link lands
    # the interval, the grid, the truncated list
    assert "2.01 [1.9, 2.12]" in page and md_text("2.01 [1.9, 2.12]") in md
    assert "(100 values)" in page
    assert "<th scope=\"col\">0.5</th>" in page and "| alternating | 1.41 | inf |" in md
    # every claim of the catalogue has a section; the unmeasured ones their command
    for q in questions():
        assert f'id="{q.id}"' in page
        for c in q.claims:
            assert f'id="{c.id}"' in page
            if c.id not in {v.claim for v in stored}:
                assert f"dlclaims run --only {c.id}" in page and f"dlclaims run --only {c.id}" in md
    assert "dlclaims run --profile full --seeds 7 --device cuda --only scalar.vjp" in page
    assert "out of patience" in page  # the failed run is shown
    measured = {v.claim for v in stored}
    whole = [q.id for q in questions() if not measured & {c.id for c in q.claims}]
    some = [c.id for q in questions() if measured & {c.id for c in q.claims} for c in q.claims if c.id not in measured]
    assert "dlclaims run --only " + " ".join(x for q in questions() for x in ([q.id] if q.id in whole else
                                             [c.id for c in q.claims if c.id in some])) in md
    assert "quick (5), full (1)" in page  # profiles tallied


def test_report_is_reproducible_byte_for_byte(tmp_path):
    fill_store(tmp_path / "store.sqlite").close()
    a = write_report(tmp_path / "store.sqlite", tmp_path / "a")
    b = write_report(tmp_path / "store.sqlite", tmp_path / "b")
    assert a.html.read_bytes() == b.html.read_bytes() and a.markdown.read_bytes() == b.markdown.read_bytes()


def test_overview_totals_match_the_store(tmp_path):
    s = fill_store(tmp_path / "store.sqlite")
    stored = s.latest_verdicts()
    s.close()
    page = write_report(tmp_path / "store.sqlite", tmp_path / "out").html.read_text()
    known = set(claims_by_id())
    n_known = sum(v.claim in known for v in stored)
    for status in ("supported", "refuted", "partial", "inconclusive"):
        n = sum(v.status == status for v in stored)
        assert f"{n} {status}</li>" in page
    assert f"{len(known) - n_known} not run</li>" in page


@pytest.mark.parametrize("make", ["file", "under-file"])
def test_unwritable_out_is_bad_input(tmp_path, make):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    out = blocker if make == "file" else blocker / "sub"
    with pytest.raises(BadInput, match="cannot write the report"):
        write_report(tmp_path / "store.sqlite", out)
    assert not (tmp_path / "store.sqlite").exists()


def test_cli_report_prints_both_paths_and_exits_2_on_bad_out(tmp_path, capsys):
    fill_store(tmp_path / "store.sqlite").close()
    assert main(["report", "--store", str(tmp_path / "store.sqlite"), "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "r" / "index.html") in out and str(tmp_path / "r" / "report.md") in out
    (tmp_path / "f").write_text("")
    assert main(["report", "--store", str(tmp_path / "store.sqlite"), "--out", str(tmp_path / "f")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot write the report" in err


def test_a_corrupt_store_is_bad_input_not_a_crash(tmp_path):
    bad = tmp_path / "store.sqlite"
    bad.write_bytes(b"not sqlite at all" * 10)
    with pytest.raises(BadInput):
        write_report(bad, tmp_path / "out")


def test_run_command_reproduces_profile_seeds_device():
    assert run_command("minmax.table") == "dlclaims run --only minmax.table"


# -- numbers -----------------------------------------------------------------------------------
def test_interval_reads_mean_lo_hi_with_the_rest_as_a_note():
    n = to_node({"mean": 0.5, "lo": 0.25, "hi": 0.75, "n": 5})
    assert isinstance(n, Text) and n.text == "0.5 [0.25, 0.75]" and n.note == "n=5"
    s = to_node({"slope": 2.0, "lo": 1.5, "hi": 2.5, "r2": 0.99})
    assert s.text == "slope 2 [1.5, 2.5]" and "r2=0.99" in s.note


def test_dict_of_flat_dicts_is_a_grid_with_the_union_of_columns():
    g = to_node({"a": {"x": 1, "y": 2}, "b": {"y": 3, "z": 4}})
    assert isinstance(g, Grid) and g.cols == ["x", "y", "z"] and [r[0] for r in g.rows] == ["a", "b"]
    assert [c.text for c in g.rows[1][1]] == ["", "3", "4"]


def test_a_list_of_intervals_says_a_shared_note_once():
    ci = [{"mean": 1.0, "lo": 0.5, "hi": 1.5, "n": 3}, {"mean": 2.0, "lo": 1.0, "hi": 3.0, "n": 3}]
    assert compact(ci) == "[1 [0.5, 1.5], 2 [1, 3]] (n=3 each)"
    ci[1]["n"] = 4
    assert compact(ci) == "[1 [0.5, 1.5] (n=3), 2 [1, 3] (n=4)]"


@pytest.mark.parametrize("n", [1, 12, 13, 1000])
def test_long_lists_show_head_tail_and_length(n):
    text = compact(list(range(n)))
    if n > 12:
        assert text.startswith("[0, 1, 2") and f"{n - 1}]" in text and f"({n} values)" in text
    else:
        assert text == "[" + ", ".join(map(str, range(n))) + "]"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda kids: st.lists(kids, max_size=14) | st.dictionaries(st.text(max_size=8), kids, max_size=8),
    max_leaves=25,
)


@settings(max_examples=20, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_any_json_numbers_render_in_both_forms_and_markdown_has_no_raw_html(numbers):
    node = numbers_node(numbers)
    assert isinstance(node, KV)
    lines = md_node(node)
    assert not any("<" in line for line in lines)
    for line in lines:
        assert len(line) < 40 * 300  # cut, never the whole structure


# -- sheets ------------------------------------------------------------------------------------
def test_sheet_text_is_escaped_in_html_and_markdown(tmp_path):
    results = [sheet("a/evil.md", ("minmax.small-step", "converges", "wrong"), quote=EVIL[0]),
               sheet("b/evil.md", ("minmax.table", "period 6", "right"), quote=EVIL[1])]
    results[0]["sheet"] = "a/<b>evil</b>.md"
    paths = write_sheet_pages(results, tmp_path / "fb")
    pages = {p.name: p.read_text() for p in paths}
    for name, text in pages.items():
        assert "<script>window" not in text and "<img src=x" not in text and "<b>evil" not in text, name
    htmls = [t for n, t in pages.items() if n.endswith(".html") and "class" not in n]
    assert any(str(escape(EVIL[0])) in t for t in htmls)
    assert any(str(escape(EVIL[1])) in t for t in htmls)
    assert len({p.name for p in paths}) == len(paths) == 6  # 2 sheets x 2 forms + class summary x 2


def test_one_sheet_gets_no_class_summary_and_links_go_to_the_report(tmp_path):
    paths = write_sheet_pages([sheet("s.md", ("minmax.table", "period 6", "right"))], tmp_path, report_href="../index.html")
    assert sorted(p.name for p in paths) == ["s.html", "s.md"]
    page = (tmp_path / "s.html").read_text()
    assert 'href="../index.html#minmax.table"' in page
    assert "javascript:" not in page


def test_unsafe_evidence_links_are_text_not_links(tmp_path):
    r = sheet("s.md", ("minmax.table", "x", "right"))
    r["findings"][0]["evidence"] = {"report": "javascript:alert(1)", "link": "//evil.example/x"}
    write_sheet_pages([r], tmp_path)
    page = (tmp_path / "s.html").read_text()
    assert 'href="javascript' not in page and 'href="//evil' not in page


def test_class_tally_counts_each_sheet_once_per_claim():
    results = [
        sheet("1.md", ("minmax.table", "a", "right"), ("minmax.table", "b", "right"), ("minmax.small-step", "c", "wrong")),
        sheet("2.md", ("minmax.table", "a", "wrong"), ("minmax.small-step", "c", "wrong")),
        sheet("3.md", ("minmax.table", "a", "right"), ("minmax.table", "b", "wrong"), ("zzz.unknown", "d", "unknown")),
    ]
    tally = {t.claim: dict(t.counts) for t in class_tally(sheet_summaries(results))}
    assert tally["minmax.table"] == {"right": 1, "wrong": 1, "partly": 1, "unknown": 0}
    assert tally["minmax.small-step"] == {"right": 0, "wrong": 2, "partly": 0, "unknown": 0}
    assert tally["zzz.unknown"]["unknown"] == 1
    order = list(tally)
    assert order.index("minmax.table") < order.index("minmax.small-step") < order.index("zzz.unknown")


@pytest.mark.parametrize("grades,want", [(["right"], "right"), (["right", "unknown"], "right"),
                                          (["wrong", "right"], "partly"), (["unknown"], "unknown")])
def test_sheet_grade_for_claim(grades, want):
    assert sheet_grade_for_claim(grades) == want


def test_sheets_with_the_same_file_name_get_distinct_pages(tmp_path):
    paths = write_sheet_pages([sheet("a/x.md"), sheet("b/x.md"), sheet("class-summary.md")], tmp_path)
    assert len({p.name for p in paths}) == len(paths) == 8


def test_empty_sheet_result_says_nothing_was_recognised(tmp_path):
    write_sheet_pages([{"sheet": "blank.md", "findings": [], "score": 0, "note": "no question recognised"}], tmp_path)
    page = (tmp_path / "blank.html").read_text()
    assert "No claim of the catalogue was recognised" in page and "no question recognised" in page


def test_report_links_sheet_pages_and_class_summary(tmp_path):
    checks = [sheet("one.md", ("minmax.table", "a", "right")), sheet("two.md", ("minmax.table", "a", "wrong"))]
    fill_store(tmp_path / "store.sqlite", checks=checks).close()
    paths = write_report(tmp_path / "store.sqlite", tmp_path / "out")
    page, md = paths.html.read_text(), paths.markdown.read_text()
    assert 'href="sheets/one.html"' in page and 'href="sheets/class-summary.html"' in page
    assert "](sheets/two.md)" in md and "](sheets/class-summary.md)" in md
    assert (tmp_path / "out" / "sheets" / "class-summary.md").exists()
    assert "on this claim: right 1, wrong 1*" in md  # the claim's section tells how the sheets did
    assert 'href="../index.html#minmax.table"' in (tmp_path / "out" / "sheets" / "one.html").read_text()


# -- a real quick run ----------------------------------------------------------------------------
@pytest.mark.slow
def test_report_of_a_real_quick_run_shows_every_verdict_and_figure_once_with_a_caption(quick_store, tmp_path):
    store_path = quick_store("Q-minmax", "scalar")
    with Store.open(store_path, create=False, readonly=True) as store:
        stored = store.latest_verdicts()
    assert stored
    paths = write_report(store_path, tmp_path / "out")
    page = paths.html.read_text()
    for v in stored:
        assert f'id="{v.claim}"' in page and f'badge s-{v.status}">{v.status}' in page
        for f in v.figures:
            assert (paths.folder / "figures" / f).stat().st_size > 0
            assert page.count(f'<img src="figures/{f}"') == 1  # each figure once, however many claims name it
    captions = re.findall(r"<figcaption><strong>Figure (\d+)\.</strong> ([^<]*)<", page)
    assert captions and all(len(c.strip()) > 20 and not c.strip().endswith(".png") for _, c in captions)
    assert [int(n) for n, _ in captions] == list(range(1, len(captions) + 1))
    assert "nan [nan, nan]" not in page and "[nan" not in page
    json.dumps([v.to_dict() for v in stored])  # what the report read is plain data


def test_markdown_quote_keeps_the_sheets_lines_and_stays_inert(tmp_path):
    r = sheet("s.md", ("minmax.table", "x", "right"), quote="| a | b |\n\n<script>x</script> [l](javascript:1)")
    write_sheet_pages([r], tmp_path)
    md = (tmp_path / "s.md").read_text()
    assert "> \\| a \\| b \\|\n>\n> &lt;script&gt;x&lt;/script&gt; \\[l\\](javascript:1)" in md


# -- words instead of nan, reasons, seeds ----------------------------------------------------------
@pytest.mark.parametrize("x,want", [
    ({"mean": float("nan"), "lo": float("nan"), "hi": float("nan"), "n": 0, "dropped": 3}, "not measured"),
    ({"mean": 0.5, "lo": float("nan"), "hi": float("nan"), "n": 1, "dropped": 0}, "0.5 (one value: no interval)"),
    ({"mean": 0.5, "lo": float("nan"), "hi": float("nan"), "n": 3, "dropped": 0}, "0.5 (no spread: no interval)"),
    ({"slope": 0.0, "lo": float("nan"), "hi": float("nan"), "n_points": 2}, "slope 0 (two points: no interval)"),
    ({"mean": 0.5, "lo": 0.25, "hi": 0.75, "n": 3, "dropped": 0}, "0.5 [0.25, 0.75]"),
])
def test_an_interval_that_decides_nothing_says_why_instead_of_nan(x, want):
    t = to_node(x)
    assert t.text == want and "nan" not in t.text
    assert ("dropped=3" in t.note) == (x.get("dropped") == 3)  # a zero count of dropped values is not shown


def test_reasons_name_the_failed_parts_and_the_interval_that_decided_nothing():
    from dlclaims.report.reasons import reason, undecided, what_would_decide

    ci = {"mean": 0.0876, "lo": -0.041, "hi": 0.216, "n": 3}
    numbers = {"log_score_ae_over_vae": ci, "ok": {"mean": 2.0, "lo": 1.5, "hi": 2.5, "n": 3}, "steps": 200}
    assert reason("inconclusive", numbers) == "log score ae over vae 0.0876 [-0.041, 0.216]: the interval contains 0"
    assert undecided({"a": {"b": {"mean": 1.0, "lo": float("nan"), "hi": float("nan"), "n": 1}}}) == [
        "a / b 1 (one value: no interval)"]
    assert reason("partial", {}, {"small t": "supported", "large t": "refuted"}) == "1 of 2 parts hold; refuted: large t"
    assert reason("supported", numbers) == "log score ae over vae 0.0876 [-0.041, 0.216], ok 2 [1.5, 2.5]"
    assert "--profile full" in what_would_decide("quick", 3) and "--seeds 6" in what_would_decide("quick", 3)
    assert "--profile full" not in what_would_decide("full", 5)


def test_seeds_fact_says_how_many_seeds_in_words():
    from dlclaims.report.build import seeds_fact

    class V:
        def __init__(self, seeds):
            self.seeds = seeds

    assert seeds_fact([V([0, 1, 2])] * 37 + [V([0])] * 10) == "3 seeds (0–2) for 37 claims; one run (seed 0) for 10 claims"


def test_feedback_explains_the_grade_in_sentences_and_shows_the_figures(tmp_path):
    r = sheet("s.md", ("minmax.small-step", "a smaller step would converge", "wrong"))
    f = r["findings"][0]
    f.update(stance="assert", verdict="refuted")
    f["evidence"].update(numbers={"converged_runs": 0}, figures=["minmax-radius.png"])
    d = sheet("d.md", ("minmax.table", "no cycle", "wrong"))
    d["findings"][0].update(stance="deny", verdict="supported")
    d["findings"][0]["evidence"]["numbers"] = {"max_abs_error": 0.0}
    u = sheet("u.md", ("minmax.gan", "x", "unknown"))
    u["findings"][0].update(verdict="inconclusive")
    u["findings"][0]["evidence"]["numbers"] = {"gap": {"mean": 0.5, "lo": -1.0, "hi": 2.0, "n": 3}}
    write_sheet_pages([r, d, u], tmp_path, report_href="report/index.html")
    page = html.unescape((tmp_path / "s.html").read_text())
    assert "The sheet claims that the step size is too large" in page
    assert "The measurement refutes the claim (converged runs 0). The sheet says the opposite" in page
    assert '<img src="report/figures/minmax-radius.png"' in page
    page = html.unescape((tmp_path / "d.html").read_text())
    assert "The sheet denies that" in page and "The measurement supports the claim (max abs error 0)" in page
    page = html.unescape((tmp_path / "u.html").read_text())
    assert "could not decide this claim (gap 0.5 [-1, 2]: the interval contains 0)" in page


def test_a_held_back_wrong_shows_its_tentative_grade_on_the_feedback_page(tmp_path):
    held = sheet("held.md", ("minmax.small-step", "converges", "unknown"))
    held["findings"][0].update(review=True, to_check="wrong", confidence=0.7)
    firm = sheet("firm.md", ("minmax.small-step", "converges", "wrong"))
    write_sheet_pages([held, firm], tmp_path)
    assert "Tentatively wrong" in (tmp_path / "held.html").read_text()
    assert "Tentatively" not in (tmp_path / "firm.html").read_text()
