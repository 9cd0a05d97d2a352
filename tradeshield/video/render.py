"""Upright frame images, burned-in evidence labels and the contact sheet.

    >>> from tradeshield.video.render import rgb_image, label_lines, contact_sheet, FrameStore
    >>> img = rgb_image(av_frame)                                          # doctest: +SKIP
    >>> label_lines(wall, 47.3, 4257, "1/90", "c3e08fc9c744…")             # doctest: +SKIP
    ['2024-03-15 14:22:52.3 +08:00', '00:00:47.3  pts 4257 × 1/90', 'SHA-256 c3e08fc9c744']

Labels scale with the frame height and sit in a dark box, so they read on bright and dark frames alike.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from fractions import Fraction
from pathlib import Path

from tradeshield import i18n
from tradeshield.config import LIMITS
from tradeshield.imaging import draw_label
from tradeshield.video.continuity import hms
from tradeshield.video.select import Candidate

TILE_MAX = 720            # longest tile side on the contact sheet (few frames show big)
SHEET_MIN_WIDTH = 1600    # room for the header lines (file name, full SHA-256, time source)
HEADER_RESERVE = 320
SHEET_MAX_TILES = 48      # more than this and the labels become unreadable at 4096 px
BARCODE_SIDE = 1280       # barcodes are looked for on a copy this size (zxing on full 4K noise takes ~0.3 s)

i18n.register({
    "video.sheet.file": ("文件", "file"), "video.sheet.duration": ("时长", "duration"),
    "video.label.pts": ("{position}  时间戳 {pts} × {base}", "{position}  pts {pts} × {base}"),
    "video.sheet.size": ("分辨率", "resolution"), "video.sheet.source": ("时间来源", "time source"),
    "video.sheet.start": ("录制开始", "recording start"),
    "video.sheet.shown": ("本图显示 {shown}/{total} 帧", "{shown} of {total} frames shown"),
    "video.sheet.verdict.clean": ("连续性：未发现剪辑迹象（不等于证明未剪辑）",
                                  "continuity: no sign of editing found (not a proof)"),
    "video.sheet.verdict.warnings": ("连续性：{n} 条警告，见报告", "continuity: {n} warning(s), see the report"),
})


def rgb_image(frame, width: int | None = None, height: int | None = None, interpolation=None):
    """PIL RGB image of a PyAV frame (no tone mapping, not turned), optionally scaled: one swscale call, then one
    copy of its plane into Pillow. PyAV's ``to_image`` gives the same pixels but copies the picture three times
    row by row while holding the GIL (~20 ms of a 1080p frame against ~3 ms)."""
    return _plane_image(frame.reformat(width=width, height=height, format="rgb24", interpolation=interpolation,
                                       threads=1), "RGB")


def grey_image(frame, width: int | None = None, height: int | None = None, interpolation=None):
    """PIL L image of a PyAV frame's luma, optionally scaled by swscale."""
    return _plane_image(frame.reformat(width=width, height=height, format="gray", interpolation=interpolation,
                                       threads=1), "L")


def _plane_image(frame, mode: str):
    from PIL import Image

    plane = frame.planes[0]
    img = Image.frombuffer(mode, (frame.width, frame.height), plane, "raw", mode, plane.line_size, 1)
    return img if mode == "RGB" else img.copy()  # an L image may share the frame's memory: own it


def wall_time(start: dt.datetime, position: Fraction) -> dt.datetime:
    us = math.floor(position * 1_000_000)
    return start + dt.timedelta(microseconds=us)


def tenths(when: dt.datetime) -> str:
    """2024-03-15 14:22:52.3 +08:00 — truncated to 0.1 s, like a clock shows it."""
    off = when.strftime("%z")
    return f"{when:%Y-%m-%d %H:%M:%S}.{when.microsecond // 100000} {off[:3]}:{off[3:]}"


def position_text(position: Fraction) -> str:
    tenth = math.floor(position * 10)
    return hms(tenth / 10, 1)


