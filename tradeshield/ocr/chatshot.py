"""Chat screenshots → the same ``chat.model.Message`` records an export yields.

    >>> from tradeshield.ocr.chatshot import read_screenshots
    >>> conv = read_screenshots(["Screenshot_20210528-201533.png", "Screenshot_20210528-201540.png"], me="木白术")  # doctest: +SKIP
    >>> m = conv.messages[0]                                                     # doctest: +SKIP
    >>> m.role, m.text, m.time.isoformat(), m.confidence, m.source[:8], m.box    # doctest: +SKIP
    ('them', '你好，这个手机还在吗？', '2021-05-21T20:11:00+08:00', 0.99, '5d41402a', [180, 410, 836, 530])

Each image is read by OCR (``tradeshield.ocr``, cached by SHA-256 + model) and laid out by
``tradeshield.ocr.layout`` (sides, separators, system lines, nicknames, pictures, order cards; the status bar,
title bar, input bar and keyboard ignored). Then:

- **times**: a centred separator (``20:11``, ``昨天 20:11``, ``星期三 20:11``, ``周三 20:11``, ``5月26日 20:11``,
  ``2021年5月26日 下午8:11``, ``05-26 20:11``, ``2021-05-26 20:11``) is resolved against the screenshot's
  reference date: ``--date``, else the image's EXIF time, else its PNG time, else a date in its file name
  (``Screenshot_20210528-201533``, ``IMG_20210528_201533``, ``微信图片_20210528201533``, ``mmexport<ms>``);
  the source is recorded. Every message takes the time of the separator above it (``time_basis``
  ``"separator"``, to the minute the app shows); a message with no separator above it in any screenshot
  has no time. Nothing is invented: a relative separator without a reference date stays unresolved.
- **the forwarded 聊天记录 page** (合并转发; ``layout.record_view``): no bubbles; each row gives its sender (its
  nickname; role ``me`` when it is ``me``) and its own time (``time_basis`` ``"row"``), on the day of the date
  line above it (else the reference date).
- **unreadable**: a bubble (or a 聊天记录 row) in which OCR read nothing is a message all the same: ``kind``
  ``"unreadable"``, text ``[无法识别]``, confidence 0, flagged and warned about — never dropped.
- **stitching**: screenshots are taken in the order given (sorted by reference time when every one has
  one); where the end of one matches the start of the next, the overlap is kept once; a pair without
  overlap is reported as a possible gap.
- **provenance**: each message's ``source`` is the SHA-256 of the screenshot it was read from (the first
  one that showed it whole), ``box`` its pixel box there, ``line_start``/``line_end`` its ordinal among that
  screenshot's messages, ``confidence`` the lowest OCR score of its text (lowered when its bubble's colour
  disagrees with its side); below ``LOW`` it is flagged ``low_confidence`` and reported, never silently
  trusted. Order cards become ``cards`` facts, not messages.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from tradeshield import i18n
from tradeshield.chat.model import Message
from tradeshield.ocr.images import IMAGE_SUFFIXES, image_files, is_image_path  # noqa: F401 (also read from here)

LOW = 0.85
UNREADABLE = "[无法识别]"        # the text of a message whose bubble OCR could not read (confidence 0)

i18n.register({
    "shot.no_date": ("截图 {path} 没有可用的参考日期（无 EXIF/PNG 时间，文件名也没有日期）：“昨天/星期三/20:11”无法换算，"
                     "请用 --date YYYY-MM-DD 指定截图日期",
                     "screenshot {path} has no reference date (no EXIF/PNG time, no date in its name): relative "
                     "separators (昨天, 星期三, 20:11) stay unresolved; pass --date YYYY-MM-DD"),
    "shot.gap": ("截图 {a} 与 {b} 之间没有重叠，中间可能缺少消息", "no overlap between screenshots {a} and {b}: "
                 "messages may be missing between them"),
    "shot.low": ("{n} 条消息识别置信度低（< {low:.0%}），请对照原图核对：{where}",
                 "{n} messages were recognised with low confidence (< {low:.0%}); check them against the image: {where}"),
    "shot.unreadable": ("{n} 条消息的文字无法识别（空白气泡、表情或模糊），已作为“无法识别”的消息保留，请对照原图：{where}",
                        "{n} messages could not be read (an empty bubble, an emoji or blurred text); they are kept "
                        "as unreadable messages, check them against the image: {where}"),
    "shot.cut": ("{n} 条在截图边缘被截断的消息未读取（其他截图中没有完整出现）",
                 "{n} messages cut at a screenshot's edge were not read (not whole in any other screenshot)"),
    "shot.time_basis": ("截图中的消息时间取自其上方的时间分隔条（精确到分钟）",
                        "message times in screenshots are those of the separator above them (to the minute)"),
    "shot.no_text": ("截图中没有读到聊天内容：{path}", "no chat content could be read in screenshot {path}"),
})

_CN = {"日": 6, "天": 6, "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5}
_SEP = re.compile(
    r"^(?:(?P<y>\d{4})\s*[年/\-.]\s*)?(?:(?P<mo>\d{1,2})\s*[月/\-.]\s*(?P<d>\d{1,2})\s*日?)?\s*"
    r"(?P<rel>今天|昨天|前天|(?:星期|周|礼拜)[一二三四五六日天])?\s*"
    r"(?P<ap>凌晨|早上|上午|中午|下午|晚上|AM|PM|am|pm)?\s*(?P<h>\d{1,2})\s*[:：]\s*(?P<mi>\d{2})\s*"
    r"(?:[:：]\s*(?P<sec>\d{2})\s*)?(?P<ap2>AM|PM|am|pm)?$")


def parse_separator(text: str, ref: dt.date | None) -> tuple[dt.datetime | None, bool]:
    """(time or None, looks like a separator). ``ref`` is the phone's date when the screenshot was taken."""
    s = text.strip().replace("：", ":").replace(" ", " ")
    m = _SEP.match(s)
    if not m:
        return None, False
    hh, mi = int(m["h"]), int(m["mi"])
    ap = m["ap"] or m["ap2"]
    if hh > 23 or mi > 59:
        return None, False
    if ap in ("下午", "晚上", "PM", "pm") and hh < 12:
        hh += 12
    elif ap == "中午" and hh < 11:
        hh += 12
    elif ap in ("凌晨", "早上", "上午", "AM", "am") and hh == 12:
        hh = 0
    try:
        if m["y"] and m["mo"]:
            day = dt.date(int(m["y"]), int(m["mo"]), int(m["d"]))
        elif m["mo"]:
            if ref is None:
                return None, True
            day = dt.date(ref.year, int(m["mo"]), int(m["d"]))
            if day > ref:
                day = day.replace(year=ref.year - 1)
        elif ref is None:
            return None, True
        elif not m["rel"] or m["rel"] == "今天":
            day = ref
        elif m["rel"] == "昨天":
            day = ref - dt.timedelta(days=1)
        elif m["rel"] == "前天":
            day = ref - dt.timedelta(days=2)
        else:
            back = (ref.weekday() - _CN[m["rel"][-1]]) % 7 or 7
            day = ref - dt.timedelta(days=back)
    except ValueError:
        return None, False
    return dt.datetime(day.year, day.month, day.day, hh, mi, int(m["sec"] or 0) % 60), True


