"""The results store: SQLite (standard library) in WAL mode.

One transaction per finished result, keyed by (experiment, config hash,
seeds, code version): a re-run skips what is stored, and a run killed at any
moment loses nothing that finished. Figures are results too: each drawing is
stored under the same key (PNG bytes, caption, text overlaps found), so a
re-run that measured nothing redraws nothing. The file carries an application
id so that a foreign SQLite file or a truncated/corrupt one is refused, never
overwritten. Commands that only read open it read-only (``readonly=True``), so
a store in a read-only folder still serves ``verdicts``, ``check`` and ``report``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Self

from .errors import StoreError
from .types import Verdict, to_jsonable

APPLICATION_ID = 0x444C434C  # "DLCL"
SCHEMA_VERSION = 3  # 2: verdicts.evidence_json (kind of evidence); 3: verdicts.measured_at, drawings, figures
DEFAULT_STORE = Path("dlclaims-results") / "store.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    experiment TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    seeds TEXT NOT NULL,
    code_version TEXT NOT NULL,
    profile TEXT NOT NULL,
    device TEXT NOT NULL,
    config_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    measurements_json TEXT,
    error TEXT,
    duration_s REAL NOT NULL,
    finished_at REAL NOT NULL,
    UNIQUE (experiment, config_hash, seeds, code_version)
);
CREATE TABLE IF NOT EXISTS verdicts (
    id INTEGER PRIMARY KEY,
    experiment TEXT NOT NULL,
    claim TEXT NOT NULL,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    rule TEXT NOT NULL,
    numbers_json TEXT NOT NULL,
    figures_json TEXT NOT NULL,
    parts_json TEXT NOT NULL,
    profile TEXT NOT NULL,
    seeds_json TEXT NOT NULL,
    device TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    code_version TEXT NOT NULL,
    created_at REAL NOT NULL,
    evidence_json TEXT NOT NULL DEFAULT '{}',
    measured_at REAL
);
CREATE INDEX IF NOT EXISTS verdicts_claim ON verdicts (claim, id);
CREATE TABLE IF NOT EXISTS drawings (
    id INTEGER PRIMARY KEY,
    experiment TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    seeds TEXT NOT NULL,
    code_version TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (experiment, config_hash, seeds, code_version)
);
CREATE TABLE IF NOT EXISTS figures (
    id INTEGER PRIMARY KEY,
    drawing INTEGER NOT NULL REFERENCES drawings (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    caption TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    png BLOB NOT NULL,
    overlaps_json TEXT NOT NULL DEFAULT '[]',
    UNIQUE (drawing, name)
);
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY,
    sheet TEXT NOT NULL,
    result_json TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus a hash of every source file: any code change is a new version."""
    import dlclaims

    root = Path(dlclaims.__file__).parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".md") and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return f"{dlclaims.__version__}+{h.hexdigest()[:10]}"


def default_store_path() -> Path:
    env = os.environ.get("DLCLAIMS_STORE")
    return Path(env) if env else DEFAULT_STORE


def _seeds_key(seeds: tuple[int, ...] | list[int]) -> str:
    return json.dumps(list(seeds))


@dataclass(frozen=True)
class StoredResult:
    id: int
    experiment: str
    config_hash: str
    seeds: tuple[int, ...]
    code_version: str
    profile: str
    device: str
    config: dict[str, Any]
    status: str
    measurements: dict[str, Any] | None
    error: str | None
    duration_s: float
    finished_at: float


@dataclass(frozen=True)
class StoredVerdict:
    id: int
    experiment: str
    claim: str
    question: str
    status: str
    rule: str
    numbers: dict[str, Any]
    figures: list[str]
    parts: dict[str, str]
    profile: str
    seeds: list[int]
    device: str
    config_hash: str
    code_version: str
    created_at: float
    evidence: str = "measured"
    part_evidence: dict[str, str] = field(default_factory=dict)
    measured_at: float | None = None  # when the newest result it was judged from finished

    @property
    def measured(self) -> float:
        """When its measurements were taken (older stores: when it was judged)."""
        return self.measured_at if self.measured_at is not None else self.created_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim, "question": self.question, "status": self.status, "rule": self.rule,
            "evidence": self.evidence, "part_evidence": self.part_evidence,
            "numbers": self.numbers, "figures": self.figures, "parts": self.parts,
            "profile": self.profile, "seeds": self.seeds, "device": self.device,
            "experiment": self.experiment, "code_version": self.code_version,
            "config_hash": self.config_hash, "created_at": self.created_at, "measured_at": self.measured,
        }