def label_lines(wall: dt.datetime, position: Fraction, pts: int, time_base: Fraction, sha256: str) -> list[str]:
    return [tenths(wall), i18n.t("video.label.pts", position=position_text(position), pts=pts, base=time_base),
            f"SHA-256 {sha256[:12]}"]


def fit_size(lines: list[str], width: int, size: int, share: float = 0.94) -> int:
    """Font size ≤ ``size`` at which the widest line fits ``share`` of ``width``."""
    from tradeshield.fonts import load_font

    widest = max(load_font(size).getlength(ln) for ln in lines) if lines else 0
    if widest > share * width:
        size = max(8, int(size * share * width / widest))
    return size


def labelled(img, lines: list[str], corner: str = "bl", scale: float = 0.028):
    """The label box sized to the frame height, shrunk when the widest line would not fit (portrait frames).
    Drawn in place on an RGB image (a copy of a 4K frame costs more than the label)."""
    size = fit_size(lines, img.width, max(12, int(img.height * scale)), share=0.9)
    return draw_label(img, lines, corner=corner, size=size, inplace=True)


def sheet_grid(sizes: list[tuple[int, int]], max_side: int | None = None) -> tuple[int, int, int]:
    """(columns, tile width, tile height) of the contact sheet for tiles of these (width, height)."""
    max_side = max_side or LIMITS.image_long_side
    aspect = max(w / h for w, h in sizes) if sizes else 1.0
    biggest = max((max(wh) for wh in sizes), default=TILE_MAX)
    return _grid(len(sizes), aspect, max_side, min(TILE_MAX, biggest))


def tile_fits(size: tuple[int, int], grid: tuple[int, int, int]) -> bool:
    """A thumbnail of ``size`` goes into the grid's tile unscaled (so a tile labelled beforehand is the same)."""
    return size[0] <= grid[1] and size[1] <= grid[2]


def sheet_tile(thumb, lines: list[str]):
    """A thumbnail labelled as the contact sheet shows it when it fits its tile unscaled (drawn in place)."""
    return labelled(thumb, lines, scale=0.06)


