"""Loading TOML data files into pydantic models, with one-line errors.

A data file is found by name among the files shipped in a package
(``importlib.resources``) or by path. Any problem, from a missing file to an
out-of-range value, becomes a `ConfigError` whose message names the file, the
field, the value and what was expected.
"""

from __future__ import annotations

import math
import tomllib
import types
import typing
from importlib import resources
from pathlib import Path
from typing import TypeVar

import annotated_types
import pydantic
from pydantic import BaseModel, ValidationError

from perseverance.errors import ConfigError

Model = TypeVar("Model", bound=pydantic.BaseModel)


def packaged_names(package: str) -> list[str]:
    """Names (file stems) of the TOML files shipped in ``package``."""
    return sorted(
        p.name[:-5] for p in resources.files(package).iterdir() if p.name.endswith(".toml")
    )


def read_toml(name_or_path: str, package: str, kind: str) -> tuple[str, dict]:
    """Read a packaged TOML file by name, or any TOML file by path; return (label, data).

    ``kind`` names the sort of file in messages ("vehicle", "site").
    """
    path = Path(name_or_path)
    if path.suffix == ".toml" or "/" in name_or_path or path.exists():
        if not path.is_file():
            raise ConfigError(f"{name_or_path}: {kind} file not found")
        label, raw = name_or_path, path.read_bytes()
    else:
        names = packaged_names(package)
        if name_or_path not in names:
            raise ConfigError(
                f"unknown {kind} {name_or_path!r}: packaged {kind}s are {', '.join(names)}; "
                "or pass a path to a .toml file"
            )
        label = f"{name_or_path}.toml"
        raw = resources.files(package).joinpath(label).read_bytes()
    try:
        return label, tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{label}: not a valid TOML file ({_one_line(str(exc))})") from None


def load_model(model: type[Model], name_or_path: str, package: str, kind: str) -> Model:
    """Load and validate a data file into ``model``; raise `ConfigError` on any problem."""
    label, data = read_toml(name_or_path, package, kind)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(describe_validation_error(label, exc, model)) from None


def describe_validation_error(label: str, exc: ValidationError, root: type[BaseModel]) -> str:
    """One line for the first validation error, with a count of the others."""
    errors = exc.errors()
    err = errors[0]
    loc = err["loc"]
    field = ".".join(str(part) for part in loc) or "(top level)"
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        text = f"{field} is missing (required)"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        text = f"{field} = {format_number(value)} is out of range ({_bounds(root, loc)})"
    elif kind == "extra_forbidden":
        allowed = ", ".join(_fields_of(root, loc[:-1]))
        text = f"{field} is not a known field (allowed: {allowed})"
    elif kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        text = f"{field}: {msg}" if loc else msg
    else:
        text = f"{field} = {value!r} is invalid ({err['msg']})"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return _one_line(f"{label}: {text}")


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model of the table at `loc` (a tuple of keys) under `root`, or None."""
    model: type[BaseModel] = root
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        inner = _unwrap_model(field.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _unwrap_model(annotation: object) -> type[BaseModel] | None:
    """The model inside ``Model`` or ``Model | None``; None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            inner = _unwrap_model(arg)
            if inner is not None:
                return inner
    return None


def _fields_of(root: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    model = _model_at(root, loc)
    return list(model.model_fields) if model is not None else []


def _constraints(annotation: object) -> list[object]:
    """Bound markers (annotated_types Ge/Gt/Le/Lt) inside an annotation: through
    ``Annotated[...]``, ``X | None`` and ``list[X]``."""
    found: list[object] = []
    if typing.get_origin(annotation) is typing.Annotated:
        for item in annotation.__metadata__:  # a pydantic Field() carries its own metadata
            found += list(getattr(item, "metadata", [item]))
        annotation = typing.get_args(annotation)[0]
    for arg in typing.get_args(annotation):
        found += _constraints(arg)
    return found


def _bounds(root: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """The allowed range of the field at `loc`, as ``lo..hi`` (list items included)."""
    names = [part for part in loc if not isinstance(part, int)]
    model = _model_at(root, tuple(names[:-1]))
    field = model.model_fields.get(str(names[-1])) if model is not None else None
    lo: float = -math.inf
    hi: float = math.inf
    lo_open = hi_open = False
    markers = [*field.metadata, *_constraints(field.annotation)] if field is not None else []
    for item in markers:
        if isinstance(item, annotated_types.Ge):
            lo = float(item.ge)
        elif isinstance(item, annotated_types.Gt):
            lo, lo_open = float(item.gt), True
        elif isinstance(item, annotated_types.Le):
            hi = float(item.le)
        elif isinstance(item, annotated_types.Lt):
            hi, hi_open = float(item.lt), True
    text = f"{format_number(lo)}..{format_number(hi)}"
    excluded = [format_number(v) for v, is_open in ((lo, lo_open), (hi, hi_open)) if is_open]
    if excluded:
        text += ", excluding " + " and ".join(excluded)
    return text


def format_number(value: object) -> str:
    """A number as a person writes it: 90 not 90.0, 0.55 not 0.55000001."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _one_line(text: str) -> str:
    return " ".join(text.split())
