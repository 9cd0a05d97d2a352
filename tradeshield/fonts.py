"""CJK-capable font lookup for everything tradeshield draws (labels, captions, chat images).

    >>> from tradeshield.fonts import load_font
    >>> font = load_font(24)              # doctest: +SKIP

Order: ``TRADESHIELD_FONT`` (a .ttf/.ttc/.otf path), fontconfig's best match for zh-cn, then
known paths on Debian, macOS and Windows. With none found, Pillow's built-in font is used
and ``cjk_font_path()`` returns None so callers can warn that Chinese will not render.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

KNOWN = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
]


@functools.lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    env = os.environ.get("TRADESHIELD_FONT")
    if env and Path(env).is_file():
        return env
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True,
                                 timeout=10).stdout.strip()
            if out and Path(out).is_file() and _covers_cjk_strict(out):
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    for p in KNOWN:
        if Path(p).is_file():
            return p
    return None


def _covers_cjk_strict(path: str) -> bool:
    """True when the font draws 证 as a real glyph, not as its .notdef box."""
    try:
        from PIL import ImageFont

        font = ImageFont.truetype(path, 32)
    except OSError:
        return False
    han = font.getmask("证")
    notdef = font.getmask("\U0010fffd")
    return bool(han.getbbox()) and bytes(han) != bytes(notdef)


@functools.lru_cache(maxsize=32)
def load_font(size: int):
    from PIL import ImageFont

    path = cjk_font_path()
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()
