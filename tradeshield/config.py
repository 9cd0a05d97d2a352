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


def _user_dir(kind: str) -> Path:
    env = os.environ.get("TRADESHIELD_HOME")
    if env:
        p = Path(env) / kind
    else:
        import platformdirs

        p = Path(platformdirs.user_config_dir("tradeshield") if kind == "config"
                 else platformdirs.user_data_dir("tradeshield"))
    p.mkdir(parents=True, exist_ok=True)
    return p


def user_config_dir() -> Path:
    """Signing key and user rule files."""
    return _user_dir("config")


def user_data_dir() -> Path:
    """The watchlist database."""
    return _user_dir("data")


@dataclass(frozen=True)
class Limits:
    message_chars: int = 200            # per message (留言 / 举证说明), MEDIUM confidence
    images_per_submission: int = 6      # evidence images, MEDIUM–LOW
    image_long_side: int = 4096         # px, UNCONFIRMED conservative choice
    image_bytes: int = 5 * 1024 * 1024  # UNCONFIRMED conservative choice
    evidence_deadline_days: int = 3     # after 客服介入, MEDIUM


LIMITS = Limits()
