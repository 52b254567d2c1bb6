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
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

import annotated_types
import pydantic
from pydantic import BaseModel, ConfigDict, ValidationError

from perseverance.errors import ConfigError

Model = TypeVar("Model", bound=pydantic.BaseModel)

#: The largest data file read [bytes]; ours are a few kB.
MAX_DATA_FILE_BYTES = 4 * 2**20


class StrictModel(BaseModel):
    """The one strict base of every model we read back (data files, saved states).

    Unknown fields are errors, values are immutable once loaded, types are strict (no
    ``"700"`` for an integer, no ``"yes"`` for a boolean; an integer is a float) and
    every float is finite.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class DataModel(StrictModel):
    """The base of every data-file model (vehicles, sites, scenarios, rover tables).

    As `StrictModel`, and every float field is bounded on both sides (checked by the
    tests). Fields that hold arrays as tuples take TOML arrays through `FileTuple`.
    """


#: Marks a ``tuple[...]`` field so that it takes a TOML array (a list); its items stay
#: strict. Use as ``Annotated[tuple[X, ...], FileTuple]``.
FileTuple = pydantic.Field(strict=False)

#: The span of dates a data file may hold (UTC): from the space age to well past any
#: mission, so that every date and every mission clock built on one stays in range.
EARLIEST_DATE = datetime(1950, 1, 1)
LATEST_DATE = datetime(2200, 1, 1)


def _check_date(value: datetime) -> datetime:
    wall = value.replace(tzinfo=None)  # an offset of hours does not matter at these bounds
    if not EARLIEST_DATE <= wall <= LATEST_DATE:
        raise ValueError(
            f"{value.isoformat()} is out of range "
            f"({EARLIEST_DATE:%Y-%m-%d}..{LATEST_DATE:%Y-%m-%d})"
        )
    return value


#: A date and time in a data file, within `EARLIEST_DATE`..`LATEST_DATE`.
DataDate = Annotated[datetime, pydantic.AfterValidator(_check_date)]


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
        label, raw = name_or_path, _read_file(path, kind)
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


def _read_file(path: Path, kind: str) -> bytes:
    """The bytes of a data file given by path; `ConfigError` (one line) if it is not a
    readable regular file of at most `MAX_DATA_FILE_BYTES`."""
    try:
        if not path.exists():
            raise ConfigError(f"{path}: {kind} file not found")
        if not path.is_file():
            raise ConfigError(f"{path}: not a regular file (a {kind} file is a .toml file)")
        with path.open("rb") as stream:
            raw = stream.read(MAX_DATA_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {kind} file ({exc.strerror or exc})") from None
    if len(raw) > MAX_DATA_FILE_BYTES:
        raise ConfigError(
            f"{path}: the {kind} file is over {MAX_DATA_FILE_BYTES // 2**20} MiB: "
            "not a data file of ours"
        )
    return raw


def load_model(model: type[Model], name_or_path: str, package: str, kind: str) -> Model:
    """Load and validate a data file into ``model``; raise `ConfigError` on any problem."""
    label, data = read_toml(name_or_path, package, kind)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(describe_validation_error(label, exc, model)) from None


def describe_validation_error(label: str, exc: ValidationError, root: type[BaseModel]) -> str:
    """One line for the first validation error (field, value, allowed range or fields),
    with a count of the others. Finds bounds and field names through nested models and
    through ``list[...]``, ``dict[...]`` and ``X | None`` fields."""
    errors = exc.errors()
    err = errors[0]
    loc = tuple(err["loc"])
    field = ".".join(str(part) for part in loc) or "(top level)"
    kind, value = err["type"], err.get("input")
    if kind == "missing":
        text = f"{field} is missing (required)"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        text = f"{field} = {format_number(value)} is out of range ({_bounds(root, loc)})"
    elif kind == "finite_number":
        text = f"{field} = {value!r} is not a finite number (allowed: {_bounds(root, loc)})"
    elif kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        text = f"{field} = {_short(value)} is {len(value)} characters long (at most {limit})"
    elif kind == "extra_forbidden":
        owner, _ = _walk(root, loc[:-1])
        allowed = _field_names(owner) if owner is not None else []
        text = f"{field} is not a known field (allowed: {', '.join(allowed)})"
    elif kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        text = f"{field}: {msg}" if loc else msg
    else:
        text = f"{field} = {_short(value)} is invalid ({err['msg']})"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return _one_line(f"{label}: {text}")


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _strip(annotation: Any) -> tuple[Any, list[Any]]:
    """The annotation without ``Annotated`` and ``| None``, and the bound markers taken off."""
    markers: list[Any] = []
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            for item in annotation.__metadata__:  # a pydantic Field() carries its own metadata
                markers += list(getattr(item, "metadata", [item]))
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation, markers


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, list[Any]]:
    """The annotation at ``loc`` under ``root`` (None if lost) and its bound markers."""
    annotation: Any = root
    markers: list[Any] = []
    for part in loc:
        annotation, _ = _strip(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found = [
                info for name, info in annotation.model_fields.items() if part in (name, info.alias)
            ]
            if not found:
                return None, []
            annotation, markers = found[0].annotation, list(found[0].metadata)
            continue
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is dict:
            annotation = args[1]
        elif origin in (list, tuple) and args:
            annotation = args[0]
        else:
            return None, []
        markers = []
    annotation, inner = _strip(annotation)
    return annotation, markers + inner


def _bounds(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """The allowed range of the field at ``loc``, as ``lo..hi``."""
    _, markers = _walk(root, loc)
    lo, hi = -math.inf, math.inf
    lo_open = hi_open = False
    for item in markers:
        if isinstance(item, annotated_types.Ge):
            lo = float(typing.cast(float, item.ge))
        elif isinstance(item, annotated_types.Gt):
            lo, lo_open = float(typing.cast(float, item.gt)), True
        elif isinstance(item, annotated_types.Le):
            hi = float(typing.cast(float, item.le))
        elif isinstance(item, annotated_types.Lt):
            hi, hi_open = float(typing.cast(float, item.lt)), True
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


def _short(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to about ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split())
