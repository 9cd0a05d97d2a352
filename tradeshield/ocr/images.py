"""Which inputs are images (a chat's screenshots rather than its export): cheap to import, since every chat import
asks before it picks its reader.

    >>> from tradeshield.ocr.images import is_image_path
    >>> is_image_path("聊天截图/")          # doctest: +SKIP
    True
"""
from __future__ import annotations

from pathlib import Path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".heic", ".heif")


def is_image_path(path) -> bool:
    """A folder holding an image, a file with an image suffix, or a file whose first 16 bytes are a PNG, JPEG,
    RIFF (WebP) or HEIF header."""
    p = Path(path)
    if p.is_dir():
        return any(f.suffix.lower() in IMAGE_SUFFIXES for f in p.iterdir() if f.is_file())
    if p.suffix.lower() in IMAGE_SUFFIXES:
        return True
    try:
        with open(p, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"RIFF")) or head[4:12] in (b"ftypheic", b"ftypmif1")


def image_files(paths) -> list[Path]:
    """The images among ``paths``: a folder's image files (sorted, hidden ones left out), other paths as given."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
                              and not f.name.startswith(".")))
        else:
            out.append(p)
    return out
