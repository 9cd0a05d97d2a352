"""TOML reading on every supported Python: tomllib from 3.11, the tomli backport on 3.10.

    >>> from tradeshield.tomlcompat import loads
    >>> loads('role = "seller"')
    {'role': 'seller'}
"""
from __future__ import annotations

try:
    import tomllib as _toml
except ImportError:  # Python 3.10
    import tomli as _toml  # type: ignore[no-redef]

TOMLDecodeError = _toml.TOMLDecodeError


def loads(text: str) -> dict:
    return _toml.loads(text)
