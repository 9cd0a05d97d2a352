"""Decode only what is needed: a keyframe scan for the whole file, exact decoding around chosen moments.

    >>> from tradeshield.video.decode import scan_keyframes, ExactDecoder
    >>> scan = scan_keyframes("v.mp4", pr, on_key=lambda cand, frame: ...)   # doctest: +SKIP
    >>> ExactDecoder("v.mp4", pr).frame_at(4257)                              # doctest: +SKIP

Why: decoding every frame is the whole cost of frame extraction (ANCHORS.md: 48 s decode-only for 5 min of
1080p, 8 s for its keyframes). The scan sends only keyframe packets to the decoder but still demuxes every
packet, so timing (pts/dts of every frame) is known for the continuity report. Exact decoding seeks to the
keyframe before a moment and decodes forward with frame threads, continuing instead of seeking when the next
moment is close ahead.
"""
from __future__ import annotations

import os
import threading
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction

from tradeshield import i18n
from tradeshield.video.select import Candidate, features

RESEEK_SECONDS = 3.0      # decode forward instead of seeking when the next moment is this close ahead

i18n.register({"video.progress.scan": ("扫描视频", "scanning video"),
               "video.progress.exact": ("解码选定时刻", "decoding chosen moments")})


@dataclass
class Packet:
    pts: int | None
    dts: int | None
    duration: int
    key: bool


@dataclass
class Scan:
    keyframes: list = field(default_factory=list)   # Candidate, pts order
    packets: list = field(default_factory=list)     # Packet, demux order
    damage: dict | None = None                      # {"position": s, "reason": text}


def _position(pts: int, pr) -> Fraction:
    return (pts - pr.start_pts) * pr.time_base


def _reason(e: Exception) -> str:
    return (getattr(e, "strerror", None) or str(e) or type(e).__name__).split(":")[0].strip()


def scan_keyframes(path, pr, on_key=None, progress=None, workers: int | None = None, depth: int | None = None) -> Scan:
    """One pass over the file: every packet's timing, features of every keyframe, ``on_key(cand, frame)``.

    Keyframes are independent pictures, so they are decoded on ``workers`` threads (default: the CPU count,
    at most 2), each with its own decoder; results are handed on in file order.
    """
    import av

    scan = Scan()
    total = int((pr.duration or pr.stream_duration or 0) * 1000) or None
    label = i18n.t("video.progress.scan")
    keys = _KeyDecoders(path, workers or min(2, os.cpu_count() or 1))
    pending: deque = deque()
    last_pos = 0.0
    try:
        with reopen(path) as c:
            s = c.streams.video[0]
            for pkt in c.demux(s):
                if pkt.size == 0 and pkt.pts is None:
                    continue
                scan.packets.append(Packet(pkt.pts, pkt.dts, pkt.duration or 0, bool(pkt.is_keyframe)))
                if pkt.pts is not None:
                    last_pos = float(_position(pkt.pts, pr))
                if pkt.is_keyframe:
                    pending.append((last_pos, keys.submit(pkt)))
                    while len(pending) > (depth or keys.n):  # 4K keyframes are 12 MB each: keep few in flight
                        _hand_on(pending.popleft(), pr, scan, on_key)
                    if progress:
                        progress(label, int(last_pos * 1000), total)
            while pending:
                _hand_on(pending.popleft(), pr, scan, on_key)
    except av.error.FFmpegError as e:  # damaged halfway: keep what came before
        scan.damage = {"position": round(last_pos, 3), "reason": _reason(e)}
    finally:
        keys.close()
        release_memory()
    if progress:
        progress(label, total or int(last_pos * 1000), total)
    return scan


def _hand_on(item, pr, scan: Scan, on_key) -> None:
    import av

    pos, fut = item
    try:
        decoded = fut.result()
    except av.error.FFmpegError as e:
        if scan.damage is None:
            scan.damage = {"position": round(pos, 3), "reason": _reason(e)}
        return
    if scan.damage is not None:  # nothing after the damage counts
        return
    for frame, feat in decoded:
        cand = Candidate(pts=frame.pts, position=float(_position(frame.pts, pr)), feat=feat, key=True)
        scan.keyframes.append(cand)
        if on_key:
            on_key(cand, frame)


