"""Capture time of a photo or video, with the source it came from.

    >>> from tradeshield.meta import capture_time
    >>> capture_time("IMG_0012.JPG", "photo")        # doctest: +SKIP
    ('2021-05-20T10:11:12+08:00', 'exif:DateTimeOriginal+OffsetTimeOriginal')

A metadata time is a claim made by the device, not a proof; callers name the source.
Heavy libraries (Pillow, PyAV) are imported inside the functions.
"""
from __future__ import annotations

import datetime as dt
import re

from tradeshield.timeutil import fromiso


def capture_time(path, kind: str) -> tuple[str | None, str | None]:
    try:
        if kind == "photo":
            return photo_time(path)
        if kind == "video":
            return video_time(path)
    except Exception:  # metadata is optional: unreadable metadata means "no capture time"
        return None, None
    return None, None


def photo_time(path) -> tuple[str | None, str | None]:
    from PIL import Image

    from tradeshield.imaging import enable_heif

    enable_heif()
    with Image.open(path) as im:
        return exif_time(im.getexif())


def exif_time(exif) -> tuple[str | None, str | None]:
    """Capture time from a Pillow ``Image.Exif`` (DateTimeOriginal + OffsetTimeOriginal, then fallbacks)."""
    sub = exif.get_ifd(0x8769)
    raw = sub.get(0x9003) or sub.get(0x9004) or exif.get(0x0132)
    if not raw:
        return None, None
    src = "exif:DateTimeOriginal" if sub.get(0x9003) else ("exif:DateTimeDigitized" if sub.get(0x9004) else "exif:DateTime")
    try:
        when = dt.datetime.strptime(str(raw).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, None
    # the offset tag that belongs to the time tag used, then the file's general OffsetTime
    own = {"exif:DateTimeOriginal": (0x9011, "OffsetTimeOriginal"), "exif:DateTimeDigitized": (0x9012, "OffsetTimeDigitized"),
           "exif:DateTime": (0x9010, "OffsetTime")}[src]
    for tag, name in (own, (0x9010, "OffsetTime")):
        off = str(sub.get(tag) or "").strip("\x00 ")
        if re.fullmatch(r"[+-]\d\d:\d\d", off):
            return when.isoformat() + off, f"{src}+{name}"
    return when.isoformat(), src + " (no offset)"


def video_time(path) -> tuple[str | None, str | None]:
    import av

    with av.open(str(path)) as c:
        meta = dict(c.metadata)
        for s in c.streams:
            for k, v in s.metadata.items():
                meta.setdefault(k, v)
    claims = parse_video_times(meta)
    for source in ("quicktime:creationdate", "container:creation_time"):
        if source in claims:
            return claims[source].isoformat(), source
    return None, None


def parse_video_times(meta: dict) -> dict:
    """Every recording-time claim in video tags: {source: aware datetime} (QuickTime keeps its offset)."""
    out = {}
    apple = meta.get("com.apple.quicktime.creationdate")
    if apple:
        try:
            when = fromiso(apple)
            if when.tzinfo is not None:
                out["quicktime:creationdate"] = when
        except ValueError:
            pass
    ct = meta.get("creation_time")
    if ct:
        try:
            when = fromiso(ct)
            if when.year > 1970:
                out["container:creation_time"] = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
        except ValueError:
            pass
    return out
