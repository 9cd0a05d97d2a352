"""QQ 消息管理器 TXT export: ``YYYY-MM-DD H:MM:SS 昵称(QQ号)`` header, text lines, blank line.

    >>> from tradeshield.chat.qq import FORMAT
    >>> FORMAT.name
    'qq'

Variants (DOMAIN.md §4.2): hour without a leading zero, a 12-hour clock with AM/PM,
``昵称<email>``, an empty name ``(QQ号)``, a group title prefix ``【管理员】``, and
``系统消息(10000)``. The ``消息分组`` / ``消息对象`` blocks between conversations are dropped.
"""
from __future__ import annotations

import re

from tradeshield.chat.engine import Context, LineFormat

HEADER = re.compile(r"\n(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}:\d{2}:\d{2})(?: ?([AaPp][Mm]|上午|下午))? "
                    r"(?:【[^】\n]{0,20}】)?([^\n]*?)(?:\((\d{4,12})\)|<([^<>\n]{1,120})>)[ \t]*$", re.M)
_NOISE = re.compile(r"\n*(?:={16,}\n?|消息分组:[^\n]*\n?|消息对象:[^\n]*\n?)+\s*$")


def sender_role(ctx: Context, name: str, ident: str | None) -> tuple[str, str]:
    """(sender, role) of a QQ 昵称 and its QQ number or e-mail (``ident``): ``--me`` may give either; 系统消息(10000)
    is the system (the TXT and the MHT export)."""
    sender = name or ident or ""
    if ident == "10000" or name == "系统消息":
        hint = "system"
    elif ctx.me and ctx.me in (name, ident):
        hint = "me"
    else:
        hint = None
    return sender, ctx.role_of(sender, hint)


class QQ(LineFormat):
    per_message = 2.5
    markers = ("消息记录（此消息记录为文本格式", "消息对象:", "消息分组:")

    def make(self, m, ctx: Context):
        name, qq, mail = m[6].strip(), m[7], m[8]
        sender, role = sender_role(ctx, name, qq or mail)
        return ctx.iso(f"{m[1]}-{m[2]}-{m[3]}", m[4], m[5]), sender, role, None

    def clean(self, body: str) -> str:
        return _NOISE.sub("", body) if "=====" in body or "消息对象" in body else body


FORMAT = QQ("qq", HEADER)
