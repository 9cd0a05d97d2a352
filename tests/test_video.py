"""tradeshield frames: generated videos with the frame number drawn as blocks, VFR timing and a known
creation_time, so the label's time and the pixels can be checked against each other exactly."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

av = pytest.importorskip("av")
np = pytest.importorskip("numpy")

from tradeshield.errors import InputError, UsageError  # noqa: E402
from tradeshield.video import extract_frames, parse_at, parse_every  # noqa: E402
from tradeshield.video import continuity  # noqa: E402

CREATED = "2024-03-15T06:22:05.000000Z"          # 14:22:05 at +08:00, the case's timezone
BITS = 8
# irregular gaps in ms (VFR): repeats 33/50/17/100/33/250
GAPS = [33, 50, 17, 100, 33, 250]


def vfr_times(n: int, pause_at: int | None = None, pause_ms: int = 0) -> list[int]:
    t, out = 0, []
    for i in range(n):
        out.append(t)
        t += GAPS[i % len(GAPS)] + (pause_ms if i == pause_at else 0)
    return out


def picture(n: int, w: int, h: int, colour=(60, 90, 120)):
    """Frame number n as BITS black/white blocks across the top band; a marker block at the top-left corner."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = colour
    bw = w // BITS
    band = h // 6
    for b in range(BITS):
        on = (n >> (BITS - 1 - b)) & 1
        img[band:2 * band, b * bw:(b + 1) * bw] = 255 if on else 0
    img[:band, :bw] = (255, 0, 0)  # red marker: top-left of the upright picture
    return img


