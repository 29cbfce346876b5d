"""The ``dlclaims`` command: list, run, verdicts, report, check.

Only this module prints and exits. Everything under it returns data or raises
:class:`~dlclaims.core.errors.BadInput`, which becomes exit status 2 and one
line on stderr (no traceback, the store untouched).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STATUS_STYLE = {"supported": "green", "refuted": "red", "partial": "yellow", "inconclusive": "magenta"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dlclaims", description="The claims of a deep-learning exam, measured.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("list", help="question families and their claims")
    s.add_argument("--json", action="store_true", help="machine-readable output")

    s = sub.add_parser("run", help="run experiments and judge their claims")
    s.add_argument("--profile", default="quick", choices=["quick", "full"])
    s.add_argument("--only", nargs="+", metavar="ID", help="question ids (Q-minmax), claim ids or experiment ids")
    s.add_argument("--seeds", type=int, default=None, help="number of seeds (default: 3 quick, 5 full)")
    s.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    s.add_argument("--executor", default="local", choices=["local", "ray"])
    s.add_argument("--ray-address", default=None, metavar="A", help="address of an existing Ray cluster")
    s.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field (KEY or EXPERIMENT.KEY); repeatable")
    s.add_argument("--store", default=None, metavar="PATH", help="results store (default dlclaims-results/store.sqlite)")
    s.add_argument("--quiet", action="store_true", help="no progress display")

    s = sub.add_parser("verdicts", help="the latest verdict of every claim")
    s.add_argument("--json", action="store_true")
    s.add_argument("--store", default=None, metavar="PATH")

    s = sub.add_parser("report", help="write the HTML + Markdown report")
    s.add_argument("--out", default=None, metavar="DIR", help="output folder (default: beside the store)")
    s.add_argument("--store", default=None, metavar="PATH")

    s = sub.add_parser("check", help="grade answer sheets against the measured verdicts")
    s.add_argument("sheets", nargs="+", metavar="SHEET")
    s.add_argument("--json", action="store_true")
    s.add_argument("--out", default=None, metavar="DIR", help="write feedback (Markdown, HTML, class CSV) here")
    s.add_argument("--store", default=None, metavar="PATH")
    s.add_argument("--run-missing", action="store_true", help="first run the experiments that sheets need")
    return p


def _store_path(arg: str | None) -> Path:
    from .core.store import default_store_path

    return Path(arg) if arg else default_store_path()


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


# -- list -----------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    from .core.catalogue import questions
    from .core.config import config_dict
    from .core.registry import load_all

    exps = load_all()
    by_claim = {c: e for e in exps.values() for c in e.claims}
    rows: list[dict[str, Any]] = []
    for q in questions():
        qexps = sorted({by_claim[c.id].id for c in q.claims if c.id in by_claim})
        rows.append({
            "question": q.id, "title": q.title,
            "experiments": [{"id": e, "config": {p: config_dict(exps[e].configs[p]) for p in ("quick", "full")}}
                            for e in qexps],
            "claims": [{"claim": c.id, "statement": c.claim, "test": c.test, "beyond": c.beyond,
                        "experiment": by_claim[c.id].id if c.id in by_claim else None} for c in q.claims],
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.table import Table

    t = Table(title="dlclaims: question families and their claims", show_lines=False)
    t.add_column("question")
    t.add_column("claim")
    t.add_column("experiment")
    t.add_column("the claim as answers state it", overflow="fold")
    for r in rows:
        for i, c in enumerate(r["claims"]):
            t.add_row(r["question"] if i == 0 else "", c["claim"], c["experiment"] or "[dim]not built[/]",
                      (c["statement"] or "(beyond the answers) " + c["test"])[:110])
    _console().print(t)
    return 0


# -- run --------------------------------------------------------------------------
class _RichProgress:
    """Shows one bar over all (experiment, seed) units, and a line per judged experiment."""

    def __init__(self, console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=console, transient=False)
        self.task = None

    def planned(self, total: int, skipped: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("running", total=total, completed=skipped)
        if skipped:
            self.console.print(f"[dim]{skipped} unit(s) already in the store: skipped[/]")

    def started(self, task) -> None:
        seeds = "" if task.seeds == (0,) and len(task.seeds) == 1 else f" seeds {list(task.seeds)}"
        self.bar.update(self.task, description=f"{task.experiment}{seeds}")

    def finished(self, task, result) -> None:
        self.bar.advance(self.task)
        if result.status != "ok":
            self.console.print(f"[red]{task.experiment} {list(task.seeds)} failed[/]: "
                               f"{(result.error or '').splitlines()[0]}")

    def judged(self, experiment: str, verdicts, error) -> None:
        if error:
            self.console.print(f"[red]{experiment}: no verdicts[/] ({error})")
            return
        parts = ", ".join(f"{v.claim} [{STATUS_STYLE[v.status]}]{v.status}[/]" for v in verdicts)
        self.console.print(f"{experiment}: {parts}")

    def stop(self) -> None:
        self.bar.stop()


def _executor(args: argparse.Namespace):
    from .core.errors import BadInput
    from .core.runner import LocalExecutor

    if args.executor == "local":
        if args.ray_address:
            raise BadInput("--ray-address needs --executor ray")
        return LocalExecutor()
    try:
        import ray  # noqa: F401
    except ImportError:
        raise BadInput("--executor ray needs Ray: pip install 'dlclaims[ray]'") from None
    try:
        from .core.ray_executor import RayExecutor
    except ImportError:
        raise BadInput("the Ray executor is not built yet") from None
    return RayExecutor(address=args.ray_address)


def cmd_run(args: argparse.Namespace) -> int:
    from .core.config import parse_sets
    from .core.runner import plans_for, resolve_device, run_plans
    from .core.store import Store

    sets = parse_sets(args.sets)
    if args.seeds is not None and args.seeds < 1:
        from .core.errors import BadInput

        raise BadInput(f"--seeds must be at least 1, got {args.seeds}")
    device = resolve_device(args.device)
    plans = plans_for(args.only, profile=args.profile, seeds=args.seeds, sets=sets, device=str(device))
    executor = _executor(args)
    store_path = _store_path(args.store)
    console = _console(stderr=True)
    with Store.open(store_path) as store:
        progress = None if args.quiet else _RichProgress(console)
        try:
            summary = run_plans(plans, store, executor=executor, progress=progress)
        except KeyboardInterrupt:
            if progress:
                progress.stop()
            console.print(f"[yellow]interrupted[/]: finished results are in {store_path}; run the same command "
                          "again to resume")
            return 130
        finally:
            if progress:
                progress.stop()
        _print_verdicts(store, console=_console())
    out = _console()
    out.print(f"\n{len(summary.ran)} unit(s) run, {len(summary.skipped)} reused, in {summary.seconds:.1f} s. "
              f"Store: {store_path}  Figures: {store_path.parent / 'figures'}")
    out.print("Next: [bold]dlclaims report[/] (HTML + Markdown) or [bold]dlclaims check SHEET.md[/]")
    if summary.failed:
        for e, err in summary.failed.items():
            console.print(f"[red]failed[/] {e}: {err}")
        return 1
    return 0


# -- verdicts ---------------------------------------------------------------------
def _print_verdicts(store, console) -> None:
    from rich.table import Table

    vs = store.latest_verdicts()
    t = Table(title=f"Verdicts ({len(vs)} claims)")
    for col in ("question", "claim", "status", "rule"):
        t.add_column(col, overflow="fold")
    from .core.catalogue import questions

    order = {c.id: i for i, c in enumerate(c for q in questions() for c in q.claims)}
    for v in sorted(vs, key=lambda v: order.get(v.claim, 999)):
        t.add_row(v.question, v.claim, f"[{STATUS_STYLE.get(v.status, 'white')}]{v.status}[/]", v.rule[:160])
    console.print(t)


def cmd_verdicts(args: argparse.Namespace) -> int:
    from .core.store import Store
    from .core.types import strict_json

    path = _store_path(args.store)
    if not path.exists():
        if args.json:
            print("[]")
        _console(stderr=True).print(f"no store at {path}: run `dlclaims run` first")
        return 0
    with Store.open(path, create=False) as store:
        if args.json:
            print(json.dumps([strict_json(v.to_dict()) for v in store.latest_verdicts()], indent=2))
        else:
            _print_verdicts(store, _console())
    return 0


# -- report, check ------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from .core.errors import BadInput

    try:
        from .report import write_report
    except ImportError:
        raise BadInput("dlclaims report is not built yet") from None
    paths = write_report(_store_path(args.store), Path(args.out) if args.out else None)
    print(f"Report: {paths.html}")
    print(f"Markdown: {paths.markdown}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .core.errors import BadInput

    try:
        from .check import check_sheets, render_terminal
    except ImportError:
        raise BadInput("dlclaims check is not built yet") from None
    outcome = check_sheets(args.sheets, _store_path(args.store), out_dir=Path(args.out) if args.out else None,
                           run_missing=args.run_missing)
    if args.json:
        from .core.types import strict_json

        print(json.dumps(strict_json(outcome.results), indent=2, ensure_ascii=False))
    else:
        console = _console()
        for renderable in render_terminal(outcome):
            console.print(renderable)
    for path, why in outcome.skipped:
        print(f"dlclaims: skipped {path}: {why}", file=sys.stderr)
    return 2 if outcome.skipped else 0


COMMANDS = {"list": cmd_list, "run": cmd_run, "verdicts": cmd_verdicts, "report": cmd_report, "check": cmd_check}


def main(argv: Sequence[str] | None = None) -> int:
    from .core.errors import BadInput

    args = _parser().parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        return COMMANDS[args.command](args)
    except BadInput as e:
        print(f"dlclaims: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
