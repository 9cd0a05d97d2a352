"""Where tradeshield keeps per-user state, and the platform limits it works to.

    >>> from tradeshield.config import LIMITS, user_config_dir
    >>> LIMITS.message_chars
    200

``TRADESHIELD_HOME`` overrides both user folders (tests and portable use); otherwise
platformdirs gives the OS's config and data folders. Platform numbers are defaults from
../shared/DOMAIN.md §0.1, never hard-coded rules: every command that uses one has an option
to change it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _home(sub: str) -> Path | None:
    env = os.environ.get("TRADESHIELD_HOME")
    return Path(env) / sub if env else None


def user_config_dir() -> Path:
    p = _home("config")
    if p is None:
        import platformdirs

        p = Path(platformdirs.user_config_dir("tradeshield"))
    p.mkdir(parents=True, exist_ok=True)
    return p


def user_data_dir() -> Path:
    p = _home("data")
    if p is None:
        import platformdirs

        p = Path(platformdirs.user_data_dir("tradeshield"))
    p.mkdir(parents=True, exist_ok=True)
    return p


@dataclass(frozen=True)
class Limits:
    message_chars: int = 200            # per message (留言 / 举证说明), MEDIUM confidence
    images_per_submission: int = 6      # evidence images, MEDIUM–LOW
    image_long_side: int = 4096         # px, UNCONFIRMED conservative choice
    image_bytes: int = 5 * 1024 * 1024  # UNCONFIRMED conservative choice
    evidence_deadline_days: int = 3     # after 客服介入, MEDIUM


LIMITS = Limits()