def _date_only(text: str) -> dt.date | None:
    """A date line with no clock (``2018-3-31``, ``2021年5月26日``): the 聊天记录 view's day heading."""
    from tradeshield.ocr.layout import DATE_ONLY

    m = DATE_ONLY.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        return None


_NAME_DATES = [
    (re.compile(r"(?<!\d)(20\d\d)[-_.]?(\d\d)[-_.]?(\d\d)[-_ .]?(\d\d)[-_.]?(\d\d)[-_.]?(\d\d)(?!\d)"), "name"),
    (re.compile(r"(?<!\d)(20\d\d)[-_.]?(\d\d)[-_.]?(\d\d)(?!\d)"), "name"),
]


def reference_time(path, im=None, date: str | None = None) -> tuple[dt.datetime | None, str | None]:
    """When the screenshot was taken, as far as the file tells: (naive local time, source)."""
    if date:
        try:
            return dt.datetime.fromisoformat(date.strip()), "--date"
        except ValueError:
            from tradeshield.errors import InputError

            raise InputError("chat.bad_date", value=date) from None
    if im is not None:
        from tradeshield.meta import exif_time

        try:
            when, src = exif_time(im.getexif())
        except Exception:      # unreadable EXIF is no EXIF
            when, src = None, None
        if when:
            return dt.datetime.fromisoformat(when[:19]), src
        png = _png_time(im)
        if png:
            return png
    name = Path(str(path)).name
    m = re.search(r"mmexport(\d{13})", name)
    if m:
        return dt.datetime.fromtimestamp(int(m[1]) / 1000), "file name (mmexport, local clock)"
    for rx, _ in _NAME_DATES:
        m = rx.search(name)
        if m:
            try:
                return dt.datetime(*map(int, m.groups())), "file name"
            except ValueError:
                continue
    return None, None


