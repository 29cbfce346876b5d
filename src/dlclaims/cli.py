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
    s.add_argument("--long", action="store_true", help="also what each experiment measures")

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
    s.add_argument("--long", action="store_true", help="each verdict's rule, parts and evidence in full")
    s.add_argument("--store", default=None, metavar="PATH")

    s = sub.add_parser("report", help="write the HTML + Markdown report")
    s.add_argument("--out", default=None, metavar="DIR", help="output folder (default: beside the store)")
    s.add_argument("--store", default=None, metavar="PATH")

    s = sub.add_parser("check", help="grade answer sheets against the measured verdicts")
    s.add_argument("sheets", nargs="+", metavar="SHEET")
    s.add_argument("--json", action="store_true")
    s.add_argument("--out", default=None, metavar="DIR",
                   help="write feedback (Markdown, HTML, class CSV) and the report it links to here; records the sheets")
    s.add_argument("--record", action="store_true", help="record the grades in the store (the report's sheet results)")
    s.add_argument("--store", default=None, metavar="PATH")
    s.add_argument("--run-missing", action="store_true", help="first run the experiments that sheets need")
    s.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="processes that read the sheets (default: the number of CPUs, 1 for a single sheet)")

    s = sub.add_parser("sheets", help="the answer sheets recorded in the store (check --record / --out)")
    s.add_argument("--remove", nargs="+", default=None, metavar="SHEET", help="forget these recorded sheets")
    s.add_argument("--remove-all", action="store_true", help="forget every recorded sheet")
    s.add_argument("--store", default=None, metavar="PATH")
    return p


def _store_path(arg: str | None) -> Path:
    from .core.store import default_store_path

    return Path(arg) if arg else default_store_path()


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _print_table(console, title: str, headers: list[str], rows: list[list[Any]], *, caps: list[int],
                 sections: list[int] | None = None) -> None:
    """A table that wraps between words; where the words cannot fit the width, one block per row."""
    from .report.terminal import word_table

    for r in word_table(title, headers, rows, caps=caps, width=console.width, sections=sections):
        console.print(r)


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
    from rich.text import Text

    console = _console()
    wide = console.width >= 120
    table: list[list[Any]] = []
    sections: list[int] = []
    headers = (["question", "claim", "experiment"] if wide else ["claim (experiment)"]) + [
        "the claim as answers state it"] + (["what the experiment measures"] if args.long else [])
    for r in rows:
        for i, c in enumerate(r["claims"]):
            exp = Text(c["experiment"] or "not built", style="" if c["experiment"] else "dim")
            lead = [Text(r["question"] if i == 0 else ""), Text(c["claim"]), exp] if wide else [
                Text(c["claim"]) + Text("\n(" + (c["experiment"] or "not built") + ")", style="dim")]
            row = lead + [Text(c["statement"] or "(beyond the answers) " + c["test"])]
            if args.long:
                row.append(Text(c["test"]))
            table.append(row)
        sections.append(len(table))
    caps = ([12, 26, 12] if wide else [26]) + [40, 40]
    _print_table(console, "dlclaims: question families and their claims", headers, table, caps=caps,
                 sections=sections)
    return 0


# -- run --------------------------------------------------------------------------
def _duration(s: float) -> str:
    s = max(0.0, s)
    if s < 60:
        return f"{s:.0f} s"
    return f"{int(s // 60)} min {int(s % 60):02d} s"


