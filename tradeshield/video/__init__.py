"""Unboxing / packing video → labelled evidence frames, continuity report and contact sheet.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.video import extract_frames
    >>> entry = extract_frames(Case.find(), "VID_20210525_203107.mp4", every=2.0)   # doctest: +SKIP
    >>> entry["frames"][0]["wall_time"], entry["continuity"]["verdict"]             # doctest: +SKIP
    ('2021-05-25T20:31:07.000+08:00', 'clean')

The video is added to the case if needed; frames and the sheet go to ``derived/frames/<sha12>/``, the custody
log records the source hash, the pts and the parameters of each, and ``facts/frames.json`` holds the entry
(contract in docs/ARCHITECTURE.md). Work is split into:

- ``source``: opening, probing and the recording start (time source);
- ``decode``: one keyframe scan for the whole file, exact decoding around chosen moments;
- ``select``: sharpness, scene cuts, the ``--max`` cap;
- ``continuity``: signs of editing or damage; ``render``: upright frames, labels, contact sheet.
"""
from __future__ import annotations

from tradeshield.video.job import extract_frames, parse_at, parse_every

__all__ = ["extract_frames", "parse_at", "parse_every"]
