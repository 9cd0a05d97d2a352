"""Plain CLI values (str, int, float, Path and lists of them) converted without pydantic.

    >>> from tradeshield.cli._fastparams import install
    >>> install()          # once, before the app parses arguments: True when typer's hook was found
    True

typer ≥ 0.2x converts every parameter through a pydantic ``TypeAdapter``; importing pydantic and building
the adapters costs ~0.3 s of CPU on every command, more than the rest of start-up. For the plain types this
CLI uses, the conversion is a one-liner, so those take a fast path here. Anything else (ranges, choices,
custom parsers, datetimes, files, a string that is not a plain number …) goes to typer's own builder, so
values and error messages stay exactly typer's. If typer's internals move, ``install`` changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

_INT = re.compile(r" *[+-]?[0-9]+ *")  # what both int() and pydantic read alike; the rest goes to pydantic
_FLOAT = re.compile(r" *[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)? *")
_MISS = object()


def _number_ok(info) -> bool:
    return info.min is None and info.max is None and not info.clamp


def leaf(annotation, info) -> Callable[[Any], Any] | None:
    """A converter for one value of ``annotation`` (returns _MISS to defer to typer), or None if not plain."""
    if info.parser is not None or getattr(info, "click_type", None) is not None:
        return None
    if annotation is str:
        return lambda v: v if isinstance(v, str) else _MISS
    if annotation is int and _number_ok(info):
        return _number(int, _INT)
    if annotation is float and _number_ok(info):
        return _number(float, _FLOAT)
    if annotation is bool:
        return lambda v: v if isinstance(v, bool) else _MISS
    if isinstance(annotation, type) and issubclass(annotation, Path) and info.path_type is None:
        return _path_leaf(annotation, info)
    return None


def _number(kind, pattern):
    def conv(v):
        if type(v) is kind or (kind is float and type(v) is int):
            return kind(v)
        if isinstance(v, str) and pattern.fullmatch(v):
            try:
                return kind(v)
            except (ValueError, OverflowError):  # e.g. more digits than int() takes: typer says what is wrong
                return _MISS
        return _MISS

    return conv


def _path_leaf(annotation, info):
    from typer._param_types import coerce_cli_path

    def conv(v, param=None, ctx=None):
        if not isinstance(v, (str, Path)):
            return _MISS
        # typer's own checks (exists, readable, resolve_path …) on a value already of the path type
        return coerce_cli_path(annotation(v), info, path_type=annotation, param=param, ctx=ctx)

    conv.needs_context = True
    return conv


def install() -> bool:
    try:
        from typer import _coercion, core
        from typer._typing import get_args, get_origin

        original = core.build_runtime_param
        base = _coercion.RuntimeParam
    except (ImportError, AttributeError):
        return False
    if getattr(original, "_tradeshield_fast", False):
        return True

    @dataclass(frozen=True)
    class PlainParam(base):
        """Fast conversion; anything unusual goes to the RuntimeParam typer would have built."""

        convert: Callable = None
        many: bool = False
        descriptor: Any = None
        _slow: list = field(default_factory=list)

        def _one(self, v, param, ctx):
            if getattr(self.convert, "needs_context", False):
                return self.convert(v, param=param, ctx=ctx)
            return self.convert(v)

        def _coerce_value(self, value, param, ctx):
            if self.many:
                out = [self._one(v, param, ctx) for v in value] if isinstance(value, (list, tuple)) else [_MISS]
                if _MISS not in out:
                    return out
            else:
                out = self._one(value, param, ctx)
                if out is not _MISS:
                    return out
            if not self._slow:
                self._slow.append(original(self.descriptor))
            return self._slow[0]._coerce_value(value, param=param, ctx=ctx)

    def build(descriptor):
        ann, info = descriptor.annotation, descriptor.parameter_info
        many = get_origin(ann) is list and len(get_args(ann)) == 1
        conv = None if descriptor.file_annotation is not None else leaf(get_args(ann)[0] if many else ann, info)
        if conv is None:
            return original(descriptor)
        return PlainParam(parameter_info=info, annotation=ann, convert=conv, many=many, descriptor=descriptor)

    build._tradeshield_fast = True
    build.original = original
    core.build_runtime_param = build
    return True
