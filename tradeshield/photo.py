"""Item and serial-number photos: EXIF facts, barcodes and IMEIs, perceptual hashes, privacy-safe upload copies.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.photo import register_photos
    >>> res = register_photos(Case.find(), ["IMG_0012.JPG", "IMG_0013.HEIC"], label="serial")  # doctest: +SKIP
    >>> res["photos"][0]["serials"][0]["value"], res["failures"]                              # doctest: +SKIP
    ('352099001761481', [])

Each photo is read once into memory, hashed, decoded (refusing decompression bombs, truncated files and
formats we do not read), then added to the case's evidence and checked to be the very bytes analysed.
Facts go to ``facts/photos.json`` (one entry per original, re-running replaces it); the upload copy goes to
``derived/photos/`` with orientation applied, EXIF reduced to the capture time (GPS never kept), within the
platform's size limits and with a caption strip naming the capture time, label and the original's SHA-256.
A photo that cannot be read is listed in ``failures`` and the others are still processed.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

from tradeshield import i18n
from tradeshield.config import LIMITS
from tradeshield.errors import InputError, TradeshieldError
from tradeshield.evidence.fsutil import check_input, sha256_bytes, sniff_kind

# 200-MP phone sensors (16320x12240) fit; a larger declared size is treated as a decompression bomb.
MAX_PIXELS = 210_000_000
MAX_FILE_BYTES = 200 * 1024 * 1024
READ_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC", "AVIF": "AVIF"}
UPLOAD_DIR = "photos"

i18n.register({
    "photo.not_image": ("不是图片：{path}（内容类型：{kind}）", "not an image: {path} (content looks like: {kind})"),
    "photo.unsupported": ("不支持的图片格式：{path}（{fmt}；可用 JPEG、PNG、WebP、HEIC）",
                          "unsupported image format: {path} ({fmt}; use JPEG, PNG, WebP or HEIC)"),
    "photo.corrupt": ("图片损坏或不完整：{path}（{reason}）；请从手机重新导出原图",
                      "image is corrupt or truncated: {path} ({reason}); export the original from the phone again"),
    "photo.bomb": ("图片声明尺寸 {width}×{height} 超过 {limit} 百万像素上限（疑似解压炸弹），未处理：{path}",
                   "declared size {width}x{height} exceeds the {limit}-megapixel limit (decompression bomb?), "
                   "not processed: {path}"),
    "photo.too_large": ("文件过大（{mb} MB，上限 {limit} MB）：{path}", "file too large ({mb} MB, limit {limit} MB): {path}"),
    "photo.changed": ("处理过程中文件被修改：{path}", "the file changed while it was being processed: {path}"),
    "photo.caption": ("拍摄 {time} · {label} · 原件 SHA-256 {sha}", "taken {time} · {label} · original SHA-256 {sha}"),
    "photo.no_time": ("时间未知（无 EXIF）", "time unknown (no EXIF)"),
    "photo.no_label": ("照片", "photo"),
    **{f"photo.label.{k}": v for k, v in {"serial": ("序列号", "serial"), "condition": ("成色", "condition"),
                                          "returned": ("退回物品", "returned item"), "packing": ("打包", "packing"),
                                          "defect": ("瑕疵", "defect"), "box": ("包装盒", "box")}.items()},
})


def _pil():
    """Pillow with HEIF registered, bombs refused at MAX_PIXELS (warnings included)."""
    from PIL import Image

    from tradeshield.imaging import enable_heif

    enable_heif()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image


def decode_image(data: bytes, path: str, draft: int | None = None):
    """A fully loaded PIL image from ``data`` or an InputError saying why it cannot be used.

    ``draft`` lets a JPEG decode at a reduced scale, no smaller than that many pixels (compare needs ~1000).
    """
    import warnings

    Image = _pil()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            fmt = (im.format or "?").upper()
            if fmt not in READ_FORMATS:
                raise InputError("photo.unsupported", path=path, fmt=fmt)
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise InputError("photo.bomb", path=path, width=w, height=h, limit=MAX_PIXELS // 1_000_000)
            if draft and fmt in ("JPEG", "MPO"):
                im.draft("RGB", (draft, draft))
            im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        w, h = _declared_size(data)
        raise InputError("photo.bomb", path=path, width=w, height=h, limit=MAX_PIXELS // 1_000_000) from None
    except Image.UnidentifiedImageError:
        kind = _sniff_bytes(data)
        if kind == "photo":
            raise InputError("photo.corrupt", path=path, reason="header not readable") from None
        raise InputError("photo.not_image", path=path, kind=kind) from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:  # Pillow's decoders raise all of these
        raise InputError("photo.corrupt", path=path, reason=str(e) or type(e).__name__) from None
    return im


def _declared_size(data: bytes) -> tuple[str, str]:
    from PIL import Image

    old = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = None
        with Image.open(io.BytesIO(data)) as im:
            return str(im.width), str(im.height)
    except Exception:  # the size is only decoration for the message
        return "?", "?"
    finally:
        Image.MAX_IMAGE_PIXELS = old


def _sniff_bytes(data: bytes) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(data[:4096])
        f.flush()
        kind = sniff_kind(f.name)
    return {"chat": "text", "other": "unknown"}.get(kind, kind)


def read_photo(path: str | os.PathLike, draft: int | None = None) -> tuple[bytes, str, object]:
    """(bytes, sha256, decoded image) for a photo on disk; InputError for anything unusable."""
    p = check_input(path)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError("photo.too_large", path=str(path), mb=round(size / 2**20), limit=MAX_FILE_BYTES // 2**20)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError("file.unreadable", path=str(path), reason=e.strerror or str(e)) from None
    return data, sha256_bytes(data), decode_image(data, str(path), draft)


def upright(im):
    """The image as the camera meant it to be seen (EXIF Orientation applied), in RGB."""
    from PIL import ImageOps

    out = ImageOps.exif_transpose(im)
    if out.mode in ("RGBA", "LA", "PA") or (out.mode == "P" and "transparency" in out.info):
        from PIL import Image

        # transparent pixels onto white, as a viewer shows them (a plain convert turns them black)
        rgba = out.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return out.convert("RGB") if out.mode != "RGB" else out


def exif_facts(im) -> dict:
    from tradeshield.meta import exif_time

    exif = im.getexif()
    when, source = exif_time(exif)
    gps = exif.get_ifd(0x8825)
    coords = [gps.get(2), gps.get(4)]
    # a GPS IFD holding only its version tag (Canon) carries no position; an all-zero fix (0,0) is no fix either
    present = all(c is not None for c in coords)
    return {"capture_time": when, "capture_source": source, "make": _text(exif.get(0x010F)),
            "model": _text(exif.get(0x0110)), "software": _text(exif.get(0x0131)),
            "orientation": int(exif.get(0x0112) or 1), "gps_present": present,
            "gps_zero": present and all(_all_zero(c) for c in coords), "gps_ifd": bool(gps)}


def _all_zero(value) -> bool:
    if value is None:
        return True
    try:
        return all(float(v) == 0 for v in value)
    except (TypeError, ValueError):
        return False


def _text(value) -> str | None:
    if value is None:
        return None
    s = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return s.strip("\x00 ") or None


def perceptual_hashes(img) -> dict:
    import imagehash

    return {"phash": str(imagehash.phash(img)), "dhash": str(imagehash.dhash(img))}


def codes_and_serials(img, sha: str, rel: str) -> tuple[list[dict], list[dict]]:
    """Barcodes (zxing-cpp) of the upright image and every IMEI / serial found in their text."""
    from tradeshield.barcodes import decode
    from tradeshield.serials import find_serials

    barcodes = decode(img.convert("L"))
    serials = []
    for i, bc in enumerate(barcodes):
        src = {"sha256": sha, "path": rel, "barcode": bc["format"], "index": i, "position": bc["position"]}
        for fact in find_serials(bc["text"], source=src):
            # a code that encodes nothing but the identifier (Apple prefixes serials with "S") is the
            # strongest reading there is: the symbology's own check protects it
            rest = bc["text"][:fact["span"][0]] + bc["text"][fact["span"][1]:]
            fact["whole_code"] = rest.strip() in ("", "S")
            serials.append(fact)
    return barcodes, serials


def upload_exif(capture_time: str | None, capture_source: str | None = None) -> bytes:
    """EXIF holding only the capture time, in the tag it came from (DateTimeOriginal + OffsetTimeOriginal
    normally); no GPS, no device, no thumbnail."""
    Image = _pil()
    exif = Image.Exif()
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)([+-]\d\d:\d\d)?", capture_time or "")
    if m:
        stamp = f"{m.group(1)}:{m.group(2)}:{m.group(3)} {m.group(4)}"
        if re.split(r"[ +]", capture_source or "")[0] == "exif:DateTime":  # the file had only the plain DateTime
            exif[0x0132] = stamp
        else:
            sub = exif.get_ifd(0x8769)
            sub[0x9003] = stamp
            if m.group(5):
                sub[0x9011] = m.group(5)
    return exif.tobytes()


def to_srgb(img, icc: bytes | None):
    """Colour-manage wide-gamut originals (iPhone HEIC is Display P3) into sRGB, since the copy drops the profile."""
    if not icc:
        return img
    try:
        from PIL import ImageCms

        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(img, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:  # a broken profile must not cost the user the upload copy
        return img


def make_upload_copy(case, img, facts: dict, label: str, max_side: int | None = None,
                     max_bytes: int | None = None, icc: bytes | None = None) -> dict:
    from tradeshield.imaging import add_caption, fit_long_side, save_jpeg_within

    max_side = max_side or LIMITS.image_long_side
    sha = facts["sha256"]
    from tradeshield.timeutil import show_time

    shown = i18n.t(f"photo.label.{label}") if label and i18n.has(f"photo.label.{label}") else label
    caption = i18n.t("photo.caption", time=show_time(facts["capture_time"], case.tz) if facts["capture_time"]
                     else i18n.t("photo.no_time"), label=shown or i18n.t("photo.no_label"), sha=sha[:12])
    # shrink first so the strip is sized for the final picture, not shrunk with it afterwards
    body = fit_long_side(to_srgb(img, icc), max_side)
    captioned = add_caption(body, [caption])
    stem = re.sub(r"[^\w.-]+", "_", Path(facts["path"]).stem)[:60] or "photo"
    dest = case.derived_path(f"{UPLOAD_DIR}/{sha[:12]}-{stem}.jpg")
    info = save_jpeg_within(captioned, dest, max_side=max_side, max_bytes=max_bytes,
                            exif=upload_exif(facts["capture_time"], facts["capture_source"]))
    case.record_derived([dest], action="photo-upload-copy", sources=[sha],
                        params={"label": label, "max_side": max_side, "max_bytes": max_bytes or LIMITS.image_bytes,
                                "exif_kept": ["DateTimeOriginal", "OffsetTimeOriginal"], "caption": caption})
    return {"path": case.rel(dest), "width": info["width"], "height": info["height"], "bytes": info["bytes"]}


def analyse(case, path, label: str, max_side=None, max_bytes=None) -> dict:
    """Everything about one photo; adds it to the case's evidence. Raises InputError for a bad file."""
    data, sha, im = read_photo(path)
    item = case.ensure_evidence(path, note=label or None)
    if item.sha256 != sha:
        raise InputError("photo.changed", path=str(path))
    facts = {"path": item.path, "sha256": sha, "label": label, "format": READ_FORMATS[im.format.upper()],
             "bytes": len(data), **exif_facts(im)}
    icc = im.info.get("icc_profile")
    img = upright(im)
    facts["width"], facts["height"] = img.size
    facts.update(perceptual_hashes(img))
    facts["barcodes"], facts["serials"] = codes_and_serials(img, sha, item.path)
    up = make_upload_copy(case, img, facts, label, max_side, max_bytes, icc)
    facts["upload_copy"] = up["path"]
    facts["upload"] = up
    return facts


