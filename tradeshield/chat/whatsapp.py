"""WhatsApp TXT exports (Android ``DD/MM/YY, HH:MM - Name: text`` and iOS ``[MM/DD/YY HH:MM] Name: text``).

    >>> from tradeshield.chat.whatsapp import FORMAT
    >>> FORMAT.prepare("20/01/19, 11:23 - A: hi\\n").order
    'dmy'

The date order depends on the phone's locale, so it is inferred from the whole sample: a first
field above 12 means day-first, a second field above 12 month-first, a 4-digit first field
year-first. 12-hour clocks may say ``PM``, ``p. m.``, ``下午``; Finnish phones write ``13.6.2018 klo 21.25.15``.
Lines without ``Name:`` are system lines. ``SIGNAL`` is the same grammar with signal-export's header
``[YYYY-MM-DD, HH:MM] Name: text`` (a bracketed ISO date followed by a comma, which WhatsApp never writes), so a
Signal export is named ``signal``.
"""
from __future__ import annotations

import re

from tradeshield.chat.engine import Context, LineFormat

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
# end-to-end encrypted. …」 (whatstk's pokemon.txt, an Android export) — a system line, not a message from "Pokemon Chat"
_NOTICE = re.compile(r"\u200e?(?:Messages and calls are end-to-end encrypted\. (?:No one outside|Only people in)|"
                     r"Messages (?:you send )?to this (?:group|chat)(?: and calls)? are now secured with end-to-end "
                     r"encryption\.|消息和通话都?(?:已|已经)?(?:进行|经过)?端到端加密。(?:对话之外|只有)|"
                     r"訊息和通話(?:都)?(?:已)?(?:經過|進行)?端對端加密。)")
# every text ``_NOTICE`` matches starts with one of these: ``str.startswith`` first (~0.06 µs a message against the
# match's ~0.13; hardly any message is a notice)
_NOTICE_FIRST = ("\u200e", "M", "消", "訊")


class WhatsApp(LineFormat):
    per_message = 1.3
    order = "dmy"
    notes: list = []

    def prepare(self, sample: str) -> "WhatsApp":
        a_big = b_big = ymd = False
        for m in HEADER.finditer("\n" + sample):
            a, b = m[1], m[2]
            if len(a) == 4:
                ymd = True
            elif int(a) > 12:
                a_big = True
            elif int(b) > 12:
                b_big = True
        fmt = type(self)(self.name, self.header)
        fmt.notes = []
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
        found = list(self.header.finditer("\n" + sample))
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
