"""Continuity report: signs that a video was cut, re-encoded or damaged, each explained in zh and en.

    >>> from tradeshield.video.continuity import report
    >>> report(pr, scan, ts)["verdict"]                              # doctest: +SKIP
    'clean'

This is advice. A clean report means none of the checked signs was found, not that the video is unedited;
a warning is a reason to look closer, not a proof of editing.
"""
from __future__ import annotations

import math
import re
import struct
from fractions import Fraction
from statistics import median

from tradeshield import i18n

EDITORS = re.compile(r"premiere|after effects|final cut|imovie|davinci|resolve|capcut|剪映|jianying|inshot|"
                     r"kinemaster|vn video|videoleap|filmora|handbrake|shotcut|openshot|kdenlive|vegas|camtasia|"
                     r"movavi|clipchamp|quik|splice|powerdirector|youcut|必剪|快影|videoproc|avidemux|wondershare",
                     re.I)
FFMPEG = re.compile(r"^(lavf|lavc)\d|ffmpeg", re.I)
FFMPEG_HANDLERS = {"videohandler", "soundhandler"}

W = {
    "clean": ("未发现剪辑迹象。这只说明以下检查都没有发现问题（时长一致、时间戳连续、单一剪辑段、无编辑软件标记），"
              "不能证明视频未被编辑。",
              "No sign of editing found. This only means none of the checks below found a problem (durations agree, "
              "timestamps continuous, one edit segment, no editing-software tags); it cannot prove the video is unedited."),
    "duration-mismatch": ("容器记录的时长 {container:.2f} 秒与视频流的 {stream:.2f} 秒不一致：文件可能被剪切或拼接过。",
                          "The container says {container:.2f} s but the video stream lasts {stream:.2f} s: the file may "
                          "have been cut or joined."),
    "pts-gap": ("时间戳在 {position} 处跳过 {gap:.2f} 秒（正常帧间隔约 {frame:.3f} 秒）：此处可能删掉了片段，或录制暂停过。",
                "The timestamps skip {gap:.2f} s at {position} (frames are normally {frame:.3f} s apart): a part may "
                "have been removed there, or recording was paused."),
    "pts-backwards": ("解码时间戳在 {position} 处倒退了 {back:.3f} 秒（共 {count} 处）：正常录制不会出现，常见于拼接。",
                      "The decoding timestamps go back {back:.3f} s at {position} ({count} place(s) in all): a normal "
                      "recording never does this; joined files often do."),
    "edit-list": ("文件含 {n} 个剪辑段（edit list）：播放器只播放媒体的部分片段或改变顺序，这是不重新编码的剪辑软件的做法。",
                  "The file has {n} edit-list segments: players show only parts of the media, or in another order, "
                  "which is what cutting software does without re-encoding."),
    "editor-tag": ("元数据显示经过编辑软件处理：{tag}。",
                   "The metadata names editing software: {tag}."),
    "ffmpeg-tag": ("元数据显示文件由基于 FFmpeg 的软件写出（{tag}），而不是手机相机：它可能被转换、压缩、剪辑或经聊天软件转发过。",
                   "The metadata shows the file was written by FFmpeg-based software ({tag}), not a phone camera: it may "
                   "have been converted, compressed, cut or passed through a messaging app."),
    "no-time": ("文件中没有录制时间元数据：很多软件在重新保存时会删除它；帧上的时间来自文件修改时间，可信度较低。",
                "The file has no recording-time metadata: many apps drop it when they save a copy; frame times come "
                "from the file modification time and are weak."),
    "times-disagree": ("两个元数据时间相差 {delta:.0f} 秒（{a} 与 {b}）。",
                       "Two metadata times are {delta:.0f} s apart ({a} and {b})."),
    "damaged": ("视频在 {position} 处损坏或被截断（{reason}）：之后的画面无法读取，只提取了之前的帧。",
                "The video is damaged or cut off at {position} ({reason}): nothing after it can be read; only the frames "
                "before it were extracted."),
    "ends-early": ("视频画面在 {last} 结束，而文件声明时长为 {declared}：文件可能不完整。",
                   "The pictures end at {last} while the file declares {declared}: the file may be incomplete."),
    "several-video": ("文件含 {n} 条视频流：手机相机只写一条。", "The file holds {n} video streams: a phone camera writes one."),
}
i18n.register({f"video.cont.{k}": v for k, v in W.items()})


def hms(seconds: float, digits: int = 1) -> str:
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    width = 3 + digits if digits else 2
    return f"{sign}{int(h):02d}:{int(m):02d}:{s:0{width}.{digits}f}" if digits else f"{sign}{int(h):02d}:{int(m):02d}:{int(s):02d}"


def _warn(code: str, **params) -> dict:
    zh, en = W[code]
    return {"code": code, "zh": zh.format(**params), "en": en.format(**params)}


def report(pr, scan, ts, moov: bytes | None = None) -> dict:
    warnings = []
    warnings += _durations(pr, scan)
    warnings += _timestamps(pr, scan)
    n = edit_segments(moov) if moov else None
    if n and n > 1:
        warnings.append(_warn("edit-list", n=n))
    warnings += _tags(pr)
    warnings += _times(ts)
    if pr.video_streams > 1:
        warnings.append(_warn("several-video", n=pr.video_streams))
    if scan.damage:
        warnings.append(_warn("damaged", position=hms(scan.damage["position"]), reason=scan.damage["reason"]))
    out = {"verdict": "warnings" if warnings else "clean", "warnings": warnings, "edit_segments": n,
           "container_duration": pr.duration, "stream_duration": pr.stream_duration,
           "encoder": _encoder_tags(pr), "handler": pr.stream_metadata.get("handler_name")}
    if not warnings:
        zh, en = W["clean"]
        out.update(zh=zh, en=en)
    return out