def reopen(path):
    """The file opened again after ``source.probe`` accepted it. An MP4/MOV header already holds what decoding
    needs (codec parameters, display matrix), so FFmpeg's stream analysis is skipped there: for H.264 it decodes
    the first seven frames of the file again on every open (~15 ms of a 1080p clip each)."""
    import av

    from tradeshield.video.source import is_iso_bmff

    iso = is_iso_bmff(path)
    return av.open(str(path), options={"probesize": "32", "analyzeduration": "0"} if iso else None)


def release_memory() -> None:
    """Give freed decoder buffers back to the OS (glibc keeps per-thread arenas otherwise; ~100 MB on 4K)."""
    import ctypes
    import ctypes.util
    import sys

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl): nothing to trim
            pass


class _KeyDecoders:
    """Keyframe packets decoded on a small thread pool; each thread opens the file once to get its own decoder."""

    def __init__(self, path, n: int):
        from concurrent.futures import ThreadPoolExecutor

        self.path, self.n = str(path), max(1, n)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.containers: list = []
        self.pool = ThreadPoolExecutor(max_workers=self.n, thread_name_prefix="ts-keys")

    def submit(self, pkt):
        return self.pool.submit(self._decode, pkt)

    def _ctx(self):
        ctx = getattr(self.local, "ctx", None)
        if ctx is None:
            c = reopen(self.path)
            with self.lock:
                self.containers.append(c)
            s = c.streams.video[0]
            s.thread_count = 1  # parallel across decoders instead; each thread's own pool would cost memory
            ctx = self.local.ctx = s.codec_context
            ctx.skip_frame = "NONKEY"
        return ctx

    def _decode(self, pkt) -> list:
        ctx = self._ctx()
        try:
            frames = list(ctx.decode(pkt)) + list(ctx.decode(None))  # drain: each keyframe stands alone
        finally:
            ctx.flush_buffers()
        return [(f, features(f)) for f in frames if f.pts is not None]

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        for c in self.containers:
            c.close()


class ExactDecoder:
    """Frames at exact pts, decoding forward from the keyframe before them (frame threads on)."""

    def __init__(self, path, pr, threads: int = 0):
        import av

        self.pr = pr
        self.c = av.open(str(path))
        self.s = self.c.streams.video[0]
        # frame threads each hold their own pictures: on big frames (``threads`` given) slice threads only
        self.s.thread_type = "SLICE" if threads else "AUTO"
        self.s.thread_count = threads  # 0: FFmpeg's choice (CPUs + 1 frame threads)
        self.gen = None
        self.pending = None      # next frame not yet handed out
        self.last = None         # last frame handed out by frame_at
        self.damage = None

    def close(self) -> None:
        self.c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _next(self):
        import av

        try:
            while True:
                f = next(self.gen)
                if f.pts is not None:
                    return f
        except StopIteration:
            return None
        except av.error.FFmpegError as e:
            self.damage = {"reason": _reason(e)}
            return None

    def _seek(self, pts: int) -> None:
        self.c.seek(max(pts, self.pr.start_pts), stream=self.s, backward=True, any_frame=False)
        self.s.codec_context.flush_buffers()
        self.gen = self.c.decode(self.s)
        self.last = None
        self.pending = self._next()
        if self.pending is not None and self.pending.pts > pts:  # seek landed late (sparse index): start over
            self.c.seek(self.pr.start_pts, stream=self.s, backward=True, any_frame=False)
            self.s.codec_context.flush_buffers()
            self.gen = self.c.decode(self.s)
            self.pending = self._next()

    def _ensure(self, pts: int) -> None:
        p = self.pending
        ahead = p is not None and p.pts <= pts and (pts - p.pts) * self.pr.time_base <= RESEEK_SECONDS
        if not ahead and not (self.last is not None and self.last.pts <= pts and (p is None or pts < p.pts)):
            self._seek(pts)

    def frames_between(self, lo: int, hi: int):
        """Every frame with lo ≤ pts ≤ hi, in presentation order."""
        self._ensure(lo)
        if self.last is not None and lo <= self.last.pts <= hi:
            yield self.last
        while self.pending is not None and self.pending.pts <= hi:
            f, self.pending = self.pending, self._next()
            self.last = f
            if f.pts >= lo:
                yield f

    def frame_at(self, pts: int):
        """The frame on screen at ``pts``: the one with the greatest pts ≤ the target."""
        self._ensure(pts)
        best = self.last if self.last is not None and self.last.pts <= pts else None
        while self.pending is not None and self.pending.pts <= pts:
            best, self.pending = self.pending, self._next()
            self.last = best
        return best
