"""HDR → SDR: what a phone's HLG / PQ (HDR10) / Dolby Vision 8.4 video looks like on an ordinary screen.

    >>> from tradeshield.video.hdr import colour_of, Converter
    >>> info = colour_of(first_frame, moov)              # doctest: +SKIP
    >>> info.hdr, info.transfer, info.dolby_vision        # doctest: +SKIP
    (True, 'arib-std-b67', {'profile': 8, 'compatibility_id': 4, ...})
    >>> rgb = Converter(info).rgb(frame)                 # doctest: +SKIP   (H, W, 3) uint8, BT.709 SDR

A 10-bit HDR frame converted to 8-bit RGB as if it were SDR comes out dim and grey. Here it goes the way
ITU-R BT.2100 / BT.2408 describe (no ffmpeg filter, numpy on the decoded 16-bit values):

1. Y'CbCr → non-linear R'G'B' (BT.2020 matrix, studio range) by swscale, 16 bits per component, planar;
2. R'G'B' → linear light by a 65536-entry table: the PQ EOTF (absolute cd/m²), or the HLG inverse OETF
   followed by the HLG OOTF for a 1000 cd/m² display (system gamma 1.2, applied on the scene luminance);
3. scaled so that the BT.2408 HDR reference white (203 cd/m², HLG 75 %) is SDR white;
4. BT.2020 → BT.709 primaries (3×3 matrix in linear light; what falls outside BT.709 is clipped);
5. a Möbius highlight roll-off on max(R, G, B): unchanged up to the knee, then bent smoothly so the
   content's peak lands on SDR white (hue kept: the three components are scaled alike);
6. the inverse of the BT.1886 EOTF (gamma 2.4: display light, as the SDR screen will show it) to 8 bits
   by a table.

Frames are converted in strips of rows, so the float work for a 4K frame needs ~20 MB, not ~400 MB.
Dolby Vision profile 8.4 streams are HEVC with an HLG base layer and a compatible signalling: they are read as
that base layer (the RPU metadata is ignored), and the provenance says so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

HLG, PQ = "arib-std-b67", "smpte2084"
TRC = {18: HLG, 16: PQ, 1: "bt709", 6: "smpte170m", 14: "bt2020-10", 15: "bt2020-12", 13: "iec61966-2-1"}
PRIMARIES = {1: "bt709", 9: "bt2020", 5: "bt470bg", 6: "smpte170m", 12: "smpte432"}
MATRIX = {1: "bt709", 9: "bt2020nc", 10: "bt2020c", 5: "bt470bg", 6: "smpte170m"}

REF_WHITE = 203.0          # cd/m², BT.2408 HDR reference white (= SDR white after conversion)
HLG_PEAK = 1000.0          # cd/m², nominal HLG display the OOTF is computed for (BT.2100 γ = 1.2)
PQ_PEAK_DEFAULT = 1000.0   # cd/m², assumed content peak of PQ video without mastering metadata
KNEE = 0.75                # Möbius roll-off starts at 75 % of SDR white (linear light)
STRIP = 64                 # rows converted at a time
TONE_STEPS = 16384         # table resolution of the roll-off and of the output transfer
M2020_TO_709 = ((1.660491, -0.587641, -0.072850),
                (-0.124550, 1.132900, -0.008349),
                (-0.018151, -0.100579, 1.118730))


@dataclass
class ColourInfo:
    transfer: str | None          # arib-std-b67, smpte2084, bt709, …
    primaries: str | None
    matrix: str | None
    full_range: bool
    bit_depth: int
    peak: float | None = None     # cd/m² (PQ mastering display / content light level), when the stream says
    dolby_vision: dict | None = None   # {"profile", "level", "compatibility_id", "rpu", "el", "bl"}
    raw: dict = field(default_factory=dict)

    @property
    def hdr(self) -> bool:
        return self.transfer in (HLG, PQ)

    @property
    def wide(self) -> bool:
        return self.primaries == "bt2020"

    @property
    def needs_conversion(self) -> bool:
        return self.hdr or self.wide


def colour_of(frame, moov: bytes | None = None) -> ColourInfo:
    """What the stream says about its colour: transfer, primaries, matrix, range, bit depth, Dolby Vision."""
    trc, prim, spc = int(frame.color_trc or 2), int(frame.color_primaries or 2), int(frame.colorspace or 2)
    depth = max(c.bits for c in frame.format.components) if frame.format.components else 8
    info = ColourInfo(transfer=TRC.get(trc), primaries=PRIMARIES.get(prim), matrix=MATRIX.get(spc),
                      full_range=int(frame.color_range or 0) == 2, bit_depth=depth,
                      raw={"color_trc": trc, "color_primaries": prim, "colorspace": spc,
                           "color_range": int(frame.color_range or 0), "pix_fmt": frame.format.name})
    info.peak = _peak(frame)
    if moov:
        info.dolby_vision = dolby_vision(moov)
    return info


def _peak(frame) -> float | None:
    """Content peak from HDR10 side data: MaxCLL, else the mastering display's maximum luminance."""
    import struct

    try:
        # iterating PyAV 18's container gives the types (look each up); before 18 it gave the side data itself
        sd = frame.side_data
        items = [x if getattr(x, "type", None) is not None else sd[x] for x in sd]
    except Exception:  # noqa: BLE001 - side data is a hint only
        return None
    best = None
    for sd in items:
        kind = str(getattr(sd, "type", "")).upper()
        try:
            data = bytes(sd)
        except Exception:  # noqa: BLE001
            continue
        if "CONTENT_LIGHT" in kind and len(data) >= 4:
            cll = struct.unpack("=I", data[:4])[0]  # AVContentLightMetadata.MaxCLL
            if cll > 0:
                return float(cll)
        if "MASTERING_DISPLAY" in kind and len(data) >= 80:
            # AVMasteringDisplayMetadata: primaries 3x2 and white point 2 AVRationals (num, den ints), then
            # min_luminance, max_luminance, then has_primaries, has_luminance
            num, den = struct.unpack("=ii", data[72:80])
            has_lum = struct.unpack("=i", data[84:88])[0] if len(data) >= 88 else 1
            if den > 0 and has_lum:
                best = num / den
    return best if best and best > 0 else None


