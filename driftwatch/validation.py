"""Walk strict pydantic models: their keys, their bounds in words, one-line error messages.

The config model (configmodel.py) and the lock file model (lockschema.py) share these, so every
bad value reads the same: `key = value: problem; allowed: what is allowed`. The generated docs
and the tests enumerate keys with `iter_keys`, so a key added to a model needs no other change.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, Literal

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from driftwatch.redact import shown_value

__all__ = [
    "KeySpec",
    "allowed",
    "bounds",
    "describe_error",
    "dotted",
    "iter_keys",
    "numeric_kind",
    "range_text",
]


class KeySpec(typing.NamedTuple):
    """One leaf key of a model: its dotted name (`registries.<host>.endpoint`) and field."""

    key: str
    path: tuple[str | int, ...]
    field: FieldInfo


def iter_keys(
    model: type[BaseModel],
    prefix: tuple[str | int, ...] = (),
    *,
    expand_lists: bool = False,
) -> Iterator[KeySpec]:
    """Every leaf key of `model`, nested tables flattened (`<host>` stands for a dict key).

    With `expand_lists`, lists of tables are walked too (`images[0].digest`, path index 0).
    """
    for name, field in model.model_fields.items():
        path = (*prefix, name)
        inner = _inner_model(field.annotation)
        origin = typing.get_origin(field.annotation)
        if inner is not None and origin is dict:
            yield from iter_keys(inner, (*path, "<host>"), expand_lists=expand_lists)
        elif inner is not None and origin is list and expand_lists:
            yield from iter_keys(inner, (*path, 0), expand_lists=expand_lists)
        elif inner is not None and origin is not list:
            yield from iter_keys(inner, path, expand_lists=expand_lists)
        else:
            yield KeySpec(dotted(path), path, field)


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model class inside `annotation` (`Model`, `dict[str, Model]`, `Model | None`...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def bounds(field: FieldInfo) -> dict[str, float]:
    found: dict[str, float] = {}
    for item in field.metadata:
        for kind, name in ((Ge, "ge"), (Gt, "gt"), (Le, "le"), (Lt, "lt")):
            if isinstance(item, kind):
                found[name] = float(getattr(item, name))
    return found


def numeric_kind(field: FieldInfo) -> type | None:
    """`int` or `float` for a number field (optional or not), else None."""
    args = typing.get_args(field.annotation) or (field.annotation,)
    for kind in (int, float):
        if kind in args and bool not in args:
            return kind
    return None


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:g}"


def range_text(field: FieldInfo) -> str:
    """The bounds of a number field in words: `from 1 to 256`, `more than 0 up to 3600`."""
    limits = bounds(field)
    high = _number(limits.get("le", limits.get("lt", 0.0)))
    if "gt" in limits:
        return f"more than {_number(limits['gt'])} up to {high}"
    return f"from {_number(limits.get('ge', 0.0))} to {high}"


def allowed(field: FieldInfo) -> str:
    """What a key accepts, in words: `an integer from 1 to 256`, `one of fast, full, off`..."""
    kind = numeric_kind(field)
    if kind is not None and bounds(field):
        return f"{'an integer' if kind is int else 'a number'} {range_text(field)}"
    choices = _literal_choices(field.annotation)
    if choices:
        return "one of " + ", ".join(choices)
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "doc_type" in extra:
        return str(extra["doc_type"]).replace("`", "")
    if field.description:
        return field.description
    return _type_words(field.annotation)


def _type_words(annotation: Any) -> str:
    """`a string`, `a list`, `a table or null`... for a field with nothing better to say."""
    words = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    if annotation in words:
        return words[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a table"
    origin = typing.get_origin(annotation)
    if origin in (list, dict):
        return "a list" if origin is list else "a table"
    if origin is Annotated:
        return _type_words(typing.get_args(annotation)[0])
    parts = [
        _type_words(arg) if arg is not type(None) else "null" for arg in typing.get_args(annotation)
    ]
    return " or ".join(parts) if parts else "see the reference"


def _literal_choices(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is Literal:
        return [str(arg) for arg in typing.get_args(annotation)]
    if typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _literal_choices(arg)
            if found:
                return found
    return []


def _walk(
    model: type[BaseModel], loc: Sequence[int | str]
) -> tuple[FieldInfo | None, type[BaseModel]]:
    """The field an error location points at, and the model the location ends inside."""
    current = model
    field: FieldInfo | None = None
    for part in loc:
        if isinstance(part, str) and part in current.model_fields:
            field = current.model_fields[part]
            current = _inner_model(field.annotation) or current
    return field, current


def dotted(loc: Sequence[int | str]) -> str:
    """`('registries', 'x.io', 'endpoint')` -> `registries.x.io.endpoint`; `notify[0].url`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else part
    return text


def describe_error(
    error: ErrorDetails,
    model: type[BaseModel],
    hidden: Callable[[Sequence[int | str]], bool] = lambda loc: False,
) -> str:
    """One line for one pydantic error: `key = value: problem; allowed: range`.

    Values at locations `hidden` says are secret show as `****`.
    """
    loc = error["loc"]
    key = dotted(loc)
    if error["type"] == "extra_forbidden":
        _, holder = _walk(model, loc[:-1])
        return f"unknown key {key!r} (known: {', '.join(holder.model_fields)})"
    problem = error["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    if error["msg"].startswith("Input should be "):
        problem = "should be " + problem
    problem = re.sub(r" or instance of \w+", "", problem).replace("a valid dictionary", "a table")
    if "[key]" in loc:
        return f"{key}: the key {shown_value(loc[-2])} is {problem}".replace(
            "is should be", "should be"
        )
    field, _ = _walk(model, loc)
    value = "****" if hidden(loc) else _shown(error["input"])
    rule = f"; allowed: {allowed(field)}" if field is not None else ""
    if error["type"] == "missing":
        return f"{key}: required{rule}"
    return f"{key} = {value}: {problem}{rule}"


def _shown(value: Any) -> str:
    """A value as TOML writes it where that differs from Python (`true`), else shown_value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return shown_value(value)
