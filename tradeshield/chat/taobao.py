"""Taobao 旺旺 / 千牛 text: role line, nickname (+status) and time, message lines.

    >>> from tradeshield.chat.taobao import FORMAT
    >>> FORMAT.name
    'taobao'

Layouts handled (DOMAIN.md §4.3 and the published dispute):

    卖家                              买家                         tb_buyer_0012024-05-06 10:01:33
    shop_abc旺旺离线                   nick 2012-09-26 22:35:07     这个是国行吗
    2023-03-02 21:40                  亲，在吗？                   已读
    好的，明天给您改

自己 (the user's own side) may have no nickname line. Status lines 已读 / 未读 / 发送中 after a
message and 千牛 noise lines are dropped from the text (the line range still covers them).
"""
from __future__ import annotations

import re

from tradeshield.chat.engine import Context, LineFormat

_STATUS = r"(?:旺旺|千牛)?(?:离线|在线|忙碌|离开|手机在线)"
HEADER = re.compile(
    r"\n(?:(买家|卖家|自己|客服|系统消息)\n)?"
    r"(?:([^\n]*?)[ \t]?(\d{4})-(\d{1,2})-(\d{1,2})[ \t]+(\d{1,2}:\d{2}(?::\d{2})?)"
    r"|(?:([^\n]*)\n)?(\d{4})-(\d{1,2})-(\d{1,2})[ \t]+(\d{1,2}:\d{2}(?::\d{2})?))[ \t]*$", re.M)
_STATUS_RE = re.compile(_STATUS + "$")
_TRANSFER = re.compile(r"^(.*?) --> (.*)$")
_NOISE = re.compile(r"(?m)^(?:已读|未读|发送中|当前用户来自.*|商品详情页|由 服务助手 转交给.*|原因：【离线留言自动分配】)\n?")
_ROLE_HINT = {"自己": "me", "系统消息": "system", "买家": "买家", "卖家": "卖家", "客服": "卖家", None: None}


class Taobao(LineFormat):
    per_message = 3.0
    markers = ("旺旺离线", "旺旺在线", "千牛", "\n买家\n", "\n卖家\n", "\n自己\n", "\n客服\n", "\n已读\n", "\n未读\n", " --> ")

    def score(self, sample: str) -> float:
        """Without any Taobao marker (role lines, 旺旺 status, 已读 …) a ``昵称 时间`` layout is as likely a chat
        typed or pasted by hand: scored below the paste grammar's ceiling, so that one reads it."""
        base = super().score(sample)
        s = "\n" + sample
        return base if any(mk in s for mk in self.markers) else min(base, 0.4)

    def make(self, m, ctx: Context):
        g = m.groups()
        if g[2] is not None:
            nick, date, clock = g[1], ctx.date(g[2], g[3], g[4]), g[5]
        else:
            nick, date, clock = g[6] or "", ctx.date(g[7], g[8], g[9]), g[10]
        c = ctx.clock(clock)
        iso = date + "T" + c + ctx.offset if date and c else None
        role_line = g[0]
        if nick and ("旺" in nick or "线" in nick):
            nick = _STATUS_RE.sub("", nick)
        if role_line is None and " --> " in nick:    # 千牛: one agent hands the chat to another
            return iso, nick, "system", None
        if role_line == "自己" and not nick:
            nick = ctx.me or "自己"
        return iso, nick, ctx.role_of(nick, _ROLE_HINT.get(role_line)), None

    def clean(self, body: str) -> str:
        if "\n" not in body and len(body) > 8:
            return body
        return _NOISE.sub("", body).rstrip("\n") if _NOISE.search(body) else body


FORMAT = Taobao("taobao", HEADER)