def dolby_vision(moov: bytes) -> dict | None:
    """The Dolby Vision configuration record (``dvcC`` / ``dvvC`` / ``dvwC`` box) of an MP4/MOV, if any."""
    import struct

    for tag in (b"dvcC", b"dvvC", b"dvwC"):
        i = moov.find(tag)
        while i >= 4:
            size = struct.unpack(">I", moov[i - 4:i])[0]
            body = moov[i + 4:i - 4 + size]
            if 8 + 5 <= size <= 64 and len(body) == size - 8:  # a box of the record's size, not stray bytes
                bits = int.from_bytes(body[2:4], "big")
                return {"box": tag.decode(), "version": f"{body[0]}.{body[1]}", "profile": (bits >> 9) & 0x7F,
                        "level": (bits >> 3) & 0x3F, "rpu": bool(bits & 4), "el": bool(bits & 2),
                        "bl": bool(bits & 1), "compatibility_id": body[4] >> 4}
            i = moov.find(tag, i + 1)
    return None


def describe(info: ColourInfo) -> dict:
    """Provenance of the conversion (stored with every frame entry and in the custody params)."""
    out = {"tone_mapped": bool(info.hdr), "source": {
        "transfer": info.transfer, "primaries": info.primaries, "matrix": info.matrix,
        "range": "full" if info.full_range else "limited", "bit_depth": info.bit_depth, **(
            {"peak_cd_m2": info.peak} if info.peak else {})}}
    if not info.needs_conversion:
        out["method"] = "plain Y'CbCr → RGB (SDR video)"
        return out
    steps = []
    if info.transfer == HLG:
        steps.append(f"HLG inverse OETF + OOTF for a {HLG_PEAK:.0f} cd/m² display (BT.2100, system gamma "
                     f"{hlg_gamma(HLG_PEAK):.2f})")
    elif info.transfer == PQ:
        steps.append(f"PQ EOTF (SMPTE ST 2084), content peak {peak_of(info):.0f} cd/m²"
                     f"{'' if info.peak else ' (assumed: no mastering metadata)'}")
    else:
        steps.append("SDR BT.1886 EOTF (gamma 2.4)")
    if info.hdr:
        steps.append(f"reference white {REF_WHITE:.0f} cd/m² (BT.2408) → SDR white")
    if info.wide:
        steps.append("BT.2020 → BT.709 primaries in linear light, out-of-gamut clipped")
    if info.hdr:
        steps.append(f"Möbius highlight roll-off on max(R,G,B), knee {KNEE:.2f}, peak "
                     f"{peak_of(info) / REF_WHITE:.2f}× SDR white")
    steps.append("BT.1886 inverse EOTF (gamma 2.4), 8-bit")
    out.update({"target": "BT.709 SDR", "method": " → ".join(steps),
                "tone_curve": "mobius" if info.hdr else None, "knee": KNEE if info.hdr else None,
                "reference_white_cd_m2": REF_WHITE if info.hdr else None})
    if info.dolby_vision:
        dv = info.dolby_vision
        out["dolby_vision"] = dv
        base = {4: "HLG", 1: "HDR10 (PQ)", 2: "SDR (BT.709)", 6: "HDR10 (PQ)"}.get(dv["compatibility_id"])
        out["dolby_vision_note"] = (f"Dolby Vision profile {dv['profile']}.{dv['compatibility_id']}: read as its "
                                    f"{base or 'compatible'} base layer; the Dolby Vision metadata (RPU) is not applied")
    return out


