"""WeChat exports as WeChatMsg / 留痕 writes them: TXT, CSV (utf-8-sig) and HTML (DOMAIN.md §4.1).

    >>> from tradeshield.chat.wechat import TXT, CSV, HTML
    >>> TXT.name, CSV.name, HTML.name
    ('wechat-txt', 'wechat-csv', 'wechat-html')

TXT: ``YYYY-MM-DD HH:MM:SS 显示名`` then content lines and a blank line; a system message is one line
``YYYY-MM-DD HH:MM:SS 文本`` followed directly by a blank line. CSV: one row per message with
``IsSender``, ``CreateTime`` (unix seconds) and ``Type``. HTML: JS object literals
``{ type:1, text:'…', is_send:0, timestamp:…, displayname:'…'}``.
"""
from __future__ import annotations

import csv
import re

from tradeshield.chat.engine import Context, LineFormat

TXT_HEADER = re.compile(r"\n(\d{4}-\d{2}-\d{2}) (\d{1,2}:\d{2}:\d{2}) ([^\n]+)$", re.M)
TYPE_TEXT = {"3": "[图片]", "34": "[语音]", "43": "[视频]", "47": "[表情包]", "48": "[位置]", "42": "[名片]",
             "49": "[链接]", "50": "[通话]"}
SUBTYPE_TEXT = {"6": "[文件]", "3": "[音乐分享]", "5": "[链接]", "57": None, "2000": "[转账]", "2001": "[红包]"}
CSV_COLUMNS = ("localId", "Type", "IsSender", "CreateTime", "StrContent")


class WeChatTxt(LineFormat):
    per_message = 2.2
    markers = ("撤回了一条消息", "引用:")

    def score(self, sample: str) -> float:
        from tradeshield.chat.qq import HEADER as QQ_HEADER

        base = super().score(sample)
        ours = len(TXT_HEADER.findall("\n" + sample))
        qq = len(QQ_HEADER.findall("\n" + sample))
        return base * (1 - qq / ours) if ours else 0.0

    def make(self, m, ctx: Context):
        iso = ctx.iso(m[1], m[2])
        name = m[3].strip()
        after = m.string[m.end():m.end() + 2]
        if after in ("\n\n", "") or after == "\n" and m.end() + 1 == len(m.string):
            return iso, "", "system", name         # 10000-type line: time + text, no content lines
        hint = "me" if name == "我" else None
        return iso, name, ctx.role_of(name, hint), None


TXT = WeChatTxt("wechat-txt", TXT_HEADER)


class WeChatCsv:
    name = "wechat-csv"

    def score(self, sample: str) -> float:
        first = sample.split("\n", 1)[0]
        return 1.0 if all(c in first for c in CSV_COLUMNS) else 0.0

    def records(self, source, ctx: Context, sample: str, progress=None):
        with source.open_text() as f:
            reader = csv.DictReader(f)
            prev = reader.line_num
            for row in reader:
                first, prev = prev + 1, reader.line_num
                rec = self._row(row, ctx, first, prev)
                if rec is not None:
                    yield rec
                if progress and reader.line_num % 5000 == 0:
                    progress(source.path.name, min(f.buffer.tell(), source.size), source.size)

    def _row(self, row: dict, ctx: Context, a: int, b: int):
        iso = ctx.from_epoch(row.get("CreateTime") or "x") if (row.get("CreateTime") or "").strip() else None
        if iso is None:
            iso = ctx.iso(*(row.get("StrTime") or "x y").split(" ", 1)) if " " in (row.get("StrTime") or "") else None
        if iso is None:
            ctx.skip(a)
            return None
        typ, sub = (row.get("Type") or "").strip(), (row.get("SubType") or "").strip()
        text = row.get("StrContent") or ""
        if typ == "10000":
            return iso, "", "system", text, a, b
        if typ == "49":
            text = (text or "[引用]") if sub == "57" else (SUBTYPE_TEXT.get(sub) or "[链接]")
        elif typ in TYPE_TEXT:
            text = TYPE_TEXT[typ]
        mine = (row.get("IsSender") or "").strip() == "1"
        name = (ctx.me or "我") if mine else (row.get("Remark") or row.get("NickName") or row.get("Sender") or "")
        return iso, name, "me" if mine else ctx.role_of(name), text, a, b


CSV = WeChatCsv()

_JS_MSG = re.compile(r"\{\s*type\s*:\s*(\d+)\s*,\s*text\s*:\s*'((?:[^'\\]|\\.)*)'\s*,\s*is_send\s*:\s*(\d)"
                     r"(?:[^{}]*?timestamp\s*:\s*(\d+))?(?:[^{}]*?displayname\s*:\s*'((?:[^'\\]|\\.)*)')?[^{}]*\}",
                     re.S)
_JS_ESC = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_ESC = {"n": "\n", "t": "\t", "r": "", "'": "'", '"': '"', "\\": "\\", "/": "/"}


def _unjs(s: str) -> str:
    def rep(m):
        e = m[1]
        if e[0] in "ux":
            return chr(int(e[1:], 16))
        return _ESC.get(e, e)
    return _JS_ESC.sub(rep, s) if "\\" in s else s


class WeChatHtml:
    name = "wechat-html"

    def score(self, sample: str) -> float:
        hits = len(_JS_MSG.findall(sample))
        return min(1.0, 0.6 + 0.1 * hits) if hits else 0.0

    def records(self, source, ctx: Context, sample: str, progress=None):
        text = source.text()      # HTML exports are small; the JS literals may span lines
        line, pos = 1, 0
        for m in _JS_MSG.finditer(text):
            line += text.count("\n", pos, m.start())
            pos = m.start()
            last = line + m.group(0).count("\n")
            typ, body, is_send, ts, name = m.groups()
            iso = ctx.from_epoch(ts) if ts else None
            if iso is None:
                ctx.skip(line)
                continue
            body = TYPE_TEXT.get(typ, _unjs(body)) if typ != "1" else _unjs(body)
            if typ == "10000":
                yield iso, "", "system", body, line, last
                continue
            mine = is_send == "1"
            sender = (ctx.me or "我") if mine else _unjs(name or "")
            yield iso, sender, "me" if mine else ctx.role_of(sender), body, line, last


HTML = WeChatHtml()
