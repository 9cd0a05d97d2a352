"""WhatsApp TXT exports (Android ``DD/MM/YY, HH:MM - Name: text`` and iOS ``[MM/DD/YY HH:MM] Name: text``).

    >>> from tradeshield.chat.whatsapp import FORMAT
    >>> FORMAT.prepare("20/01/19, 11:23 - A: hi\\n").order
    'dmy'

The date order depends on the phone's locale, so it is inferred from the whole sample: a first
field above 12 means day-first, a second field above 12 month-first, a 4-digit first field
year-first. 12-hour clocks may say ``PM``, ``p. m.``, ``下午``; Finnish phones write ``13.6.2018 klo 21.25.15``.
Lines without ``Name:`` are system lines. Some phones write the time first or in their own script; those layouts
(``LAYOUTS``: iOS ``[14:56:01, 3/18/22]``, old Android ``19:23, 28 Aug 2013 -``, ``Mar 5, 8:11 PM -`` and
``8 Aug 15:49 -``, Arabic iOS ``[١٨/٣/٢٠٢٢، ٢:٥٦:٠١ م]``,
iOS in the Buddhist or Japanese calendar ``[3/18/2565 BE, 14:56:01]``, ``[3/18/R4, 14:56:01]``)
have headers of their own, chosen by ``prepare`` when the sample has more of theirs than of ``HEADER``'s, so the
common layouts' regex stays as it is. ``SIGNAL`` is the same grammar with signal-export's header
``[YYYY-MM-DD, HH:MM] Name: text`` (a bracketed ISO date followed by a comma, which WhatsApp never writes), so a
Signal export is named ``signal``.
"""
from __future__ import annotations

import re

from tradeshield import i18n
from tradeshield.chat.engine import Context, LineFormat

i18n.register({
    "chat.whatsapp_year": ("WhatsApp 部分日期没有年份（旧版安卓不写当年的年份），按最后一个写明的年份加一读作 {year} 年（请核对）",
                           "some WhatsApp dates have no year (old Android left out the current year); read as {year}, "
                           "the year after the last one written (check it)"),
    "chat.whatsapp_no_year": ("WhatsApp 日期没有年份（旧版安卓不写当年的年份），这些消息不带时间保存，按文件中的顺序；"
                              "用 --date 导出日期（YYYY-MM-DD）给出年份",
                              "WhatsApp dates have no year (old Android left out the current year): those messages are "
                              "kept without a time, in the file's order; give the export's date with --date YYYY-MM-DD"),
    "chat.whatsapp_year_given": ("WhatsApp 部分日期没有年份（旧版安卓不写当年的年份），按 --date 读作 {year} 年",
                                 "some WhatsApp dates have no year (old Android left out the current year): read as "
                                 "{year}, the year of --date"),
})

HEADER = re.compile(r"\n[\u200e\ufeff]*\[?\ufeff*(\d{1,4})[./-](\d{1,2})[./-](\d{1,4}),?(?: klo)? (\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
                    r"(?:[\s\u202f]?([aApP]\.?\s?[mM]\.?|上午|下午))?\]?(?: -|:)? ([^\n]*)$", re.M)
_SENDER = re.compile(r"^([^:\n]{1,80}?):(?: |$|(?=\S))(.*)$", re.S)


def _sender(rest: str):
    """``_SENDER.match(rest)``'s two groups (sender, text), or None. The usual case — a colon within 80 characters
    of no line break, then a space or a visible character — by ``str.find`` (the lazy regex cost ~1.5 µs a message,
    a third of the WhatsApp grammar's time on the bench); anything else by the regex itself."""
    i = rest.find(":")
    if 0 < i <= 80 and rest.find("\n", 0, i) < 0:
        nxt = rest[i + 1:i + 2]
        if nxt == " ":
            return rest[:i], rest[i + 2:]
        if nxt and not nxt.isspace():
            return rest[:i], rest[i + 1:]
    sm = _SENDER.match(rest)
    return None if sm is None else (sm[1], sm[2])