def contact_sheet(tiles: list, header: list[str], total: int, max_side: int | None = None):
    """One image: header lines on top, then a grid of (thumbnail, label lines) tiles; a tile given as
    (image, lines, True) is already labelled at a size that fits (``sheet_tile``)."""
    from PIL import Image, ImageDraw

    from tradeshield.fonts import load_font

    max_side = max_side or LIMITS.image_long_side
    cols, tw, th = sheet_grid([t[0].size for t in tiles], max_side)
    pad = 10
    width = max(SHEET_MIN_WIDTH, cols * (tw + pad) + pad)
    lines = header + [i18n.t("video.sheet.shown", shown=len(tiles), total=total)]
    size = fit_size(lines, width - 2 * pad, max(16, width // 60))
    font = load_font(size)
    line_h = int(size * 1.35)
    head_h = pad * 2 + len(lines) * line_h
    rows = max(1, math.ceil(len(tiles) / cols))
    left = (width - (cols * (tw + pad) + pad)) // 2
    sheet = Image.new("RGB", (width, head_h + rows * (th + pad) + pad), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i, ln in enumerate(lines):
        draw.text((pad, pad + i * line_h), ln, font=font, fill=(20, 20, 20))
    for i, (thumb, label, *ready) in enumerate(tiles):
        if ready and ready[0] and tile_fits(thumb.size, (cols, tw, th)):
            t = thumb
        else:
            t = thumb.copy()
            t.thumbnail((tw, th))
            t = labelled(t, label, scale=0.06)
        r, c = divmod(i, cols)
        x = left + pad + c * (tw + pad) + (tw - t.width) // 2
        y = head_h + r * (th + pad) + (th - t.height) // 2
        sheet.paste(t, (x, y))
    return sheet


def _grid(n: int, aspect: float, max_side: int, tile_max: int = TILE_MAX) -> tuple[int, int, int]:
    """Columns and tile size: the biggest tiles with the sheet within max_side, then the squarest sheet."""
    n = max(1, n)
    best, best_key = (1, 1, 1), None
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        tw = min(tile_max if aspect >= 1 else int(tile_max * aspect), (max_side - 20) // cols - 10)
        th = int(tw / aspect)
        height = rows * (th + 10) + HEADER_RESERVE
        if height > max_side or tw < 40:
            continue
        width = max(SHEET_MIN_WIDTH, cols * (tw + 10))
        key = (tw * th, -abs(math.log(height / width)))
        if best_key is None or key > best_key:
            best, best_key = (cols, tw, th), key
    return best


class FrameStore:
    """Chosen frames by pts, rendered into a temporary folder as they are chosen.

    Rendering (RGB — tone-mapped for HDR —, rotation, barcodes, label, JPEG, fsync) runs on a worker thread
    while the main thread decodes: PyAV, swscale, numpy and Pillow release the GIL, so the second core does it
    (``workers`` threads: 2 for frames up to 1080p, 1 on 4K, where memory is the limit). At most ``workers + 1``
    frames wait, which bounds memory. ``sha`` is the video's SHA-256 or a callable
    giving it (the copy into the case may still be hashing when the first frames are chosen).
    """

    def __init__(self, tmp: Path, pr, ts, sha, barcodes: bool, colour=None, workers: int = 1, tile=None):
        from concurrent.futures import ThreadPoolExecutor

        self.tmp, self.pr, self.ts, self.barcodes = tmp, pr, ts, barcodes
        self.tile = tile  # the sheet grid expected: thumbnails that fit it are labelled here, off the sheet's path
        self._sha = sha
        self.by_pts: dict[int, Candidate] = {}
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ts-render")
        self.syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ts-fsync")
        self.synced: list = []
        self.max_pending = workers + 1 if workers == 1 else 2 * workers + 2  # small frames: slack for busy CPUs
        self.pending: list = []
        self.previewed: dict = {}    # pts → Event: barcodes, label lines and sheet tile are ready
        self.futures: dict = {}      # pts → the render's future
        self.converter = None
        if colour is not None and colour.needs_conversion:
            from tradeshield.video.hdr import Converter

            self.converter = Converter(colour)

    @property
    def sha(self) -> str:
        if callable(self._sha):
            self._sha = self._sha()
        return self._sha

    def add(self, cand: Candidate, frame, reason: str) -> Candidate:
        known = self.by_pts.get(cand.pts)
        if known is not None:
            if reason not in known.reasons:
                known.reasons.append(reason)
            if cand.scene_cut is not None and known.scene_cut is None:
                known.scene_cut = cand.scene_cut
            return known
        cand.reasons.append(reason)
        self.by_pts[cand.pts] = cand
        while len(self.pending) >= self.max_pending:
            self.pending.pop(0).result()
        import threading

        self.previewed[cand.pts] = threading.Event()
        fut = self.futures[cand.pts] = self.pool.submit(self._render, cand, frame)
        self.pending.append(fut)
        return cand

    def previews(self) -> None:
        """Wait until every chosen frame's barcodes, label and sheet tile are known (not its JPEG)."""
        for pts, ev in self.previewed.items():
            fut = self.futures[pts]
            while not ev.wait(0.05):
                if fut.done():
                    fut.result()  # a render that failed before its preview raises here
                    break

    def wait(self) -> None:
        """Every frame rendered and on disk (fsynced)."""
        try:
            for f in self.pending:
                f.result()
        finally:
            self.pending = []
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.syncer.shutdown(wait=True)
        for f in self.synced:
            f.result()

    def image(self, frame):
        """Upright PIL RGB picture of ``frame``: BT.709 SDR (HDR tone-mapped)."""
        from PIL import Image

        if self.converter is not None:
            img = Image.fromarray(self.converter.rgb(frame))
        else:
            img = rgb_image(frame)
        return _turn(img, frame)

    def _render(self, cand: Candidate, frame) -> None:
        import hashlib

        if self.barcodes:
            cand.barcodes = _barcodes(frame)
        thumb = self._thumb_bytes(frame)
        img = self.image(frame)
        del frame  # the decoded picture (12–25 MB on 4K) goes now, not after the JPEG
        pos = (cand.pts - self.pr.start_pts) * self.pr.time_base
        wall = wall_time(self.ts.start, pos)
        lines = label_lines(wall, pos, cand.pts, self.pr.time_base, self.sha)  # the first frames wait for the hash
        cand.payload = {"wall": wall, "lines": lines, "thumb": thumb, "position": pos}
        if self.tile is not None:
            cand.payload["tile"] = self._tile(thumb, lines)
        self.previewed[cand.pts].set()  # what the sheet needs is known: it can be made while the JPEG is encoded
        img = labelled(img, lines)
        data = encode_jpeg(img)
        tmp = self.tmp / f"{cand.pts}.jpg"
        with open(tmp, "wb") as f:  # hidden folder, published whole by a rename: no temp name
            f.write(data)
        self.synced.append(self.syncer.submit(_fsync_file, tmp))  # off the render path
        cand.payload.update({"tmp": tmp, "width": img.width, "height": img.height,
                             "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})

    def _tile(self, thumb: bytes, lines: list[str]):
        """The sheet tile labelled now (from the JPEG the sheet would decode: the same pixels), or None when
        the thumbnail does not fit the expected grid unscaled."""
        import io

        from PIL import Image

        img = Image.open(io.BytesIO(thumb))
        if not tile_fits(img.size, self.tile):
            return None
        img.load()
        return sheet_tile(img, lines)

    def _thumb_bytes(self, frame) -> bytes:
        """Unlabelled sheet tile (scaled by swscale first, then tone-mapped: a few ms even on 4K HDR), kept as
        JPEG bytes: 150 frames of thumbnails would otherwise hold ~140 MB."""
        import io

        from PIL import Image

        w, h = _fit(frame, TILE_MAX)
        if self.converter is not None:
            img = Image.fromarray(self.converter.rgb(frame, w, h))
        else:
            img = rgb_image(frame, w, h, "AREA")
        buf = io.BytesIO()
        _turn(img, frame).save(buf, "JPEG", quality=90)
        return buf.getvalue()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fit(frame, long_side: int) -> tuple[int, int]:
    k = min(1.0, long_side / max(frame.width, frame.height))
    return max(2, round(frame.width * k)), max(2, round(frame.height * k))


def encode_jpeg(img, quality: int = 88) -> bytes:
    """JPEG within the upload limits. One plain pass (Huffman optimisation costs 2.5× the time for ~10 %); the
    limits' own loop (smaller quality, then size) only when that pass is too big."""
    import io

    from tradeshield.imaging import encode_jpeg_within

    if max(img.size) <= LIMITS.image_long_side:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        if buf.tell() <= LIMITS.image_bytes:
            return buf.getvalue()
    return encode_jpeg_within(img, quality=quality)


def _turn(img, frame):
    from PIL import Image

    rot = int(round(frame.rotation or 0)) % 360
    turn = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
    if rot in turn:
        return img.transpose(turn[rot])
    return img.rotate(rot, expand=True) if rot else img


def _barcodes(frame) -> list[dict]:
    """Barcodes on the luma plane scaled to at most BARCODE_SIDE (swscale) and turned upright; positions in the
    upright frame's pixels. Luma needs no colour conversion, so HDR frames are searched the same way."""
    from tradeshield.barcodes import decode

    w, h = _fit(frame, BARCODE_SIDE)
    grey = _turn(grey_image(frame, w, h, "AREA"), frame)
    up_w = frame.height if int(round(frame.rotation or 0)) % 180 else frame.width
    k = up_w / grey.width
    found = decode(grey, try_harder=False)
    for b in found:
        b["position"] = [[round(x * k), round(y * k)] for x, y in b["position"]]
    return found