# ------------------------------------------------------------------ transfer functions (numpy, float64)

def hlg_gamma(peak: float) -> float:
    return 1.2 + 0.42 * math.log10(peak / 1000.0)


def hlg_inverse_oetf(e):
    import numpy as np

    a, b = 0.17883277, 0.28466892
    c = 0.5 - a * math.log(4 * a)
    e = np.clip(e, 0.0, 1.0)
    return np.where(e <= 0.5, e * e / 3.0, (np.exp((e - c) / a) + b) / 12.0)


def pq_eotf(e):
    """Non-linear PQ signal 0…1 → cd/m² (0…10000)."""
    import numpy as np

    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    p = np.power(np.clip(e, 0.0, 1.0), 1 / m2)
    return 10000.0 * np.power(np.maximum(p - c1, 0) / (c2 - c3 * p), 1 / m1)


def bt1886_eotf(e):
    """SDR signal → display light relative to white (BT.1886 with a zero black level: gamma 2.4)."""
    import numpy as np

    return np.power(np.clip(e, 0.0, 1.0), 2.4)


def bt1886_inverse(x):
    """Display light relative to white → the SDR signal a BT.1886 display shows as that light."""
    import numpy as np

    return np.power(np.clip(x, 0.0, 1.0), 1 / 2.4)


def mobius(x, knee: float, peak: float):
    """ffmpeg/mpv's Möbius curve: identity up to ``knee``, then 1.0 at ``peak`` with a continuous slope."""
    import numpy as np

    x = np.asarray(x, dtype=np.float64)
    if peak <= 1.0 + 1e-6:
        return np.minimum(x, 1.0)
    j = knee
    a = -j * j * (peak - 1.0) / (j * j - 2 * j + peak)
    b = (j * j - 2 * j * peak + peak) / max(peak - 1.0, 1e-6)
    y = (b * b + 2 * b * j + j * j) / (b - a) * (x + a) / (x + b)
    return np.where(x <= j, x, np.minimum(y, 1.0))


def peak_of(info: ColourInfo) -> float:
    if info.transfer == HLG:
        return HLG_PEAK
    if info.transfer == PQ:
        return min(10000.0, max(REF_WHITE, info.peak or PQ_PEAK_DEFAULT))
    return REF_WHITE


# ------------------------------------------------------------------ the converter

