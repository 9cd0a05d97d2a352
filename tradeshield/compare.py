"""Same physical item or not: serials first, then local features on the item's own surface.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.compare import compare_photos
    >>> res = compare_photos(Case.find(), ["IMG_0012.JPG"], ["returned_1.jpg"])   # doctest: +SKIP
    >>> res["verdict"], [r["code"] for r in res["reasons"]]                        # doctest: +SKIP
    ('same', ['visual-same'])

Order of evidence:
1. Serials / IMEIs decoded from barcodes (facts/photos.json when the photo was registered, else decoded now).
   A shared identifier says ``same``; different Apple serials, IMEIs of different models (TAC) or two full
   IMEI pairs say ``different``. One IMEI each with the same TAC may be IMEI1 vs IMEI2: not decisive.
2. Pictures: SIFT features on copies scaled to ~1000 px, Lowe ratio test, RANSAC homography. ``same`` needs
   many inliers spread over the overlap *and* a large share of the overlap's own keypoints matched: two units
   of one model share printed logos and outlines, never their wear and texture. ``different`` needs the
   photos aligned by those shared features while the surface inside the overlap does not match at all.
   Perceptual hashes are reported, never decisive (two units photographed alike hash alike).
Anything else, or serials and pictures that disagree, is ``inconclusive`` with the numbers that made it so.
"""
from __future__ import annotations

from tradeshield import i18n
from tradeshield.errors import UsageError

WORK_SIDE = 800           # px: SIFT upsamples 2x internally, so 800 px sees detail of a 1600 px copy
RATIO = 0.75              # Lowe's ratio test
RANSAC_PX = 6.0           # reprojection tolerance at WORK_SIDE
SAME_INLIERS = 40         # a chance RANSAC fit on a few hundred ratio-test survivors stays far below
SAME_SHARE = 0.05         # inliers / keypoints in the overlap, smaller side
SAME_SPREAD = 0.5         # share of grid cells textured in both photos that hold an inlier
DIFF_ALIGN = 25           # inliers needed to trust an alignment by shared printed features
DIFF_SPREAD = 0.25        # inliers confined to at most this share of the commonly textured cells …
DIFF_CELLS = 24           # … of at least this many cells: the shared print matches, the surface does not
DIFF_SHARE = 0.04         # and only a small share of the overlap's keypoints matched
GRID = 10

i18n.register({
    "compare.empty": ("compare 需要 --before 和 --after 各至少一张照片", "compare needs at least one --before and one --after photo"),
    "compare.too_many": ("每侧最多 {n} 张照片", "at most {n} photos per side"),
    "reason.serial-match": ("两侧照片的{kind}一致：{value}", "the {kind} matches on both sides: {value}"),
    "reason.serial-tac": ("IMEI 型号码（TAC）不同：之前 {before}，之后 {after}（不同型号）",
                          "IMEI model codes (TAC) differ: before {before}, after {after} (different models)"),
    "reason.serial-imeis": ("两侧各有两个以上 IMEI，且完全不同：之前 {before}，之后 {after}",
                            "both sides show two or more IMEIs and none is shared: before {before}, after {after}"),
    "reason.serial-differs": ("序列号不同：之前 {before}，之后 {after}", "serial numbers differ: before {before}, after {after}"),
    "reason.serial-maybe-dual": ("IMEI 不同但型号码相同（{before} / {after}），可能是同一双卡手机的 IMEI1 与 IMEI2，不作定论",
                                 "IMEIs differ but share the model code ({before} / {after}); could be IMEI1 and IMEI2 of "
                                 "one dual-SIM phone, not decisive"),
    "reason.serial-none": ("至少一侧没有可读的序列号/IMEI 条码", "no readable serial/IMEI barcode on at least one side"),
    "reason.visual-same": ("{pair}：{inliers} 个几何一致的特征点，覆盖重叠区域 {spread}% 的格子，占重叠区特征点的 {share}%",
                           "{pair}: {inliers} geometrically consistent features covering {spread}% of the overlap's "
                           "cells, {share}% of its keypoints"),
    "reason.visual-different": ("{pair}：共同印刷特征对齐（{inliers} 点），但重叠区 {keypoints} 个表面特征点仅 {share}% 吻合，表面纹理/痕迹不同",
                                "{pair}: aligned by shared printed features ({inliers} points) but only {share}% of the "
                                "overlap's {keypoints} surface keypoints match: the surface and its marks differ"),
    "reason.visual-weak": ("{pair}：证据不足（{inliers} 个一致点，重叠区吻合 {share}%）",
                           "{pair}: weak evidence ({inliers} consistent points, {share}% of the overlap matched)"),
    "reason.visual-conflict": ("照片之间的结论互相矛盾", "the photo pairs disagree with each other"),
    "reason.near-duplicate": ("{pair}：两张照片几乎相同（pHash 距离 {phash}），之后的照片可能是之前照片的副本",
                              "{pair}: the two photos are near-identical (pHash distance {phash}); the after photo may be "
                              "a copy of the before photo"),
    "reason.serial-visual-conflict": ("序列号与画面结论矛盾（例如原包装配了另一台机器），不作定论",
                                      "serials and pictures disagree (e.g. the original box with another unit); not decisive"),
    "verdict.same": ("同一物品", "same item"), "verdict.different": ("不是同一物品", "different item"),
    "verdict.inconclusive": ("无法确定", "inconclusive"),
    "compare.no_serial": ("未读到可比对的序列号", "none readable on both sides"),
    "compare.caption": ("之前 {before} ↔ 之后 {after} · 结论：{verdict}", "before {before} ↔ after {after} · verdict: {verdict}"),
    "compare.caption2": ("{inliers} 个一致特征点（绿线）· 序列号：{serial}", "{inliers} consistent features (green lines) · serials: {serial}"),
})

