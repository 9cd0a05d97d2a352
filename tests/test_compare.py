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