class Converter:
    """Frames of one video → upright-agnostic (H, W, 3) uint8 BT.709 SDR arrays; tables built once."""

    def __init__(self, info: ColourInfo):
        import numpy as np

        self.info = info
        codes = np.arange(65536, dtype=np.float64) / 65535.0
        if info.transfer == HLG:
            lin = hlg_inverse_oetf(codes)      # scene light 0…1; the OOTF needs the luminance: applied per pixel
            self.gamma = hlg_gamma(HLG_PEAK)
            self.scale = HLG_PEAK / REF_WHITE
        elif info.transfer == PQ:
            lin = pq_eotf(codes) / REF_WHITE
            self.gamma = None
            self.scale = 1.0
        else:
            lin = bt1886_eotf(codes)
            self.gamma = None
            self.scale = 1.0
        self.eotf = lin.astype(np.float32)
        self.peak = peak_of(info) / REF_WHITE if info.hdr else 1.0
        self.matrix = np.array(M2020_TO_709 if info.wide else np.eye(3), dtype=np.float32)
        # roll-off as a gain table over max(R,G,B) in [0, peak]; the gain is 1 below the knee
        self.tone_max = max(self.peak, 1.0)
        m = (np.arange(TONE_STEPS, dtype=np.float64) + 0.5) / TONE_STEPS * self.tone_max
        self.tone_gain = (mobius(m, KNEE, self.peak) / m).astype(np.float32) if info.hdr else None
        # HLG OOTF gain over the scene luminance Ys in [0, 1]: scale · Ys^(γ-1)
        if self.gamma is not None:
            ys = (np.arange(TONE_STEPS, dtype=np.float64) + 0.5) / TONE_STEPS
            self.ootf_gain = (self.scale * np.power(ys, self.gamma - 1.0)).astype(np.float32)
        else:
            self.ootf_gain = None
        # output: linear light × TONE_STEPS, truncated to an index; each entry is its bin's centre, encoded
        self.oetf = np.round(bt1886_inverse((np.arange(TONE_STEPS + 1) + 0.5) / TONE_STEPS) * 255).astype(np.uint8)
        self.luma = np.array([0.2627, 0.6780, 0.0593] if info.wide else [0.2126, 0.7152, 0.0722], np.float32)
        self.matrix_t = np.ascontiguousarray(self.matrix.T)

    def rgb(self, frame, width: int | None = None, height: int | None = None):
        """(H, W, 3) uint8 SDR of ``frame`` (optionally scaled by swscale first)."""
        import numpy as np

        g = frame.reformat(width=width, height=height, format="rgb48le",
                           src_color_range="JPEG" if self.info.full_range else "MPEG", dst_color_range="JPEG")
        w, h = g.width, g.height
        src = np.frombuffer(g.planes[0], np.uint16).reshape(h, -1)[:, :w * 3].reshape(h, w, 3)
        out = np.empty((h, w, 3), np.uint8)
        for y0 in range(0, h, STRIP):
            y1 = min(h, y0 + STRIP)
            self._strip(src[y0:y1], out[y0:y1])
        return out

    def _strip(self, src, out) -> None:
        """One strip of rows, every step per pixel (a shared gain for neighbours would halo sharp edges)."""
        import numpy as np

        n = TONE_STEPS - 1
        lin = np.take(self.eotf, src)                                     # (s, w, 3) float32 linear
        gain = None
        if self.ootf_gain is not None:                                    # HLG: display light from scene light
            ys = lin @ self.luma
            ys *= n
            gain = np.take(self.ootf_gain, np.clip(ys, 0, n, out=ys).astype(np.uint16))
        if self.info.wide:
            lin = lin @ self.matrix_t                                     # BT.2020 → BT.709, linear light
        if self.tone_gain is not None:
            mx = np.maximum(np.maximum(lin[..., 0], lin[..., 1]), lin[..., 2])
            if gain is not None:
                mx *= gain
            mx *= n / self.tone_max
            tone = np.take(self.tone_gain, np.clip(mx, 0, n, out=mx).astype(np.uint16))
            gain = tone if gain is None else np.multiply(gain, tone, out=gain)
        if gain is None:
            lin *= TONE_STEPS
        else:
            gain *= TONE_STEPS
            lin *= gain[..., None]
        np.clip(lin, 0, TONE_STEPS, out=lin)
        np.take(self.oetf, lin.astype(np.uint16), out=out)
