"""Terminal output of ``dlclaims check``: a rich table per sheet and its score.

A sheet's words go into :class:`rich.text.Text` cells, so ``[red]`` or any other
markup written on a sheet is shown as written, never interpreted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

GRADE_STYLE = {"right": "green", "wrong": "red", "partly": "yellow", "unknown": "magenta"}


def _short(s: str, n: int) -> str:
    """At most n characters, cut at a space (never inside a word)."""
    s = " ".join(str(s).split())
    if len(s) <= n:
        return s
    cut = s[: n - 1].rsplit(" ", 1)[0]
    return (cut or s[: n - 1]) + " …"


def _row(f: dict, conf: bool = False) -> list:
    from rich.text import Text

    row = [Text(f"{f.get('sheet_question', '')}\n{f['question']}".strip()), Text(f["claim"]),
           Text(_short(f["quote"], 220)), Text(_short(f["says"], 140)),
           Text(f["verdict"] or "not run", style="dim" if f["verdict"] is None else ""),
           Text(f"{f['to_check']}?" if f.get("to_check") else f["grade"],  # a tentative grade, for a person
                style=GRADE_STYLE.get(f.get("to_check") or f["grade"], ""))]
    if conf:
        c = f.get("confidence")
        row.append(Text("?" if c is None else f"{c:.2f}", style="yellow"))
    return row


def render_terminal(outcome: Any, width: int = 120) -> Iterator[Any]:
    """Per sheet: a table (question, claim, the sheet's words, says, measured, grade) whose cells wrap
    between words, or at a narrow width one block per finding; the findings flagged ``review`` (low
    confidence) in a second table set apart, for a person to check; then its score."""
    from rich.text import Text

    from ..report.terminal import word_table

    cols = ["question", "claim", "the sheet's words", "says", "measured", "grade"]
    caps = [14, 26, 30, 30, 12, 7]
    for r in outcome.results:
        sure = [f for f in r["findings"] if not f.get("review")]
        unsure = [f for f in r["findings"] if f.get("review")]
        if sure:
            yield from word_table(Text(f"{r['sheet']}"), cols, [_row(f) for f in sure], caps=caps, width=width,
                                  show_lines=True)
        if unsure:
            # set apart: the decision was not sure the sheet states these claims (confidence below its review cut)
            yield from word_table(Text(f"{r['sheet']}: to check by a person (low confidence)", style="yellow"),
                                  [*cols, "conf."], [_row(f, conf=True) for f in unsure], caps=[*caps, 5],
                                  width=width, show_lines=True)
        tally = r.get("tally", {})
        score = "—" if r.get("score") is None else f"{r['score']:.0%}"
        line = Text(f"{r['sheet']}: score {score}  ", style="bold")
        for g in ("right", "partly", "wrong", "unknown"):
            line.append(f"{g} {tally.get(g, 0)}  ", style=GRADE_STYLE[g])
        n_check = sum(1 for f in r["findings"] if f.get("review"))  # to_check findings are flagged review too
        if n_check:
            line.append(f"to check {n_check}", style="yellow")
        yield line
        if r.get("note"):
            yield Text(f"  {r['note']}", style="yellow")
        if r.get("unmatched"):
            yield Text("  not matched to any question: " + ", ".join(r["unmatched"]), style="dim")
        if r.get("to_measure"):
            yield Text(f"  to measure the unknown ones: {r['to_measure']}", style="dim")
    for p in getattr(outcome, "written", []) or []:
        if str(p).endswith(("class.csv", "class-summary.md", ".md")) and "class" in str(p):
            yield Text(f"wrote {p}", style="dim")
    if getattr(outcome, "written", None):
        yield Text(f"feedback: {len(outcome.written)} file(s) in {outcome.written[0].parent}", style="dim")
