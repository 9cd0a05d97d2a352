"""QQ 消息管理器 MHT export (「导出聊天记录」 as ``.mht``, QQ for Windows before 9.7.25: the one export that keeps the
pictures): a MIME ``multipart/related`` file whose first part is the HTML of the chat (``Content-Transfer-Encoding:
7bit``), the pictures after it as base64 parts named ``{GUID}.dat``.

    >>> from tradeshield.chat.qqmht import FORMAT
    >>> FORMAT.name
    'qq-mht'

The HTML is a table with a row per day and a row per message, as QQ writes them (and as public converters quote
them)::

    <tr><td style=border-bottom-width:1px;…>日期: 2012/4/11</td></tr>
    <tr><td><div style=color:#42B475;padding-left:10px;><div style=float:left;margin-right:6px;>风自由(23246779)</div>
    20:11:16</div><div style=padding-left:20px;><font style="…" color='000000'>就我们两</font></div></td></tr>

The name is ``昵称(QQ号)`` or ``昵称<email>``, as in the TXT export (``chat.qq``): ``--me`` takes either. The colour
says whose message it is only roughly (QQ colours a day's first message wrongly), so it is not read. A picture or a
QQ face (``<IMG src="{…}.dat">``) is ``[图片]``. Only the HTML part is read: the pictures after it are not decoded.
"""
from __future__ import annotations

import html
import re
from bisect import bisect_right

from tradeshield.chat.engine import Context
from tradeshield.chat.qq import sender_role

_DAY = re.compile(r"日期[:：]\s*(?:(\d{4})[-/](\d{1,2})[-/](\d{1,2})|(\d{1,2})/(\d{1,2})/(\d{4}))")
_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S | re.I)
_MSG = re.compile(r"<div style=\"?color:#[0-9A-Fa-f]{3,6};padding-left:10px;\"?>\s*<div style=\"?float:left;"
                  r"margin-right:6px;\"?>(.*?)</div>\s*(\d{1,2}:\d{2}:\d{2})\s*</div>\s*"
                  r"<div style=\"?padding-left:20px;\"?>(.*)</div>\s*</td>", re.S | re.I)
_NAME = re.compile(r"^(.*?)(?:\((\d{4,12})\)|<([^<>]{1,120})>)\s*$", re.S)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")


def _text(body: str) -> str:
    body = _IMG.sub("\n[图片]\n", _BR.sub("\n", body))
    lines = (html.unescape(_TAG.sub("", ln)).replace("\xa0", " ").strip() for ln in body.split("\n"))
    return "\n".join(ln for ln in lines if ln)


class QQMht:
    name = "qq-mht"

    def score(self, sample: str) -> float:
        if "padding-left:10px;" not in sample or "float:left;margin-right:6px;" not in sample:
            return 0.0
        return 1.0 if "日期" in sample and ("multipart/related" in sample or "<html" in sample.lower()) else 0.6

    def records(self, source, ctx: Context, sample: str, progress=None):
        page, starts, n = [], [0], 0
        with source.open_text() as f:      # the HTML part only: it ends before the first picture's part
            for line in f:
                page.append(line)
                n += len(line)
                starts.append(n)
                if "</html>" in line.lower():
                    break
        text = "".join(page)

        def line_of(pos: int) -> int:
            return bisect_right(starts, pos)

        day = None
        for row in _ROW.finditer(text):
            cell = row[1]
            d = _DAY.search(cell) if "日期" in cell else None
            if d is not None and "padding-left:20px" not in cell:
                y, mo, dd = (d[1], d[2], d[3]) if d[1] else (d[6], d[4], d[5])
                day = ctx.date(y, mo, dd)
                continue
            m = _MSG.search(cell)
            if m is None:
                continue
            a, b = line_of(row.start()), line_of(row.end() - 1)
            hms = ctx.clock(m[2])
            iso = None if day is None or hms is None else day + "T" + hms + ctx.offset
            if iso is None:
                ctx.skip(a)
                continue
            who = html.unescape(_TAG.sub("", m[1])).strip()
            nm = _NAME.match(who)
            name, ident = (nm[1].strip(), nm[2] or nm[3]) if nm else (who, None)
            sender, role = sender_role(ctx, name, ident)
            yield iso, sender, role, _text(m[3]), a, b


FORMAT = QQMht()
