"""Shared image helpers: boxed labels, caption strips, JPEG output within platform limits.

    >>> from PIL import Image
    >>> from tradeshield.imaging import add_caption, save_jpeg_within
    >>> im = add_caption(Image.new("RGB", (800, 600), "white"), ["2021-05-20 10:11 +08:00", "sha256 1a2b3c4d5e6f"])
    >>> info = save_jpeg_within(im, "out.jpg")       # doctest: +SKIP

Pillow is imported inside the functions: this module is cheap to import.
"""
from __future__ import annotations

import io
import re
import os

from tradeshield.config import LIMITS
from tradeshield.fonts import load_font
from tradeshield.evidence.fsutil import write_bytes


def enable_heif() -> None:
    """Let Pillow open HEIC/HEIF (iPhone photos); registering twice is harmless."""
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover - declared dependency
        pass


_DARKEN = [round(v * 0.28) for v in range(256)]  # the label box's shade, one table (a lambda costs 768 calls)


def draw_label(img, lines: list[str], corner: str = "bl", scale: float = 0.028, size: int | None = None,
               inplace: bool = False):
    """Draw ``lines`` in a dark box with light text, sized to the image height (legible on any frame).

    ``size`` overrides the font size; ``inplace`` draws on an RGB ``img`` itself instead of a copy (a 4K frame's
    copy is what video labels avoid)."""
    from PIL import ImageDraw

    from tradeshield.textsafe import clean

    lines = [clean(ln) for ln in lines]
    if not (inplace and img.mode == "RGB"):
        img = img.convert("RGB")
    size = size or max(12, int(img.height * scale))
    font = load_font(size)
    draw = ImageDraw.Draw(img)
    pad = max(4, size // 3)
    boxes = [draw.textbbox((0, 0), ln, font=font) for ln in lines]
    line_h = max((b[3] - b[1]) for b in boxes) + pad // 2 if boxes else size
    width = max((b[2] - b[0]) for b in boxes) + 2 * pad if boxes else 0
    height = line_h * len(lines) + pad * 2
    x = pad if corner in ("bl", "tl") else img.width - width - pad
    y = img.height - height - pad if corner in ("bl", "br") else pad
    # darken only the box (blending the whole frame costs ~30 ms on 4K frames)
    box = (max(0, x), max(0, y), min(img.width, x + width + 1), min(img.height, y + height + 1))
    region = img.crop(box)
    img.paste(region.point(_DARKEN * len(region.getbands())), box)
    draw = ImageDraw.Draw(img)
    for i, ln in enumerate(lines):
        draw.text((x + pad, y + pad + i * line_h - boxes[i][1]), ln, font=font, fill=(255, 255, 255))
    return img


def add_caption(img, lines: list[str], scale: float = 0.022, min_size: int = 14):
    """Return a copy of ``img`` with a white strip below it holding ``lines`` (the original is untouched)."""
    from PIL import Image, ImageDraw

    from tradeshield.textsafe import clean

    lines = [clean(ln) for ln in lines]
    if img.mode != "RGB":  # convert() to the same mode would copy a full page for nothing
        img = img.convert("RGB")
    size = max(min_size, int(max(img.width, img.height) * scale))
    font = load_font(size)
    pad = max(4, size // 3)
    line_h = size + pad // 2
    lines = [w for ln in lines for w in wrap_text(ln, font, img.width - 2 * pad)]   # never cut a caption off
    strip_h = line_h * len(lines) + 2 * pad
    out = Image.new("RGB", (img.width, img.height + strip_h), (255, 255, 255))
    out.paste(img, (0, 0))
    draw = ImageDraw.Draw(out)
    draw.line([(0, img.height), (img.width, img.height)], fill=(180, 180, 180), width=max(1, size // 12))
    for i, ln in enumerate(lines):
        draw.text((pad, img.height + pad + i * line_h), ln, font=font, fill=(20, 20, 20))
    return out


def wrap_text(text: str, font, width: int) -> list[str]:
    """``text`` in lines that fit ``width`` pixels: at " · " or spaces first, else between characters."""
    if width <= 0 or font.getlength(text) <= width:
        return [text]
    out, cur = [], ""
    for piece in re.split(r"(?<= · )|(?<= )", text):
        if cur and font.getlength(cur + piece) > width:
            out.append(cur.rstrip())
            cur = ""
        while font.getlength(piece) > width and len(piece) > 1:      # one piece wider than the line
            lo, hi = 1, len(piece) - 1      # the longest head that fits (at least one character), by bisection
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if font.getlength(piece[:mid]) <= width:
                    lo = mid
                else:
                    hi = mid - 1
            out.append(piece[:lo])
            piece = piece[lo:]
        cur += piece
    if cur.strip():
        out.append(cur.rstrip())
    return out or [text]


def fit_long_side(img, max_side: int):
    if max(img.size) <= max_side:
        return img
    from PIL import Image

    ratio = max_side / max(img.size)
    return img.resize((max(1, round(img.width * ratio)), max(1, round(img.height * ratio))), Image.LANCZOS)


def encode_jpeg_within(img, max_side: int | None = None, max_bytes: int | None = None, quality: int = 88,
                       exif: bytes | None = None) -> bytes:
    """JPEG bytes with the long side ≤ max_side and size ≤ max_bytes: lower quality first, then resolution."""
    max_side = max_side or LIMITS.image_long_side
    max_bytes = max_bytes or LIMITS.image_bytes
    img = fit_long_side(img.convert("RGB"), max_side)
    while True:
        for q in (quality, 80, 72, 64):
            buf = io.BytesIO()
            kwargs = {"quality": q, "optimize": True}
            if exif:
                kwargs["exif"] = exif
            img.save(buf, "JPEG", **kwargs)
            if buf.tell() <= max_bytes:
                return buf.getvalue()
        img = fit_long_side(img, int(max(img.size) * 0.8))


def save_jpeg_within(img, path: str | os.PathLike, max_side: int | None = None, max_bytes: int | None = None,
                     quality: int = 88, exif: bytes | None = None) -> dict:
    """Write a JPEG within the limits atomically; returns {path, width, height, bytes}."""
    from PIL import Image

    data = encode_jpeg_within(img, max_side, max_bytes, quality, exif)
    write_bytes(path, data)
    with Image.open(io.BytesIO(data)) as im:
        w, h = im.size
    return {"path": str(path), "width": w, "height": h, "bytes": len(data)}


def save_case_pages(case, images, stem: str, progress=None) -> list[dict]:
    """Rendered pages as ``derived/<stem>-01.jpg`` … within the upload limits, each with its case-relative
    ``path``; ``progress("render", n, total)`` after each."""
    out = []
    for n, img in enumerate(images, 1):
        dest = case.derived_path(f"{stem}-{n:02d}.jpg")
        info = save_jpeg_within(img, dest)
        info["path"] = case.rel(dest)
        out.append(info)
        if progress:
            progress("render", n, len(images))
    return out