# WhatsApp's own notice, written as if the group (or contact) said it: 「Pokemon Chat: Messages and calls are
# end-to-end encrypted. …」 (whatstk's pokemon.txt, an Android export) — a system line, not a message from "Pokemon Chat".
# Also in Vietnamese and Arabic (the time-first and Arabic iOS layouts below; the Arabic one after U+200F)
_NOTICE = re.compile(r"[\u200e\u200f]?(?:Messages and calls are end-to-end encrypted\. (?:No one outside|Only people in)|"
                     r"Messages (?:you send )?to this (?:group|chat)(?: and calls)? are now secured with end-to-end "
                     r"encryption\.|消息和通话都?(?:已|已经)?(?:进行|经过)?端到端加密。(?:对话之外|只有)|"
                     r"訊息和通話(?:都)?(?:已)?(?:經過|進行)?端對端加密。|Tin nhắn và cuộc gọi được mã hóa đầu cuối\. |"
                     "\u0627\u0644\u0631\u0633\u0627\u0626\u0644 \u0648\u0627\u0644\u0645\u0643\u0627\u0644\u0645\u0627\u062a "
                     "\u0645\u0634\u0641\u0631\u0629 \u062a\u0645\u0627\u0645\u064b\u0627 \u0628\u064a\u0646 "
                     "\u0627\u0644\u0637\u0631\u0641\u064a\u0646\u060c)")     # الرسائل والمكالمات مشفرة تمامًا بين الطرفين،
# every text ``_NOTICE`` matches starts with one of these: ``str.startswith`` first (~0.06 µs a message against the
# match's ~0.13; hardly any message is a notice)
_NOTICE_FIRST = ("\u200e", "\u200f", "M", "消", "訊", "T", "\u0627")


class WhatsApp(LineFormat):
    per_message = 1.3
    order = "dmy"
    notes: list = []

    fixed_order: str | None = None      # a layout whose date order is known (a month written as a name)
    fields = staticmethod(re.Match.groups)      # a header's (a, b, c, clock, ampm, rest), as ``make`` reads them

    def prepare(self, sample: str) -> "WhatsApp":
        text = "\n" + sample
        proto, found = self, list(self.header.finditer(text))
        # a layout of its own (time first, Arabic digits) when it has more header lines; no line is a header in two
        # layouts, so with HEADER's in half the lines or more (the usual export) there is nothing to look for
        if type(self) is WhatsApp and 2 * len(found) < text.count("\n"):
            for alt in LAYOUTS:
                if alt.header.search(text) is not None:
                    alt_found = list(alt.header.finditer(text))
                    if len(alt_found) > len(found):
                        proto, found = alt, alt_found
        fmt = type(proto)(proto.name, proto.header)
        fmt.notes = []
        if fmt.fixed_order:
            fmt.order = fmt.fixed_order
            return fmt
        a_big = b_big = ymd = False
        for m in found:
            a, b = fmt.fields(m)[:2]
            if len(a) == 4:
                ymd = True
            elif int(a) > 12:
                a_big = True
            elif int(b) > 12:
                b_big = True
        if ymd:
            fmt.order = "ymd"
        elif b_big and not a_big:
            fmt.order = "mdy"
        else:
            fmt.order = "dmy"
            if not a_big:
                fmt.notes = [("chat.whatsapp_ambiguous", {})]
        return fmt

    def score(self, sample: str) -> float:
        fmt = self.prepare(sample)
        base = LineFormat.score(fmt, sample)
        found = list(fmt.header.finditer("\n" + sample))
        heads = [m[6] for m in found]
        # long messages (a poem, a listing, Wordle grids: one header over many lines) thin the headers out: 9 of 468
        # real exports (starkdmi/whats_json's test set) had 13–26 % header lines and were refused. When the file
        # starts with a header and at least one line in ten is one, the lines under each header are its message's
        # and the share of headers whose date and time read is the score
        lines = sample.lstrip("\ufeff\n\r \t").split("\n", 1)
        if found and found[0].start() == sample.index(lines[0]) and len(found) >= 10 \
                and len(found) >= 0.1 * sum(1 for ln in sample.split("\n") if ln.strip()):
            ctx = Context()
            made = [fmt.make(m, ctx) for m in found]
            parsed = [h for h in made if h is not None]
            if parsed:
                base = max(base, sum(1 for h in parsed if h[0] is not None) / len(parsed))
        # a header with a sender (「Name: text」), or with WhatsApp's own separator before the rest (「date, time - …」,
        # 「[date time] …」): its system lines (「… joined using this group's invite link」) have no sender, and a small
        # group's export is mostly those (read as pasted text, "29/07/2022, 2" became the sender)
        named = sum(1 for m in found if _SENDER.match(m[6]) or m.string[m.start(6) - 2:m.start(6)] in ("- ", "] "))
        if self.header is HEADER and heads:     # lines Signal's header explains are Signal's
            base *= 1 - len(SIGNAL_HEADER.findall("\n" + sample)) / len(heads)
        return base * (named / len(heads)) if heads else 0.0

    def make(self, m, ctx: Context):
        a, b, c, clock, ampm, rest = m.groups()
        dates = ctx.cache.setdefault("whatsapp", {})
        key = a + "/" + b + "/" + c
        date = dates.get(key, 0)
        if date == 0:
            if self.order == "ymd":
                y, mo, d = a, b, c
            elif self.order == "mdy":
                y, mo, d = c, a, b
            else:
                y, mo, d = c, b, a
            date = dates[key] = ctx.date("20" + y if len(y) == 2 else y, mo, d)
        if "." in clock:
            clock = clock.replace(".", ":")
        hm = ctx.times.get(clock if ampm is None else clock + ampm, 0)     # (``Context.clock``'s own cache)
        if hm == 0:
            hm = ctx.clock(clock, ampm)
        iso = date + "T" + hm + ctx.offset if date and hm else None
        sm = _sender(rest)
        if sm is None or sm[0].startswith("http") or (sm[1].startswith(_NOTICE_FIRST) and _NOTICE.match(sm[1])):
            return iso, "", "system", rest
        sender = sm[0].strip()
        role = ctx.roles.get(sender)       # (``Context.role_of``'s own cache)
        return iso, sender, role if role is not None else ctx.role_of(sender), sm[1].strip()