def _png_time(im):
    info = getattr(im, "info", {}) or {}
    for key in ("Creation Time", "creation_time", "date:create", "Date"):
        v = info.get(key)
        if isinstance(v, str):
            m = re.search(r"(\d{4})[-:](\d\d)[-:](\d\d)[T ](\d\d):(\d\d):(\d\d)", v)
            if m:
                return dt.datetime(*map(int, m.groups())), f"png:{key}"
    t = getattr(im, "text", None)
    if isinstance(t, dict):
        for key, v in t.items():
            m = re.search(r"(\d{4})[-:](\d\d)[-:](\d\d)[T ](\d\d):(\d\d):(\d\d)", str(v))
            if m and "time" in key.lower() or m and "date" in key.lower():
                return dt.datetime(*map(int, m.groups())), f"png:{key}"
    return None


@dataclass
class ShotMessage(Message):
    confidence: float = 1.0
    box: list = field(default_factory=list)
    time_basis: str | None = None         # "separator": the time of the separator above (minute precision)
    low_confidence: bool = False
    also_in: list = field(default_factory=list)
    kind: str = "text"

    def to_dict(self) -> dict:
        d = super().to_dict()
        d.update({"confidence": round(self.confidence, 3), "box": list(self.box), "time_basis": self.time_basis,
                  "kind": self.kind})
        if self.low_confidence:
            d["low_confidence"] = True
        if self.also_in:
            d["also_in"] = list(self.also_in)
        return d


@dataclass
class Shot:
    path: str
    sha256: str
    size: tuple
    ref: dt.datetime | None
    ref_source: str | None
    blocks: list
    info: dict


@dataclass
class ShotConversation:
    format: str
    confidence: float
    sha256: str
    messages: list
    warnings: list
    shots: list
    cards: list
    separators: list
    title: str | None = None
    group: bool = False
    encoding: str = "image"
    path: str = ""
    order: str = "oldest-first"


def read_shot(path, cache=None, date: str | None = None, progress=None, data=None) -> Shot:
    """OCR + layout of one screenshot (both from the cache when this image and model were seen before)."""
    from tradeshield.ocr import OcrCache, read_lines
    from tradeshield.ocr import layout
    from tradeshield.evidence.fsutil import sha256_bytes

    cache = cache or OcrCache(None)
    if data is None:
        from tradeshield.evidence.fsutil import check_input

        data = check_input(path).read_bytes()
    sha = sha256_bytes(data)
    hit = cache.get(sha)
    if hit and hit.get("layout") == layout.VERSION and "blocks" in hit:
        ref, src = (dt.datetime.fromisoformat(hit["ref"]) if hit.get("ref") else None), hit.get("ref_source")
        if date or not hit.get("ref"):
            ref2, src2 = reference_time(path, None, date)
            if ref2 or date:
                ref, src = ref2, src2
        return Shot(str(path), sha, tuple(hit["info"]["size"]), ref, src, hit["blocks"], hit["info"])
    im = _decode(data, path)
    ref, src = reference_time(path, im, date)
    from tradeshield.photo import upright
    import numpy as np

    img = upright(im)
    arr = np.asarray(img)
    clean, emoji = layout.mask_emoji(arr)
    from PIL import Image

    lines = read_lines(Image.fromarray(clean) if emoji else img, sha, cache, progress=progress,
                       label=Path(str(path)).name, variant=f"layout{layout.VERSION}")
    blocks, info = layout.analyse(arr, lines)
    info["emoji"] = emoji
    file_ref, file_src = reference_time(path, im, None)
    old = cache.get(sha) or {}
    cache.put(sha, {**old, "layout": layout.VERSION, "blocks": blocks, "info": info,
                    "ref": file_ref.isoformat() if file_ref else None, "ref_source": file_src})
    return Shot(str(path), sha, img.size, ref, src, blocks, info)


