"""Walking the scenario's pydantic types along an error location: unwrap Optional/Annotated, follow model
fields and sequence items, and pick a tagged-union member by its discriminator (for error paths and
"did you mean")."""
from __future__ import annotations

from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel


def unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional so the model, tuple or union underneath shows."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType) and len(_union_args(tp)) == 1:
            tp = _union_args(tp)[0]
        else:
            return tp


def _union_args(tp: Any) -> list:
    return [a for a in get_args(tp) if a is not NoneType]


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def members(tp: Any) -> list[type[BaseModel]]:
    """The model members of a (tagged) union, else []."""
    tp = unwrap(tp)
    if get_origin(tp) not in (Union, UnionType):
        return []
    return [m for m in map(unwrap, _union_args(tp)) if is_model(m)]


def tag(model: type[BaseModel]) -> tuple[str, str] | None:
    """(discriminator field, tag value) of a union member: its Literal-typed field."""
    for name, info in model.model_fields.items():
        if get_origin(info.annotation) is Literal:
            value = get_args(info.annotation)[0]
            return name, getattr(value, "value", value)
    return None


def union_tags(tp: Any) -> tuple[str, list[str]]:
    """The discriminator name and the valid tags of a tagged union."""
    tags = [t for t in map(tag, members(tp)) if t]
    return (tags[0][0] if tags else "kind"), [t[1] for t in tags]


def pick(options: list[type[BaseModel]], raw: Any) -> Any:
    """The union member whose tag matches the raw mapping's discriminator, else None."""
    for m in options:
        t = tag(m)
        if t and isinstance(raw, dict) and raw.get(t[0]) == t[1]:
            return m
    return None


def child(tp: Any, key: str | int) -> Any:
    """The annotation one step below tp (a model field or a sequence item), else None."""
    tp = unwrap(tp)
    if isinstance(key, str) and is_model(tp):
        info = tp.model_fields.get(key)
        return info.annotation if info else None
    if isinstance(key, int) and get_origin(tp) in (tuple, list):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return args[0] if len(args) == 1 else (args[key] if key < len(args) else None)
    return None


def field_names(tp: Any, raw: Any) -> list[str]:
    """Field names valid at a location; for a tagged union, those of the member the raw `kind` selects."""
    options = members(tp)
    model = pick(options, raw) if options else unwrap(tp)
    return list(model.model_fields) if is_model(model) else []
