"""Text copied from a QQ chat window (PC side window, chat window, mobile): no file header, no QQ numbers.

    >>> from tradeshield.chat.qqwin import FORMAT
    >>> FORMAT.name
    'qq-window'

Layouts seen in public parser tests and plug-ins (header line, then the text lines, then a blank line):

    【冒泡】昵称 2/14/2020 9:16:13 PM        side window: a group title in 【】, M/D/YYYY and a 12-hour clock
    昵称 2020/2/14 21:16:13                 24-hour clock, year first (also YYYY-M-D)
    【煤油】昵称 9:59:54 PM                   chat window: the time alone (the date is the last one seen, else none)
    — —  2020-2-21  — —                     mobile: a date line for the time-only headers below it
    昵称  23:50:12

Lines such as ``你撤回了一条消息``, ``某人加入本群。`` or ``你和abc有12个共同好友，点击添加好友。`` after a blank line
are system messages without a time of their own. A nickname may end with ``(QQ号)`` or ``<email>``.
"""
from __future__ import annotations

import re

from tradeshield.chat.engine import Context, LineFormat

_SYSTEM_WORDS = r"撤回了一条消息|加入本群|加入了本群|退出本群|退出了本群|移出本群|移出了本群|共同好友|拍了拍|修改了群名称"
HEADER = re.compile(
    r"\n(?:"
    r"(?:【([^】\n]{1,24})】)?([^\n]*?)[ \t]+"                                          # 1 title, 2 nick
    r"(?:(\d{1,2})/(\d{1,2})/(\d{4})[ \t]+|(\d{4})[/-](\d{1,2})[/-](\d{1,2})[ \t]+)?"  # 3-5 M/D/Y, 6-8 Y/M/D
    r"(\d{1,2}:\d{2}:\d{2})(?:[ \t]?([AaPp][Mm]|上午|下午))?[ \t]*"                      # 9 clock, 10 AM/PM
    r"|[—-][ \t]*[—-][ \t]+(\d{4})-(\d{1,2})-(\d{1,2})[ \t]+[—-][ \t]*[—-][ \t]*"      # 11-13 mobile date line
    r"|(?<=\n\n)([^\n]*(?:" + _SYSTEM_WORDS + r")[^\n]*)"                                # 14 system line
    r")$", re.M)
_ID = re.compile(r"(?:\((\d{4,12})\)|<([^<>\n]{1,120})>)$")


class QQWindow(LineFormat):
    per_message = 2.5
    markers = ("】", " PM\n", " AM\n", "撤回了一条消息", "加入本群")

    def make(self, m, ctx: Context):
        g = m.groups()
        state = ctx.cache.setdefault("qq-window", {"date": None})
        if g[10] is not None:                       # a mobile date line: not a message
            state["date"] = ctx.date(g[10], g[11], g[12])
            return None
        if g[13] is not None:
            return False, "", "system", g[13].strip()
        if g[2] is not None:
            date = ctx.date(g[4], g[2], g[3])
        elif g[5] is not None:
            date = ctx.date(g[5], g[6], g[7])
        else:
            date = state["date"] or False        # the time alone: the date last seen, else no time at all
        if date:
            state["date"] = date
        nick = g[1].strip()
        idm = _ID.search(nick)
        if idm and idm.start() > 0:
            nick = nick[:idm.start()].rstrip()
        if date is None:                         # an impossible date: skipped and counted
            return None, nick, "them", None
        clock = ctx.clock(g[8], g[9])
        iso = (date + "T" + clock + ctx.offset if clock else None) if date else (False if clock else None)
        return iso, nick, ctx.role_of(nick), None


FORMAT = QQWindow("qq-window", HEADER)