@dataclass(frozen=True)
class StoredFigure:
    """One stored drawing of a figure: its file name in the figures folder, caption and PNG bytes."""

    name: str  # as the experiment saved it, e.g. "radius"
    file: str  # e.g. "minmax-radius.png"
    caption: str
    sha256: str
    png: bytes
    overlaps: list[str] = field(default_factory=list)  # text that overlaps other text, as "a / b"


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite at all (or truncated below its header) before sqlite touches it."""
    size = path.stat().st_size
    if size == 0:
        return  # an empty file: treated as a new store
    with open(path, "rb") as f:
        head = f.read(100)
    if not head.startswith(b"SQLite format 3\x00"):
        raise StoreError(f"{path} is not a dlclaims store (not an SQLite file); move it away or pass --store")
    page = int.from_bytes(head[16:18], "big") if len(head) >= 18 else 0
    page = 65536 if page == 1 else page
    if len(head) < 100 or page == 0 or size % page != 0:
        raise StoreError(f"{path} is truncated or corrupt (size {size} is not a whole number of pages)")


class Store:
    """A dlclaims results store. Open with :meth:`open`; use as a context manager."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.readonly = False

    # -- opening -----------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None, *, create: bool = True, readonly: bool = False) -> Store:
        """Open (or create) a store. ``readonly``: never write, never create (also works when the store's
        folder or file is read-only)."""
        path = Path(path) if path is not None else default_store_path()
        exists = path.exists()
        if exists and path.is_dir():
            raise StoreError(f"{path} is a folder, not a store file")
        if not exists and (not create or readonly):
            raise StoreError(f"no store at {path}: run `dlclaims run` first, or point to one with --store PATH "
                             "or DLCLAIMS_STORE")
        if exists:
            if not os.access(path, os.R_OK):
                raise StoreError(f"cannot read the store {path}")
            _check_header(path)
        if readonly:
            return cls._open_readonly(path)
        if not exists:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"cannot create the store folder {path.parent}: {e.strerror}") from None
        try:
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as e:
            raise StoreError(f"cannot open the store {path}: {e}") from None
        store = cls(path, conn)
        try:
            store._init()
        except sqlite3.DatabaseError as e:
            conn.close()
            raise StoreError(f"{path} is not a usable dlclaims store ({e}); move it away or pass --store") from None
        return store

    @classmethod
    def _open_readonly(cls, path: Path) -> Store:
        """SQLite's read-only mode; where it cannot share the WAL index (a read-only folder and no -shm file
        beside the store), the file is opened as immutable: nobody can be writing to it there."""
        if path.stat().st_size == 0:
            raise StoreError(f"{path} is empty: run `dlclaims run` first")
        last: Exception | None = None
        for flags in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(f"{path.absolute().as_uri()}?{flags}", uri=True, timeout=30.0,
                                       isolation_level=None)
            except sqlite3.Error as e:
                last = e
                continue
            store = cls(path, conn)
            store.readonly = True
            try:
                store._check_readonly()
                return store
            except StoreError:
                conn.close()
                raise
            except sqlite3.DatabaseError as e:
                conn.close()
                last = e
        raise StoreError(f"{path} is not a usable dlclaims store ({last}); move it away or pass --store")

    def _check_readonly(self) -> None:
        c = self.conn
        c.execute("PRAGMA busy_timeout = 30000")
        app = c.execute("PRAGMA application_id").fetchone()[0]
        if app != APPLICATION_ID:
            raise StoreError(f"{self.path} is an SQLite file but not a dlclaims store; move it away or pass --store")
        quick = c.execute("PRAGMA quick_check").fetchone()[0]
        if quick != "ok":
            raise StoreError(f"{self.path} is corrupt ({quick}); move it away or pass --store")
        v = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if v is None or int(v[0]) > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer or unknown dlclaims; upgrade dlclaims")

    def _identity(self) -> tuple[int, set[str]]:
        """(application_id, table names), read in one snapshot: another process may be creating the store."""
        c = self.conn
        c.execute("BEGIN")
        try:
            app = c.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            c.execute("COMMIT")
        return app, tables

    def _refuse_foreign(self, app: int, tables: set[str]) -> None:
        if app != APPLICATION_ID and (tables or app != 0):
            raise StoreError(f"{self.path} is an SQLite file but not a dlclaims store; move it away or pass --store")

    def _init(self) -> None:
        c = self.conn
        c.execute("PRAGMA busy_timeout = 30000")
        self._refuse_foreign(*self._identity())
        quick = c.execute("PRAGMA quick_check").fetchone()[0]
        if quick != "ok":
            raise StoreError(f"{self.path} is corrupt ({quick}); move it away or pass --store")
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = NORMAL")
        with self._tx():  # read again under the write lock: a racing process may have created it meanwhile
            app = c.execute("PRAGMA application_id").fetchone()[0]
            self._refuse_foreign(app, {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")})
            if app == APPLICATION_ID:
                v = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if v is None or int(v[0]) > SCHEMA_VERSION:
                    raise StoreError(f"{self.path} was written by a newer or unknown dlclaims; upgrade dlclaims")
            else:
                c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                c.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                c.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                c.execute("INSERT OR REPLACE INTO meta VALUES ('created_at', ?)", (str(time.time()),))
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    c.execute(stmt)
            cols = {r[1] for r in c.execute("PRAGMA table_info(verdicts)")}
            if "evidence_json" not in cols:  # a schema-1 store: add the column, keep every row
                c.execute("ALTER TABLE verdicts ADD COLUMN evidence_json TEXT NOT NULL DEFAULT '{}'")
            if "measured_at" not in cols:  # schema 1 or 2: add the column, keep every row
                c.execute("ALTER TABLE verdicts ADD COLUMN measured_at REAL")
            c.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def figures_dir(self) -> Path:
        return self.path.parent / "figures"

    # -- results -----------------------------------------------------------
    def get_result(self, experiment: str, config_hash: str, seeds: tuple[int, ...],
                   version: str | None = None) -> StoredResult | None:
        row = self.conn.execute(
            "SELECT * FROM results WHERE experiment=? AND config_hash=? AND seeds=? AND code_version=?",
            (experiment, config_hash, _seeds_key(seeds), version or code_version()),
        ).fetchone()
        return self._result(row) if row else None

    def put_result(self, *, experiment: str, config_hash: str, seeds: tuple[int, ...], profile: str,
                   device: str, config: dict[str, Any], status: str, measurements: dict[str, Any] | None,
                   error: str | None, duration_s: float, version: str | None = None) -> None:
        """Store one finished result in its own transaction (a failed one may be replaced later)."""
        payload = json.dumps(to_jsonable(measurements)) if measurements is not None else None
        with self._tx():
            self.conn.execute(
                "INSERT INTO results (experiment, config_hash, seeds, code_version, profile, device, config_json,"
                " status, measurements_json, error, duration_s, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (experiment, config_hash, seeds, code_version) DO UPDATE SET"
                " status=excluded.status, measurements_json=excluded.measurements_json, error=excluded.error,"
                " duration_s=excluded.duration_s, finished_at=excluded.finished_at, device=excluded.device"
                " WHERE results.status != 'ok'",
                (experiment, config_hash, _seeds_key(seeds), version or code_version(), profile, device,
                 json.dumps(config, sort_keys=True), status, payload, error, duration_s, time.time()),
            )

    def results(self, experiment: str | None = None) -> list[StoredResult]:
        q, args = "SELECT * FROM results", ()
        if experiment:
            q, args = q + " WHERE experiment=?", (experiment,)
        return [self._result(r) for r in self.conn.execute(q + " ORDER BY id", args)]

    @staticmethod
    def _result(r: tuple) -> StoredResult:
        return StoredResult(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5], r[6], json.loads(r[7]), r[8],
                            json.loads(r[9]) if r[9] else None, r[10], r[11], r[12])

    def durations(self) -> list[tuple[str, str, tuple[int, ...], str, float]]:
        """(experiment, config hash, seeds, profile, seconds) of every finished result, oldest first: what
        the progress display estimates the time left from."""
        rows = self.conn.execute("SELECT experiment, config_hash, seeds, profile, duration_s FROM results"
                                 " WHERE status='ok' ORDER BY id").fetchall()
        return [(e, h, tuple(json.loads(s)), p, d) for e, h, s, p, d in rows]

    # -- verdicts ------------------------------------------------------------
    def put_verdicts(self, experiment: str, verdicts: list[Verdict], *, questions: dict[str, str], profile: str,
                     seeds: list[int], device: str, config_hash: str, figure_files: dict[str, str],
                     measured_at: float | None = None) -> None:
        """Store every verdict of one judged experiment in one transaction. ``measured_at``: when the newest
        result they were judged from finished (the report's "measured" time; judging again moves nothing)."""
        now = time.time()
        with self._tx():
            for v in verdicts:
                figs = [figure_files.get(f, f) for f in v.figures]
                self.conn.execute(
                    "INSERT INTO verdicts (experiment, claim, question, status, rule, numbers_json, figures_json,"
                    " parts_json, profile, seeds_json, device, config_hash, code_version, created_at,"
                    " evidence_json, measured_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (experiment, v.claim, questions[v.claim], v.status, v.rule, json.dumps(to_jsonable(v.numbers)),
                     json.dumps(figs), json.dumps(v.parts), profile, json.dumps(seeds), device, config_hash,
                     code_version(), now, json.dumps({"kind": v.evidence, "parts": v.part_evidence}),
                     measured_at if measured_at is not None else now),
                )

    def _columns(self, table: str) -> set[str]:
        return {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}

    def latest_verdicts(self) -> list[StoredVerdict]:
        """The newest verdict of every claim."""
        cols = self._columns("verdicts")
        evidence = "evidence_json" if "evidence_json" in cols else "'{}'"
        measured = "measured_at" if "measured_at" in cols else "NULL"
        rows = self.conn.execute(
            "SELECT id, experiment, claim, question, status, rule, numbers_json, figures_json, parts_json, profile,"
            f" seeds_json, device, config_hash, code_version, created_at, {evidence}, {measured} FROM verdicts"
            " WHERE id IN (SELECT MAX(id) FROM verdicts GROUP BY claim) ORDER BY id"
        ).fetchall()
        return [
            StoredVerdict(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]), json.loads(r[8]),
                          r[9], json.loads(r[10]), r[11], r[12], r[13], r[14], *_evidence(r[15]), r[16])
            for r in rows
        ]

    def current_verdicts(self, experiment: str, claims: list[str] | tuple[str, ...], config_hash: str,
                         seeds: list[int], version: str | None = None) -> list[StoredVerdict] | None:
        """The latest verdicts of ``claims`` when every one was judged from exactly this key (experiment,
        config hash, seeds, code version), else None: then nothing needs judging or drawing again."""
        latest = {v.claim: v for v in self.latest_verdicts() if v.claim in claims}
        want = version or code_version()
        if set(latest) != set(claims):
            return None
        for v in latest.values():
            if (v.experiment, v.config_hash, v.seeds, v.code_version) != (experiment, config_hash, list(seeds), want):
                return None
        return [latest[c] for c in claims]

    # -- figures -------------------------------------------------------------
    def put_drawing(self, experiment: str, config_hash: str, seeds: tuple[int, ...] | list[int],
                    figures: list[StoredFigure], version: str | None = None) -> None:
        """Store one experiment's figures for a key; older code versions' drawings of it are dropped."""
        version = version or code_version()
        key = (experiment, config_hash, _seeds_key(seeds), version)
        with self._tx():
            c = self.conn
            old = [r[0] for r in c.execute("SELECT id FROM drawings WHERE experiment=? AND (code_version!=? OR"
                                           " (config_hash=? AND seeds=?))", (experiment, version, *key[1:3]))]
            for i in old:
                c.execute("DELETE FROM figures WHERE drawing=?", (i,))
                c.execute("DELETE FROM drawings WHERE id=?", (i,))
            cur = c.execute("INSERT INTO drawings (experiment, config_hash, seeds, code_version, created_at)"
                            " VALUES (?,?,?,?,?)", (*key, time.time()))
            for f in figures:
                c.execute("INSERT INTO figures (drawing, name, file, caption, sha256, png, overlaps_json)"
                          " VALUES (?,?,?,?,?,?,?)",
                          (cur.lastrowid, f.name, f.file, f.caption, f.sha256, f.png, json.dumps(f.overlaps)))

    def get_drawing(self, experiment: str, config_hash: str, seeds: tuple[int, ...] | list[int],
                    version: str | None = None, *, with_png: bool = True) -> list[StoredFigure] | None:
        """The stored figures of a key (an empty list: drawn, no figures), or None when never drawn."""
        if "drawings" not in self._tables():
            return None
        row = self.conn.execute(
            "SELECT id FROM drawings WHERE experiment=? AND config_hash=? AND seeds=? AND code_version=?",
            (experiment, config_hash, _seeds_key(seeds), version or code_version())).fetchone()
        if row is None:
            return None
        png = "png" if with_png else "x''"
        rows = self.conn.execute(f"SELECT name, file, caption, sha256, {png}, overlaps_json FROM figures"
                                 " WHERE drawing=? ORDER BY id", (row[0],)).fetchall()
        return [StoredFigure(n, f, c, h, bytes(b), json.loads(o)) for n, f, c, h, b, o in rows]

    def figure_captions(self) -> dict[tuple[str, str, str, str], dict[str, str]]:
        """(experiment, config hash, seeds JSON, code version) -> {file: caption}, for every stored drawing."""
        if "drawings" not in self._tables():
            return {}
        out: dict[tuple[str, str, str, str], dict[str, str]] = {}
        for e, h, s, v, f, c in self.conn.execute(
                "SELECT d.experiment, d.config_hash, d.seeds, d.code_version, f.file, f.caption"
                " FROM drawings d JOIN figures f ON f.drawing = d.id ORDER BY f.id"):
            out.setdefault((e, h, json.dumps(json.loads(s)), v), {})[f] = c
        return out

    def figure_overlaps(self) -> dict[str, list[str]]:
        """file -> overlapping texts, for every stored figure of the current drawings."""
        if "drawings" not in self._tables():
            return {}
        return {f: json.loads(o) for f, o in self.conn.execute("SELECT file, overlaps_json FROM figures")}

    def _tables(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    # -- sheet checks --------------------------------------------------------
    def put_check(self, sheet: str, result: dict[str, Any]) -> None:
        with self._tx():
            self.conn.execute("INSERT INTO checks (sheet, result_json, created_at) VALUES (?,?,?)",
                              (sheet, json.dumps(to_jsonable(result)), time.time()))

    def latest_checks(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT result_json FROM checks WHERE id IN (SELECT MAX(id) FROM checks GROUP BY sheet) ORDER BY id"
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def recorded_sheets(self) -> list[tuple[str, float]]:
        """(sheet, when last recorded) of every recorded sheet, oldest first."""
        return [(s, t) for s, t in self.conn.execute(
            "SELECT sheet, MAX(created_at) FROM checks GROUP BY sheet ORDER BY MIN(id)")]

    def remove_checks(self, sheets: list[str] | None = None) -> int:
        """Forget the recorded results of these sheets (None: of every sheet); returns how many sheets."""
        with self._tx():
            if sheets is None:
                n = self.conn.execute("SELECT COUNT(DISTINCT sheet) FROM checks").fetchone()[0]
                self.conn.execute("DELETE FROM checks")
                return int(n)
            n = 0
            for s in dict.fromkeys(sheets):
                n += self.conn.execute("DELETE FROM checks WHERE sheet=?", (s,)).rowcount > 0
            return n

    # -- helpers -------------------------------------------------------------
    class _Tx:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def __enter__(self) -> None:
            self.conn.execute("BEGIN IMMEDIATE")

        def __exit__(self, et, *_: object) -> None:
            self.conn.execute("ROLLBACK" if et else "COMMIT")

    def _tx(self) -> Store._Tx:
        return Store._Tx(self.conn)


def _evidence(js: str) -> tuple[str, dict[str, str]]:
    d = json.loads(js or "{}")
    return d.get("kind", "measured"), dict(d.get("parts", {}))


def iter_verdict_dicts(store: Store) -> Iterator[dict[str, Any]]:
    for v in store.latest_verdicts():
        yield v.to_dict()
