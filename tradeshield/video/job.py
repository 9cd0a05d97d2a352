"""The ``frames`` job: scan, choose, render, cap, write, record (see tradeshield.video for the overview).

    >>> from tradeshield.video.job import extract_frames, parse_at
    >>> parse_at("00:01:23.4")
    Fraction(417, 5)
"""
from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

from tradeshield import i18n
from tradeshield.errors import InputError, UsageError
from tradeshield.evidence.fsutil import check_input, fsync_dir, write_bytes
from tradeshield.video import continuity
from tradeshield.video.decode import ExactDecoder, release_memory, scan_keyframes
from tradeshield.video.render import (SHEET_MAX_TILES, TILE_MAX, FrameStore, contact_sheet, encode_jpeg,
                                      position_text, sheet_grid, tenths, tile_fits)
from tradeshield.video.select import Candidate, cap, features, pick_for_sheet, sig_distance
from tradeshield.video.source import is_iso_bmff, probe, read_moov, recording_start

SCENE_SETTLE = 0.5        # a scene frame is the sharpest in the first half second after the cut
FILL_STEP = 0.25          # in windows without a keyframe, frames this far apart are compared for sharpness

i18n.register({
    "video.bad_every": ("无效的间隔：{text}（例：2s、5、1.5s、1m）", "invalid interval: {text} (e.g. 2s, 5, 1.5s, 1m)"),
    "video.bad_at": ("无效的时刻：{text}（例：00:01:23.4、83.4、1m23s）",
                     "invalid moment: {text} (e.g. 00:01:23.4, 83.4, 1m23s)"),
    "video.at_range": ("时刻 {text} 超出视频长度 {duration}", "moment {text} is beyond the video's end ({duration})"),
    "video.bad_max": ("--max 必须是正整数：{value}", "--max must be a positive whole number: {value}"),
    "video.at_damaged": ("时刻 {text} 在损坏位置之后，无法提取", "moment {text} lies after the damage and cannot be extracted"),
    "video.out_exists": ("输出目录已有同名文件：{path}（加 --force 覆盖）",
                         "the output folder already holds {path} (add --force to replace it)"),
    "video.sheet.tone": ("HDR 视频（{transfer}，{primaries}）：画面已色调映射为 SDR BT.709，见 frames.json 的 colour",
                         "HDR video ({transfer}, {primaries}): frames tone-mapped to SDR BT.709, see colour in "
                         "frames.json"),
    "video.sheet.tone_dv": ("杜比视界 {profile}：按其 {transfer} 基础层读取并色调映射为 SDR BT.709",
                            "Dolby Vision {profile}: read as its {transfer} base layer, tone-mapped to SDR BT.709"),
})

_DUR = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


def parse_every(text) -> float:
    t = str(text).strip().lower()
    try:
        value = float(t)
    except ValueError:
        m = _DUR.match(t)
        if not t or not m or not any(m.groups()):
            raise UsageError("video.bad_every", text=text) from None
        h, mi, s, ms = (float(g) if g else 0.0 for g in m.groups())
        value = h * 3600 + mi * 60 + s + ms / 1000
    if not (value > 0 and math.isfinite(value)):
        raise UsageError("video.bad_every", text=text)
    return value


def parse_at(text) -> Fraction:
    """Seconds from the start: 00:01:23.4, 01:23.4, 83.4, 83.4s, 1m23.4s."""
    t = str(text).strip().lower()
    try:
        if ":" in t:
            parts = t.split(":")
            if len(parts) > 3 or not all(parts):
                raise ValueError(t)
            value = Fraction(0)
            for p in parts:
                value = value * 60 + Fraction(p)
        elif _DUR.match(t) and any(_DUR.match(t).groups()) and not re.fullmatch(r"[\d.]+", t):
            value = Fraction(parse_every(t)).limit_denominator(1000)
        else:
            value = Fraction(t)
    except (ValueError, ZeroDivisionError, UsageError):
        raise UsageError("video.bad_at", text=text) from None
    if value < 0:
        raise UsageError("video.bad_at", text=text)
    return value


