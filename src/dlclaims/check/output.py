"""``check --out DIR``: per-sheet feedback (Markdown + HTML via the report's templates), class CSV and summary."""

from __future__ import annotations

import csv
import html
import re
from collections import Counter
from pathlib import Path
from typing import Any

GRADES = ("right", "partly", "wrong", "unknown")


def _cell(s: Any) -> str:
    """A CSV cell that a spreadsheet will not evaluate (no leading = + - @)."""
    s = "" if s is None else str(s)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _md(s: str) -> str:
    return html.escape(re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", " ".join(str(s).split())), quote=False)


def _fallback_pages(results: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    paths = []
    for i, r in enumerate(results):
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(r["sheet"]).stem).strip("-") or f"sheet-{i + 1}"
        lines = [f"# Feedback on {_md(r['sheet'])}", "", f"- score: {r.get('score')}", ""]
        for f in r["findings"]:
            check = (f" — to check (tentatively {f['to_check']})" if f.get("to_check") else
                     " — to check (low confidence)" if f.get("review") else "")
            lines += [f"## {_md(f['question'])} · {_md(f['claim'])} — {f['grade']}{check}", "", f"> {_md(f['quote'])}", "",
                      f"- says: {_md(f['says'])}", f"- measured: {f['verdict'] or 'not run'}",
                      f"- evidence: {_md(str(f['evidence'].get('rule') or f['evidence'].get('command', '')))}", ""]
        p = out_dir / f"{stem}.md"
        p.write_text("\n".join(lines), encoding="utf-8")
        paths.append(p)
    return paths


def write_outputs(results: list[dict[str, Any]], out_dir: Path, *, store_path: Path | None = None) -> list[Path]:
    """Feedback pages, class CSVs and (with a store) the report they link to, written beside them in
    ``out_dir/report``: the folder is self-contained and every link resolves. Any write error is one line
    (BadInput), and a folder this call made is not left behind empty."""
    from ..core.errors import BadInput
    from ..report.render import _missing_dirs, prepare_out, remove_empty

    made = _missing_dirs(Path(out_dir).absolute())
    prepare_out(Path(out_dir).absolute(), "the feedback")
    try:
        return _write_outputs(results, Path(out_dir), store_path)
    except OSError as e:
        remove_empty(made)
        raise BadInput(f"cannot write the feedback to {out_dir}: {e.strerror or e}") from None


def _write_outputs(results: list[dict[str, Any]], out_dir: Path, store_path: Path | None) -> list[Path]:
    report_href = None
    paths: list[Path] = []
    if store_path is not None:
        from ..report import write_report

        rp = write_report(store_path, out_dir / "report")
        report_href = "report/index.html"
        paths += [rp.html, rp.markdown]
    try:
        from ..report.sheets import write_sheet_pages
    except ImportError:
        paths += _fallback_pages(results, out_dir)
    else:
        paths = list(write_sheet_pages(results, out_dir, report_href=report_href)) + paths
    if len(results) > 1:
        p = out_dir / "class.csv"
        with open(p, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["sheet", "question", "claim", "grade", "to_check"])  # to_check: a tentative grade, held back
            for r in results:
                for f in r["findings"]:
                    w.writerow([_cell(r["sheet"]), _cell(f["question"]), _cell(f["claim"]), _cell(f["grade"]),
                                _cell(f.get("to_check", ""))])
        paths.append(p)
        per: dict[str, Counter] = {}
        for r in results:
            for f in r["findings"]:
                per.setdefault(f["claim"], Counter())[f["grade"]] += 1
        from ..core.catalogue import claims_by_id

        order = {c: i for i, c in enumerate(claims_by_id())}
        p = out_dir / "class-summary.csv"
        with open(p, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["claim", "question", "sheets", *GRADES])
            for claim in sorted(per, key=lambda c: order.get(c, 999)):
                q = claims_by_id()[claim].question if claim in claims_by_id() else ""
                w.writerow([claim, q, sum(per[claim].values()), *(per[claim].get(g, 0) for g in GRADES)])
        paths.append(p)
    return paths