def _decode(data: bytes, path):
    from tradeshield.photo import decode_image

    return decode_image(data, str(path))


def _norm(t: str) -> str:
    return re.sub(r"[\s,，.。!！?？:：;；'\"“”‘’、~～]+", "", t or "")


def _key(b: dict):
    return (b["kind"], b.get("role"), _norm(b.get("text", "")) if b["kind"] != "image" else
            (round((b["box"][2] - b["box"][0]) / 8), round((b["box"][3] - b["box"][1]) / 8)))


def _same(a: dict, b: dict) -> bool:
    if a["kind"] != b["kind"] or a.get("role") != b.get("role"):
        return False
    if a.get("unreadable") or b.get("unreadable"):     # nothing read: only the bubble's size to compare
        return bool(a.get("unreadable") and b.get("unreadable")) and \
            abs((a["box"][3] - a["box"][1]) - (b["box"][3] - b["box"][1])) <= 8
    if a["kind"] == "image":
        return abs((a["box"][3] - a["box"][1]) - (b["box"][3] - b["box"][1])) <= 8
    x, y = _norm(a.get("text", "")), _norm(b.get("text", ""))
    if x == y:
        return True
    from difflib import SequenceMatcher

    return len(x) > 3 and SequenceMatcher(None, x, y).ratio() >= 0.9


def _entries(shot: Shot) -> list[dict]:
    """What a shot shows, in order, for stitching: whole messages, separators, system lines."""
    out = []
    for b in shot.blocks:
        if b["kind"] in ("text", "image", "centre") and not b.get("cut"):
            out.append(b)
        elif b["kind"] == "centre" and _date_only(b["text"]):     # a date line cut at the top still dates the rows
            out.append(b)
    return out


def _overlap(a: list, b: list) -> int:
    """Largest k with the last k entries of ``a`` equal to the first k of ``b``."""
    for k in range(min(len(a), len(b)), 0, -1):
        if all(_same(x, y) for x, y in zip(a[-k:], b[:k])):
            return k
    return 0


def stitch(shots: list[Shot]) -> tuple[list[tuple[Shot, dict, list]], list[tuple[str, str]]]:
    """[(shot, block, also_in)] in reading order, overlaps kept once; and the pairs with no overlap."""
    seq: list[tuple[Shot, dict, list]] = []
    gaps = []
    prev = None
    for shot in shots:
        ent = _entries(shot)
        if prev is None:
            seq.extend((shot, b, []) for b in ent)
        else:
            tail = [b for _, b, _ in seq[-len(ent) - 2:]] if ent else []
            k = _overlap(tail, ent)
            if k:
                for j in range(k):
                    seq[len(seq) - k + j][2].append(shot.sha256)
            elif ent and seq:
                gaps.append((prev.path, shot.path))
            seq.extend((shot, b, []) for b in ent[k:])
        prev = shot
    return seq, gaps


