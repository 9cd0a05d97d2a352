"""Barcode and QR decoding (zxing-cpp), shared by photos, video frames and invoices.

    >>> from PIL import Image
    >>> from tradeshield.barcodes import decode
    >>> decode(Image.open("box_label.jpg"))          # doctest: +SKIP
    [{'format': 'Code128', 'text': '352099001761481', 'position': [[12, 40], [300, 40], [300, 90], [12, 90]], 'retry': 'default'}]

zxing-cpp decodes 9/10 of ../shared/corpus/barcodes against OpenCV's 5/10 (bench/bench_compare.py) and is the only one of the two
that reads Code 128, the symbology of IMEI labels (TECH-NOTES.md), so it is the decoder.

A blurry or badly lit phone photo often gives nothing on the first pass. ``decode`` then works down a
ladder of retries until two of them read the same code; every result names the retries that found it
(``retry``): zxing-cpp's own options first (``default``: try_rotate, try_downscale, try_invert; then the
``GlobalHistogram`` and ``FixedThreshold`` binarizers), then the image changed: ``upscale`` (small codes),
``sharpen`` (unsharp mask), ``contrast`` (autocontrast), and finally the same on each ``region`` a
gradient search finds barcode-like (``region-sharpen``, ``region-upscale`` …: the bars cropped out, so the
decoder is not distracted by the rest of the photo).
"""
from __future__ import annotations


def _read(image, formats, **options) -> list:
    import zxingcpp

    kw = dict(options)
    if formats:
        kw["formats"] = getattr(zxingcpp.BarcodeFormat, formats) if isinstance(formats, str) else formats
    try:
        return zxingcpp.read_barcodes(image, **kw)
    except TypeError:  # older zxing-cpp without keyword options
        return zxingcpp.read_barcodes(image)


