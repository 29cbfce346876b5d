"""Profiles and type-checked ``--set KEY=VALUE`` overrides of frozen config dataclasses.

Every experiment has one frozen dataclass config and one instance per profile::

    @dataclass(frozen=True)
    class MinMaxConfig:
        steps: int = 200
        etas: tuple[float, ...] = (0.1, 0.5, 1.0)

A config may check its domain in ``__post_init__`` and raise
:class:`~dlclaims.core.errors.ConfigError`; the CLI turns that into exit 2.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from typing import Any, Literal, get_args, get_origin

from .errors import BadInput, ConfigError

PROFILES = ("quick", "full")
Profile = Literal["quick", "full"]


def parse_sets(items: list[str] | None) -> dict[str, str]:
    """``["a=1", "exp.b=x"]`` -> ``{"a": "1", "exp.b": "x"}``; a malformed item is bad input."""
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise BadInput(f"--set expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        key = key.strip()
        if not key or not all(part.isidentifier() or "-" in part for part in key.split(".")):
            raise BadInput(f"--set has an invalid key {key!r}")
        out[key] = value.strip()
    return out


def _parse_value(text: str, tp: Any, key: str) -> Any:
    origin = get_origin(tp)
    if origin is Literal:
        choices = get_args(tp)
        for c in choices:
            if str(c) == text:
                return c
        raise BadInput(f"--set {key}: {text!r} is not one of {', '.join(map(str, choices))}")
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if text.lower() in ("none", "null") and len(args) < len(get_args(tp)):
            return None
        errors = []
        for a in args:
            try:
                return _parse_value(text, a, key)
            except BadInput as e:
                errors.append(str(e))
        raise BadInput(errors[0] if errors else f"--set {key}: cannot parse {text!r}")
    if origin in (tuple, list):
        args = get_args(tp)
        elem = args[0] if args else str
        stripped = text.strip().strip("()[]")
        parts = [p.strip() for p in stripped.split(",") if p.strip()] if stripped else []
        vals = [_parse_value(p, elem, key) for p in parts]
        return tuple(vals) if origin is tuple else vals
    if tp is bool:
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise BadInput(f"--set {key}: expected true or false, got {text!r}")
    if tp is int:
        try:
            return int(text)
        except ValueError:
            raise BadInput(f"--set {key}: expected an integer, got {text!r}") from None
    if tp is float:
        try:
            v = float(text)
        except ValueError:
            raise BadInput(f"--set {key}: expected a number, got {text!r}") from None
        if math.isnan(v):
            raise BadInput(f"--set {key}: NaN is not allowed")
        return v
    if tp is str:
        return text
    raise BadInput(f"--set {key}: values of type {tp} cannot be set from the command line")


def field_types(cfg_cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cfg_cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cfg_cls)}


def apply_overrides(cfg: Any, overrides: dict[str, str], *, scope: str | None = None) -> tuple[Any, set[str]]:
    """Return ``(new_cfg, used_keys)``: the overrides that name a field of ``cfg`` applied, type-checked.

    A key ``exp.field`` applies only when ``scope == exp``; a bare ``field``
    applies to every config that has it. Domain checks in ``__post_init__``
    raise :class:`ConfigError`.
    """
    types_ = field_types(type(cfg))
    changes: dict[str, Any] = {}
    used: set[str] = set()
    for key, text in overrides.items():
        name = key
        if "." in key:
            prefix, name = key.rsplit(".", 1)
            if prefix != scope:
                continue
        if name in types_:
            changes[name] = _parse_value(text, types_[name], key)
            used.add(key)
    if not changes:
        return cfg, used
    try:
        return dataclasses.replace(cfg, **changes), used
    except (ConfigError, ValueError, TypeError) as e:
        given = ", ".join(f"{k}={overrides[k]}" for k in sorted(used))
        raise ConfigError(f"--set {given}: not allowed for {scope or type(cfg).__name__} ({e})") from None


def config_dict(cfg: Any) -> dict[str, Any]:
    from .types import to_jsonable

    return to_jsonable(dataclasses.asdict(cfg))


def config_hash(cfg: Any) -> str:
    """A short stable hash of the config's values (its class name included)."""
    blob = json.dumps({"cls": type(cfg).__name__, **config_dict(cfg)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def require(cond: bool, message: str) -> None:
    """For ``__post_init__``: raise :class:`ConfigError` with ``message`` unless ``cond``."""
    if not cond:
        raise ConfigError(message)