FORMAT = WhatsApp("whatsapp", HEADER)


class _Fields(tuple):
    """A layout's header fields in ``HEADER``'s order, handed to ``WhatsApp.make`` in place of its match (which it
    only asks for ``groups()``): the common layouts' ``make`` stays one call per message."""
    __slots__ = ()

    def groups(self):
        return self


class _Layout(WhatsApp):
    """A layout of its own: ``fields`` puts a header's fields in ``HEADER``'s order for the common ``make``."""

    def make(self, m, ctx: Context):
        return WhatsApp.make(self, self.fields(m), ctx)


_AMPM = r"(?:[\s\u202f]?([aApP]\.?\s?[mM]\.?))?"
# iOS on Vietnamese phones: the time first, then the date (month first), ``[14:56:01, 3/18/22] Name: text``; lines
# may start with U+200E
TIME_FIRST = re.compile(r"\n[\u200e\u200f\ufeff]*\[(\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)" + _AMPM +
                        r", (\d{1,4})[./-](\d{1,2})[./-](\d{1,4})\] ([^\n]*)$", re.M)


class _TimeFirst(_Layout):
    @staticmethod
    def fields(m):
        clock, ampm, a, b, c, rest = m.groups()
        return _Fields((a, b, c, clock, ampm, rest))


# old Android (2013–14): the time, then the day, an English month name and the year, ``19:23, 28 Aug 2013 - Name:
# text``; the current year's dates had no year (``00:01, 1 Jan - Name: text``)
_MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.?"      # (an English month name)
MONTH_NAME = re.compile(r"\n[\u200e\ufeff]*(\d{1,2}:\d{2})" + _AMPM + r", (\d{1,2}) " + _MONTH
                        + r"(?: (\d{4}))? - ([^\n]*)$", re.M)