def _results(results, retry: str, offset=(0, 0), scale: float = 1.0) -> list[dict]:
    out = []
    ox, oy = offset
    for r in results:
        if not r.valid or not r.text:
            continue
        p = r.position
        corners = [[round(ox + pt.x / scale), round(oy + pt.y / scale)]
                   for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
        out.append({"format": str(r.format).split(".")[-1], "text": r.text, "position": corners, "retry": retry})
    return out


def _sharpen(img):
    from PIL import ImageFilter

    return img.filter(ImageFilter.UnsharpMask(radius=2, percent=180, threshold=2))


def _contrast(img):
    from PIL import ImageOps

    return ImageOps.autocontrast(img, cutoff=2)


def _upscale(img, factor: float = 2.0):
    from PIL import Image

    return img.resize((max(1, int(img.width * factor)), max(1, int(img.height * factor))), Image.LANCZOS)


def regions(gray, max_regions: int = 3) -> list[tuple[int, int, int, int]]:
    """Boxes of barcode-like areas (dense parallel edges) in a grayscale PIL image: horizontal minus vertical
    gradient, blurred, thresholded and closed; the largest blobs, padded. Also rotated codes: the
    region is cropped upright around the blob."""
    import cv2
    import numpy as np

    a = np.asarray(gray)
    if a.ndim != 2 or min(a.shape) < 16:
        return []
    scale = 1.0
    if max(a.shape) > 1200:
        scale = 1200 / max(a.shape)
        a = cv2.resize(a, (int(a.shape[1] * scale), int(a.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    out = []
    for dx, dy in ((1, 0), (0, 1)):
        gx = cv2.Sobel(a, cv2.CV_32F, dx, dy, ksize=-1)
        gy = cv2.Sobel(a, cv2.CV_32F, dy, dx, ksize=-1)
        g = cv2.convertScaleAbs(cv2.subtract(np.abs(gx), np.abs(gy)))
        g = cv2.blur(g, (9, 9))
        _, th = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        k = cv2.getStructuringElement(cv2.MORPH_RECT, (21, 7) if dx else (7, 21))
        th = cv2.morphologyEx(th, cv2.MORPH_CLOSE, k)
        th = cv2.erode(th, None, iterations=3)
        th = cv2.dilate(th, None, iterations=3)
        contours, _ = cv2.findContours(th, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in sorted(contours, key=cv2.contourArea, reverse=True)[:max_regions]:
            x, y, w, h = cv2.boundingRect(c)
            if w * h < 0.005 * a.size:
                continue
            pad_x, pad_y = int(w * 0.25) + 8, int(h * 0.25) + 8
            box = (max(0, x - pad_x), max(0, y - pad_y), min(a.shape[1], x + w + pad_x), min(a.shape[0], y + h + pad_y))
            out.append(tuple(int(v / scale) for v in box))
    return out[: 2 * max_regions]


WORK_SIDE = 1600       # long side of the copy the whole-image retries work on
RETRY_BUDGET = 2.0     # seconds of retries per image at most: a photo without a code must not cost more


def _attempts(gray, formats):
    """(name, results) for each retry in order, lazily."""
    from zxingcpp import Binarizer

    yield "global-histogram", _results(_read(gray, formats, binarizer=Binarizer.GlobalHistogram), "global-histogram")
    yield "fixed-threshold", _results(_read(gray, formats, binarizer=Binarizer.FixedThreshold), "fixed-threshold")
    if not hasattr(gray, "resize"):
        return
    # whole-image filters on a big photo run on a copy of at most WORK_SIDE px: the bars of a code that fills
    # part of a 12 MP photo survive that, and the filters cost a tenth
    base = 1.0 if max(gray.size) <= WORK_SIDE else WORK_SIDE / max(gray.size)
    work = gray if base == 1.0 else _upscale(gray, base)
    variants = ([("upscale", lambda g: _upscale(g), 2.0)] if max(work.size) < 1000 else []) + [
        ("sharpen", _sharpen, 1.0), ("contrast", _contrast, 1.0),
        ("sharpen-upscale", lambda g: _sharpen(_upscale(g, 1.5)), 1.5),
    ]
    for name, fn, scale in variants:
        yield name, _results(_read(fn(work), formats), name, scale=scale * base)
    try:
        boxes = regions(gray)
    except Exception:  # OpenCV missing or an odd image: the region retries are an extra, not a requirement
        boxes = []
    for box in boxes:
        crop = gray.crop(box)
        f = max(1.0, min(4.0, 600 / max(1, crop.width)))
        if crop.width * crop.height * f * f > 4_000_000:  # a huge region is the whole photo again: tried above
            continue
        yield "region", _results(_read(crop, formats), "region", offset=box[:2])
        yield "region-upscale", _results(_read(_upscale(crop, f), formats), "region-upscale", offset=box[:2], scale=f)
        yield "region-sharpen", _results(_read(_sharpen(_upscale(crop, f)), formats), "region-sharpen",
                                         offset=box[:2], scale=f)
        yield "region-global-histogram", _results(_read(_upscale(crop, f), formats, binarizer=Binarizer.GlobalHistogram),
                                                  "region-global-histogram", offset=box[:2], scale=f)


def _family(retry: str) -> str:
    """Retries of one family see the image the same way (the same crop, the same filter): a confirmation must
    come from another family."""
    if retry.startswith("region"):
        return "region"
    return "binarizer" if retry in ("global-histogram", "fixed-threshold") else "image"


def decode_with_retries(image, formats=None, stop=None, max_attempts: int | None = None) -> tuple[list[dict], str | None]:
    """(results, name of the retry that found them) — ([], None) when every retry failed.

    zxing-cpp's first pass (``default``) is trusted as it is. A retry pushes a poor image harder, and on the
    zxing blackbox photos a lone retry sometimes reads a wrong code whose check digit happens to pass, so a
    retry's reading counts only once a retry of another family (binarizer / filtered image / cropped region) reads the
    same text; the result then names
    both (``"sharpen+upscale"``). ``formats``: a zxing-cpp BarcodeFormat name ("QRCode") or flags; ``stop``:
    a predicate on a result: when given, only results satisfying it count (an invoice QR code, not any code);
    ``max_attempts``: how many retries to try after the first pass (all by default); retries stop after
    ``RETRY_BUDGET`` seconds.
    """
    if getattr(image, "mode", None) == "P":  # a palette with transparency converts cleanly only through RGBA
        image = image.convert("RGBA")
    gray = image.convert("L") if hasattr(image, "convert") and getattr(image, "mode", "L") != "L" else image

    def wanted(res):
        return [r for r in res if stop is None or stop(r)]

    res = wanted(_results(_read(gray, formats), "default"))
    if res:
        return res, "default"
    import time

    deadline = time.monotonic() + RETRY_BUDGET
    seen: dict[str, str] = {}
    for n, (name, found) in enumerate(_attempts(gray, formats)):
        if max_attempts is not None and n >= max_attempts or time.monotonic() > deadline:
            break
        found = wanted(found)
        for r in found:
            first = seen.get(r["text"])
            if first is not None and _family(first) != _family(name):
                retry = f"{first}+{name}"
                hits = [dict(x, retry=retry) for x in found if x["text"] == r["text"]]
                return hits, retry
        for r in found:
            seen.setdefault(r["text"], name)
    return [], None


def decode(image, try_harder: bool = True) -> list[dict]:
    """Decode every barcode in a PIL image or numpy array; positions are the four corner points, ``retry`` the
    pass that found them. ``try_harder=False``: zxing-cpp's defaults only, no retries (fast paths)."""
    if not try_harder:
        if getattr(image, "mode", None) == "P":
            image = image.convert("RGBA")
        return _results(_read(image, None), "default")
    return decode_with_retries(image)[0]
