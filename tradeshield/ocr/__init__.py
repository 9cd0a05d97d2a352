"""Text in images (RapidOCR, offline), one result per image SHA-256 + model, cached in the case.

    >>> from tradeshield.ocr import recognize
    >>> lines = recognize(pil_image)                            # doctest: +SKIP
    >>> lines[0].text, lines[0].box, round(lines[0].score, 2)   # doctest: +SKIP
    ('你好，这个手机还在吗？', (180, 233, 830, 285), 0.99)

The engine is RapidOCR (``rapidocr`` + ``onnxruntime``): its wheel carries the PP-OCR detection, recognition
and orientation models, and the engine is built with explicit paths to those packaged files, so nothing is
downloaded, ever (a missing file is an error that says to reinstall, not a download). It is imported and
loaded on first use only (~1 s). Its INFO logging is turned down to warnings.

Each line is ``Line(text, box, score)`` with ``box`` the axis-aligned pixel box ``(x0, y0, x1, y1)`` in the
image and ``score`` RapidOCR's recognition confidence (0-1). Images taller than ``TILE_RATIO`` × their width
(long scrolling captures) are read in overlapping tiles — RapidOCR shrinks any image whose long side passes
2000 px, which would make the text of a 1080×10000 capture unreadable — and lines seen twice in an overlap
are kept once.

``model_id()`` names the engine version and model files without importing the engine, so a cache lookup
(``OcrCache``) costs a JSON read: results are stored in the case under ``derived/ocr/<sha256>.json`` with the
model id; a different model means recognise again.
"""
from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass

from tradeshield import i18n

MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx",
          "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
TILE_RATIO = 2.6          # taller than this × width: read in tiles
TILE_OVERLAP = 0.12       # of the width
MAX_SIDE = 1800           # detection input's long side (RapidOCR itself stops at 2000): -130 MB peak
REREAD = 0.9              # lines scored below this are recognised again from their own crop
CACHE_DIR = "ocr"

i18n.register({
    "ocr.missing": ("未安装文字识别引擎（rapidocr / onnxruntime）：请重新安装 tradeshield（pip install tradeshield）",
                    "the OCR engine (rapidocr / onnxruntime) is not installed: reinstall tradeshield "
                    "(pip install tradeshield)"),
    "ocr.models": ("文字识别模型文件缺失：{path}；请重新安装 rapidocr（pip install --force-reinstall rapidocr）",
                   "OCR model file missing: {path}; reinstall rapidocr (pip install --force-reinstall rapidocr)"),
    "ocr.failed": ("文字识别失败：{path}（{reason}）", "text recognition failed: {path} ({reason})"),
})


@dataclass(frozen=True)
class Line:
    text: str
    box: tuple            # (x0, y0, x1, y1) pixels
    score: float

    def to_list(self) -> list:
        return [self.text, list(self.box), round(float(self.score), 4)]

    @classmethod
    def from_list(cls, v) -> "Line":
        return cls(v[0], tuple(v[1]), float(v[2]))


@functools.lru_cache(maxsize=1)
def model_id() -> str:
    """``rapidocr-<version>/<det>+<rec>+<cls>``, from package metadata (no engine import)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("rapidocr")
    except PackageNotFoundError:
        v = "missing"
    return f"rapidocr-{v}/" + "+".join(m.rsplit(".", 1)[0] for m in MODELS.values()) + f"/reread{REREAD}"


_engine = None
_lock = threading.Lock()


def engine():
    """The RapidOCR engine, built once per process from the packaged model files."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = _build()
        return _engine


def _build():
    import logging
    from importlib.resources import files

    from tradeshield.errors import InputError

    try:
        import rapidocr
    except ImportError:
        raise InputError("ocr.missing") from None
    root = files(rapidocr) / "models"
    params = {"Global.log_level": "warning"}
    for task, name in MODELS.items():
        path = root / name
        if not path.is_file():
            raise InputError("ocr.models", path=str(path))
        params[f"{task}.model_path"] = str(path)
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return rapidocr.RapidOCR(params=params)


