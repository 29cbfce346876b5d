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


def render_terminal(outcome: Any, width: int = 120) -> Iterator[Any]:
    """Per sheet: a table (question, claim, the sheet's words, says, measured, grade) whose cells wrap
    between words, or at a narrow width one block per finding; then its score."""
    from rich.text import Text

    from ..report.terminal import word_table

    for r in outcome.results:
        rows = []
        for f in r["findings"]:
            rows.append([Text(f"{f.get('sheet_question', '')}\n{f['question']}".strip()), Text(f["claim"]),
                         Text(_short(f["quote"], 220)), Text(_short(f["says"], 140)),
                         Text(f["verdict"] or "not run", style="dim" if f["verdict"] is None else ""),
                         Text(f["grade"], style=GRADE_STYLE.get(f["grade"], ""))])
        if rows:
            yield from word_table(Text(f"{r['sheet']}"), ["question", "claim", "the sheet's words", "says",
                                                          "measured", "grade"], rows,
                                  caps=[14, 26, 30, 30, 12, 7], width=width, show_lines=True)
        tally = r.get("tally", {})
        score = "—" if r.get("score") is None else f"{r['score']:.0%}"
        line = Text(f"{r['sheet']}: score {score}  ", style="bold")
        for g in ("right", "partly", "wrong", "unknown"):
            line.append(f"{g} {tally.get(g, 0)}  ", style=GRADE_STYLE[g])
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