class _RichProgress:
    """One bar over all (experiment, seed) units: the unit running now, and the time left as estimated from
    the stored durations of earlier runs (units never timed are counted apart); a line per judged experiment."""

    def __init__(self, console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.text import Text

        outer = self

        class TimeLeft(ProgressColumn):
            def render(self, task) -> Text:
                return Text(outer.time_left(), style="cyan")

        self.console = console
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeLeft(), console=console, transient=False)
        self.task = None
        self.expected: dict[int, float | None] = {}
        self.running: dict[int, float] = {}  # id(task) -> when it started
        self.done: set[int] = set()

    def time_left(self) -> str:
        import time

        known, unknown = 0.0, 0
        now = time.monotonic()
        for key, e in self.expected.items():
            if key in self.done:
                continue
            if e is None:
                unknown += 1
                continue
            known += max(0.0, e - (now - self.running[key])) if key in self.running else e
        if not self.expected or (known == 0 and unknown == 0):
            return ""
        if unknown == len(self.expected) - len(self.done):
            return "time left: not known yet"
        extra = f" + {unknown} unit(s) never timed" if unknown else ""
        return f"about {_duration(known)} left{extra}"

    def planned(self, todo, skipped: int) -> None:
        self.expected = {id(t): t.expected_s for t in todo}
        self.pending: dict[str, int] = {}
        for t in todo:
            self.pending[t.experiment] = self.pending.get(t.experiment, 0) + 1
        self.bar.start()
        self.task = self.bar.add_task("running", total=len(todo) + skipped, completed=skipped)
        if skipped:
            self.console.print(f"[dim]{skipped} unit(s) already in the store: reused[/]")

    def started(self, task) -> None:
        import time

        self.running[id(task)] = time.monotonic()
        if len(task.seeds) > 1:
            seeds = f" seeds {task.seeds[0]}–{task.seeds[-1]}"
        else:
            seeds = f" seed {task.seeds[0]}" if task.seeds[0] else ""
        self.bar.update(self.task, description=f"running {task.experiment}{seeds}")

    def finished(self, task, result) -> None:
        self.done.add(id(task))
        self.bar.advance(self.task)
        self.pending[task.experiment] -= 1
        if self.pending[task.experiment] == 0:
            self.bar.update(self.task, description=f"judging {task.experiment}, drawing its figures")
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
        _print_verdicts(store, console=_console(), only={c for p in plans for c in p.experiment.claims})
        overlaps = {f: o for f, o in store.figure_overlaps().items() if o} if summary.drawn else {}
    out = _console()
    figs = f"; figures drawn for {len(summary.drawn)} experiment(s), reused for {len(summary.reused)}"
    out.print(f"\n{len(summary.ran)} unit(s) run, {len(summary.skipped)} reused, in {summary.seconds:.1f} s{figs}.")
    out.print(f"Store: {store_path}\nFigures: {store_path.parent / 'figures'}")
    for f, o in sorted(overlaps.items()):
        console.print(f"[dim]figure {f}: overlapping text: {o[0]}{' …' if len(o) > 1 else ''}[/]")
    out.print("Next: [bold]dlclaims report[/] (HTML + Markdown) or [bold]dlclaims check SHEET.md[/]")
    if summary.failed:
        for e, err in summary.failed.items():
            console.print(f"[red]failed[/] {e}: {err}")
        return 1
    return 0


# -- verdicts ---------------------------------------------------------------------
def _print_verdicts(store, console, *, long: bool = False, only: set[str] | None = None) -> None:
    from rich.text import Text

    from .core.catalogue import questions
    from .report.reasons import reason, undecided, what_would_decide

    vs = [v for v in store.latest_verdicts() if only is None or v.claim in only]
    order = {c.id: i for i, c in enumerate(c for q in questions() for c in q.claims)}
    vs.sort(key=lambda v: (order.get(v.claim, 999), v.claim))
    rows: list[list[Any]] = []
    sections: list[int] = []
    for i, v in enumerate(vs):
        if i and v.question != vs[i - 1].question:
            sections.append(i)
        status = Text(v.status, style=STATUS_STYLE.get(v.status, ""))
        if long:
            text = Text(v.rule)
            for part, st in v.parts.items():
                kind = v.part_evidence.get(part, v.evidence)
                text.append(f"\n• {part}: ")
                text.append(st, style=STATUS_STYLE.get(st, ""))
                text.append(f" ({kind})", style="dim")
            if v.status == "inconclusive":
                for line in undecided(v.numbers, v.parts):
                    text.append(f"\n  undecided: {line}", style="magenta")
                text.append(f"\n  {what_would_decide(v.profile, len(v.seeds))}", style="dim")
        else:
            text = Text(reason(v.status, v.numbers, v.parts))
        question = Text(v.question if i == 0 or v.question != vs[i - 1].question else "")
        if console.width >= 120:
            rows.append([question, Text(v.claim), status, Text(v.evidence, style="dim"), text])
        else:  # narrow: the claim id names its question; the evidence goes under the status
            rows.append([Text(v.claim), status + Text("\n" + v.evidence, style="dim"), text])
    title = f"Verdicts ({len(vs)} claims)" + ("" if long else "; --long for the rules")
    why = "rule" if long else "why (deciding numbers)"
    if console.width >= 120:
        _print_table(console, title, ["question", "claim", "status", "evidence", why], rows,
                     caps=[12, 26, 12, 8, 24], sections=sections)
    else:
        _print_table(console, title, ["claim", "status", why], rows, caps=[26, 12, 24], sections=sections)


def _open_to_read(path: Path):
    """The store opened read-only (it may sit in a read-only folder); a missing one is said plainly."""
    from .core.errors import StoreError
    from .core.store import Store

    if not path.exists():
        raise StoreError(f"no store at {path.absolute()}: run `dlclaims run` here, or point to a store with "
                         "--store PATH or DLCLAIMS_STORE=PATH")
    return Store.open(path, create=False, readonly=True)


