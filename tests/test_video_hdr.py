"""HDR phone video → SDR evidence frames: HLG and PQ clips made from a known SDR colour chart.

The chart (24 patches with the published sRGB values of the classic ColorChecker, read as BT.1886 SDR video)
is turned into HDR the way BT.2100 / BT.2408 define it, in numpy and independently of tradeshield's code:
SDR white = the 203 cd/m² HDR reference white, BT.709 → BT.2020 primaries, then the PQ inverse EOTF, or the
HLG inverse OOTF (1000 cd/m², γ 1.2) and OETF; BT.2020 Y'CbCr, studio range, 10 bits, 4:2:0. The clips are
coded losslessly with x265 (PyAV) and tagged in the HEVC VUI like a phone's (iPhone 12+: HLG; Android: PQ).
tradeshield's frame must come back close to the chart and much closer than a plain Y'CbCr → RGB conversion
(what the frames command did before: dim, grey), and the provenance must say the frame was tone-mapped.
A second HLG clip made by ffmpeg's zscale (zimg) checks against another implementation where it is installed.
"""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

av = pytest.importorskip("av")
np = pytest.importorskip("numpy")

from tradeshield.video import extract_frames  # noqa: E402
from tradeshield.video.hdr import colour_of, describe, dolby_vision  # noqa: E402

CHART = [(115, 82, 68), (194, 150, 130), (98, 122, 157), (87, 108, 67), (133, 128, 177), (103, 189, 170),
         (214, 126, 44), (80, 91, 166), (193, 90, 99), (94, 60, 108), (157, 188, 64), (224, 163, 46),
         (56, 61, 150), (70, 148, 73), (175, 54, 60), (231, 199, 31), (187, 86, 149), (8, 133, 161),
         (243, 243, 242), (200, 200, 200), (160, 160, 160), (122, 122, 121), (85, 85, 85), (52, 52, 52)]
PATCH = 32                      # 6x4 patches of 32 px: 192x128, then a 64-px grey band where the label goes
W, H = 6 * PATCH, 4 * PATCH + 64
M709_TO_2020 = np.array([[0.6274, 0.3293, 0.0433], [0.0691, 0.9195, 0.0114], [0.0164, 0.0880, 0.8956]])


def chart_image() -> np.ndarray:
    img = np.full((H, W, 3), 128, np.uint8)
    for i, c in enumerate(CHART):
        r, q = divmod(i, 6)
        img[r * PATCH:(r + 1) * PATCH, q * PATCH:(q + 1) * PATCH] = c
    return img


def patch_means(img) -> np.ndarray:
    """Mean colour of the middle of each patch (away from coding edges and the label)."""
    a = np.asarray(img, dtype=float)
    m = PATCH // 4
    return np.array([a[r * PATCH + m:(r + 1) * PATCH - m, q * PATCH + m:(q + 1) * PATCH - m].mean((0, 1))
                     for r in range(4) for q in range(6)])


def chart_error(img) -> float:
    """Mean absolute error over the 24 patches and 3 channels, 0–255 scale."""
    return float(np.abs(patch_means(img) - np.array(CHART, float)).mean())


def _pq_inverse_eotf(nits):
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    y = np.power(np.clip(nits / 10000.0, 0, 1), m1)
    return np.power((c1 + c2 * y) / (1 + c3 * y), m2)


def _hlg_oetf(e):
    a, b = 0.17883277, 0.28466892
    c = 0.5 - a * np.log(4 * a)
    e = np.clip(e, 0, 1)
    return np.where(e <= 1 / 12, np.sqrt(3 * e), a * np.log(np.maximum(12 * e - b, 1e-12)) + c)


def hdr_signal(img: np.ndarray, transfer: str) -> np.ndarray:
    """SDR 8-bit picture → non-linear BT.2020 R'G'B' (0…1) of the same picture as HDR (BT.2408 mapping)."""
    display = np.power(img / 255.0, 2.4) @ M709_TO_2020.T * 203.0          # cd/m², BT.2020 primaries
    if transfer == "pq":
        return _pq_inverse_eotf(display)
    lw, gamma = 1000.0, 1.2
    yd = np.maximum(display @ np.array([0.2627, 0.6780, 0.0593]), 1e-9)
    scene = display / lw * np.power(yd / lw, (1 - gamma) / gamma)[..., None]  # inverse HLG OOTF
    return _hlg_oetf(scene)