MAX_PER_SIDE = 12


def reason(code: str, **values) -> dict:
    return {"code": code, "zh": i18n.t("reason." + code, "zh", **values), "en": i18n.t("reason." + code, "en", **values),
            "values": values}


# ------------------------------------------------------------------ features and pair matching

def prepare(img, side: int = WORK_SIDE) -> dict:
    """Grey working copy, SIFT keypoints/descriptors and perceptual hashes of one upright image."""
    import cv2
    import numpy as np

    from tradeshield.imaging import fit_long_side
    from tradeshield.photo import perceptual_hashes

    small = fit_long_side(img.convert("RGB"), side)
    grey = cv2.cvtColor(np.asarray(small), cv2.COLOR_RGB2GRAY)
    # CLAHE evens out lighting so the same surface yields the same keypoints under another lamp
    grey = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(grey)
    kps, desc = cv2.SIFT_create(nfeatures=2500).detectAndCompute(grey, None)
    pts = np.float32([k.pt for k in kps]).reshape(-1, 2) if kps else np.zeros((0, 2), np.float32)
    return {"image": small, "pts": pts, "desc": desc, "size": small.size, **perceptual_hashes(small)}


def hash_distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def match_pair(a: dict, b: dict) -> dict:
    """Numbers for one before/after pair (see the module docstring for what they mean)."""
    import cv2

    out = {"keypoints": [len(a["pts"]), len(b["pts"])], "good": 0, "inliers": 0, "share": 0.0, "spread": 0.0, "cells": 0,
           "overlap_keypoints": 0, "phash": hash_distance(a["phash"], b["phash"]),
           "dhash": hash_distance(a["dhash"], b["dhash"]), "matches": [], "homography": None}
    if a["desc"] is None or b["desc"] is None or len(a["pts"]) < 8 or len(b["pts"]) < 8:
        return out
    knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(a["desc"], b["desc"], k=2)
    good = [m[0] for m in knn if len(m) == 2 and m[0].distance < RATIO * m[1].distance]
    out["good"] = len(good)
    if len(good) < 8:
        return out
    src = a["pts"][[m.queryIdx for m in good]]
    dst = b["pts"][[m.trainIdx for m in good]]
    H, mask = cv2.findHomography(src, dst, cv2.RANSAC, RANSAC_PX, maxIters=4000, confidence=0.999)
    if H is None or not plausible(H):
        return out
    keep = mask.ravel().astype(bool)
    out["inliers"] = int(keep.sum())
    out["homography"] = H.tolist()
    out["matches"] = [[*map(float, s), *map(float, d)] for s, d in zip(src[keep], dst[keep])]
    _overlap_numbers(out, a, b, H, src[keep])
    return out


def plausible(H) -> bool:
    """A homography a camera can produce: no mirror, scale within 1/6..6, moderate perspective."""
    import numpy as np

    A = H[:2, :2] / H[2, 2]
    det = float(np.linalg.det(A))
    return 1 / 36 < det < 36 and abs(H[2, 0] / H[2, 2]) < 0.003 and abs(H[2, 1] / H[2, 2]) < 0.003