def _call(img, dy: int = 0) -> list[Line]:
    # the three flags every time: RapidOCR keeps the last call's flags (a rec-only re-read would stick)
    res = engine()(img, use_det=True, use_cls=True, use_rec=True)
    out = []
    if res is None or res.boxes is None or res.txts is None:
        return out
    for quad, text, score in zip(res.boxes, res.txts, res.scores):
        xs = [float(p[0]) for p in quad]
        ys = [float(p[1]) for p in quad]
        out.append(Line(str(text), (int(min(xs)), int(min(ys)) + dy, int(round(max(xs))), int(round(max(ys))) + dy),
                        float(score)))
    return out


def recognize(img, progress=None, label: str = "ocr") -> list[Line]:
    """Every text line of a PIL image (RGB), top to bottom. Tall images are read in tiles."""
    w, h = img.size
    if h <= TILE_RATIO * w:
        f = min(1.0, MAX_SIDE / max(w, h))
        if f < 1.0:         # what RapidOCR would do past 2000 px anyway, a little further: less memory, same text
            from PIL import Image

            small = img.resize((round(w * f), round(h * f)), Image.LANCZOS)
            lines = [Line(ln.text, tuple(int(round(v / f)) for v in ln.box), ln.score) for ln in _call(small)]
        else:
            lines = _call(img)
    else:
        tile = int(2.2 * w)
        over = int(TILE_OVERLAP * w) + 200
        tops = list(range(0, max(1, h - over), tile - over))
        lines = []
        for k, top in enumerate(tops):
            if progress:
                progress(label, k, len(tops))
            part = _call(img.crop((0, top, w, min(h, top + tile))), dy=top)
            lo, hi = top + (over // 2 if k else 0), (top + tile - over // 2) if k < len(tops) - 1 else h
            # keep a line in the tile that sees it whole: its centre in this tile's own band
            lines.extend(ln for ln in part if lo <= (ln.box[1] + ln.box[3]) / 2 < hi
                         and not (ln.box[1] <= top and top > 0) and not (ln.box[3] >= top + tile - 1 and top + tile < h))
        if progress:
            progress(label, len(tops), len(tops))
    lines = [_reread(img, ln) if ln.score < REREAD else ln for ln in lines]
    lines.sort(key=lambda ln: (ln.box[1], ln.box[0]))
    return lines


def _reread(img, ln: Line) -> Line:
    """A doubtful line recognised again from its own crop (a lone 出 at a line's start reads 田 at 0.75 in the
    whole screen, 出 at 0.99998 alone); the better reading wins."""
    x0, y0, x1, y1 = ln.box
    p = max(4, (y1 - y0) // 6)
    crop = img.crop((max(0, x0 - p), max(0, y0 - p), min(img.width, x1 + p), min(img.height, y1 + p)))
    try:
        res = engine()(crop, use_det=False, use_cls=False, use_rec=True)
    except Exception:       # a second opinion only: the first reading stands
        return ln
    if res is None or not res.txts:
        return ln
    text, score = str(res.txts[0]), float(res.scores[0])
    return Line(text, ln.box, score) if score > ln.score and text.strip() else ln


class OcrCache:
    """OCR results (and what a reader derived from them) per image SHA-256, under ``derived/ocr/``."""

    def __init__(self, case=None):
        self.case = case

    def _path(self, sha: str):
        return self.case.derived_path(f"{CACHE_DIR}/{sha}.json") if self.case is not None else None

    def get(self, sha: str) -> dict | None:
        p = self._path(sha)
        if p is None or not p.exists():
            return None
        try:
            data = json.loads(p.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if data.get("model") == model_id() else None

    def put(self, sha: str, data: dict) -> None:
        p = self._path(sha)
        if p is None:
            return
        from tradeshield.evidence.fsutil import atomic_write

        data = {**data, "model": model_id(), "sha256": sha}
        p.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(p, "w") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))


def read_lines(img, sha: str, cache: OcrCache | None = None, progress=None, label: str = "ocr",
               variant: str = "") -> list[Line]:
    """``recognize`` through the cache: the same image, model and preparation (``variant``) are recognised once."""
    hit = cache.get(sha) if cache else None
    if hit and "lines" in hit and hit.get("variant", "") == variant:
        return [Line.from_list(v) for v in hit["lines"]]
    lines = recognize(img, progress=progress, label=label)
    if cache:
        old = cache.get(sha) or {}
        cache.put(sha, {**old, "lines": [ln.to_list() for ln in lines], "variant": variant})
    return lines
