"""Loading TOML data files into pydantic models, with one-line errors.

A data file is found by name among the files shipped in a package
(``importlib.resources``) or by path. Any problem, from a missing file to an
out-of-range value, becomes a `ConfigError` whose message names the file, the
field, the value and what was expected.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import TypeVar

import pydantic

from perseverance.errors import ConfigError

Model = TypeVar("Model", bound=pydantic.BaseModel)


def packaged_names(package: str) -> list[str]:
    """Names (file stems) of the TOML files shipped in ``package``."""
    return sorted(
        p.name[:-5] for p in resources.files(package).iterdir() if p.name.endswith(".toml")
    )


def read_toml(name_or_path: str, package: str) -> tuple[str, dict]:
    """Read a packaged TOML file by name, or any TOML file by path; return (label, data)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ConfigError(f"{name_or_path}: no such file")
        label, text = path.name, path.read_text(encoding="utf-8", errors="replace")
    else:
        names = packaged_names(package)
        if name_or_path not in names:
            raise ConfigError(
                f"unknown name {name_or_path!r}: choose one of {', '.join(names)} or a .toml path"
            )
        label = f"{name_or_path}.toml"
        text = resources.files(package).joinpath(label).read_text(encoding="utf-8")
    try:
        return label, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML ({exc})") from None


def describe_validation_error(label: str, exc: pydantic.ValidationError) -> str:
    """One line naming the first invalid field, its value and what is allowed."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(file)"
    ctx = err.get("ctx") or {}
    if err["type"] == "missing":
        return f"{label}: {field} is missing"
    if err["type"] == "extra_forbidden":
        return f"{label}: {field} is not a known field"
    bounds = [f"{k} {v}" for k, v in ctx.items() if k in ("ge", "gt", "le", "lt")]
    allowed = f" (allowed: {', '.join(bounds)})" if bounds else ""
    return f"{label}: {field} = {err.get('input')!r}: {err['msg']}{allowed}"


def load_model(model: type[Model], name_or_path: str, package: str) -> Model:
    """Load and validate a data file into ``model``; raise `ConfigError` on any problem."""
    label, data = read_toml(name_or_path, package)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ConfigError(describe_validation_error(label, exc)) from None
