"""photo: EXIF facts, orientation, HEIC, barcodes and IMEIs, upload copies, bad input (library and CLI)."""
from __future__ import annotations

import hashlib
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from tradeshield.photo import codes_and_serials, decode_image, register_photos, upright


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def label_photo(path, text: str, size=(900, 600)):
    """A photo-like picture of a box label carrying ``text`` as Code 128, slightly rotated."""
    import numpy as np
    import zxingcpp
    from PIL import Image, ImageDraw

    code = np.asarray(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128).to_image(scale=3))
    bar = Image.fromarray(code).convert("RGB")
    img = Image.new("RGB", size, (236, 232, 220))
    img.paste(bar, ((size[0] - bar.width) // 2, (size[1] - bar.height) // 2))
    ImageDraw.Draw(img).text((40, 40), "IMEI " + text, fill=(0, 0, 0))
    img = img.rotate(7, resample=Image.BICUBIC, fillcolor=(210, 210, 210))
    img.save(path, quality=90)
    return path


def huge_png(path, width=60000, height=60000):
    """A tiny file whose header declares a gigantic picture (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    raw = zlib.compress(b"\x00" * 1000)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    return path


# ------------------------------------------------------------------ corpus photos

def test_gps_in_original_absent_from_upload_copy_time_kept(case, corpus):
    from PIL import Image

    src = corpus / "photos" / "nikon_coolpix_p6000_gps.jpg"
    before = sha(src)
    res = register_photos(case, [src], label="serial")
    assert res["failures"] == []
    p = res["photos"][0]
    assert (p["make"], p["model"], p["gps_present"], p["gps_zero"]) == ("NIKON", "COOLPIX P6000", True, False)
    assert p["capture_time"] == "2008-10-22T16:28:39" and p["sha256"] == before
    with Image.open(case.root / p["upload_copy"]) as up:
        exif = up.getexif()
        assert dict(exif.get_ifd(0x8825)) == {}           # no GPS
        assert 0x010F not in exif and 0x0110 not in exif   # no make / model
        assert exif.get_ifd(0x8769).get(0x9003) == "2008:10:22 16:28:39"
        assert up.height > 480 and up.width == 640          # caption strip added below
    assert sha(src) == before                               # original untouched
    assert sha(case.root / p["path"]) == before              # evidence copy is the original
    facts = case.read_facts("photos")
    assert [x["sha256"] for x in facts["photos"]] == [before]
    assert any(r["action"] == "photo-upload-copy" for r in case.derived_records().values())


def test_orientation_applied(case, corpus):
    import numpy as np
    from PIL import Image, ImageOps

    src = corpus / "photos" / "samsung_gt-i9000_orientation6_gps_zero.jpg"
    p = register_photos(case, [src], label="item")["photos"][0]
    assert p["orientation"] == 6 and (p["width"], p["height"]) == (480, 640)
    assert p["gps_present"] and p["gps_zero"]
    with Image.open(src) as im:
        upright = np.asarray(ImageOps.exif_transpose(im).convert("L"), dtype=float)
        raw = np.asarray(im.convert("L").rotate(180), dtype=float)  # a wrong orientation for comparison
    with Image.open(case.root / p["upload_copy"]) as up:
        body = np.asarray(up.convert("L").crop((0, 0, 480, 640)), dtype=float)
    assert np.abs(body - upright).mean() < 6
    assert np.abs(body[:480, :480] - raw[:480, :480]).mean() > 20


def test_heic_read_with_offset_and_gps(case, corpus):
    from PIL import Image

    p = register_photos(case, [corpus / "photos" / "iphone11promax_gps.heic"], label="box", max_side=1200)["photos"][0]
    assert p["format"] == "HEIC" and p["model"] == "iPhone 11 Pro Max" and p["gps_present"]
    assert p["capture_time"] == "2021-04-11T15:47:53-05:00"
    with Image.open(case.root / p["upload_copy"]) as up:
        assert max(up.size) <= 1200
        sub = up.getexif().get_ifd(0x8769)
        assert (sub.get(0x9003), sub.get(0x9011)) == ("2021:04:11 15:47:53", "-05:00")
        assert dict(up.getexif().get_ifd(0x8825)) == {}


def test_corpus_barcodes_decode_to_expected_texts(corpus):
    from PIL import Image

    hits = 0
    for png in sorted((corpus / "barcodes").glob("*.png")):
        expected = png.with_suffix(".txt").read_bytes().decode("utf-8")  # keeps qrcode-2_10's CRLF
        with Image.open(png) as im:
            codes, _ = codes_and_serials(upright(im), "0" * 64, png.name)
        texts = [c["text"] for c in codes]
        assert all(t == expected for t in texts), (png.name, texts)   # never a misread
        hits += expected in texts
    assert hits >= 9  # measured: zxing-cpp reads 9 of 10 (ean13-2_01, a blurred ISBN, is missed)


# ------------------------------------------------------------------ IMEI labels

def test_imei_label_decoded_with_source(case, tmp_path):
    good = label_photo(tmp_path / "imei.jpg", "352099001761481")
    bad = label_photo(tmp_path / "imei_bad.jpg", "352099001761482")
    res = register_photos(case, [good, bad], label="serial")
    first, second = res["photos"]
    s = first["serials"][0]
    assert (s["type"], s["value"], s["valid"], s["tac"], s["whole_code"]) == ("imei", "352099001761481", True, "35209900", True)
    assert s["source"]["barcode"] == "Code 128" and s["source"]["sha256"] == first["sha256"]
    assert len(s["source"]["position"]) == 4
    assert second["serials"][0]["valid"] is False and second["serials"][0]["expected_check_digit"] == "1"


# ------------------------------------------------------------------ bad input

def test_bad_inputs_listed_and_the_rest_processed(case, tmp_path, corpus):
    from PIL import Image

    ok = tmp_path / "ok.png"
    Image.new("RGB", (300, 200), (10, 120, 200)).save(ok)
    webp = tmp_path / "ok.webp"
    Image.new("RGB", (300, 200), (200, 120, 10)).save(webp)
    gif = tmp_path / "anim.gif"
    Image.new("RGB", (30, 20)).save(gif)
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo at all\n")
    bomb = huge_png(tmp_path / "bomb.png")
    trunc = shutil.copy(corpus / "photos" / "truncated_jpeg.jpg", tmp_path / "trunc.jpg")
    res = register_photos(case, [ok, trunc, bomb, gif, text, webp])
    assert [Path(p["path"]).name for p in res["photos"]] == ["ok.png", "ok.webp"]
    assert [p["format"] for p in res["photos"]] == ["PNG", "WebP"]
    codes = {Path(f["path"]).name: f["code"] for f in res["failures"]}
    assert codes == {"trunc.jpg": "photo.corrupt", "bomb.png": "photo.bomb", "anim.gif": "photo.unsupported",
                     "notes.jpg": "photo.not_image"}
    assert {e.path.split("/")[-1] for e in case.evidence()} == {"ok.png", "ok.webp"}  # failures not added


def test_bomb_under_pillow_error_limit_is_refused_too(tmp_path):
    """Between MAX_PIXELS and Pillow's 2x error limit Pillow only warns: that must still be refused."""
    from tradeshield.errors import InputError

    data = huge_png(tmp_path / "b.png", 16000, 16000).read_bytes()  # 256 MP
    with pytest.raises(InputError) as e:
        decode_image(data, "b.png")
    assert e.value.key == "photo.bomb" and "16000" in e.value.message("en")


# ------------------------------------------------------------------ CLI

def test_cli_photo_failures_exit_2_one_line_each(cli, case, corpus, tmp_path):
    good = label_photo(tmp_path / "imei.jpg", "861234567890127")
    r = cli("photo", good, corpus / "photos" / "truncated_jpeg.jpg", "--label", "serial", "--json", cwd=case.root)
    assert r.code == 2, r
    assert r.json["photos"][0]["serials"][0]["value"] == "861234567890127"
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("tradeshield: ")]
    assert lines == [f"tradeshield: image is corrupt or truncated: {corpus / 'photos' / 'truncated_jpeg.jpg'} "
                     "(image file is truncated (8 bytes not processed)); export the original from the phone again"]
    assert "Traceback" not in r.stderr


def test_cli_photo_zh_and_success(cli, case, tmp_path):
    from PIL import Image

    img = tmp_path / "a.png"
    Image.new("RGB", (64, 64), "white").save(img)
    r = cli("photo", img, "--label", "损坏", cwd=case.root, env={"TRADESHIELD_LANG": "zh"})
    assert r.code == 0, r
    assert "上传副本" in r.stdout
    missing = cli("photo", tmp_path / "nope.jpg", cwd=case.root)
    assert missing.code == 2 and missing.stderr.strip().splitlines()[0] == f"tradeshield: file not found: {tmp_path / 'nope.jpg'}"


def test_help_has_example(cli):
    for cmd in ("photo", "compare"):
        r = cli(cmd, "--help")
        assert r.code == 0 and "Example: tradeshield " + cmd in r.stdout
