"""compare: serial rules, and the visual verdict on a generated set of textured items with unique marks.

The generated "kind" of item (a phone-like slab) shares its outline, logo, camera ring and printed label
between units; each unit has its own surface texture and scratches. Transformations model a second photo of
the same unit: rotation, scale, perspective, lighting, JPEG re-compression.
"""
from __future__ import annotations

import io
import math

import pytest

# ------------------------------------------------------------------ generated set (also used by bench/)


def make_item(unit: int, size: int = 1200):
    """A photo of unit ``unit`` of one item kind, on a plain table; deterministic per unit."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    from tradeshield.fonts import load_font

    rng = np.random.default_rng(1000 + unit)
    w, h = int(size * 0.5), int(size * 0.8)
    # unit-specific surface: smoothed noise at two scales (wear, mottling)
    fine = rng.normal(0, 1, (h // 3, w // 3))
    coarse = rng.normal(0, 1, (h // 24, w // 24))
    tex = np.array(Image.fromarray(fine.astype(np.float32)).resize((w, h), Image.BICUBIC)) * 26
    tex += np.array(Image.fromarray(coarse.astype(np.float32)).resize((w, h), Image.BICUBIC)) * 18
    base = np.clip(120 + tex, 0, 255).astype(np.uint8)
    body = Image.merge("RGB", [Image.fromarray(base), Image.fromarray(np.clip(base.astype(int) + 8, 0, 255).astype(np.uint8)),
                               Image.fromarray(np.clip(base.astype(int) + 20, 0, 255).astype(np.uint8))])
    d = ImageDraw.Draw(body)
    for _ in range(14):  # unique marks: scratches and dents
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        ang, ln = rng.uniform(0, math.pi), rng.uniform(20, 140)
        d.line([(x, y), (x + ln * math.cos(ang), y + ln * math.sin(ang))], fill=(230, 230, 225), width=int(rng.integers(1, 4)))
    for _ in range(6):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(3, 9)
        d.ellipse([x - r, y - r, x + r, y + r], fill=(40, 40, 45))
    # features every unit of the kind shares
    d.ellipse([w * 0.08, h * 0.04, w * 0.38, h * 0.22], outline=(15, 15, 15), width=10)
    d.ellipse([w * 0.16, h * 0.09, w * 0.30, h * 0.17], fill=(10, 10, 30))
    d.text((w * 0.22, h * 0.45), "TSHIELD", font=load_font(int(w * 0.13)), fill=(250, 250, 250))
    d.rectangle([w * 0.1, h * 0.82, w * 0.9, h * 0.95], fill=(245, 245, 240))
    d.text((w * 0.13, h * 0.84), "Model TS-100  CMIIT ID 2024AP0001", font=load_font(int(w * 0.04)), fill=(0, 0, 0))
    d.text((w * 0.13, h * 0.89), "Designed by TS  Assembled in PRC", font=load_font(int(w * 0.04)), fill=(0, 0, 0))
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, w - 1, h - 1], radius=int(w * 0.12), fill=255)
    table = np.linspace(185, 215, size)[None, :].repeat(size, 0)
    canvas = Image.fromarray(table.astype(np.uint8)).convert("RGB").filter(ImageFilter.GaussianBlur(2))
    canvas.paste(body, ((size - w) // 2, (size - h) // 2), mask)
    return canvas


TRANSFORMS = ("rotate", "scale", "perspective", "lighting", "jpeg", "combined")


def transform(img, kind: str, seed: int = 0):
    """A second photo of the same scene: one named change (or all of them, 'combined')."""
    import numpy as np
    from PIL import Image, ImageEnhance

    rng = np.random.default_rng(seed)
    if kind in ("rotate", "combined"):
        img = img.rotate(float(rng.uniform(20, 40)) * rng.choice([-1, 1]), resample=Image.BICUBIC, expand=True,
                         fillcolor=(200, 200, 200))
    if kind in ("scale", "combined"):
        f = float(rng.uniform(0.5, 0.7))
        img = img.resize((int(img.width * f), int(img.height * f)), Image.LANCZOS)
    if kind in ("perspective", "combined"):
        img = _perspective(img, float(rng.uniform(0.08, 0.14)))
    if kind in ("lighting", "combined"):
        img = ImageEnhance.Brightness(img).enhance(float(rng.uniform(0.6, 0.75)))
        img = ImageEnhance.Contrast(img).enhance(float(rng.uniform(1.2, 1.4)))
        arr = np.asarray(img).astype(np.float32)
        ramp = np.linspace(0.75, 1.2, arr.shape[1])[None, :, None]  # a lamp to one side
        img = Image.fromarray(np.clip(arr * ramp, 0, 255).astype(np.uint8))
    if kind in ("jpeg", "combined"):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=int(rng.integers(25, 40)))
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return img


def _perspective(img, k: float):
    import cv2
    import numpy as np
    from PIL import Image

    w, h = img.size
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * k, h * k * 0.5], [w * (1 - k * 0.3), 0], [w, h], [0, h * (1 - k * 0.4)]])
    M = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(np.asarray(img), M, (w, h), borderValue=(200, 200, 200))
    return Image.fromarray(out)


def save(img, path, quality: int = 92):
    img.save(path, "JPEG", quality=quality)
    return path


# ------------------------------------------------------------------ tests

@pytest.fixture(scope="module")
def units():
    """Two units of the same kind, and the prepared features of unit 1's reference photo."""
    from tradeshield.compare import prepare

    one, two = make_item(1), make_item(2)
    return {"one": one, "two": two, "ref": prepare(one)}