def write_hevc10(path: Path, rgb: np.ndarray, transfer: str, frames: int = 3, extra: str = "") -> Path:
    """Lossless HEVC Main 10, BT.2020 Y'CbCr (studio range, 4:2:0), VUI tagged HLG or PQ; ``extra``: more
    x265 parameters (HDR10 metadata SEI)."""
    kr, kb = 0.2627, 0.0593
    y = kr * rgb[..., 0] + (1 - kr - kb) * rgb[..., 1] + kb * rgb[..., 2]
    cb, cr = (rgb[..., 2] - y) / (2 * (1 - kb)), (rgb[..., 0] - y) / (2 * (1 - kr))
    sub = lambda p: p.reshape(H // 2, 2, W // 2, 2).mean((1, 3))  # noqa: E731
    planes = [np.round(64 + 876 * y), np.round(512 + 896 * sub(cb)), np.round(512 + 896 * sub(cr))]
    trc = "arib-std-b67" if transfer == "hlg" else "smpte2084"
    # no B-frames, one frame thread: x265's frame threads on a busy machine sometimes hand back packets without a
    # pts, and the MP4 muxer then refused the made-up pair ("pts/dts pair unsupported", PatchWelcomeError)
    params = (f"lossless=1:log-level=error:bframes=0:frame-threads=1:colorprim=bt2020:transfer={trc}:"
              f"colormatrix=bt2020nc:range=limited{extra}")
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("libx265", rate=10, options={"x265-params": params})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p10le"
        for i in range(frames):
            f = av.VideoFrame(W, H, "yuv420p10le")
            for plane, values in zip(f.planes, planes):
                view = np.frombuffer(plane, np.uint16).reshape(plane.height, -1)
                view[:, :values.shape[1]] = values.astype(np.uint16)
            f.pts = i
            for pkt in s.encode(f):
                c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    return path


def plain_error(path: Path) -> float:
    """The chart error of the plain conversion (PyAV/swscale Y'CbCr → RGB, no tone mapping)."""
    with av.open(str(path)) as c:
        return chart_error(next(c.decode(video=0)).to_image())


@pytest.fixture(scope="module")
def hdr_clips(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("hdr")
    chart = chart_image()
    return {t: write_hevc10(d / f"{t}.mp4", hdr_signal(chart, t), t) for t in ("hlg", "pq")}


def _first_frame(case, entry) -> Path:
    return case.root / entry["frames"][0]["path"]


@pytest.mark.parametrize("transfer,limit", [("hlg", 3.0), ("pq", 3.0)])
def test_hdr_frame_matches_the_chart(case, hdr_clips, transfer, limit):
    from PIL import Image

    clip = hdr_clips[transfer]
    entry = extract_frames(case, clip, every=2.0, barcodes=False)
    got = chart_error(Image.open(_first_frame(case, entry)).convert("RGB"))
    plain = plain_error(clip)
    # measured: HLG 1.1 (plain 20.2), PQ 1.3 (plain 34.5); the white patch (243) comes back 236: the roll-off
    # starts at 75 % of SDR white
    assert got < limit, f"{transfer}: mean error {got:.2f}"
    assert got < plain / 4, f"{transfer}: {got:.2f} vs plain {plain:.2f}"
    colour = entry["colour"]
    assert colour["tone_mapped"] is True and entry["frames"][0]["tone_mapped"] is True
    assert colour["source"]["transfer"] == {"hlg": "arib-std-b67", "pq": "smpte2084"}[transfer]
    assert colour["source"]["primaries"] == "bt2020" and colour["source"]["bit_depth"] == 10
    assert "Möbius" in colour["method"] and "BT.2020 → BT.709" in colour["method"]
    assert ("HLG" if transfer == "hlg" else "PQ EOTF") in colour["method"]
    # the custody log says how each frame was made
    log = [json.loads(ln) for ln in (case.root / "custody.jsonl").read_text().splitlines()]
    frames_entry = [e for e in log if e["action"] == "frames"][-1]
    assert frames_entry["details"]["colour"]["tone_mapped"] is True
    assert all(f["tone_mapped"] for f in frames_entry["details"]["frames"])
    # the sheet is made from tone-mapped tiles too: its grey band is not the dim grey of the plain conversion
    assert entry["sheet"]


MASTER = ":hdr10=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(40000000,50)"


@pytest.mark.parametrize("extra,peak", [(MASTER + ":max-cll=600,400", 600), (MASTER, 4000)])
def test_pq_peak_from_hdr10_metadata(case, tmp_path, extra, peak):
    """HDR10 SEI: MaxCLL when the encoder wrote one, else the mastering display's maximum luminance."""
    clip = write_hevc10(tmp_path / "pq10.mp4", hdr_signal(chart_image(), "pq"), "pq", frames=2, extra=extra)
    entry = extract_frames(case, clip, every=2.0, barcodes=False, sheet=False)
    assert entry["colour"]["source"]["peak_cd_m2"] == peak
    assert f"content peak {peak} cd/m²" in entry["colour"]["method"]


def test_sdr_video_is_not_tone_mapped(case, tmp_path):
    path = tmp_path / "sdr.mp4"
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for i in range(3):
            f = av.VideoFrame.from_ndarray(chart_image(), format="rgb24").reformat(format="yuv420p")
            f.pts = i
            for pkt in s.encode(f):
                c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    entry = extract_frames(case, path, every=2.0, barcodes=False)
    assert entry["colour"]["tone_mapped"] is False and entry["frames"][0]["tone_mapped"] is False


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg not installed (zscale cross-check)")
def test_zscale_made_hlg_clip(case, tmp_path):
    """The same chart made HLG by ffmpeg's zscale (zimg): another implementation of the encoding side."""
    from PIL import Image

    png, clip = tmp_path / "chart.png", tmp_path / "z.mp4"
    Image.fromarray(chart_image()).save(png)
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-loop", "1", "-i", str(png),
           "-t", "0.3", "-r", "10", "-vf",
           "format=gbrp,zscale=tin=bt709:pin=bt709:min=gbr:rin=full:t=arib-std-b67:p=bt2020:m=bt2020nc:r=tv:"
           "npl=203,format=yuv420p10le", "-c:v", "libx265", "-x265-params",
           "log-level=error:qp=2:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc", str(clip)]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        pytest.skip("this ffmpeg has no zscale or libx265")
    entry = extract_frames(case, clip, every=2.0, barcodes=False)
    got = chart_error(Image.open(_first_frame(case, entry)).convert("RGB"))
    plain = plain_error(clip)
    # measured with ffmpeg 5.1 (zimg 3.0): 6.0 vs plain 21.7 — zimg applies the HLG OOTF on the signal's
    # luminance rather than the scene light's, so saturated patches differ; the greys come back within 1
    assert got < 8.0 and got < plain / 2, (got, plain)


# ------------------------------------------------------------------ Dolby Vision profile 8.4

def _dvcc(profile: int, level: int, compat: int) -> bytes:
    bits = (profile << 9) | (level << 3) | 0b101      # rpu present, no enhancement layer, base layer present
    body = bytes([1, 0]) + bits.to_bytes(2, "big") + bytes([compat << 4]) + bytes(19)
    return struct.pack(">I4s", 8 + len(body), b"dvcC") + body


def _insert_into_sample_entry(path: Path, box: bytes) -> None:
    """Put ``box`` at the end of the first video sample entry (as iPhones write dvcC), growing every parent.
    The moov is after the media data (no faststart), so no chunk offset moves."""
    data = bytearray(path.read_bytes())
    chain, off, end = [], 0, len(data)
    want = [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"]
    for kind in want:
        while off < end:
            size, k = struct.unpack(">I4s", data[off:off + 8])
            if k == kind:
                chain.append(off)
                end = off + size
                off += 8 + (8 if kind == b"stsd" else 0)   # stsd: version/flags + entry count
                break
            off += size
        else:
            raise AssertionError(f"no {kind!r}")
    entry = off
    chain.append(entry)
    size = struct.unpack(">I", data[entry:entry + 4])[0]
    data[entry + size:entry + size] = box
    for at in chain:
        struct.pack_into(">I", data, at, struct.unpack(">I", data[at:at + 4])[0] + len(box))
    path.write_bytes(bytes(data))


def test_dolby_vision_8_4_read_as_hlg_base_layer(case, hdr_clips, tmp_path):
    from PIL import Image

    clip = tmp_path / "dv84.mp4"
    clip.write_bytes(hdr_clips["hlg"].read_bytes())
    _insert_into_sample_entry(clip, _dvcc(8, 6, 4))
    with av.open(str(clip)) as c:  # still a valid file
        assert next(c.decode(video=0)).format.name == "yuv420p10le"
    entry = extract_frames(case, clip, every=2.0, barcodes=False)
    dv = entry["colour"]["dolby_vision"]
    assert (dv["profile"], dv["compatibility_id"], dv["bl"], dv["el"]) == (8, 4, True, False)
    assert "profile 8.4" in entry["colour"]["dolby_vision_note"] and "HLG" in entry["colour"]["dolby_vision_note"]
    assert chart_error(Image.open(_first_frame(case, entry)).convert("RGB")) < 3.0


def test_dolby_vision_record_needs_a_real_box():
    assert dolby_vision(b"....udta....dvcC is just text here") is None
    moov = b"\x00\x00\x00\x10moov" + _dvcc(5, 9, 0)
    assert dolby_vision(moov)["profile"] == 5


def test_colour_of_sdr_and_describe():
    f = av.VideoFrame(16, 16, "yuv420p")
    info = colour_of(f)
    assert not info.hdr and not info.needs_conversion
    assert describe(info)["tone_mapped"] is False


def test_cli_says_the_frames_were_tone_mapped(cli, case, hdr_clips):
    r = cli("frames", hdr_clips["pq"], "--case", case.root, "--no-barcodes")
    assert r.code == 0, r
    assert "HDR video (PQ (HDR10), BT.2020): frames tone-mapped to SDR BT.709" in r.stdout
