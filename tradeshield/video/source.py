"""Open a video safely, describe it (probe) and decide its recording start (time source).

    >>> from tradeshield.video.source import probe
    >>> p = probe("VID_20210525_203107.mp4")          # doctest: +SKIP
    >>> p.width, p.height, p.rotation, float(p.duration)
    (1080, 1920, -90, 312.4)

Every failure to read a file as a video becomes an ``InputError`` with a remedy, never a PyAV exception.
PyAV is imported inside the functions.
"""
from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from tradeshield import i18n
from tradeshield.errors import InputError
from tradeshield.evidence.fsutil import check_input

i18n.register({
    "video.not_video": ("不是可读取的视频：{path}（{reason}）", "not a readable video: {path} ({reason})"),
    "video.no_moov": ("视频不完整：{path} 缺少索引（moov atom），录制被中断或复制不完整；请使用手机里的原始文件",
                      "the video is truncated: {path} has no index (moov atom missing), so recording was cut off "
                      "or the copy is incomplete; use the original file from the phone"),
    "video.no_video": ("文件中没有视频画面（只有音频或数据）：{path}", "the file has no video stream (audio or data only): {path}"),
    "video.codec": ("不支持的视频编码 {codec}：{path}（可先用手机相册或剪映以外的工具转成 H.264 MP4，但原件仍应保留）",
                    "unsupported video codec {codec}: {path} (convert a copy to H.264 MP4 to view it; keep the original)"),
    "video.no_frames": ("视频中没有可解码的画面：{path}", "no decodable picture in the video: {path}"),
    "video.source.quicktime": ("QuickTime 拍摄时间（com.apple.quicktime.creationdate，含时区）",
                               "QuickTime creation date (com.apple.quicktime.creationdate, with UTC offset)"),
    "video.source.container": ("容器创建时间（creation_time，UTC）", "container creation_time (UTC)"),
    "video.source.mtime": ("文件修改时间减去时长（假定修改时间即录制结束）",
                           "file modification time minus the duration (assumes it was last written when recording ended)"),
    "video.source.user": ("用户指定的开始时间", "start time given by the user"),
    "video.source.claim": ("元数据时间是设备或软件写入的声明，不是证明：它可以被修改，也可能因时钟设置而偏差",
                           "a metadata time is a claim written by the device or software, not a proof: it can be "
                           "edited and depends on the clock setting"),
})

_MP4_TOP = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"meta", b"pdin", b"moof", b"mfra",
            b"styp", b"sidx", b"prfl", b"junk", b"pnot", b"PICT"}


@dataclass
class Probe:
    path: str
    width: int                    # as displayed (after rotation)
    height: int
    coded_width: int
    coded_height: int
    rotation: int                 # degrees counter-clockwise to display upright (PyAV's frame.rotation)
    codec: str
    time_base: Fraction
    start_pts: int                # pts of the first frame (position 0)
    duration: float | None        # from the container
    stream_duration: float | None  # from the video stream header
    frames: int
    fps: float | None
    metadata: dict = field(default_factory=dict)        # container tags
    stream_metadata: dict = field(default_factory=dict)  # video stream tags
    other_streams: list = field(default_factory=list)   # "audio:aac", "data:…"
    video_streams: int = 1
    colour: object = None         # hdr.ColourInfo of the first frame (transfer, primaries, range, depth)


def is_iso_bmff(path) -> bool:
    with open(path, "rb") as f:
        head = f.read(12)
    return len(head) >= 8 and head[4:8] in _MP4_TOP


def top_boxes(path) -> list[tuple[bytes, int, int]]:
    """Top-level ISO-BMFF boxes as (type, offset, size); stops at the first box that runs past the end."""
    out = []
    size_total = Path(path).stat().st_size
    with open(path, "rb") as f:
        off = 0
        while off + 8 <= size_total:
            f.seek(off)
            hdr = f.read(16)
            size, kind = struct.unpack(">I4s", hdr[:8])
            if size == 1 and len(hdr) >= 16:
                size = struct.unpack(">Q", hdr[8:16])[0]
            elif size == 0:
                size = size_total - off
            if size < 8:
                break
            out.append((kind, off, size))
            if off + size > size_total:
                break
            off += size
    return out


def read_moov(path) -> bytes | None:
    for kind, off, size in top_boxes(path):
        if kind == b"moov":
            with open(path, "rb") as f:
                f.seek(off)
                data = f.read(min(size, 256 << 20))
            return data if len(data) == size else None
    return None