def read_number(path: Path) -> int:
    from PIL import Image

    a = np.asarray(Image.open(path).convert("L")).astype(float)
    h, w = a.shape
    bw, band = w // BITS, h // 6
    n = 0
    for b in range(BITS):
        block = a[band + band // 4:2 * band - band // 4, b * bw + bw // 4:(b + 1) * bw - bw // 4]
        n = (n << 1) | int(block.mean() > 128)
    return n


def marker_at_top_left(path: Path) -> bool:
    from PIL import Image

    a = np.asarray(Image.open(path).convert("RGB")).astype(int)
    h, w, _ = a.shape
    r, g, b = a[h // 24, w // 32]
    return r > 180 and g < 90 and b < 90


def make_video(path: Path, times: list[int], size=(320, 240), rotation: int | None = None, gop: int = 10,
               faststart: bool = False, colours=None, extra=None) -> Path:
    """H.264 MP4 with exact millisecond pts. ``rotation`` is the display matrix angle (phones write -90):
    the picture is stored turned the other way, so an upright result proves the rotation was applied."""
    opts = {"video_track_timescale": "1000"}
    if faststart:
        opts["movflags"] = "faststart"
    w, h = size
    with av.open(str(path), "w", format="mp4", options=opts) as c:
        c.metadata["creation_time"] = CREATED
        s = c.add_stream("libx264", rate=30, options={
            "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0", "crf": "18"})
        coded = (h, w) if rotation in (90, -90) else (w, h)
        s.width, s.height = coded
        s.pix_fmt = "yuv420p"
        s.time_base = s.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            s.set_display_rotation(rotation)
        for i, t in enumerate(times):
            img = picture(i, w, h, colours(i) if colours else (60, 90, 120))
            if extra:
                img = extra(i, img)
            if rotation:
                img = np.ascontiguousarray(np.rot90(img, k=-rotation // 90))  # stored counter-rotated
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = t, Fraction(1, 1000)
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def expected_label_time(ms: int) -> str:
    """Independent of the code under test: creation_time + pts, shown at +08:00, truncated to 0.1 s."""
    start = dt.datetime(2024, 3, 15, 14, 22, 5)
    when = start + dt.timedelta(milliseconds=ms)
    return when.strftime("%Y-%m-%d %H:%M:%S") + f".{when.microsecond // 100000} +08:00"


@pytest.fixture(scope="module")
def vfr_video(tmp_path_factory) -> tuple[Path, list[int]]:
    times = vfr_times(60)
    return make_video(tmp_path_factory.mktemp("v") / "VID_vfr.mp4", times), times


# ------------------------------------------------------------------ timing and pixels agree

def test_vfr_labels_and_pixels_agree(case, vfr_video):
    path, times = vfr_video
    moments = ["0.5", "00:00:02.2", "3.333"]
    e = extract_frames(case, path, every=0.5, at=[parse_at(m) for m in moments])
    assert e["time_source"] == "container:creation_time"
    assert len(e["frames"]) >= 8
    for f in e["frames"]:
        n = read_number(case.root / f["path"])
        assert Fraction(f["pts"]) * Fraction(f["time_base"]) == Fraction(times[n], 1000), f
        assert f["label"][0] == expected_label_time(times[n])
        assert f["label"][2] == "SHA-256 " + e["sha256"][:12]
        assert f"pts {f['pts']} " in f["label"][1]
        wall = dt.datetime.fromisoformat(f["wall_time"])
        assert wall == dt.datetime(2024, 3, 15, 6, 22, 5, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=times[n])
    at_frames = {f["pts"]: f for f in e["frames"] if "at" in f["reasons"]}
    for m in moments:  # the frame on screen at t: the greatest pts ≤ t
        want = max(i for i, t in enumerate(times) if Fraction(t, 1000) <= parse_at(m))
        assert times[want] in at_frames
        assert read_number(case.root / at_frames[times[want]]["path"]) == want


def test_windows_pick_one_frame_per_interval(case, vfr_video):
    path, times = vfr_video
    e = extract_frames(case, path, every=1.0, scenes=False, sheet=False)
    windows = sorted(int(f["position"] // 1.0) for f in e["frames"] if "interval" in f["reasons"])
    assert windows == list(range(int(times[-1] / 1000) + 1))
    assert e["sheet"] is None


# ------------------------------------------------------------------ orientation

def test_rotated_video_comes_out_upright(case, tmp_path):
    times = vfr_times(12)
    path = make_video(tmp_path / "portrait.mp4", times, size=(240, 320), rotation=-90)
    e = extract_frames(case, path, every=0.5, scenes=False)
    assert (e["width"], e["height"], e["rotation"]) == (240, 320, -90)
    for f in e["frames"]:
        assert (f["width"], f["height"]) == (240, 320)
        assert marker_at_top_left(case.root / f["path"])
        n = read_number(case.root / f["path"])
        assert Fraction(f["pts"]) * Fraction(f["time_base"]) == Fraction(times[n], 1000)


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg CLI not installed")
def test_rotation_matches_ffmpeg_autorotate(case, tmp_path):
    """A phone-style -90 matrix written by ffmpeg itself (5.x: rotate=270) must come out the way ffmpeg shows it."""
    base = make_video(tmp_path / "flat.mp4", vfr_times(6), size=(320, 240))
    rot = tmp_path / "phone.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(base), "-c", "copy", "-metadata:s:v:0", "rotate=270",
                    str(rot)], check=True)
    ref = tmp_path / "ref.png"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(rot), "-frames:v", "1", str(ref)], check=True)
    e = extract_frames(case, rot, every=5.0, scenes=False, sheet=False)
    from PIL import Image

    ours = Image.open(case.root / e["frames"][0]["path"]).convert("L").resize((60, 80))
    theirs = Image.open(ref).convert("L")
    assert theirs.size == (240, 320) == (e["width"], e["height"])
    diff = np.abs(np.asarray(ours, float) - np.asarray(theirs.resize((60, 80)), float))[:50].mean()
    assert diff < 20  # upper part (above the label) matches ffmpeg's autorotated frame


# ------------------------------------------------------------------ scene cuts, --max, barcodes

def test_scene_cut_found_to_the_frame(case, tmp_path):
    times = vfr_times(50)
    cut = 23  # not on a keyframe (gop 10)
    path = make_video(tmp_path / "scenes.mp4", times, colours=lambda i: (200, 40, 40) if i < cut else (20, 160, 220))
    e = extract_frames(case, path, every=3.0)
    scenes = [f for f in e["frames"] if "scene" in f["reasons"]]
    assert len(scenes) == 1
    assert scenes[0]["scene_cut"] == pytest.approx(times[cut] / 1000)
    assert read_number(case.root / scenes[0]["path"]) >= cut


def test_no_scene_frames_when_nothing_changes(case, vfr_video):
    e = extract_frames(case, vfr_video[0], every=1.0)
    assert not [f for f in e["frames"] if "scene" in f["reasons"]]


def test_max_keeps_at_and_barcode_frames(case, tmp_path):
    import zxingcpp

    code = np.asarray(zxingcpp.create_barcode("352099001761481", zxingcpp.BarcodeFormat.QRCode).to_image(scale=4))

    def with_qr(i, img):
        if 30 <= i < 36:
            img = img.copy()
            y, x = 110, 120
            img[y:y + code.shape[0], x:x + code.shape[1]] = code[..., None] if code.ndim == 2 else code[..., :3]
        return img

    times = vfr_times(60)
    path = make_video(tmp_path / "qr.mp4", times, size=(480, 360), extra=with_qr, gop=5)
    e = extract_frames(case, path, every=0.25, at=[parse_at("0.1")], max_frames=3)
    assert len(e["frames"]) == 3
    assert any("at" in f["reasons"] for f in e["frames"])
    bc = [f for f in e["frames"] if "barcode" in f["reasons"]]
    assert len(bc) == 1 and bc[0]["barcodes"][0]["text"] == "352099001761481"
    assert 30 <= read_number(case.root / bc[0]["path"]) < 36
    assert e["candidates"] > 3


# ------------------------------------------------------------------ provenance, facts, sheet

def test_provenance_facts_and_sheet(case, vfr_video):
    from PIL import Image

    path, _ = vfr_video
    e = extract_frames(case, path, every=0.5)
    facts = case.read_facts("frames")
    v = facts["videos"][0]
    for key in ("sha256", "path", "duration", "width", "height", "time_source", "start", "sheet", "frames",
                "continuity"):
        assert key in v
    assert set(v["frames"][0]) >= {"path", "pts", "wall_time", "position", "reason", "barcodes"}
    rec = case.derived_records()
    for f in e["frames"]:
        assert rec[f["path"]]["sources"] == [e["sha256"]]
        assert rec[f["path"]]["params"]["every"] == 0.5
        assert rec[f["path"]]["sha256"] == f["sha256"]
    log = [x for x in case.custody.entries() if x["action"] == "frames"][-1]
    assert [d["pts"] for d in log["details"]["frames"]] == [f["pts"] for f in e["frames"]]
    sheet = case.root / e["sheet"]
    with Image.open(sheet) as im:
        assert max(im.size) <= 4096
    assert sheet.stat().st_size < 5 * 1024 * 1024
    assert not case.custody.verify()


def test_rerun_replaces_the_frame_folder(case, vfr_video):
    path, _ = vfr_video
    first = extract_frames(case, path, every=0.5)
    second = extract_frames(case, path, every=2.0, sheet=False)
    folder = case.root / Path(first["frames"][0]["path"]).parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(Path(f["path"]).name for f in second["frames"])
    assert len(case.read_facts("frames")["videos"]) == 1
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------------ continuity

def test_continuity_flags_pause_and_ffmpeg_writer(case, tmp_path):
    times = vfr_times(30, pause_at=12, pause_ms=4000)
    e = extract_frames(case, make_video(tmp_path / "gap.mp4", times), every=2.0)
    codes = {w["code"] for w in e["continuity"]["warnings"]}
    assert e["continuity"]["verdict"] == "warnings"
    assert {"pts-gap", "ffmpeg-tag"} <= codes
    gap = next(w for w in e["continuity"]["warnings"] if w["code"] == "pts-gap")
    assert "4.03" in gap["en"] and "秒" in gap["zh"]


def _elst(entries: list[tuple[int, int]]) -> bytes:
    import struct

    rows = b"".join(struct.pack(">Iihh", d, m, 1, 0) for d, m in entries)
    body = b"\0\0\0\0" + struct.pack(">I", len(entries)) + rows
    elst = struct.pack(">I4s", 8 + len(body), b"elst") + body
    edts = struct.pack(">I4s", 8 + len(elst), b"edts") + elst
    hdlr = struct.pack(">I4s", 8 + 12 + 12, b"hdlr") + b"\0" * 8 + b"vide" + b"\0" * 12
    mdia = struct.pack(">I4s", 8 + len(hdlr), b"mdia") + hdlr
    trak = struct.pack(">I4s", 8 + len(edts) + len(mdia), b"trak") + edts + mdia
    return struct.pack(">I4s", 8 + len(trak), b"moov") + trak


def test_edit_list_segments_counted():
    assert continuity.edit_segments(_elst([(1000, 0)])) == 1
    assert continuity.edit_segments(_elst([(500, -1), (1000, 0)])) == 1     # a start delay is not a cut
    assert continuity.edit_segments(_elst([(1000, 0), (1000, 9000)])) == 2


def test_clean_verdict_on_iphone_clip(case, corpus):
    e = extract_frames(case, corpus / "videos" / "iphone6_rotate90_gps.mov")
    assert e["continuity"]["verdict"] == "clean"
    assert "cannot prove" in e["continuity"]["en"]
    assert e["time_source"] == "quicktime:creationdate"
    assert e["start"].startswith("2019-07-24T11:25:40") and e["start"].endswith("+03:00")
    assert (e["width"], e["height"]) == (320, 568)
    assert all(f["label"][0].endswith("+03:00") for f in e["frames"])


@pytest.mark.parametrize("name,size", [("phone_3gp5_rotate90.mp4", (720, 1280)), ("phone_720p_gps.mp4", (1280, 720))])
def test_real_phone_videos(case, corpus, name, size):
    e = extract_frames(case, corpus / "videos" / name, every=0.5)
    assert (e["width"], e["height"]) == size
    assert e["frames"] and all((f["width"], f["height"]) == size for f in e["frames"])
    assert e["time_source"] == "container:creation_time"


# ------------------------------------------------------------------ bad input

def _truncate(src: Path, dest: Path, share: float) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[:int(len(data) * share)])
    return dest


def test_truncated_copy_exits_2(cli, case, vfr_video, tmp_path):
    bad = _truncate(vfr_video[0], tmp_path / "cut.mp4", 0.6)
    r = cli("frames", bad, "--case", case.root)
    assert r.code == 2, r
    assert r.stderr.startswith("tradeshield: the video is truncated") and r.stderr.count("\n") == 1
    assert "moov" in r.stderr
    assert case.evidence() == []


def test_damaged_halfway_keeps_frames_before_with_warning(cli, case, tmp_path):
    times = [i * 40 for i in range(150)]  # 6 s
    def noisy(i, img):  # noise below the number band makes the frames big, so the cut lands mid-file
        img = img.copy()
        img[180:] = np.random.default_rng(i).integers(0, 255, img[180:].shape, np.uint8)
        return img

    good = make_video(tmp_path / "good.mp4", times, faststart=True, extra=noisy)
    bad = _truncate(good, tmp_path / "half.mp4", 0.5)
    r = cli("frames", bad, "--case", case.root, "--json", "--every", "1s")
    assert r.code == 0, r
    e = r.json
    assert e["frames"] and max(f["position"] for f in e["frames"]) < 4.5
    assert e["warnings"] and ("damaged" in r.stderr or "incomplete" in r.stderr)
    for f in e["frames"]:
        assert read_number(case.root / f["path"]) * 40 == f["pts"]


@pytest.mark.parametrize("kind", ["text", "empty", "audio", "codec", "missing"])
def test_bad_input_one_line_exit_2(cli, case, tmp_path, vfr_video, kind):
    p = tmp_path / f"{kind}.mp4"
    if kind == "text":
        p.write_text("not a video at all\n" * 50)
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "audio":
        with av.open(str(p), "w") as c:
            s = c.add_stream("aac", rate=44100)
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate = 44100
            for i in range(20):
                frame.pts = i * 1024
                for pk in s.encode(frame):
                    c.mux(pk)
            for pk in s.encode():
                c.mux(pk)
    elif kind == "codec":
        p.write_bytes(vfr_video[0].read_bytes().replace(b"avc1", b"zzz9"))
    expected = {"text": "not a readable video", "empty": "file is empty", "audio": "no video stream",
                "codec": "unsupported video codec", "missing": "file not found"}[kind]
    r = cli("frames", p, "--case", case.root)
    assert r.code == 2, r
    assert r.stderr.count("\n") == 1 and expected in r.stderr, r
    assert case.evidence() == []


def test_usage_errors(case, vfr_video):
    with pytest.raises(UsageError):
        extract_frames(case, vfr_video[0], at=[parse_at("99:00")])
    with pytest.raises(UsageError):
        extract_frames(case, vfr_video[0], max_frames=0)
    with pytest.raises(InputError):
        extract_frames(case, Path("/nonexistent.mp4"))


# ------------------------------------------------------------------ CLI

def test_cli_json_out_and_help(cli, case, vfr_video, tmp_path):
    r = cli("frames", vfr_video[0], "--case", case.root, "--json", "--every", "1s", "--max", "3", "--out",
            tmp_path / "up", "--lang", "zh")
    assert r.code == 0, r
    e = r.json
    assert len(e["frames"]) == 3 and len(e["exported"]) == 4
    assert all(Path(x).exists() for x in e["exported"])
    again = cli("frames", vfr_video[0], "--case", case.root, "--out", tmp_path / "up")
    assert again.code == 2 and "--force" in again.stderr
    h = cli("frames", "--help")
    assert h.code == 0 and "Example: tradeshield frames" in h.stdout


def test_cli_human_output(cli, case, vfr_video):
    r = cli("frames", vfr_video[0], "--case", case.root, "--every", "2s")
    assert r.code == 0, r
    assert "contact sheet: derived/frames/" in r.stdout and "FFmpeg" in r.stdout


# ------------------------------------------------------------------ parsers

@given(st.integers(0, 10 * 3600 * 10))
@settings(max_examples=200, deadline=None)
def test_parse_at_reads_hms(tenths):
    from tradeshield.video.render import position_text

    assert parse_at(position_text(Fraction(tenths, 10))) == Fraction(tenths, 10)


@pytest.mark.parametrize("text,value", [("2s", 2.0), ("5", 5.0), ("1.5s", 1.5), ("1m", 60.0), ("500ms", 0.5),
                                        ("1m30s", 90.0)])
def test_parse_every(text, value):
    assert parse_every(text) == value


@pytest.mark.parametrize("text", ["", "0", "-2s", "abc", "2x", "nan"])
def test_parse_every_rejects(text):
    with pytest.raises(UsageError):
        parse_every(text)


@pytest.mark.parametrize("text", ["1:2:3:4", "-1", "abc", "1::2"])
def test_parse_at_rejects(text):
    with pytest.raises(UsageError):
        parse_at(text)


def test_json_is_serialisable(case, vfr_video):
    e = extract_frames(case, vfr_video[0], every=2.0)
    json.dumps(e)


def _cands(n, looks=None):
    from tradeshield.video.select import Candidate, Feat

    out = []
    for i in range(n):
        thumb = np.full((16, 16), (looks(i) if looks else 0.5), np.float32)
        out.append(Candidate(pts=i * 1000, position=float(i), feat=Feat(100.0, None, thumb), reasons=["interval"]))
    return out


def test_cap_keeps_the_timeline_covered_and_the_odd_frame():
    from tradeshield.video.select import cap

    cands = _cands(100, looks=lambda i: 0.9 if i == 37 else 0.5)
    cands[80].reasons = ["at"]
    kept = cap(cands, 10)
    assert len(kept) == 10
    pos = [c.position for c in kept]
    assert 37.0 in pos and 80.0 in pos                   # the different-looking frame and the --at frame stay
    assert max(b - a for a, b in zip(pos, pos[1:])) <= 25  # no long stretch without a frame
    assert pos == sorted(pos)


def test_spread_is_even():
    from tradeshield.video.select import spread

    got = [c.position for c in spread(_cands(97), 5)]
    assert got == [0.0, 24.0, 48.0, 72.0, 96.0]


def test_sheet_pick_keeps_reasons_and_spreads_the_rest():
    from tradeshield.video.select import pick_for_sheet

    cands = _cands(100)
    cands[3].reasons = ["scene"]
    got = [c.position for c in pick_for_sheet(cands, 6)]
    assert 3.0 in got and len(got) == 6 and got[0] == 0.0 and got[-1] == 99.0


def test_cap_drops_interval_frames_before_scene_frames():
    from tradeshield.video.select import cap

    cands = _cands(30)
    for i in (5, 17, 29):
        cands[i].reasons = ["scene"]
    assert {c.position for c in cap(cands, 5)} >= {5.0, 17.0, 29.0}
    assert len(cap(cands, 2)) == 2


# ------------------------------------------------------------------ conversions and the sheet's shortcuts

@pytest.mark.parametrize("size", [(320, 240), (330, 186)])
def test_rgb_and_grey_images_match_pyav(size):
    """rgb_image/grey_image copy swscale's plane once; the pixels are PyAV's own conversion's (a width whose
    rows are padded in the plane included)."""
    from tradeshield.video.render import grey_image, rgb_image

    w, h = size
    img = np.random.default_rng(7).integers(0, 256, (h, w, 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
    assert frame.reformat(format="rgb24").planes[0].line_size != w * 3 or w == 320  # 330·3 is padded
    assert rgb_image(frame).tobytes() == frame.to_image().tobytes()
    assert rgb_image(frame, 160, 90, "AREA").tobytes() == frame.reformat(
        width=160, height=90, format="rgb24", interpolation="AREA").to_image().tobytes()
    grey = frame.reformat(width=200, height=100, format="gray", interpolation="AREA")
    want = np.frombuffer(grey.planes[0], np.uint8).reshape(100, -1)[:, :200]
    got = grey_image(frame, 200, 100, "AREA")
    assert got.mode == "L" and np.array_equal(np.asarray(got), want)


def test_sheet_with_tiles_labelled_beforehand_is_the_same():
    """Tiles labelled by the render threads (sheet_tile) give the sheet the sheet would draw itself; a tile
    that no longer fits the grid unscaled is labelled again from the plain thumbnail."""
    from PIL import Image

    from tradeshield.video.render import contact_sheet, sheet_grid, sheet_tile, tile_fits

    rng = np.random.default_rng(3)
    thumbs = [Image.fromarray(rng.integers(0, 256, (405, 720, 3), dtype=np.uint8)) for _ in range(12)]
    labels = [[f"2024-03-15 14:22:{i:02d}.0 +08:00", f"00:00:{i:02d}.0  pts {i}", "SHA-256 0123456789ab"]
              for i in range(12)]
    plain = contact_sheet([(t, ln) for t, ln in zip(thumbs, labels)], ["header"], total=12)
    assert tile_fits((720, 405), sheet_grid([(720, 405)] * 12))
    ready = [(sheet_tile(t.copy(), ln), ln, True) for t, ln in zip(thumbs, labels)]
    assert contact_sheet(ready, ["header"], total=12).tobytes() == plain.tobytes()
    # 48 tiles: the grid shrinks them, so tiles labelled at full size are not used as they are
    grid = sheet_grid([(720, 405)] * 48)
    assert not tile_fits((720, 405), grid)


def test_expected_tile_only_for_small_frames_shown_unscaled():
    from types import SimpleNamespace

    from tradeshield.video.job import expected_tile

    def pr(w, h, rotation=0, depth=8):
        return SimpleNamespace(coded_width=w, coded_height=h, rotation=rotation,
                               colour=SimpleNamespace(bit_depth=depth))

    assert expected_tile(pr(1920, 1080), 60.0, 2.0, 0, None) is not None           # 30 tiles of 720×405
    assert expected_tile(pr(1920, 1080, -90), 60.0, 2.0, 0, None) is not None      # portrait 405×720
    assert expected_tile(pr(1920, 1080), 120.0, 2.0, 0, None) is None              # 48 tiles: scaled down
    assert expected_tile(pr(1920, 1080), 120.0, 2.0, 0, 20) is not None            # --max 20
    assert expected_tile(pr(3840, 2160), 30.0, 2.0, 0, None) is None               # 4K: memory first


def test_label_box_darkens_by_the_same_factor():
    """draw_label's fixed table: each channel of the box becomes round(v × 0.28)."""
    from PIL import Image

    from tradeshield.imaging import draw_label

    img = Image.new("RGB", (400, 300), (200, 100, 37))
    out = draw_label(img, ["x"], corner="bl", size=20)
    assert out.getpixel((6, 299 - 7)) == (round(200 * 0.28), round(100 * 0.28), round(37 * 0.28))
