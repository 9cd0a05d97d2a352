"""Text pasted from a platform's web or app chat page (闲鱼, 转转 …): loose, so parsed loosely.

    >>> from tradeshield.chat.paste import FORMAT
    >>> FORMAT.name
    'paste'

Copied chat pages have no stable layout (DOMAIN.md §4.4). What is recognised:
time lines on their own (``2024-03-02 14:05``, ``03-02 14:05``, ``2/14/2020 9:16 PM``, ``昨天 14:05``,
``14:05``) set the time of the lines below; ``昵称 2024-03-02 14:05`` (or ``【头衔】昵称 …``) starts a message
by that person at that time; ``昵称：text`` / ``昵称: text`` starts a message by that person; a line equal
to a known sender name (or ``--me``) starts that sender's message; other lines continue the current
message. Platform notices (请勿线下交易 …) become system messages. Relative days (今天/昨天/前天)
are counted from the file's modification date, which the warnings say.
"""
from __future__ import annotations

import datetime as dt
import re

from tradeshield.chat.engine import Context

# a date (Y-M-D, M/D/YYYY, M-D, 今天/昨天/前天) and a clock (12- or 24-hour)
_WHEN = (r"(?:(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?|(\d{1,2})/(\d{1,2})/(\d{4})|(\d{1,2})[-/月](\d{1,2})日?"
         r"|(今天|昨天|前天))?\s*(\d{1,2}:\d{2}(?::\d{2})?)(?:\s?([AaPp][Mm]|上午|下午))?")
_TIME = re.compile(r"^\s*" + _WHEN + r"\s*$")
# "昵称 时间" (a title in 【】 first, as QQ shows it): a message by that person starts, at that time
_NICK_TIME = re.compile(r"^(?:【[^】\n]{1,24}】)?([^\s:：][^:：\n]{0,23}?)\s*" + _WHEN + r"\s*$")
_SPEAKER = re.compile(r"^([^:：\s][^:：\n]{0,23})[:：]\s*(.*)$")
SYSTEM = ("请勿线下交易", "请勿私下转账", "请通过平台交易", "闲鱼小法庭", "对方已读", "验货担保", "验货报告",
          "鉴定结果", "退款已到账", "交易已关闭", "请在24小时内", "撤回了一条消息", "以下是新消息", "已读", "未读")
_REL = {"今天": 0, "昨天": 1, "前天": 2}


class Paste:
    name = "paste"

    def score(self, sample: str) -> float:
        lines = [ln for ln in sample.split("\n") if ln.strip()]
        if not lines:
            return 0.0
        times = sum(1 for ln in lines if _TIME.match(ln) or _NICK_TIME.match(ln))
        speak = sum(1 for ln in lines if _SPEAKER.match(ln))
        return min(0.45, 0.1 + (times + speak) / len(lines) * 0.4) if times or speak else 0.05

    def records(self, source, ctx: Context, sample: str, progress=None):
        ref = ctx.ref or ctx.file_date or dt.datetime.now(ctx.tzinfo).date()      # (the file's date: ``open_records``)
        names = {ctx.me} if ctx.me else set()
        state = {"date": None, "clock": None, "year": ref.year}
        cur = None
        line = 0
        with source.open_text() as f:
            for raw in f:
                line += 1
                ln = raw.rstrip("\n").rstrip()
                if line == 1:
                    ln = ln.lstrip("\ufeff")
                if not ln.strip():
                    continue
                tm = _TIME.match(ln)
                if tm:
                    if self._set_time(tm, state, ref, ctx) is None:
                        ctx.skip(line)
                    continue
                nt = _NICK_TIME.match(ln)
                if nt and not nt[1].startswith("http"):
                    if cur is not None:
                        yield tuple(cur)
                    sender = nt[1].strip()
                    names.add(sender)
                    iso = self._iso(state, ctx) if self._set_time(nt, state, ref, ctx, 1) else None
                    if iso is None:
                        ctx.skip(line)
                    cur = [iso, sender, ctx.role_of(sender), "", line, line]
                    continue
                start = self._start(ln, names)
                notice = start is None and any(x in ln for x in SYSTEM)
                if start is None and cur is not None and not notice:
                    cur[3] = cur[3] + "\n" + ln if cur[3] else ln
                    cur[5] = line
                    continue
                if cur is not None:
                    yield tuple(cur)
                sender, text = start if start else ("", ln)
                role = "system" if notice else ctx.role_of(sender) if start else "them"
                cur = [self._iso(state, ctx), sender, role, text, line, line]
        if cur is not None:
            yield tuple(cur)

    @staticmethod
    def _start(ln: str, names: set):
        if ln.strip() in names:
            return ln.strip(), ""
        m = _SPEAKER.match(ln)
        if m and not m[1].startswith("http"):
            names.add(m[1].strip())
            return m[1].strip(), m[2]
        return None

    @staticmethod
    def _set_time(tm, state, ref: dt.date, ctx: Context, skip: int = 0):
        y, mo, d, um, ud, uy, mo2, d2, rel, clock, ampm = tm.groups()[skip:]
        if y:
            date = ctx.date(y, mo, d)
        elif uy:
            date = ctx.date(uy, um, ud)
        elif mo2:
            date = ctx.date(str(state["year"]), mo2, d2)
        elif rel:
            date = (ref - dt.timedelta(days=_REL[rel])).isoformat()
            ctx.notes.append(("chat.paste_relative_given" if ctx.ref else "chat.paste_relative",
                              {"date": ref.isoformat()}))
        else:
            date = state["date"] or ref.isoformat()
        c = ctx.clock(clock, ampm)
        if date is None or c is None:
            return None
        state["date"], state["clock"] = date, c
        state["year"] = int(date[:4])
        return date

    @staticmethod
    def _iso(state, ctx: Context):
        if state["date"] is None:
            return None
        return state["date"] + "T" + state["clock"] + ctx.offset


FORMAT = Paste()