def open_container(path):
    """av.open with every failure mapped to a one-line InputError."""
    import av

    p = check_input(path)
    if is_iso_bmff(p) and read_moov(p) is None:
        raise InputError("video.no_moov", path=str(path))
    try:
        c = av.open(str(p))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise InputError("video.not_video", path=str(path), reason=_reason(e)) from None
    if not c.streams.video:
        c.close()
        raise InputError("video.no_video", path=str(path))
    stream = c.streams.video[0]
    if stream.codec_context is None or stream.codec_context.name in (None, "", "none"):
        c.close()
        raise InputError("video.codec", path=str(path), codec=_codec_tag(stream))
    return c


def _reason(e: Exception) -> str:
    text = getattr(e, "strerror", None) or str(e)
    return text.split(":")[0].strip() or type(e).__name__


def _codec_tag(stream) -> str:
    try:
        return stream.codec_context.codec_tag or "?"
    except Exception:  # no codec context at all
        return "?"


def probe(path) -> Probe:
    c = open_container(path)
    try:
        return _probe_open(c, path)
    finally:
        c.close()


def _probe_open(c, path) -> Probe:
    import av

    from tradeshield.video.hdr import colour_of

    s = c.streams.video[0]
    tb = Fraction(s.time_base) if s.time_base else Fraction(1, 90000)
    first = _first_frame(c, s, path)
    rot = int(round(first.rotation or 0)) % 360
    rot = rot - 360 if rot > 180 else rot
    w, h = first.width, first.height
    if abs(rot) == 90:
        w, h = h, w
    start_pts = first.pts if first.pts is not None else (s.start_time or 0)
    others = [f"{st.type}:{st.codec_context.name if st.codec_context else '?'}" for st in c.streams
              if st.type != "video"]
    return Probe(
        path=str(path), width=w, height=h, coded_width=first.width, coded_height=first.height, rotation=rot,
        codec=s.codec_context.name, time_base=tb, start_pts=start_pts,
        duration=c.duration / av.time_base if c.duration else None,
        stream_duration=float(s.duration * tb) if s.duration else None,
        frames=s.frames or 0, fps=float(s.average_rate) if s.average_rate else None,
        metadata=dict(c.metadata), stream_metadata=dict(s.metadata), other_streams=others,
        video_streams=len(c.streams.video), colour=colour_of(first),
    )


def _first_frame(c, s, path):
    import av

    s.thread_count = 1  # one picture: frame threads would only fill their pipeline (and allocate) first
    try:
        for frame in c.decode(s):
            return frame
    except av.error.FFmpegError as e:
        if isinstance(e, (av.error.DecoderNotFoundError, av.error.PatchWelcomeError, av.error.NotImplementedError)):
            raise InputError("video.codec", path=str(path), codec=s.codec_context.name) from None
        raise InputError("video.not_video", path=str(path), reason=_reason(e)) from None
    raise InputError("video.no_frames", path=str(path))


# ------------------------------------------------------------------ time source

@dataclass
class TimeSource:
    start: dt.datetime            # aware
    source: str                   # quicktime:creationdate / container:creation_time / file:mtime-duration / user
    note: str                     # human description (current language)
    others: dict = field(default_factory=dict)   # every other time claim found, for the report


def recording_start(pr: Probe, tz: dt.tzinfo, original_mtime: str | None = None,
                    user_start: dt.datetime | None = None) -> TimeSource:
    """Recording start: the user's value, else QuickTime creationdate, else container creation_time,
    else the original's mtime minus the duration."""
    from tradeshield.meta import parse_video_times

    claims = parse_video_times({**pr.stream_metadata, **pr.metadata})
    if original_mtime:
        try:
            mt = dt.datetime.fromisoformat(original_mtime)
            claims["file:mtime"] = mt
        except ValueError:
            pass
    others = {k: v.isoformat() for k, v in claims.items()}
    if user_start is not None:
        return TimeSource(user_start, "user", i18n.t("video.source.user"), others)
    if "quicktime:creationdate" in claims:
        return TimeSource(claims["quicktime:creationdate"], "quicktime:creationdate",
                          i18n.t("video.source.quicktime"), others)
    if "container:creation_time" in claims:
        return TimeSource(claims["container:creation_time"].astimezone(tz), "container:creation_time",
                          i18n.t("video.source.container"), others)
    mt = claims.get("file:mtime") or dt.datetime.fromtimestamp(Path(pr.path).stat().st_mtime, dt.timezone.utc)
    length = pr.duration or pr.stream_duration or 0.0
    return TimeSource(mt.astimezone(tz) - dt.timedelta(seconds=length), "file:mtime-minus-duration",
                      i18n.t("video.source.mtime"), others)