def _overlap_numbers(out: dict, a: dict, b: dict, H, inlier_src) -> None:
    """Keypoints of each image that fall where the other image also sees, and how many of those matched."""
    import cv2
    import numpy as np

    wa, ha = a["size"]
    wb, hb = b["size"]
    in_b = _inside(cv2.perspectiveTransform(a["pts"].reshape(-1, 1, 2), H).reshape(-1, 2), wb, hb)
    Hi = np.linalg.inv(H)
    in_a = _inside(cv2.perspectiveTransform(b["pts"].reshape(-1, 1, 2), Hi).reshape(-1, 2), wa, ha)
    ov = min(int(in_b.sum()), int(in_a.sum()))
    out["overlap_keypoints"] = ov
    out["share"] = round(out["inliers"] / ov, 4) if ov else 0.0
    # cells (in a's frame) where both photos have keypoints: a blurry photo that only shows the print
    # must not make the surface look unmatched
    b_in_a = cv2.perspectiveTransform(b["pts"].reshape(-1, 1, 2), Hi).reshape(-1, 2)[in_a]
    cells_kp = _cells(a["pts"][in_b], wa, ha) & _cells(b_in_a, wa, ha)
    cells_in = _cells(inlier_src, wa, ha) & cells_kp
    out["cells"] = len(cells_kp)
    out["spread"] = round(len(cells_in) / len(cells_kp), 4) if cells_kp else 0.0


def _inside(pts, w, h):
    return (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)


def _cells(pts, w, h) -> set:
    return {(int(x * GRID / w), int(y * GRID / h)) for x, y in pts}


def pair_verdict(m: dict) -> str:
    if m["inliers"] >= SAME_INLIERS and m["share"] >= SAME_SHARE and m["spread"] >= SAME_SPREAD:
        return "same"
    if (m["inliers"] >= DIFF_ALIGN and m.get("cells", 0) >= DIFF_CELLS and m["spread"] <= DIFF_SPREAD
            and m["share"] <= DIFF_SHARE):
        return "different"
    return "weak"


# ------------------------------------------------------------------ serial identities

def serial_evidence(before: list[dict], after: list[dict]) -> tuple[str | None, list[dict]]:
    """('same' | 'different' | None, reasons) from the serial facts of each side."""
    from tradeshield.serials import identities

    b, a = identities(before), identities(after)
    for kind in ("imei", "meid", "serial"):
        shared = sorted(b[kind] & a[kind])
        if shared:
            return "same", [reason("serial-match", kind=kind.upper(), value=", ".join(shared))]
    if not any(b.values()) or not any(a.values()):
        return None, [reason("serial-none")]
    if b["imei"] and a["imei"]:
        tb, ta = {v[:8] for v in b["imei"]}, {v[:8] for v in a["imei"]}
        vb, va = ", ".join(sorted(b["imei"])), ", ".join(sorted(a["imei"]))
        if not tb & ta:
            return "different", [reason("serial-tac", before=", ".join(sorted(tb)), after=", ".join(sorted(ta)))]
        if len(b["imei"]) >= 2 and len(a["imei"]) >= 2:
            return "different", [reason("serial-imeis", before=vb, after=va)]
        return None, [reason("serial-maybe-dual", before=vb, after=va)]
    strong_b = {f["value"] for f in before if f["type"] == "serial" and (f.get("whole_code") or f.get("label"))}
    strong_a = {f["value"] for f in after if f["type"] == "serial" and (f.get("whole_code") or f.get("label"))}
    if strong_b and strong_a:
        return "different", [reason("serial-differs", before=", ".join(sorted(strong_b)), after=", ".join(sorted(strong_a)))]
    return None, [reason("serial-none")]


# ------------------------------------------------------------------ visual aggregation and verdict

def visual_evidence(before: list[dict], after: list[dict]) -> tuple[str | None, list[dict], dict]:
    """Compare every before photo with every after photo: (verdict or None, reasons, best pair)."""
    pairs = []
    for i, b in enumerate(before):
        for j, a in enumerate(after):
            m = match_pair(b["prep"], a["prep"])
            m.update(before=i, after=j, verdict=pair_verdict(m))
            pairs.append(m)
    reasons = []
    for m in pairs:
        label = f"{before[m['before']]['name']} ↔ {after[m['after']]['name']}"
        code = {"same": "visual-same", "different": "visual-different", "weak": "visual-weak"}[m["verdict"]]
        reasons.append(reason(code, pair=label, inliers=m["inliers"], share=round(100 * m["share"], 1),
                              spread=round(100 * m["spread"]), keypoints=m["overlap_keypoints"]))
        if m["phash"] <= 4 and m["dhash"] <= 6 and m["verdict"] == "same":
            reasons.append(reason("near-duplicate", pair=label, phash=m["phash"]))
    kinds = {m["verdict"] for m in pairs}
    verdict = None
    if "same" in kinds and "different" in kinds:
        reasons.append(reason("visual-conflict"))
    elif "same" in kinds:
        verdict = "same"
    elif "different" in kinds:
        verdict = "different"
    best = max(pairs, key=lambda m: (m["verdict"] == (verdict or "same"), m["inliers"]))
    return verdict, reasons, best


