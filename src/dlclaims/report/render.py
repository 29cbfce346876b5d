"""Jinja2 environments, the inlined stylesheet and script, and safe file writing.

Every HTML page is self-contained: its stylesheet and (for the report) its
small filter script are inlined, images are relative files, and a
Content-Security-Policy allows nothing else — no network, no inline event
handlers, only the one script whose hash the page declares. Sheet text goes
through Jinja2 autoescape, and the CSP would stop it even if it did not.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from ..core.errors import BadInput
from ..core.types import STATUSES
from .numbers import Link, md_node, md_text

NOT_RUN = "not run"
STATUS_ORDER: tuple[str, ...] = (*STATUSES, NOT_RUN)
GRADES: tuple[str, ...] = ("right", "wrong", "partly", "unknown")
_SAFE_HREF = re.compile(r"[A-Za-z0-9_./#%-]+")


def css_class(status: Any) -> str:
    """'not run' -> 'not-run'; anything unknown -> 'other' (never user text in a class name)."""
    s = str(status)
    return s.replace(" ", "-") if s in STATUS_ORDER or s in GRADES else "other"


EVIDENCE_TEXT = {
    "exact": "exact: an identity or an exact count, verified numerically",
    "measured": "measured: an experiment with intervals over seeds that could have gone either way",
    "simulated": "simulated: a deterministic simulation (no seeds, no noise)",
}


def evidence_class(kind: Any) -> str:
    return str(kind) if kind in EVIDENCE_TEXT else "other"


def safe_href(href: Any) -> str | None:
    """A relative link (path and/or #anchor) or None: no scheme, no protocol-relative URL."""
    if isinstance(href, str) and _SAFE_HREF.fullmatch(href) and not href.startswith("//"):
        return href
    return None


@cache
def static_text(name: str) -> str:
    return resources.files("dlclaims.report").joinpath("static", name).read_text(encoding="utf-8")


def csp(script: str | None) -> str:
    """The page's Content-Security-Policy: local images, inline style, and at most one hashed script."""
    if script is None:
        src = "'none'"
    else:
        src = "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"
    return f"default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src {src}; base-uri 'none'; form-action 'none'"


@cache
def environment(kind: str) -> jinja2.Environment:
    """'html': autoescaped templates; 'md': Markdown templates (values go through the md filter)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dlclaims.report", "templates"),
        autoescape=(kind == "html"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["css"] = css_class
    env.filters["evcss"] = evidence_class
    env.globals["EVIDENCE_TEXT"] = EVIDENCE_TEXT
    env.filters["md"] = md_text
    env.filters["md_quote"] = md_quote
    env.filters["md_node"] = lambda node, indent=0: "\n".join(md_node(node, indent))
    env.tests["link"] = lambda node: isinstance(node, Link)
    env.globals["csp"] = csp
    env.globals["STATUS_ORDER"] = STATUS_ORDER
    env.globals["GRADES"] = GRADES
    return env


def md_quote(text: Any) -> str:
    """A Markdown blockquote that keeps the text's lines (each made inert by md_text)."""
    lines = str(text).strip().splitlines() or [""]
    return "\n".join("> " + md_text(line) if line.strip() else ">" for line in lines)


def render(kind: str, template: str, **context: Any) -> str:
    return environment(kind).get_template(template).render(**context)


def _missing_dirs(path: Path) -> list[Path]:
    """The folders of ``path`` (itself included) that do not exist yet, deepest first."""
    out = []
    p = path
    while not p.exists() and p != p.parent:
        out.append(p)
        p = p.parent
    return out


def remove_empty(dirs: list[Path]) -> None:
    """Remove the folders we made (deepest first) where they are still empty."""
    for d in dirs:
        try:
            d.rmdir()
        except OSError:
            return


def prepare_out(out_dir: Path, what: str = "the report") -> Path:
    """Create the output folder and prove it is writable, or raise BadInput with one clear line (and leave
    no folder behind)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInput(f"cannot write {what} to {out_dir}: it is a file, not a folder")
    made = _missing_dirs(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        remove_empty(made)
        raise BadInput(f"cannot write {what} to {out_dir}: {e.strerror or e}") from None
    return out_dir


def probe_out(out_dir: Path, what: str = "the feedback") -> None:
    """Check that out_dir can be written (BadInput if not) without leaving a folder that was not there."""
    made = _missing_dirs(out_dir)
    prepare_out(out_dir, what)
    remove_empty(made)


def write_text(path: Path, text: str) -> Path:
    """Write atomically (temp file + rename): a reader never sees half a page."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        raise BadInput(f"cannot write {path}: {e.strerror or e}") from None
    return path