_MONTHS = {m: str(i) for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


class _MonthName(WhatsApp):
    fixed_order = "dmy"
    named = staticmethod(re.Match.groups)       # a header's (clock, ampm, day, month name, year or None, rest)

    def make(self, m, ctx: Context):
        clock, ampm, d, mon, y, rest = self.named(m)
        if y is not None:
            ctx.cache["whatsapp-year"] = y
        elif ctx.ref is not None:        # the user's ``--date``: the export's year is the phone's current year
            y = _year_note(ctx, str(ctx.ref.year), "chat.whatsapp_year_given")
        elif ctx.cache.get("whatsapp-year") is not None:
            # a date without its year is the phone's current year: after the last year written (a chat's dates run
            # oldest-first)
            y = _year_note(ctx, str(int(ctx.cache["whatsapp-year"]) + 1), "chat.whatsapp_year")
        else:       # before any year is written, the message is kept without a time
            _year_note(ctx, "", "chat.whatsapp_no_year")
            head = WhatsApp.make(self, _Fields((d, _MONTHS[mon], "0", clock, ampm, rest)), ctx)
            return None if head is None else (False, *head[1:])
        return WhatsApp.make(self, _Fields((d, _MONTHS[mon], y, clock, ampm, rest)), ctx)


def _year_note(ctx: Context, y: str, key: str) -> str:
    """``y``, the year read into year-less dates, with warning ``key`` noted once for it (``y`` empty: no year)."""
    if ctx.cache.get("whatsapp-year-note") != (key, y):
        ctx.cache["whatsapp-year-note"] = (key, y)
        ctx.notes.append((key, {"year": y} if y else {}))
    return y


# old Android with the date first and the month as a name, no year for the current year's dates (the only ones in
# both real exports seen, starkdmi/whats_json's ``girish95k FaceMatch wa.txt`` and ``swarbrickjones Horde_Analysis
# mike_raw.txt``): US English ``Mar 5, 8:11 PM - Name: text``, UK English ``8 Aug 15:49 - Name: text``. Neither file
# writes a year; where a line does, it is read where these locales put it (``Mar 5, 2014, 8:11 PM -``,
# ``8 Aug 2014 15:49 -``: not seen in a real export)
MONTH_DAY = re.compile(r"\n[\u200e\ufeff]*" + _MONTH + r" (\d{1,2}),(?: (\d{4}),)? (\d{1,2}:\d{2})" + _AMPM
                       + r" - ([^\n]*)$", re.M)
DAY_MONTH = re.compile(r"\n[\u200e\ufeff]*(\d{1,2}) " + _MONTH + r"(?: (\d{4}))?,? (\d{1,2}:\d{2})" + _AMPM
                       + r" - ([^\n]*)$", re.M)


class _MonthDay(_MonthName):
    @staticmethod
    def named(m):
        mon, d, y, clock, ampm, rest = m.groups()
        return clock, ampm, d, mon, y, rest


class _DayMonth(_MonthName):
    @staticmethod
    def named(m):
        d, mon, y, clock, ampm, rest = m.groups()
        return clock, ampm, d, mon, y, rest


# iOS in Arabic: U+200F marks around the date's fields, the Arabic comma (U+060C), Arabic-Indic or Western digits,
# ``م``/``ص`` (PM/AM) after the clock: ``[١٨/٣/٢٠٢٢، ٢:٥٦:٠١ م] Name: text``, ``[18/3/2022، 14:56:01] Name: text``
ARABIC = re.compile(r"\n[\u200e\u200f\ufeff]*\[\u200f?(\d{1,4})\u200f?[./-]\u200f?(\d{1,2})\u200f?[./-]\u200f?(\d{1,4})"
                    r"\u200f?\u060c\s?(\d{1,2}:\d{2}(?::\d{2})?)(?:\s?([aApP]\.?\s?[mM]\.?|\u0645|\u0635))?\] ([^\n]*)$", re.M)
_DIGITS = str.maketrans("\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
                        "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9", "0123456789" * 2)
_ARABIC_AMPM = {"\u0645": "PM", "\u0635": "AM"}      # مساءً, صباحًا


class _Arabic(_Layout):
    @staticmethod
    def fields(m):
        a, b, c, clock, ampm, rest = m.groups()
        return _Fields((a.translate(_DIGITS), b.translate(_DIGITS), c.translate(_DIGITS), clock.translate(_DIGITS),
                        _ARABIC_AMPM.get(ampm, ampm), rest))


# iOS set to the Buddhist or the Japanese calendar: the year as ``2565 BE`` (the Gregorian year + 543) or as an era
# and its year, ``R4`` (Reiwa 4, 2022; Heisei 1 was 1989, Showa 1 1926): ``[3/18/2565 BE, 14:56:01] Name: text``,
# ``[3/18/R4, 14:56:01] Name: text``
ERA = re.compile(r"\n[\u200e\ufeff]*\[(\d{1,2})[./-](\d{1,2})[./-](\d{4} BE|[SHR]\d{1,2}),? "
                 r"(\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)" + _AMPM + r"\] ([^\n]*)$", re.M)
_ERAS = {"S": 1925, "H": 1988, "R": 2018}


class _Era(_Layout):
    @staticmethod
    def fields(m):
        a, b, c, clock, ampm, rest = m.groups()
        y = int(c[:-3]) - 543 if c[-1] == "E" else _ERAS[c[0]] + int(c[1:])
        return _Fields((a, b, str(y), clock, ampm, rest))


LAYOUTS = (_TimeFirst("whatsapp", TIME_FIRST), _MonthName("whatsapp", MONTH_NAME), _MonthDay("whatsapp", MONTH_DAY),
           _DayMonth("whatsapp", DAY_MONTH), _Arabic("whatsapp", ARABIC), _Era("whatsapp", ERA))


# the comma after the date is signal-export's: WhatsApp's bracketed ISO header has none ([2019-04-16 02:09] A: …,
# a layout whatstk supports and its lorem-2000.txt uses)
SIGNAL_HEADER = re.compile(r"\n\[(\d{4})-(\d{1,2})-(\d{1,2}), (\d{1,2}:\d{2}(?::\d{2})?)()\] ([^\n]*)$", re.M)


class Signal(WhatsApp):
    def prepare(self, sample: str) -> "Signal":
        fmt = Signal(self.name, self.header)
        fmt.order, fmt.notes = "ymd", []
        return fmt


SIGNAL = Signal("signal", SIGNAL_HEADER)
SIGNAL.order = "ymd"