def read_screenshots(paths, me: str | None = None, tz=None, date: str | None = None, cache=None,
                     progress=None, datas: dict | None = None) -> ShotConversation:
    """Screenshots (files or folders) → one conversation, oldest first."""
    from tradeshield.errors import InputError
    from tradeshield.timeutil import parse_offset

    files = image_files(paths)
    shots = []
    for i, f in enumerate(files):
        if progress:
            progress("screenshots", i, len(files))
        shots.append(read_shot(f, cache, date, progress=None, data=(datas or {}).get(str(f))))
    if progress:
        progress("screenshots", len(files), len(files))
    if shots and all(s.ref for s in shots) and not date:
        shots.sort(key=lambda s: s.ref)         # stable: equal times keep the order given
    tzinfo = parse_offset(tz) if isinstance(tz, str) and tz else tz
    seq, gaps = stitch(shots)
    warnings = []
    for a, b in gaps:
        warnings.append(_warning("shot.gap", a=Path(a).name, b=Path(b).name))
    title = next((s.info.get("title") for s in shots if s.info.get("title")), None)
    group = any(b.get("nick") for s in shots for b in s.blocks)
    messages, seps, cur = [], [], None
    ordinal: dict[str, int] = {}
    low, unread = [], []
    day = None                  # the 聊天记录 view's date line: the day its rows' clock times are on
    for shot, b, also in seq:
        if b["kind"] == "centre":
            d = _date_only(b["text"])
            if d:
                day = d
                seps.append({"label": b["text"], "time": d.isoformat(), "source": shot.sha256, "box": b["box"],
                             "reference": "date line"})
                continue
            t, is_sep = parse_separator(b["text"], shot.ref.date() if shot.ref else None)
            if is_sep:
                cur = t.replace(tzinfo=tzinfo) if t and tzinfo else t
                seps.append({"label": b["text"], "time": cur.isoformat() if cur else None, "source": shot.sha256,
                             "box": b["box"], "reference": shot.ref_source})
                continue
        ordinal[shot.sha256] = ordinal.get(shot.sha256, 0) + 1
        k = ordinal[shot.sha256]
        when, basis = cur, "separator" if cur else None
        if b["kind"] == "centre":
            role, sender, text, kind = "system", "", b["text"], "system"
        elif b.get("record"):
            # a row of the forwarded 聊天记录 view: its own nickname and time, no side on the screen
            sender = b.get("nick") or ""
            role = "me" if me and sender == me else "them"
            text, kind = b["text"], "text"
            t, _ = parse_separator(b.get("stamp", ""), day or (shot.ref.date() if shot.ref else None))
            when = t.replace(tzinfo=tzinfo) if t and tzinfo else t
            basis = "row" if when else None
        else:
            role = b["role"]
            sender = (me or "我") if role == "me" else (b.get("nick") or ("" if group else (title or "")))
            text, kind = b["text"], b["kind"]
        conf = float(b.get("score", 1.0))
        if b.get("unreadable"):
            # a bubble or row whose text OCR could not read: reported as a message that is there but unread
            kind, text, conf = "unreadable", UNREADABLE, min(conf, 0.0)
        m = ShotMessage(time=when, sender=sender, role=role, text=text,
                        attachments=["[图片]"] if kind == "image" else [], source=shot.sha256, line_start=k,
                        line_end=k, confidence=conf, box=list(b["box"]), time_basis=basis,
                        low_confidence=conf < LOW, also_in=list(also), kind=kind)
        if kind == "unreadable":
            unread.append(f"{Path(shot.path).name}#{k}")
        elif m.low_confidence:
            low.append(f"{Path(shot.path).name}#{k}")
        messages.append(m)
    for s in shots:       # relative times left unresolved for want of the screenshot's date
        if s.ref is None and (any(p["source"] == s.sha256 and p["time"] is None for p in seps)
                              or any(m.source == s.sha256 and m.time is None and m.time_basis is None
                                     and any(b.get("stamp") for b in s.blocks) for m in messages)):
            warnings.insert(0, _warning("shot.no_date", path=s.path))
    seen = [_norm(m.text) for m in messages]
    cut = 0
    for s in shots:
        for b in s.blocks:
            if not b.get("cut") or b["kind"] not in ("text", "image"):
                continue
            if b["kind"] == "image":
                cut += len(shots) == 1
            elif not any(_norm(b["text"])[:6] in t for t in seen if t):
                cut += 1
    if unread:
        warnings.append(_warning("shot.unreadable", n=len(unread), where=", ".join(unread[:8]) + (" …" if len(unread) > 8 else "")))
    if low:
        warnings.append(_warning("shot.low", n=len(low), low=LOW, where=", ".join(low[:8]) + (" …" if len(low) > 8 else "")))
    if cut:
        warnings.append(_warning("shot.cut", n=cut))
    cards = []
    for s in shots:
        for b in s.blocks:
            if b["kind"] == "card" and not any(c["card"] == b["card"] for c in cards):
                cards.append({"card": b["card"], "source": s.sha256, "box": b["box"], "confidence": b["score"]})
    if not messages and not seps and not cards:
        raise InputError("shot.no_text", path=", ".join(str(f) for f in files[:3]))
    return ShotConversation(format="screenshot", confidence=min([m.confidence for m in messages] or [1.0]),
                            sha256=shots[0].sha256 if shots else "", messages=messages, warnings=warnings,
                            shots=shots, cards=cards, separators=seps, title=title, group=group,
                            path=", ".join(map(str, files)))


def _warning(key: str, **params) -> dict:
    return {"code": key.split(".", 1)[-1], "zh": i18n.t(key, "zh", **params), "en": i18n.t(key, "en", **params)}