def cmd_verdicts(args: argparse.Namespace) -> int:
    from .core.types import strict_json

    path = _store_path(args.store)
    if not path.exists():
        if args.json:
            print("[]")
        _console(stderr=True).print(f"no store at {path.absolute()}: run `dlclaims run` first (or point to a store "
                                    "with --store PATH or DLCLAIMS_STORE=PATH)")
        return 0
    with _open_to_read(path) as store:
        if args.json:
            print(json.dumps([strict_json(v.to_dict()) for v in store.latest_verdicts()], indent=2))
        else:
            _print_verdicts(store, _console(), long=args.long)
    return 0


# -- report, check, sheets ------------------------------------------------------------
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


def _writable_out(out: Path) -> None:
    """Refuse an --out folder that cannot be written, before any work (one line, exit 2); leave nothing."""
    from .report.render import probe_out

    probe_out(out.absolute())


def cmd_check(args: argparse.Namespace) -> int:
    from .core.errors import BadInput

    try:
        from .check import check_sheets, render_terminal
    except ImportError:
        raise BadInput("dlclaims check is not built yet") from None
    out = Path(args.out) if args.out else None
    if out is not None:
        _writable_out(out)
    store_path = _store_path(args.store)
    if not store_path.exists() and not args.run_missing:
        print(f"dlclaims: no store found at {store_path.absolute()}: every finding is graded unknown. Point to "
              "the store of your runs with --store PATH or DLCLAIMS_STORE=PATH, or run the experiments here "
              "(dlclaims run, or add --run-missing).", file=sys.stderr)
    record = args.record
    if out is not None and not args.record:  # --out records too, where the store can be written
        record = store_path.exists() and os.access(store_path, os.W_OK) and os.access(store_path.parent, os.W_OK)
        if store_path.exists() and not record:
            print(f"dlclaims: {store_path} is read-only: the grades are not recorded for the report",
                  file=sys.stderr)
    from .check import default_jobs

    if args.jobs is not None and args.jobs < 1:
        raise BadInput(f"--jobs must be at least 1, not {args.jobs}")
    jobs = args.jobs or default_jobs(len(args.sheets))
    try:
        outcome = check_sheets(args.sheets, store_path, out_dir=out, run_missing=args.run_missing, record=record,
                               jobs=jobs)
    except KeyboardInterrupt:
        print("dlclaims: interrupted; no sheet was graded", file=sys.stderr)
        return 130
    if args.json:
        from .core.types import strict_json

        print(json.dumps(strict_json(outcome.results), indent=2, ensure_ascii=False))
    else:
        console = _console()
        for renderable in render_terminal(outcome, width=console.width):
            console.print(renderable)
    for path, why in outcome.skipped:
        print(f"dlclaims: skipped {path}: {why}", file=sys.stderr)
    return 2 if outcome.skipped else 0


def cmd_sheets(args: argparse.Namespace) -> int:
    from .core.errors import BadInput
    from .core.store import Store

    path = _store_path(args.store)
    if args.remove and args.remove_all:
        raise BadInput("--remove and --remove-all: give one of them")
    if args.remove or args.remove_all:
        if not path.exists():
            raise BadInput(f"no store at {path.absolute()}: nothing is recorded (point to one with --store PATH "
                           "or DLCLAIMS_STORE=PATH)")
        with _open_to_read(path) as store:  # refuse unknown names before the store is opened for writing
            known = {s for s, _ in store.recorded_sheets()}
        unknown = [s for s in (args.remove or []) if s not in known]
        if unknown:
            raise BadInput(f"not recorded: {', '.join(unknown)} (see `dlclaims sheets`)")
        with Store.open(path, create=False) as store:
            n = store.remove_checks(None if args.remove_all else args.remove)
        print(f"forgot {n} recorded sheet(s); the next `dlclaims report` leaves them out")
        return 0
    if not path.exists():
        print(f"no store at {path.absolute()}: no sheet is recorded")
        return 0
    with _open_to_read(path) as store:
        sheets = store.recorded_sheets()
    if not sheets:
        print("no sheet is recorded (`dlclaims check SHEET --record` or `--out DIR` records one)")
        return 0
    import time

    for name, at in sheets:
        print(f"{name}\t{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(at))}")
    print(f"{len(sheets)} recorded sheet(s); forget some with `dlclaims sheets --remove SHEET ...` "
          "or all with --remove-all", file=sys.stderr)
    return 0


COMMANDS = {"list": cmd_list, "run": cmd_run, "verdicts": cmd_verdicts, "report": cmd_report, "check": cmd_check,
            "sheets": cmd_sheets}


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