class _Windows:
    """Keeps the sharpest keyframe of each ``every``-second window; hands it on when the window closes."""

    def __init__(self, every: float, frames: FrameStore):
        self.every, self.frames = every, frames
        self.cur, self.best = None, None
        self.seen: set[int] = set()

    def add(self, cand: Candidate, frame) -> None:
        w = int(cand.position // self.every)
        if w != self.cur:
            self.flush()
            self.cur = w
        self.seen.add(w)
        if self.best is None or cand.feat.sharp > self.best[0].feat.sharp:
            self.best = (Candidate(cand.pts, cand.position, cand.feat, key=True), frame)

    def flush(self) -> None:
        if self.best is not None:
            self.frames.add(*self.best, "interval")
        self.best = None


def _exact_jobs(scan, pr, every: float, at_pts: list, scenes: bool, end_pos: float) -> list[tuple]:
    """(start pts, kind, args) for everything the keyframe scan cannot give, in time order."""
    from tradeshield.video.select import scene_cuts

    to_pts = lambda pos: pr.start_pts + math.floor(Fraction(pos).limit_denominator(10**6) / pr.time_base)  # noqa: E731
    jobs = []
    seen = {int(k.position // every) for k in scan.keyframes}
    for w in range(int(math.ceil(end_pos / every)) or 1):
        if w not in seen:
            lo = to_pts(w * every)
            jobs.append((lo, "fill", (lo, to_pts(min((w + 1) * every, end_pos)))))
    if scenes:
        keys = scan.keyframes
        for i in scene_cuts([k.feat.sig for k in keys]):
            jobs.append((keys[i - 1].pts, "scene", (keys[i - 1], keys[i])))
    jobs += [(p, "at", (p,)) for p in at_pts]
    return sorted(jobs, key=lambda j: j[0])


def _run_exact(path, pr, jobs, frames: FrameStore, progress, threads: int = 0) -> dict | None:
    if not jobs:  # every window had a keyframe, no scene cut, no --at: nothing to open the file again for
        return None
    label = i18n.t("video.progress.exact")
    with ExactDecoder(path, pr, threads) as dec:
        for n, (_, kind, args) in enumerate(jobs):
            if kind == "at":
                f = dec.frame_at(args[0])
                if f is not None:
                    frames.add(_cand(f, pr), f, "at")
            elif kind == "fill":
                best = _sharpest(dec.frames_between(*args), pr, FILL_STEP)
                if best:
                    frames.add(*best, "interval")
            else:
                best = _scene_frame(dec.frames_between(args[0].pts, args[1].pts), pr, args[0])
                if best:
                    frames.add(*best, "scene")
            if progress:
                progress(label, n + 1, len(jobs))
        return dec.damage


def _cand(frame, pr) -> Candidate:
    return Candidate(frame.pts, float((frame.pts - pr.start_pts) * pr.time_base), features(frame),
                     key=bool(frame.key_frame))


def _sharpest(frames, pr, step: float):
    best, next_pos = None, None
    for f in frames:
        pos = float((f.pts - pr.start_pts) * pr.time_base)
        if next_pos is not None and pos < next_pos:
            continue
        next_pos = pos + step
        c = _cand(f, pr)
        if best is None or c.feat.sharp > best[0].feat.sharp:
            best = (c, f)
    return best


def _scene_frame(frames, pr, before: Candidate):
    """Locate the cut frame by frame, then take the sharpest frame of the first half second after it."""
    prev_sig, top, best, settle = before.feat.sig, -1.0, None, 0.0
    for f in frames:
        if f.pts <= before.pts:
            continue
        c = _cand(f, pr)
        d = sig_distance(prev_sig, c.feat.sig)
        prev_sig = c.feat.sig
        if d > top:
            top, settle = d, c.position + SCENE_SETTLE
            c.scene_cut = round(c.position, 6)
            best = (c, f)
        elif c.position <= settle and c.feat.sharp > best[0].feat.sharp:
            c.scene_cut = best[0].scene_cut
            best = (c, f)
    return best


def _keep_barcodes(cands: list[Candidate]) -> None:
    """Mark the sharpest frame of each distinct set of decoded texts so --max never drops it."""
    groups: dict[frozenset, Candidate] = {}
    for c in cands:
        texts = frozenset(b["text"] for b in c.barcodes)
        if texts and (texts not in groups or c.feat.sharp > groups[texts].feat.sharp):
            groups[texts] = c
    for c in groups.values():
        if "barcode" not in c.reasons:
            c.reasons.append("barcode")


def _file_stamp(position: Fraction) -> str:
    return position_text(position).replace(":", "-")


PRIORITY = ("at", "barcode", "scene", "interval")


def _frame_entry(case, c: Candidate, path: Path, pr, tone_mapped: bool) -> dict:
    p = c.payload
    entry = {
        "path": case.rel(path), "sha256": p["sha256"], "pts": c.pts, "time_base": str(pr.time_base),
        "position": round(float(p["position"]), 6), "position_text": position_text(p["position"]),
        "wall_time": p["wall"].isoformat(timespec="milliseconds"), "label": p["lines"],
        "reason": min(c.reasons, key=PRIORITY.index), "reasons": sorted(c.reasons, key=PRIORITY.index),
        "keyframe": c.key, "sharpness": round(c.feat.sharp, 1), "barcodes": c.barcodes,
        "width": p["width"], "height": p["height"], "tone_mapped": tone_mapped,
    }
    if c.scene_cut is not None:
        entry["scene_cut"] = c.scene_cut
    return entry


def extract_frames(case, video, *, every: float = 2.0, at=(), max_frames: int | None = None, scenes: bool = True,
                   sheet: bool = True, barcodes: bool = True, start=None, out_dir=None, force: bool = False,
                   progress=None) -> dict:
    """Labelled evidence frames of ``video`` in ``case``; returns the facts entry plus ``warnings``/``exported``.

    The fixed work runs beside the decoding: the copy into the case is hashed on a thread while the keyframe
    scan decodes the same file (labels wait for the hash, the copy's fsync and read-back check go on until the
    end), frames are converted, encoded and written on another thread while the next ones decode, and the
    written JPEGs are hashed from memory for the custody log.
    """
    if not (every > 0):
        raise UsageError("video.bad_every", text=every)
    if max_frames is not None and max_frames < 1:
        raise UsageError("video.bad_max", value=max_frames)
    src = Path(check_input(video))
    st0 = src.stat()
    inside = _in_evidence(case, src)
    stem = src.stem
    # an MP4/MOV with its index (what phones write) starts copying at once; anything else is probed first, so
    # a large file that is no video is refused without being copied
    pr = None if not inside and is_iso_bmff(src) and read_moov(src) is not None else probe(src)
    if inside:  # already evidence: no copy, the item is known at once
        pending = case.add_pending(src)
        stem = Path(pending.finish().original_path).stem
        copying = _Done(pending)
    else:  # copied and hashed under a hidden name meanwhile; a bad file is refused before anything is logged
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ts-copy")
        copying = pool.submit(case.add_pending, src)
        pool.shutdown(wait=False)
    try:
        pr = pr or probe(src)
        if out_dir is not None and not force:
            _check_out(Path(out_dir), stem)
        entry = _extract(case, src, pr, copying, every=every, at=at, max_frames=max_frames, scenes=scenes,
                         sheet=sheet, barcodes=barcodes, start=start, st0=st0, inside=inside,
                         progress=progress)
    finally:
        _discard(copying)
    entry["exported"] = _export(case, entry, Path(out_dir), stem) if out_dir is not None else []
    return entry


class _Done:
    """A finished future (a video already in the case)."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


def _discard(copying) -> None:
    try:
        pending = copying.result()
    except BaseException:  # noqa: BLE001 - the copy's own error was raised where it mattered
        return
    pending.discard()


def _in_evidence(case, path: Path) -> bool:
    try:
        return case.rel(path).startswith("evidence/")
    except ValueError:
        return False


def _extract(case, src: Path, pr, copying, *, every, at, max_frames, scenes, sheet, barcodes, start, st0,
             inside, progress) -> dict:
    from tradeshield.video.hdr import describe, dolby_vision

    moov = read_moov(src)
    colour = pr.colour
    colour.dolby_vision = dolby_vision(moov) if moov else None
    colour_doc = describe(colour)
    end_pos = float(pr.stream_duration or pr.duration or 0)
    at_pts = _at_pts(at, pr, end_pos)
    sha = lambda: copying.result().sha256  # noqa: E731 - labels wait for the hash, nothing else does
    root = case.derived_dir / "frames"
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".frames.tmp-{os.getpid()}-", dir=root))  # stale_temps knows it
    try:
        pend = copying.result
        # the original's mtime as the case records it (known now for a new file; from the item otherwise)
        item_mtime = pend().item.original_mtime if inside else _mtime_iso(st0)
        ts = recording_start(pr, case.tz, item_mtime, start)
        name = Path(pend().item.original_path).name if inside else src.name
        done = {}

        def choose_and_draw(scan, chosen):
            """Runs while the last frames are still being encoded: continuity, the --max cap, the sheet."""
            done["cont"] = cont = continuity.report(pr, scan, ts, moov)
            _keep_barcodes(chosen)
            done["kept"] = kept = cap(chosen, max_frames)
            if sheet:
                done["sheet"] = encode_jpeg(_sheet(name, sha(), pr, ts, cont, kept, colour_doc))

        tile = expected_tile(pr, end_pos, every, len(at_pts), max_frames) if sheet else None
        scan, chosen, warnings = _choose(src, pr, ts, sha, tmp, every=every, at_pts=at_pts, scenes=scenes,
                                         barcodes=barcodes, colour=colour, progress=progress,
                                         then=choose_and_draw, tile=tile)
        st1 = src.stat()
        if (st1.st_size, st1.st_mtime_ns, st1.st_ino) != (st0.st_size, st0.st_mtime_ns, st0.st_ino):
            raise InputError("add.source_changed", path=str(src))
        cont, kept = done["cont"], done["kept"]
        entry = _finish(case, pend(), done.get("sheet"), pr, ts, cont, kept, len(chosen), tmp,
                        {"every": every, "at": [float(parse_at(a)) for a in at], "max": max_frames,
                         "scenes": scenes, "sheet": sheet, "barcodes": barcodes,
                         "start_override": start.isoformat() if start else None}, colour_doc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lang = i18n.get_lang()
    entry["warnings"] = warnings + [w[lang] for w in cont["warnings"] if w["code"] in ("damaged", "ends-early")]
    return entry


def _mtime_iso(st) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).isoformat()


def _frame_mb(pr) -> float:
    """Megabytes of one decoded picture."""
    depth = pr.colour.bit_depth if pr.colour is not None else 8
    return pr.coded_width * pr.coded_height * 1.5 * (2 if depth > 8 else 1) / 1e6


def expected_tile(pr, end_pos: float, every: float, n_at: int, max_frames: int | None):
    """The contact sheet's grid when each interval gives one frame, so the render threads can label the tiles
    while decoding goes on. None for big frames (a labelled tile is held until the sheet: memory counts on 4K)
    or when no tile would be shown unscaled; scene cuts may still change the count, and the sheet then labels
    its tiles itself."""
    if _frame_mb(pr) > 8 or not end_pos:
        return None
    n = math.ceil(end_pos / every) + n_at
    n = min(n, max_frames or n, SHEET_MAX_TILES)
    k = min(1.0, TILE_MAX / max(pr.coded_width, pr.coded_height))
    w, h = max(2, round(pr.coded_width * k)), max(2, round(pr.coded_height * k))
    if abs(pr.rotation) == 90:
        w, h = h, w
    grid = sheet_grid([(w, h)] * n)
    return grid if tile_fits((w, h), grid) else None


def threads_for(pr) -> tuple[int, int]:
    """(keyframe decoders, frame renderers) for this video on this machine.

    A decoder of 4K 10-bit HEVC holds ~150 MB of picture buffers and a frame in flight ~100 MB (decoded, RGB,
    labelled), so big frames get one of each (peak RSS stays under 500 MB); up to 1080p both run two.
    """
    cpus = max(1, min(2, os.cpu_count() or 1))
    frame_mb = _frame_mb(pr)
    return (1 if frame_mb > 16 else cpus), (cpus if frame_mb <= 8 else 1)


def _choose(path, pr, ts, sha, tmp: Path, *, every, at_pts, scenes, barcodes, colour=None, progress, then=None,
            tile=None):
    """Keyframe scan with interval choice, then exact decoding for gaps, scene cuts and --at moments;
    ``then(scan, chosen)`` runs once every frame's preview (barcodes, label, tile) is known, while the last
    JPEGs are still being encoded. ``tile``: the sheet grid expected (``expected_tile``)."""
    keys, renderers = threads_for(pr)
    frames = FrameStore(tmp, pr, ts, sha, barcodes, colour, workers=renderers, tile=tile)
    warnings = []
    try:
        win = _Windows(every, frames)
        scan = scan_keyframes(path, pr, on_key=win.add, progress=progress, workers=keys,
                              depth=keys if renderers == 1 else 3 * keys)
        win.flush()
        if not scan.keyframes:
            raise InputError("video.no_frames", path=str(path))
        pos = lambda p: (p - pr.start_pts) * pr.time_base  # noqa: E731
        end = float(max((pos(p.pts) for p in scan.packets if p.pts is not None), default=0))
        if pr.stream_duration or pr.duration:
            end = min(end, float(pr.stream_duration or pr.duration))
        if scan.damage:
            end = min(end, scan.damage["position"])
            warnings += [i18n.t("video.at_damaged", text=position_text(pos(p))) for p in at_pts if pos(p) > end]
            at_pts = [p for p in at_pts if pos(p) <= end]
        _run_exact(path, pr, _exact_jobs(scan, pr, every, at_pts, scenes, end + 1e-6), frames, progress,
                   threads=2 if keys == 1 else 0)
        if then is not None:
            frames.previews()
            then(scan, list(frames.by_pts.values()))
    finally:
        frames.wait()
        release_memory()
    return scan, list(frames.by_pts.values()), warnings


def _at_pts(at, pr, end_pos: float) -> list[int]:
    out = []
    for a in at:
        t = a if isinstance(a, Fraction) else parse_at(a)
        if end_pos and t > Fraction(end_pos).limit_denominator(10**6):
            raise UsageError("video.at_range", text=str(a), duration=position_text(Fraction(end_pos)))
        out.append(pr.start_pts + math.floor(t / pr.time_base))
    return out


def _check_out(out: Path, stem: str) -> None:
    if out.is_dir():
        for p in out.iterdir():
            if p.name.startswith(f"{stem}_f") or p.name == f"{stem}_sheet.jpg":
                raise UsageError("video.out_exists", path=str(p))


def _finish(case, pending, sheet_jpeg: bytes | None, pr, ts, cont, kept, n_chosen, tmp: Path, params,
            colour: dict) -> dict:
    """Name the frames and write the sheet, then — once the video is evidence — publish the folder, log it."""
    import hashlib

    names = []
    keep = {c.pts for c in kept}
    for c in list(_all_tmp(tmp)):
        if int(c.stem) not in keep:
            c.unlink()
    for i, c in enumerate(kept, 1):
        name = f"f{i:04d}_{_file_stamp(c.payload['position'])}.jpg"
        os.replace(c.payload["tmp"], tmp / name)
        names.append(name)
    hashes = [(c.payload["sha256"], c.payload["size"]) for c in kept]
    sheet_name = None
    if sheet_jpeg is not None:
        data = sheet_jpeg
        with open(tmp / "sheet.jpg", "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        hashes.append((hashlib.sha256(data).hexdigest(), len(data)))
        sheet_name = "sheet.jpg"
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp made it private; the folder is an ordinary part of the case
    fsync_dir(tmp)
    item = pending.finish()  # the copy is on disk and read back: now it is evidence
    pr.path = str(case.evidence_path(item))
    final_dir = case.derived_path(f"frames/{item.sha256[:12]}")
    _swap(tmp, final_dir)
    frames = [_frame_entry(case, c, final_dir / n, pr, colour["tone_mapped"]) for c, n in zip(kept, names)]
    sheet_path = final_dir / sheet_name if sheet_name else None
    files = [final_dir / n for n in names] + ([sheet_path] if sheet_path else [])
    case.record_derived(files, action="frames", sources=[item.sha256], params=params, hashes=hashes, details={
        "frames": [{"path": f["path"], "pts": f["pts"], "time_base": f["time_base"], "position": f["position"],
                    "reason": f["reason"], "tone_mapped": f["tone_mapped"]} for f in frames],
        "time_source": ts.source, "start": ts.start.isoformat(), "colour": colour})
    entry = {
        "sha256": item.sha256, "path": item.path, "original_path": item.original_path,
        "duration": pr.stream_duration or pr.duration, "container_duration": pr.duration,
        "width": pr.width, "height": pr.height, "rotation": pr.rotation, "codec": pr.codec,
        "time_source": ts.source, "time_source_text": ts.note, "time_claims": ts.others,
        "time_claim_note": i18n.t("video.source.claim"), "start": ts.start.isoformat(timespec="milliseconds"),
        "sheet": case.rel(sheet_path) if sheet_path else None, "frames": frames, "candidates": n_chosen,
        "params": params, "continuity": cont, "colour": colour,
    }
    _write_facts(case, entry)
    return entry


def _all_tmp(tmp: Path):
    return [p for p in tmp.iterdir() if p.suffix == ".jpg" and p.stem.lstrip("-").isdigit()]


def _sheet(name: str, sha256: str, pr, ts, cont, kept, colour: dict):
    tiles_from = pick_for_sheet(kept, SHEET_MAX_TILES)
    verdict = cont["verdict"]
    header = [
        f"{i18n.t('video.sheet.file')}: {name}",
        f"SHA-256: {sha256}",
        f"{i18n.t('video.sheet.duration')}: {position_text(Fraction(pr.stream_duration or pr.duration or 0))}   "
        f"{i18n.t('video.sheet.size')}: {pr.width}x{pr.height}",
        f"{i18n.t('video.sheet.source')}: {_source_label(ts.source)} — {i18n.t('video.source.claim')}",
        f"{i18n.t('video.sheet.start')}: {tenths(ts.start)}",
        i18n.t(f"video.sheet.verdict.{verdict}", n=len(cont["warnings"])),
    ]
    if colour.get("tone_mapped"):
        header.append(tone_line(colour))
    import io

    from PIL import Image

    ready = [c.payload.get("tile") for c in tiles_from]
    if all(t is not None for t in ready) and tile_fits(ready[0].size, sheet_grid([t.size for t in ready])):
        tiles = [(t, c.payload["lines"], True) for t, c in zip(ready, tiles_from)]  # labelled while rendering
    else:
        tiles = [(Image.open(io.BytesIO(c.payload["thumb"])), c.payload["lines"]) for c in tiles_from]
    return contact_sheet(tiles, header, total=len(kept))


def tone_line(colour: dict) -> str:
    """One line for the sheet and the terminal: the frames were tone-mapped from HDR (and Dolby Vision read as
    its base layer)."""
    src = colour["source"]
    name = {"arib-std-b67": "HLG", "smpte2084": "PQ (HDR10)"}.get(src["transfer"], src["transfer"])
    dv = colour.get("dolby_vision")
    if dv:
        return i18n.t("video.sheet.tone_dv", transfer=name, profile=f"{dv['profile']}.{dv['compatibility_id']}")
    prim = {"bt2020": "BT.2020", "bt709": "BT.709"}.get(src.get("primaries"), src.get("primaries") or "?")
    return i18n.t("video.sheet.tone", transfer=name, primaries=prim)


def _swap(tmp: Path, final_dir: Path) -> None:
    """Replace the previous run's folder by the new one; an interrupted run leaves only hidden folders."""
    old = None
    if final_dir.exists():
        old = final_dir.parent / f".{final_dir.name}.old-{os.getpid()}"
        os.replace(final_dir, old)
    os.replace(tmp, final_dir)
    fsync_dir(final_dir.parent)  # the renames survive a power cut
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_facts(case, entry: dict) -> None:
    data = case.read_facts("frames", None) or {}
    videos = [v for v in data.get("videos", []) if v.get("sha256") != entry["sha256"]]
    videos.append(entry)
    case.write_facts("frames", {"videos": videos}, sources=[v["sha256"] for v in videos])
    from tradeshield.serials import update_imei_facts

    update_imei_facts(case)  # an IMEI barcode seen in the frames joins the photos' and the invoice's


def _export(case, entry: dict, out: Path, stem: str) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    done = []
    paths = [f["path"] for f in entry["frames"]] + ([entry["sheet"]] if entry["sheet"] else [])
    for rel in paths:
        dest = out / f"{stem}_{Path(rel).name}"
        write_bytes(dest, (case.root / rel).read_bytes())
        done.append(str(dest))
    return done


def _source_label(source: str) -> str:
    """A time source as people read it in zh ("视频元数据"); the raw name (container:creation_time) in en."""
    from tradeshield.labels import label

    if i18n.get_lang() != "zh" or not source:
        return source
    return label("capture", source, "zh")