@pytest.mark.parametrize("kind", TRANSFORMS)
def test_same_unit_under_every_transformation_is_same(units, kind):
    from tradeshield.compare import match_pair, pair_verdict, prepare

    m = match_pair(units["ref"], prepare(transform(units["one"], kind, seed=3)))
    assert pair_verdict(m) == "same", m | {"matches": len(m["matches"])}


@pytest.mark.parametrize("kind", ("none",) + TRANSFORMS)
def test_other_unit_of_same_kind_is_never_same(units, kind):
    from tradeshield.compare import match_pair, pair_verdict, prepare

    other = units["two"] if kind == "none" else transform(units["two"], kind, seed=3)
    m = match_pair(units["ref"], prepare(other))
    assert pair_verdict(m) != "same", m | {"matches": len(m["matches"])}
    # the shared logo and label do align the two units, yet the surface does not match
    assert m["spread"] < 0.4


def test_untextured_pictures_are_inconclusive():
    from PIL import Image

    from tradeshield.compare import match_pair, pair_verdict, prepare

    a = prepare(Image.new("RGB", (600, 400), (120, 120, 120)))
    b = prepare(Image.new("RGB", (600, 400), (125, 125, 125)))
    m = match_pair(a, b)
    assert (m["inliers"], pair_verdict(m)) == (0, "weak")


def imei(n: int) -> dict:
    from tradeshield.serials import imei_fact

    body = f"{n:014d}"
    from tradeshield.serials import luhn_digit

    return {**imei_fact(body + str(luhn_digit(body))), "source": None}


def test_serial_rules():
    from tradeshield.compare import decide, serial_evidence
    from tradeshield.serials import find_serials

    a, b = imei(35209900176148), imei(35209900176149)     # same TAC 35209900
    other_model = imei(86123456789012)
    assert serial_evidence([a], [a])[0] == "same"
    assert serial_evidence([a], [other_model])[0] == "different"
    v, reasons = serial_evidence([a], [b])                 # may be IMEI1 vs IMEI2 of one phone
    assert v is None and reasons[0]["code"] == "serial-maybe-dual"
    assert serial_evidence([a, b], [imei(35209900176150), imei(35209900176151)])[0] == "different"
    assert serial_evidence([], [a])[0] is None
    misread = {**a, "value": a["value"][:-1] + str((int(a["value"][-1]) + 1) % 10), "valid": False}
    assert serial_evidence([misread], [other_model])[0] is None   # a failed check digit is no identity
    s1 = find_serials("S/N: C02L13ECF8J2")
    s2 = find_serials("S/N: C02M24FDG9K3")
    assert serial_evidence(s1, s2)[0] == "different"
    # serials and pictures disagreeing (the original box with another unit) is never decided
    assert decide("same", "different")[0] == "inconclusive"
    assert decide(None, "same") == ("same", [])
    assert decide(None, None)[0] == "inconclusive"


def test_compare_in_case_writes_facts_and_side_by_side(case, tmp_path, units):
    from PIL import Image

    from tradeshield.compare import compare_photos

    before = save(units["one"], tmp_path / "before.jpg")
    after_same = save(transform(units["one"], "combined", seed=5), tmp_path / "after_same.jpg", quality=80)
    after_other = save(units["two"], tmp_path / "after_other.jpg")
    calls = []
    res = compare_photos(case, [before], [after_same], progress=lambda *a: calls.append(a))
    assert res["verdict"] == "same" and res["visual_verdict"] == "same" and res["serial_verdict"] is None
    assert res["best_pair"]["inliers"] >= 40 and calls[-1][1] == calls[-1][2]
    assert {r["code"] for r in res["reasons"]} >= {"serial-none", "visual-same"}
    with Image.open(case.root / res["image"]) as im:
        assert im.format == "JPEG" and im.width > im.height
    res2 = compare_photos(case, [before], [after_other])
    assert res2["verdict"] != "same"
    facts = case.read_facts("compare")["comparisons"]
    assert [c["verdict"] for c in facts] == ["same", res2["verdict"]]
    import hashlib

    assert facts[0]["before"] == [hashlib.sha256(before.read_bytes()).hexdigest()]
    assert {e.sha256 for e in case.evidence()} >= set(facts[0]["before"] + facts[0]["after"] + facts[1]["after"])


def test_cli_compare(cli, case, tmp_path, units):
    before = save(units["one"], tmp_path / "b.jpg")
    after = save(transform(units["one"], "rotate", seed=1), tmp_path / "a.jpg")
    r = cli("compare", "--before", before, "--after", after, "--json", cwd=case.root)
    assert r.code == 0, r
    assert r.json["verdict"] == "same" and r.json["image"].startswith("derived/compare/")
    bad = cli("compare", "--before", before, "--after", tmp_path / "missing.jpg", cwd=case.root)
    assert bad.code == 2 and bad.stderr.strip() == f"tradeshield: file not found: {tmp_path / 'missing.jpg'}"
    usage = cli("compare", before, cwd=case.root)
    assert usage.code == 2 and "--before" in usage.stderr


def test_split_sides():
    from tradeshield.cli.photo import split_sides

    assert split_sides(["--before", "a", "b", "--after=c", "d", "-b", "e"]) == (["a", "b", "e"], ["c", "d"])
