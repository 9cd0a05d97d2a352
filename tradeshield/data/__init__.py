"""Packaged data, in one place: rules and word lists (TOML), the report template, and the statement
templates (the checkout's top-level ``templates/``, installed as ``tradeshield/data/templates``).

``path(name)`` returns a file here; ``templates_dir()`` the statement templates folder or None.
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """A packaged data file: ``chat_rules.toml``, ``check_rules.toml``, ``lint_words.toml``, ``report.html.j2``."""
    return HERE / name


def templates_dir() -> Path | None:
    """The installed ``tradeshield/data/templates``, else the checkout's top-level ``templates/``."""
    for cand in (HERE / "templates", HERE.parent.parent / "templates"):
        if (cand / "scenarios.toml").is_file():
            return cand
    return None
