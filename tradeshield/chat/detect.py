"""Which export format a file is, with a confidence and the close alternatives.

    >>> from tradeshield.chat.detect import detect
    >>> detect("2024-03-02 14:05:11 李四\\n你好\\n\\n2024-03-02 14:06:40 我\\n在的\\n").format
    'wechat-txt'

Every format scores the decoded start of the file (0–1: how much of it its layout explains,
times that parse, tell-tale markers). Below ``UNKNOWN`` nothing fits and the caller stops with
the candidates; when the runner-up is within ``CLOSE`` the guess is kept but reported as unsure,
naming the ``--format`` values to choose from.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tradeshield import i18n
from tradeshield.chat import csvfmt, paste, qq, qqmht, qqwin, taobao, telegram, wechat, whatsapp
from tradeshield.errors import InputError, UsageError

FORMATS = {
    "taobao": taobao.FORMAT, "qq": qq.FORMAT, "qq-mht": qqmht.FORMAT, "qq-window": qqwin.FORMAT,
    "wechat-txt": wechat.TXT,
    "wechat-csv": wechat.CSV, "wechat-html": wechat.HTML, "signal": whatsapp.SIGNAL, "whatsapp": whatsapp.FORMAT,
    "telegram": telegram.TELEGRAM, "telegram-html": telegram.TELEGRAM_HTML,
    "instagram": telegram.INSTAGRAM, "csv": csvfmt.GENERIC, "paste": paste.FORMAT,
}
ALIASES = {"wangwang": "taobao", "qianniu": "taobao", "旺旺": "taobao", "千牛": "taobao", "wechat": "wechat-txt",
           "generic-csv": "csv", "tg-html": "telegram-html", "mht": "qq-mht",
           "qqwin": "qq-window", "qq-copy": "qq-window", "meta": "instagram", "xianyu": "paste", "闲鱼": "paste",
           "zhuanzhuan": "paste", "转转": "paste"}
UNKNOWN = 0.3
CLOSE = 0.1

i18n.register({
    "chat.unknown_format": ("无法识别聊天记录格式：{path}（最接近：{candidates}；用 --format 指定，可选 {choices}）",
                            "unknown chat format: {path} (closest: {candidates}; pass --format, one of {choices})"),
    "chat.bad_format": ("未知格式：{fmt}（可选 {choices}）", "unknown format: {fmt} (choose from {choices})"),
    "chat.unsure": ("格式判断不确定：按 {fmt}（{conf:.0%}）读取；相近：{candidates}。如不对，请用 --format 指定",
                    "format is uncertain: read as {fmt} ({conf:.0%}); close: {candidates}. If wrong, pass --format"),
})


@dataclass
class Detection:
    format: str
    confidence: float
    candidates: list[tuple[str, float]] = field(default_factory=list)
    unsure: bool = False


def resolve(fmt: str) -> str:
    name = ALIASES.get(fmt.lower(), fmt.lower())
    if name not in FORMATS:
        raise UsageError("chat.bad_format", fmt=fmt, choices=", ".join(["auto", *FORMATS]))
    return name


def detect(sample: str) -> Detection:
    scores = []
    for name, fmt in FORMATS.items():
        try:
            s = float(fmt.score(sample))
        except (ValueError, IndexError, TypeError):  # a scorer tripping on odd text means "not this format"
            s = 0.0
        scores.append((name, round(s, 3)))
    scores.sort(key=lambda p: -p[1])  # stable: FORMATS order breaks ties (more specific formats first)
    best, conf = scores[0]
    close = [p for p in scores[1:] if p[1] >= max(UNKNOWN, conf - CLOSE)]
    return Detection(best, conf, [p for p in scores if p[1] > 0][:4], unsure=bool(close))


def choose(sample: str, path: str) -> Detection:
    d = detect(sample)
    if d.confidence < UNKNOWN:
        cands = ", ".join(f"{n} {s:.0%}" for n, s in d.candidates[:3]) or "-"
        raise InputError("chat.unknown_format", path=path, candidates=cands, choices=", ".join(FORMATS))
    return d
