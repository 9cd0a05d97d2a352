"""Frame choice: sharpness, scene signatures, scene cuts, and the ``--max`` cap that keeps the most informative.

    >>> from tradeshield.video.select import features, scene_cuts
    >>> f = features(av_frame)                                   # doctest: +SKIP
    >>> scene_cuts([a.sig for a in keyframes])                   # doctest: +SKIP
    [47, 94]

Everything here works on small downscaled copies of a frame (numpy imported inside the functions), so it
costs a few milliseconds per frame at any resolution.
"""
from __future__ import annotations

from dataclasses import dataclass, field

SHARP_WIDTH = 640        # sharpness is compared inside one video, on frames scaled to this width
THUMB = 16               # novelty thumbnail (16x16 grey)
CUT_MIN = 0.45           # a scene cut changes at least this share of the colour histogram (bench cuts: 0.6–0.95) …
CUT_RATIO = 3.0          # … and clearly more than the motion around it


@dataclass
class Feat:
    sharp: float
    sig: object            # numpy: 3x16-bin colour histogram, normalised
    thumb: object          # numpy: 16x16 grey, 0..1


@dataclass
class Candidate:
    pts: int
    position: float        # seconds from the first frame
    feat: Feat
    key: bool = False
    reasons: list = field(default_factory=list)
    barcodes: list = field(default_factory=list)
    scene_cut: float | None = None
    payload: object = None  # rendered output handle, set by the caller


def features(frame) -> Feat:
    """Sharpness (variance of the Laplacian) and signatures of a decoded PyAV frame.

    Two small copies by swscale: grey 640 px wide (sharpness, novelty thumbnail) and RGB a quarter of that
    (colour histogram); a swscale pass over a 4K frame costs more than the numpy work on the small copies.
    """
    import numpy as np

    w, h = frame.width, frame.height
    sw = min(SHARP_WIDTH, w) // THUMB * THUMB
    sh = max(THUMB, round(h * sw / w) // THUMB * THUMB)
    grey = frame.reformat(width=sw, height=sh, format="gray", threads=1).to_ndarray().astype(np.float32)
    small = frame.reformat(width=max(1, sw // 4), height=max(1, sh // 4), format="rgb24", threads=1).to_ndarray()
    thumb = grey.reshape(THUMB, sh // THUMB, THUMB, sw // THUMB).mean(axis=(1, 3)) / 255.0
    return Feat(sharp=laplacian_var(grey), sig=colour_hist(small), thumb=thumb)


def laplacian_var(grey) -> float:
    lap = (4 * grey[1:-1, 1:-1] - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:])
    return float(lap.var())


def colour_hist(rgb):
    import numpy as np

    hists = [np.bincount((rgb[..., c] >> 4).ravel(), minlength=16) for c in range(3)]
    h = np.concatenate(hists).astype(np.float32)
    return h / max(1.0, h.sum() / 3)


def sig_distance(a, b) -> float:
    """Share of the colour histogram that changed, 0 (same) … 1 (disjoint)."""
    import numpy as np

    return float(np.abs(a - b).sum() / 6.0)


def thumb_distance(a, b) -> float:
    import numpy as np

    return float(np.abs(a - b).mean())


def cut_scores(sigs: list) -> list[float]:
    return [0.0] + [sig_distance(sigs[i - 1], sigs[i]) for i in range(1, len(sigs))]


def scene_cuts(sigs: list, min_score: float = CUT_MIN, ratio: float = CUT_RATIO) -> list[int]:
    """Indexes i where a cut lies between sigs[i-1] and sigs[i].

    A cut is a change of the colour distribution that is large in absolute terms and stands out from the
    changes around it (camera motion in a handheld video changes every pair a little).
    """
    from statistics import median  # numpy's median of a short list costs more, and imports numpy.ma (~50 ms)

    scores = cut_scores(sigs)
    cuts = []
    for i in range(1, len(scores)):
        around = [scores[j] for j in range(max(1, i - 4), min(len(scores), i + 5)) if j != i]
        base = float(median(around)) if around else 0.0
        if scores[i] >= min_score and scores[i] >= ratio * base:
            cuts.append(i)
    return cuts


def cap(cands: list[Candidate], max_n: int | None, keep=("at", "barcode")) -> list[Candidate]:
    """At most ``max_n`` candidates in time order: ``keep`` reasons stay; the rest are dropped least-informative first.

    Interval frames are dropped before scene frames. A frame's worth is how different it looks from its kept neighbours (scene frames count double) times the
    stretch of video its removal would leave without a frame, so the cap thins out near-duplicates of a static
    shot first and keeps the timeline covered.
    """
    cands = sorted(cands, key=lambda c: c.pts)
    if not max_n or len(cands) <= max_n:
        return cands
    if "scene" not in keep:  # interval frames go before scene frames
        cands = cap(cands, max_n, keep=(*keep, "scene"))
    kept = list(cands)
    while len(kept) > max_n:
        victim, worst = None, None
        for i, c in enumerate(kept):
            if any(r in keep for r in c.reasons):
                continue
            near = [thumb_distance(c.feat.thumb, kept[j].feat.thumb) for j in (i - 1, i + 1) if 0 <= j < len(kept)]
            novelty = (min(near) if near else 1.0) * (2 if "scene" in c.reasons else 1)
            lo = kept[i - 1].position if i > 0 else None
            hi = kept[i + 1].position if i + 1 < len(kept) else None
            lo = 2 * c.position - hi if lo is None else lo  # an end frame guards the stretch to the video's end
            hi = 2 * c.position - lo if hi is None else hi
            score = ((novelty + 0.02) * max(hi - lo, 1e-3), c.feat.sharp)
            if worst is None or score < worst:
                victim, worst = i, score
        if victim is None:  # only frames that must stay are left
            break
        del kept[victim]
    return kept


def spread(cands: list[Candidate], n: int) -> list[Candidate]:
    """``n`` candidates evenly spaced through the list (first and last included)."""
    if len(cands) <= n:
        return list(cands)
    if n == 1:
        return [cands[0]]
    return [cands[round(i * (len(cands) - 1) / (n - 1))] for i in range(n)]


def pick_for_sheet(cands: list[Candidate], n: int, forced=("at", "barcode", "scene")) -> list[Candidate]:
    """Sheet tiles: frames kept for a reason first, the others evenly spread over the video to fill ``n``."""
    must = [c for c in cands if any(r in forced for r in c.reasons)]
    if len(must) >= n:
        return spread(must, n)
    rest = [c for c in cands if c not in must]
    return sorted(must + spread(rest, n - len(must)), key=lambda c: c.pts)