def _durations(pr, scan) -> list[dict]:
    out = []
    if pr.duration and pr.stream_duration:
        diff = abs(pr.duration - pr.stream_duration)
        if diff > max(0.5, 0.02 * pr.duration):
            out.append(_warn("duration-mismatch", container=pr.duration, stream=pr.stream_duration))
    pts = [p.pts for p in scan.packets if p.pts is not None]
    declared = pr.stream_duration or pr.duration
    if pts and declared and not scan.damage:
        last = float((max(pts) - pr.start_pts) * pr.time_base)
        if declared - last > max(1.0, 0.05 * declared):
            out.append(_warn("ends-early", last=hms(last), declared=hms(declared)))
    return out


def _timestamps(pr, scan) -> list[dict]:
    out = []
    tb = pr.time_base
    pts = sorted(p.pts for p in scan.packets if p.pts is not None)
    steps = [b - a for a, b in zip(pts, pts[1:]) if b > a]
    if steps:
        frame = float(median(steps) * tb)
        limit = max(1.0, 10 * frame)
        most = math.floor(Fraction(limit) / tb)  # a step of at most this many ticks is no gap: integers first
        gaps = [(a, b) for a, b in zip(pts, pts[1:]) if b - a > most and float((b - a) * tb) > limit]
        for a, b in gaps[:5]:
            out.append(_warn("pts-gap", position=hms(float((a - pr.start_pts) * tb)), gap=float((b - a) * tb),
                             frame=frame))
    dts = [p.dts for p in scan.packets if p.dts is not None]
    back = [(a, b) for a, b in zip(dts, dts[1:]) if b <= a]
    if back:
        a, b = back[0]
        out.append(_warn("pts-backwards", position=hms(float((a - pr.start_pts) * tb)), back=float((a - b) * tb),
                         count=len(back)))
    return out


def _encoder_tags(pr) -> list[str]:
    tags = []
    for meta in (pr.metadata, pr.stream_metadata):
        for k in ("encoder", "encoding_tool", "software", "com.apple.quicktime.software", "comment"):
            v = meta.get(k)
            if v and v not in tags:
                tags.append(v)
    return tags


def _tags(pr) -> list[dict]:
    out = []
    tags = _encoder_tags(pr)
    editors = [t for t in tags if EDITORS.search(t)]
    if editors:
        out.append(_warn("editor-tag", tag=", ".join(editors)))
    handler = (pr.stream_metadata.get("handler_name") or "").strip()
    ff = [t for t in tags if FFMPEG.search(t)]
    if handler.lower() in FFMPEG_HANDLERS:
        ff.append(f"handler_name={handler}")
    if ff and not editors:
        out.append(_warn("ffmpeg-tag", tag=", ".join(ff)))
    return out


def _times(ts) -> list[dict]:
    if ts.source == "file:mtime-minus-duration":
        return [_warn("no-time")]
    import datetime as dt

    claims = {k: dt.datetime.fromisoformat(v) for k, v in ts.others.items() if k != "file:mtime"}
    if len(claims) == 2:
        (ka, a), (kb, b) = claims.items()
        delta = abs((a - b).total_seconds())
        if delta > 60:  # iPhones write creation_time when the file is closed: seconds apart is normal
            return [_warn("times-disagree", delta=delta, a=f"{ka} {a.isoformat()}", b=f"{kb} {b.isoformat()}")]
    return []


# ------------------------------------------------------------------ ISO-BMFF edit lists

def _children(data: bytes, start: int, end: int):
    off = start
    while off + 8 <= end:
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack(">Q", data[off + 8:off + 16])[0]
            hdr = 16
        elif size == 0:
            size = end - off
        if size < hdr or off + size > end:
            return
        yield kind, off + hdr, off + size
        off += size


def edit_segments(moov: bytes) -> int | None:
    """Non-empty edit-list entries of the video track (1 for a plain recording), None without an edit list."""
    for kind, s, e in _children(moov, 8, len(moov)):
        if kind != b"trak":
            continue
        boxes = {k: (a, b) for k, a, b in _children(moov, s, e)}
        if "mdia" not in {k.decode("latin-1") for k in boxes} or not _is_video(moov, *boxes[b"mdia"]):
            continue
        if b"edts" not in boxes:
            return None
        for k, a, b in _children(moov, *boxes[b"edts"]):
            if k == b"elst":
                return _count_elst(moov[a:b])
        return None
    return None


def _is_video(data: bytes, s: int, e: int) -> bool:
    for k, a, b in _children(data, s, e):
        if k == b"hdlr":
            return data[a + 8:a + 12] == b"vide"
    return False


def _count_elst(body: bytes) -> int:
    version = body[0]
    count = struct.unpack(">I", body[4:8])[0]
    size = 20 if version == 1 else 12
    n = 0
    for i in range(count):
        entry = body[8 + i * size:8 + (i + 1) * size]
        if len(entry) < size:
            break
        media_time = struct.unpack(">q" if version == 1 else ">i", entry[8 if version == 1 else 4:
                                                                          16 if version == 1 else 8])[0]
        if media_time != -1:  # -1 is an empty edit (a start delay), not a segment of media
            n += 1
    return n
