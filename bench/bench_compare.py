"""Benchmark for ``tradeshield compare`` and the barcode decoders.

    /work/venv/bin/python bench/bench_compare.py            # from the worktree root

1. Barcodes: decode rate of zxing-cpp (what tradeshield uses) and of OpenCV (BarcodeDetector + QRCodeDetector)
   on ../shared/corpus/barcodes, counting only exact matches with the expected ``.txt``.
2. Compare: a labelled set of pairs built from the corpus photos (each against a transformed copy: same; against
   each other: different) and from the generated item kind of tests/test_compare.py (a unit against its
   transformed photo: same; against another unit of the same kind: different). tradeshield's verdict per pair
   is put beside the anchor a user would reach for first, a pHash distance threshold (imagehash, <= 10 = same).
   Prints accuracy, false-same rate, inconclusive rate and median seconds per pair for both.
"""
from __future__ import annotations

import statistics
import sys
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")


def barcode_rates() -> None:
    import cv2
    import numpy as np
    from PIL import Image

    from tradeshield.barcodes import decode

    files = sorted((CORPUS / "barcodes").glob("*.png"))
    zx = cv = 0
    for png in files:
        expected = png.with_suffix(".txt").read_bytes().decode("utf-8")
        with Image.open(png) as im:
            rgb = im.convert("RGBA").convert("RGB")
        zx_texts = [c["text"] for c in decode(rgb)]
        grey = cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2GRAY)
        cv_texts = []
        ok, infos, _types, _pts = cv2.barcode.BarcodeDetector().detectAndDecodeWithType(grey)
        cv_texts += [t for t in (infos or []) if t]
        ok, texts, _pts, _ = cv2.QRCodeDetector().detectAndDecodeMulti(grey)
        cv_texts += [t for t in (texts or []) if t]
        zx += expected in zx_texts
        cv += expected in cv_texts
        print(f"  {png.name:28s} zxing-cpp {'ok ' if expected in zx_texts else '-- '} "
              f"opencv {'ok' if expected in cv_texts else '--'} {[t[:20] for t in cv_texts if t != expected]}")
    print(f"barcodes: zxing-cpp {zx}/{len(files)}, OpenCV {cv}/{len(files)} (exact expected text)")


def labelled_pairs():
    from PIL import Image, ImageOps

    from tests.test_compare import TRANSFORMS, make_item, transform
    from tradeshield.photo import read_photo, upright

    photos = {}
    for p in sorted((CORPUS / "photos").iterdir()):
        if p.suffix.lower() in (".jpg", ".heic") and "truncated" not in p.name:
            img = upright(read_photo(p, draft=1600)[2])
            if max(img.size) > 1600:
                img = ImageOps.contain(img, (1600, 1600), Image.LANCZOS)
            photos[p.stem] = img
    pairs = []
    for i, (name, img) in enumerate(photos.items()):
        for k in ("combined", TRANSFORMS[i % 5]):
            pairs.append((f"corpus {name} vs {k}", img, transform(img, k, seed=i), "same"))
    for (n1, a), (n2, b) in combinations(photos.items(), 2):
        pairs.append((f"corpus {n1} vs {n2}", a, b, "different"))
    units = {u: make_item(u) for u in range(1, 5)}
    for u, img in units.items():
        for j, k in enumerate(TRANSFORMS[u % 2::2]):
            pairs.append((f"item {u} vs {k}", img, transform(img, k, seed=10 * u + j), "same"))
    for u, v in combinations(units, 2):
        pairs.append((f"item {u} vs item {v}", units[u], units[v], "different"))
        pairs.append((f"item {u} vs item {v} combined", units[u], transform(units[v], "combined", seed=u + v), "different"))
    return pairs


def score(rows) -> str:
    n = len(rows)
    right = sum(r[0] == r[1] for r in rows)
    diff = [r for r in rows if r[1] == "different"]
    false_same = sum(r[0] == "same" for r in diff)
    false_diff = sum(r[0] == "different" for r in rows if r[1] == "same")
    inconc = sum(r[0] == "inconclusive" for r in rows)
    return (f"accuracy {right}/{n} = {right / n:.0%}, false-same {false_same}/{len(diff)} = {false_same / len(diff):.0%}, "
            f"false-different {false_diff}/{n - len(diff)}, inconclusive {inconc}/{n}, "
            f"median {statistics.median(r[2] for r in rows):.3f} s/pair")


def main() -> None:
    import imagehash

    from tradeshield.compare import match_pair, pair_verdict, prepare

    barcode_rates()
    pairs = labelled_pairs()
    ours, anchor = [], []
    for name, a, b, label in pairs:
        t = time.perf_counter()
        m = match_pair(prepare(a), prepare(b))
        v = {"weak": "inconclusive"}.get(pair_verdict(m), pair_verdict(m))
        ours.append((v, label, time.perf_counter() - t))
        t = time.perf_counter()
        d = imagehash.phash(a) - imagehash.phash(b)
        anchor.append(("same" if d <= 10 else "different", label, time.perf_counter() - t))
        flag = "" if v == label else ("   <-- FALSE SAME" if v == "same" else "   (miss)")
        print(f"  {name:55s} {label:9s} -> {v:12s} inliers {m['inliers']:4d} share {m['share']:.3f} "
              f"spread {m['spread']:.2f} phash {d:2d}{flag}")
    print(f"pairs: {len(pairs)} ({sum(p[3] == 'same' for p in pairs)} same, {sum(p[3] == 'different' for p in pairs)} different)")
    print("tradeshield compare : " + score(ours))
    print("anchor pHash<=10    : " + score(anchor))
    t_ours = statistics.median(r[2] for r in ours)
    t_anchor = statistics.median(r[2] for r in anchor)
    print(f"time ratio tradeshield/anchor: {t_ours / t_anchor:.1f}x (the anchor never looks at local features)")


if __name__ == "__main__":
    main()