def decide(serial: str | None, visual: str | None) -> tuple[str, list[dict]]:
    if serial and visual and serial != visual:
        return "inconclusive", [reason("serial-visual-conflict")]
    return serial or visual or "inconclusive", []


def side_by_side(before: dict, after: dict, m: dict, caption: list[str]):
    """Before | after at one height, inlier matches drawn as lines, caption strip below."""
    from PIL import Image, ImageDraw

    from tradeshield.imaging import add_caption

    h = 800
    ia, ib = before["prep"]["image"], after["prep"]["image"]
    sa, sb = h / ia.height, h / ib.height
    left = ia.resize((max(1, round(ia.width * sa)), h))
    right = ib.resize((max(1, round(ib.width * sb)), h))
    gap = 12
    canvas = Image.new("RGB", (left.width + gap + right.width, h), (255, 255, 255))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width + gap, 0))
    draw = ImageDraw.Draw(canvas)
    step = max(1, len(m["matches"]) // 80)  # at most ~80 lines stay readable
    for x1, y1, x2, y2 in m["matches"][::step]:
        p, q = (x1 * sa, y1 * sa), (left.width + gap + x2 * sb, y2 * sb)
        draw.line([p, q], fill=(0, 200, 60), width=2)
        for cx, cy in (p, q):
            draw.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], outline=(0, 200, 60), width=2)
    return add_caption(canvas, caption)


def _load_side(case, paths, progress, offset: int, total: int) -> list[dict]:
    from tradeshield.photo import codes_and_serials, known_photo, read_photo, upright

    side = []
    for k, p in enumerate(paths):
        if progress:
            progress("compare", offset + k, total)
        data, sha, im = read_photo(p)
        item = case.ensure_evidence(p)
        img = upright(im)
        facts = known_photo(case, sha)
        serials = facts["serials"] if facts else codes_and_serials(img, sha, item.path)[1]
        side.append({"sha256": sha, "path": item.path, "name": item.path.rsplit("/", 1)[-1], "serials": serials,
                     "prep": prepare(img)})
    return side


def compare_photos(case, before, after, progress=None, write: bool = True) -> dict:
    """Verdict for "do the after photos show the same physical item as the before photos"."""
    if not before or not after:
        raise UsageError("compare.empty")
    if len(before) > MAX_PER_SIDE or len(after) > MAX_PER_SIDE:
        raise UsageError("compare.too_many", n=MAX_PER_SIDE)
    total = len(before) + len(after) + 1
    bs = _load_side(case, before, progress, 0, total)
    as_ = _load_side(case, after, progress, len(bs), total)
    serial, s_reasons = serial_evidence([f for x in bs for f in x["serials"]], [f for x in as_ for f in x["serials"]])
    visual, v_reasons, best = visual_evidence(bs, as_)
    verdict, extra = decide(serial, visual)
    result = {"before": [x["sha256"] for x in bs], "after": [x["sha256"] for x in as_], "verdict": verdict,
              "serial_verdict": serial, "visual_verdict": visual, "reasons": s_reasons + v_reasons + extra,
              "best_pair": {k: best[k] for k in ("before", "after", "inliers", "good", "share", "spread",
                                                 "overlap_keypoints", "cells", "phash", "dhash", "keypoints", "verdict")},
              "image": None}
    if write:
        result["image"] = _write_image(case, bs, as_, best, result)
        _save_facts(case, result)
    if progress:
        progress("compare", total, total)
    return result


def _write_image(case, bs, as_, best, result) -> str:
    from tradeshield.imaging import save_jpeg_within

    b, a = bs[best["before"]], as_[best["after"]]
    serial = i18n.t("verdict." + result["serial_verdict"]) if result["serial_verdict"] else i18n.t("compare.no_serial")
    caption = [i18n.t("compare.caption", before=b["sha256"][:12], after=a["sha256"][:12],
                      verdict=i18n.t("verdict." + result["verdict"])),
               i18n.t("compare.caption2", inliers=best["inliers"], serial=serial)]
    img = side_by_side(b, a, best, caption)
    dest = case.derived_path(f"compare/{b['sha256'][:12]}-{a['sha256'][:12]}.jpg")
    save_jpeg_within(img, dest)
    case.record_derived([dest], action="compare-image", sources=result["before"] + result["after"],
                        params={"verdict": result["verdict"], "work_side": WORK_SIDE})
    return case.rel(dest)


def _save_facts(case, result: dict) -> None:
    old = (case.read_facts("compare", {}) or {}).get("comparisons", [])
    key = (sorted(result["before"]), sorted(result["after"]))
    kept = [c for c in old if (sorted(c["before"]), sorted(c["after"])) != key]
    kept.append(result)
    case.write_facts("compare", {"comparisons": kept}, sources=sorted({s for c in kept for s in c["before"] + c["after"]}))