def expand_inputs(paths) -> list[Path]:
    """Files as given; folders give their non-hidden files, sorted (like ``tradeshield add``)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and not any(
                part.startswith(".") for part in f.relative_to(p).parts)))
        else:
            out.append(p)
    return out


def register_photos(case, paths, label: str = "", progress=None, max_side: int | None = None,
                    max_bytes: int | None = None) -> dict:
    """Register photos in the case: {"photos": [facts…], "failures": [{"path", "code", "message"}]}."""
    files = expand_inputs(paths)
    done, failures = [], []
    for i, f in enumerate(files):
        if progress:
            progress("photos", i, len(files))
        try:
            done.append(analyse(case, f, label, max_side, max_bytes))
        except TradeshieldError as e:
            failures.append({"path": str(f), "code": e.key, "message": e.message()})
    if progress:
        progress("photos", len(files), len(files))
    if done:
        save_photo_facts(case, done)
    return {"photos": done, "failures": failures}


def save_photo_facts(case, new: list[dict]) -> None:
    """Merge into facts/photos.json: one entry per original (a re-run replaces it)."""
    old = case.read_facts("photos", {}) or {}
    by_sha = {p["sha256"]: p for p in old.get("photos", [])}
    for p in new:
        by_sha[p["sha256"]] = p
    photos = list(by_sha.values())
    case.write_facts("photos", {"photos": photos}, sources=[p["sha256"] for p in photos])


def known_photo(case, sha: str) -> dict | None:
    for p in (case.read_facts("photos", {}) or {}).get("photos", []):
        if p.get("sha256") == sha:
            return p
    return None
