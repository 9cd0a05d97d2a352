"""Columnar import of Taobao block exports: a chunk of messages per Polars expression, in Rust.

    >>> from tradeshield.chat.columnar import Columns
    >>> cols = Columns({"sha": "ab" * 32, "tz": "+08:00", "me": None, "side": "seller"})
    >>> raw = "买家\\n小熊 2024-01-02 10:00:00\\n能便宜50吗\\n\\n".encode()
    >>> out = cols.chunk(raw, 1, True)
    >>> out.n, out.kinds, bytes(out.messages).count(b"\\n")
    (1, {'discount-request': 1}, 1)

The per-message Python loop (``fastpath``) costs ~20 µs of CPU a message; the naive parser a user
would write costs 5. Here a chunk of a few megabytes is split into blocks, checked, quoted as JSON and
scanned for trigger words by Polars (Aho-Corasick and the regex crate, without the GIL, so two chunks
run at once on two threads), and only what is few is left to Python: the distinct senders and dates
of a chunk and the rare texts named below. Money amounts (``amounts``) and attachment placeholders
are found in Polars too.

Results never depend on which path ran. ``chunk`` returns None whenever a chunk is not entirely
the plain "role / nick time / text" blocks that ``fastpath.taobao_columns`` accepts with ASCII-digit
times (then the chunk goes through ``fastpath``), and the event rules are applied with the same
semantics as ``events.Matcher.resolve``:

* zh trigger words leftmost-longest on the text, then English words on the lower-cased text (only
  for texts with an ASCII letter); a rule is decided once per message, at its first trigger;
* ``confirm`` is searched in the window of 6 characters before to 12 after the trigger; when it
  overlaps the trigger the shown text covers both; ``unless`` cancels a rule for the whole text;
* events are ordered by rule rank, the amount comes from ``events.amount_in``.

A message whose lower-casing turns a non-ASCII character into ASCII letters (``İ``, ``K``) is resolved
by ``Matcher.match`` itself; the rows of a rule whose ``confirm`` regex uses what Python's ``re`` and
Rust's ``regex`` read differently (anchors, ``\\w``, ``\\s``, look-around, inline flags …) are checked by
``Matcher._check`` row by row; ``\\d`` and ``\\s`` are spelled out as Python's tables have them.
``tests/test_chat_columnar.py`` compares the paths byte for byte.
"""
from __future__ import annotations

import ctypes
import functools
import os
import re
from json.encoder import encode_basestring as _q

# Polars' allocator (jemalloc): freed pages are kept 5 s for reuse (the next chunk needs as much; at
# Polars' 0.5 s the 1M-message import took 2.5x the page faults, ~0.5 s of system time) and then
# returned at once (MADV_FREE'd "muzzy" pages would still count in RSS). Measured on the bench export:
# 3 MB chunks, 260 MB peak RSS, 145k faults; Polars' defaults: 310 MB, 360k faults.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:5000,muzzy_decay_ms:0")

# One Polars thread per call: the import runs two chunks at once on its own threads, and Polars' pool
# of two added ~30 % of overhead a call (work-stealing hand-offs on tiny frames) and more memory.
os.environ.setdefault("POLARS_MAX_THREADS", "1")

import polars as pl  # noqa: E402 - after the allocator and thread settings

from tradeshield.chat.events import _CURRENCY_AFTER, _CURRENCY_BEFORE, _FILLERS, _NUMBER as _PY_NUMBER, _PRICE_WORDS
from tradeshield.chat.events import Matcher, amount_in, passes
from tradeshield.chat.fastpath import NOISE_WORDS, Out, _who
from tradeshield.chat.model import ATTACH_RE, PLACEHOLDERS, attachments_of

ROLES = ["买家", "卖家", "自己", "客服"]
# a header line: nick, a space or tab, then an ASCII date and time (other digits: fastpath decides)
# (and a plain clock, which the engine keeps as it is)
_HEADER = r"[ \t][0-9]{4}-[0-9]{2}-[0-9]{2} (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\z"
# a body line the engine would read as a header; \d as Python's re reads it (see _py_class)
_DATED_LINE = r"(?m){d}{{4}}-{d}{{1,2}}-{d}{{1,2}}[ \t]+{d}{{1,2}}:{d}{{2}}(?::{d}{{2}})?[ \t]*$"
# a status line fastpath would clean (its _NOISE_START: a line starting so, in a header or a body)
_NOISE = "(?m)^" + NOISE_WORDS
_NOISE_HEADER = "\\A" + NOISE_WORDS      # a header is one line: anchored at its start (2 ms a chunk less)
# characters Python lower-cases into ASCII letters or into two characters (tests check the list)
_HARD = "\u0130|\u212a"
_ATTACH = r"\[|<|http"      # what model.attachments_of looks at first
# what Python's re and Rust's regex may read differently in a confirm pattern (\d itself is translated)
_NOT_PORTABLE = re.compile(r"\\[wWsSbBAZzDpPNXxuUGgkEQ0-9]|\(\?(?!:)|[\^$]|\[\[|&&|--|~~|\{,")


# Python's \d (Unicode category Nd) for Unicode 14.0.0, the tables of Python 3.11: the first of each run of
# ten digits, and the mathematical digits (50 in a row). Another Python reads its own tables (~0.2 s, once).
_ZEROS_14 = (0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50,
             0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40,
             0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066,
             0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950,
             0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0)
_DIGIT_RANGES_14 = tuple(sorted([(z, z + 9) for z in _ZEROS_14] + [(0x1d7ce, 0x1d7ff)]))
_SPACE_14 = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
             "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _ranges(chars) -> tuple:
    out: list = []
    for c in sorted(map(ord, chars)):
        if out and c == out[-1][1] + 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return tuple(map(tuple, out))


def py_tables() -> tuple[tuple, str]:
    """(ranges of the characters Python's re reads as \\d, the characters str.isspace() accepts)."""
    import unicodedata

    if unicodedata.unidata_version == "14.0.0":
        return _DIGIT_RANGES_14, _SPACE_14
    every = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    return _ranges(re.findall(r"\d", every)), "".join(re.findall(r"\s", every))


def _class(ranges) -> str:
    return "[" + "".join("\\x{%x}-\\x{%x}" % r if r[0] != r[1] else "\\x{%x}" % r[0] for r in ranges) + "]"


_DIGIT_RANGES, _PY_SPACE = py_tables()   # what str.rstrip() strips is _PY_SPACE
_DIGIT = _class(_DIGIT_RANGES)
_SPACE = _class(_ranges(_PY_SPACE))
_DATED = _DATED_LINE.format(d=_DIGIT)
_NUMBER = _PY_NUMBER.pattern.replace("\\d", _DIGIT)


def _rust_confirm(pattern: str) -> str | None:
    """``pattern`` for Rust's regex crate with the same matches, or None when that is not certain."""
    if _NOT_PORTABLE.search(pattern.replace("\\d", "")):
        return None
    out = pattern.replace("\\d", _DIGIT)
    try:
        s = pl.Series(["x"]).str.contains(out)   # does it compile there?
        del s
    except pl.exceptions.PolarsError:
        return None
    return out


class _Rules:
    """The rules as tables Polars can join on; ``python`` names the rules checked row by row in Python."""

    def __init__(self, matcher: Matcher):
        self.matcher = matcher
        rules = matcher.rules
        zh, en = passes(matcher.triggers)
        self.zh = sorted(zh, key=lambda w: (-len(w), w))    # leftmost-first over longest-first = leftmost-longest
        self.en = sorted(en, key=lambda w: (-len(w), w))
        # per pass: the trigger words sorted (searched with search_sorted) and the rules of each
        self.lookup = [(pl.Series("key", sorted(words), dtype=pl.String),
                        pl.Series("rule", [matcher.triggers[w] for w in sorted(words)], dtype=pl.List(pl.Int32)))
                       for words in (zh, en)]
        self.zh_re = "|".join(map(_rust_escape, self.zh)) if self.zh else None
        # English words: ASCII-only case folding ((?-u)), as matching the lower-cased text does; a regex
        # rather than Aho-Corasick because Polars keeps compiled regexes (an automaton is built per call)
        self.en_re = "(?i-u:" + "|".join(map(_rust_escape, self.en)) + ")" if self.en else None
        self.kinds = [r.kind for r in rules]
        self.kinds_s = pl.Series("kind", self.kinds, dtype=pl.String)
        rank = {r.kind: i for i, r in enumerate(rules)}      # as Matcher ranks events: by kind
        self.rank_s = pl.Series("rank", [rank[k] for k in self.kinds], dtype=pl.Int32)
        self.unless: dict[int, list[str]] = {}
        self.confirm: dict[int, str] = {}
        self.python: set[int] = set()     # rules whose confirm only Python's re reads: checked row by row
        for i, r in enumerate(rules):
            if r.unless is not None:
                self.unless[i] = list(r.unless_words)
            if r.confirm is not None:
                rust = _rust_confirm(r.confirm.pattern)
                if rust is None:
                    self.python.add(i)
                else:
                    self.confirm[i] = "^(?P<pre>(?s:.*?))(?P<m>" + rust + ")"
        self.checked = sorted(set(self.confirm) | set(self.unless) | self.python)
        self.confirm_or_python = sorted(set(self.confirm) | self.python)
        pairs = [(w, i) for i, words in self.unless.items() if i not in self.python for w in words]
        self.unless_words = sorted({w for w, _ in pairs})
        # (rule, phrase) pairs as "rule number in 6 digits + phrase" (``_cancelled`` builds the same)
        self.unless_keys = pl.Series("u", sorted({f"{i:06d}{w}" for w, i in pairs}), dtype=pl.String).implode() \
            if pairs else None
        self.wants = [i for i, r in enumerate(rules) if r.amount]


def _attach_re() -> str:
    """``model.ATTACH_RE`` for Rust's regex crate (\\s spelled out as Python reads it)."""
    return ATTACH_RE.pattern.replace("[^\\s", "[^" + _SPACE[1:-1])


def _rust_escape(word: str) -> str:
    return "".join("\\" + c if c in _META else c for c in word)


_META = set("\\.+*?()|[]{}^$#&-~")


def _no_hits(text: pl.Series) -> pl.Series:
    return pl.Series([[]] * text.len(), dtype=pl.List(pl.String))


# Two chunks run at once on two threads, and Polars runs some work on its own thread pool (one thread
# here): a DataFrame filter (its columns in parallel), a join, several expressions of one select. Both
# chunks would queue there, so such steps are done in the calling thread: ``select_seq`` /
# ``with_columns_seq``, ``_filter`` and lookups by ``search_sorted`` / ``scatter`` instead of joins.

def _filter(df: pl.DataFrame, pred) -> pl.DataFrame:
    """``df.filter(pred)`` in this thread (a mask or a boolean expression)."""
    mask = pred if isinstance(pred, pl.Series) else df.select_seq(pred).to_series()
    return pl.DataFrame([c.filter(mask) for c in df.iter_columns()])


def _gather(df: pl.DataFrame, idx: pl.Series) -> pl.DataFrame:
    """The rows ``idx`` of ``df``, in this thread."""
    return df.select_seq(pl.all().gather(idx))


class Columns:
    """Turns raw chunks of a UTF-8 Taobao block export into ``fastpath.Out`` results, or None."""

    def __init__(self, cfg: dict):
        from tradeshield.chat.engine import Context

        self.ctx = Context(cfg["tz"], cfg.get("me"), cfg.get("side"))
        self.sha = cfg["sha"]
        self.rules = _Rules(Matcher(cfg.get("rules")))
        self.who: dict = {}
        self.dates: dict = {}
        self.src = ',"source":"' + self.sha + '","lines":['

    # ------------------------------------------------------------------ blocks
    def chunk(self, raw: bytes, line0, first: bool, counted=None) -> Out | None:
        """The chunk's Out, or None (then ``fastpath`` parses it). ``line0``: the number of its first line,
        or a function giving it (called only when the lines are written out, so a chunk can be parsed
        before the ones ahead of it are counted); ``counted(n)`` gets the chunk's number of newlines as
        soon as it is known (not called when the chunk is declined before)."""
        if first and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if b"\r" in raw:
            return None
        try:        # (in one select: the Series methods would hold the GIL for the cast and the explode)
            p = pl.Series("c", [raw], dtype=pl.Binary).to_frame().select_seq(
                pl.col("c").cast(pl.String).str.split("\n\n").explode()).to_series()
        except pl.exceptions.PolarsError:
            return None                       # not UTF-8: fastpath decodes with replacement characters
        ps = p.str.strip_chars_start("\n")
        p = pl.DataFrame({"nl": p.str.count_matches("\n", literal=True), "lead": p.str.len_bytes() - ps.str.len_bytes(),
                          "blk": ps.str.strip_chars_end("\n")})
        if counted is not None:         # the newlines of the pieces and the two of each "\n\n" between them
            counted(int(p["nl"].sum()) + 2 * (p.height - 1))
        # line numbers from the chunk's start (0); its first line number is added when they are written
        p = p.with_columns(a=(pl.col("nl").cast(pl.Int64) + 2).cum_sum().shift(1, fill_value=0)
                           + pl.col("lead").cast(pl.Int64))
        df = _filter(p, pl.col("blk") != "").select_seq(
            "a", pl.col("blk").str.splitn("\n", 3).struct.rename_fields(["role", "hdr", "body"]).alias("s")).unnest("s")
        del p, ps
        if df.height == 0:
            return None
        df = df.with_columns(text=pl.col("body").str.strip_chars_end(_PY_SPACE))
        bad = df.select((pl.col("body").is_null() | ~pl.col("role").is_in(ROLES) | ~pl.col("hdr").str.contains(_HEADER)
                         | (pl.col("text") == "") | pl.col("body").str.contains(_NOISE)
                         | pl.col("hdr").str.contains(_NOISE_HEADER)
                         ).any()).item()
        body = df["body"]
        if bad or body.filter(body.str.contains(":", literal=True)).str.contains(_DATED).any():
            return None
        nick = df["hdr"].str.head(-20)
        for d in df["hdr"].str.slice(-19, 10).unique().to_list():
            if d not in self.dates:
                self.dates[d] = self.ctx.date(d[:4], d[5:7], d[8:10]) == d
            if not self.dates[d]:
                return None                   # an invalid date: the engine skips and counts that message
        # each message's sender and role: a lookup of "role\nnick" among the chunk's distinct pairs
        key = df.select_seq(pl.concat_str("role", pl.lit("\n"), nick)).to_series()
        pairs = key.unique().sort()
        srs = []
        for pair in pairs.to_list():
            if pair not in self.who:
                self.who[pair] = _who(*pair.split("\n", 1), self.ctx)
            srs.append(self.who[pair])
        sr = pl.Series("sr", srs, dtype=pl.String).gather(pairs.search_sorted(key))
        df = df.with_columns_seq(sr=sr)
        df = df.with_row_index("k").with_columns_seq(
            t=pl.concat_str(pl.col("hdr").str.slice(-19, 10), pl.lit("T"), pl.col("hdr").str.slice(-8),
                            pl.lit(self.ctx.offset)),
            b=pl.col("a") + 2 + pl.col("text").str.count_matches("\n", literal=True).cast(pl.Int64),
            q=pl.struct("text").struct.json_encode().str.slice(8).str.head(-1)).select("k", "a", "b", "t", "sr", "q", "text")
        att = self._attachments(df)
        out = _order(df["t"])
        out.n = df.height
        line = line0() if callable(line0) else line0
        out.messages = _bytes(df.select(pl.concat_str(
            pl.lit('{"time":"'), "t", pl.lit('",'), "sr", pl.lit(',"text":'), "q", pl.lit(',"attachments":'),
            att if att is not None else pl.lit("[]"), pl.lit(self.src), (pl.col("a") + line).cast(pl.String),
            pl.lit(","), (pl.col("b") + line).cast(pl.String), pl.lit("]}\n"))))
        out.events, out.kinds = self._events(df, line)
        return out

    def _attachments(self, df: pl.DataFrame) -> pl.Series | None:
        """The attachments JSON of each message (``model.attachments_of``), None when no message has any."""
        cand = _filter(df.select("k", "text"), pl.col("text").str.contains(_ATTACH))
        if cand.height == 0:
            return None
        hard = cand["text"].str.contains(_HARD)
        found = _filter(cand, ~hard).select_seq("k", att=pl.col("text").str.extract_all(_ATTACH_RE).list.filter(
            ~pl.element().str.starts_with("[")
            | pl.element().str.slice(1).str.to_lowercase().str.contains(_PLACEHOLDER)))
        found = _filter(found, pl.col("att").list.len() > 0).select_seq(
            "k", att=pl.struct("att").struct.json_encode().str.slice(7).str.head(-1))
        if hard.any():   # lower-casing that changes letters: as Python does it
            extra = [(k, "[" + ",".join(map(_q, a)) + "]") for k, t in _filter(cand, hard).iter_rows()
                     if (a := attachments_of(t))]
            if extra:
                found = pl.concat([found, pl.DataFrame(extra, schema=found.schema, orient="row")])
        if found.height == 0:
            return None
        return pl.repeat("[]", df.height, dtype=pl.String, eager=True).scatter(
            found["k"], found["att"])

    # ------------------------------------------------------------------ events
    def _events(self, df: pl.DataFrame, line: int) -> tuple[bytes, dict]:
        R = self.rules
        text = df["text"]
        hard = text.str.contains(_HARD)
        if hard.any():
            hard = hard & text.str.contains("[A-Za-z]")
            hard_rows = self._python(_filter(df, hard))
        else:
            hard_rows = None
        hits = pl.DataFrame({"k": df["k"], "z": text.str.extract_all(R.zh_re) if R.zh_re else _no_hits(text),
                             "e": text.str.extract_all(R.en_re) if R.en_re else _no_hits(text)})
        hits = _filter(hits, ((pl.col("z").list.len() > 0) | (pl.col("e").list.len() > 0)) & ~hard)
        rows = pl.concat([self._triggers(hits, "z", 0), self._triggers(hits, "e", 1)])
        # a rule is decided at its first trigger
        rows = _filter(rows, (pl.col("k").cast(pl.Int64) * len(R.kinds) + pl.col("rule")).is_first_distinct())
        keep, matched = self._checks(rows, text)
        found = rows.select_seq("k", "rule", matched=matched, py=pl.lit(None, pl.String))
        if keep is not None:
            found = _filter(found, keep)
        if hard_rows is not None and hard_rows.height:
            found = pl.concat([found, hard_rows])
        if found.height == 0:
            return b"", {}
        # (Series.gather on small lookup tables: replace_strict builds a hash map each call)
        found = found.sort(pl.col("k"), R.rank_s.gather(found["rule"]), maintain_order=True)
        found = found.with_columns_seq(kind=R.kinds_s.gather(found["rule"]),
                                       amount=pl.coalesce("py", self._amounts(found, text)))
        found = pl.concat([found, _gather(df.select("t", "sr", "q", "a", "b"), found["k"])], how="horizontal")
        kinds: dict = {}
        for rule, n in sorted(found["rule"].value_counts(sort=False).rows()):
            kinds[R.kinds[rule]] = kinds.get(R.kinds[rule], 0) + n
        return _bytes(found.select(pl.concat_str(
            pl.lit('{"time":"'), "t", pl.lit('","kind":"'), "kind", pl.lit('",'), "sr", pl.lit(',"text":'), "q",
            pl.lit(',"matched":'), pl.struct("matched").struct.json_encode().str.slice(11).str.head(-1),
            pl.when(pl.col("amount").is_not_null()).then(pl.lit(',"amount":"') + pl.col("amount") + '"')
            .otherwise(pl.lit("")),
            pl.lit(',"ref":{"source":"' + self.sha + '","lines":['), (pl.col("a") + line).cast(pl.String), pl.lit(","),
            (pl.col("b") + line).cast(pl.String), pl.lit("]}}\n")))), kinds

    def _triggers(self, hits: pl.DataFrame, col: str, p: int) -> pl.DataFrame:
        """(k, w, p, o, rule): each trigger word found by pass ``p`` (its o-th match), once per rule it starts."""
        keys, rules = self.rules.lookup[p]
        rows = _filter(hits.select("k", w=col), pl.col("w").list.len() > 0)
        rows = rows.with_columns_seq(p=pl.lit(p, pl.Int8), o=pl.int_ranges(pl.col("w").list.len(), dtype=pl.UInt32))
        rows = rows.explode(["w", "o"])
        key = rows["w"].str.to_lowercase() if p == 1 else rows["w"]
        at = keys.search_sorted(key).clip(0, max(keys.len() - 1, 0))    # (no words: no rows either)
        rows = _filter(rows.with_columns_seq(rule=rules.gather(at)), keys.gather(at) == key)
        return rows.explode("rule")

    def _checks(self, rows: pl.DataFrame, text: pl.Series) -> tuple[pl.Series | None, pl.Series]:
        """Which rows hold (None: all) and the text each shows, for the rows of rules that check."""
        R = self.rules
        matched = rows["w"].clone()
        todo = _filter(rows.with_row_index("r"), pl.col("rule").is_in(R.checked))
        if todo.height == 0:
            return None, matched
        t = text.gather(todo["k"])
        en = todo["p"] == 1
        hay = t
        if en.any():   # what the English pass searched: the text as Python lower-cases it
            idx = en.arg_true()
            hay = t.clone().scatter(idx, pl.Series([x.lower() for x in t.gather(idx).to_list()], dtype=pl.String))
        todo = todo.with_columns_seq(text=t, hay=hay)
        ok = ~self._cancelled(todo)
        rule = todo["rule"]
        for i in rule.filter(rule.is_in(R.confirm_or_python)).unique().to_list():
            pick = (rule == i).arg_true()
            got, shown = self._check(_gather(todo, pick), i)
            ok = ok.scatter(pick, ok.gather(pick) & got)
            matched = matched.scatter(todo["r"].gather(pick), shown)
        keep = pl.repeat(True, rows.height, dtype=pl.Boolean, eager=True)
        return keep.scatter(todo["r"], ok), matched

    def _cancelled(self, todo: pl.DataFrame) -> pl.Series:
        """Rows whose text (as the pass searched it) holds one of their rule's ``unless`` phrases."""
        R = self.rules
        no = pl.repeat(False, todo.height, dtype=pl.Boolean, eager=True)
        if R.unless_keys is None:
            return no
        found = todo.with_row_index("i").select_seq(
            "i", "rule", u=pl.col("hay").str.extract_many(R.unless_words, overlapping=True))
        found = _filter(found, pl.col("u").list.len() > 0).explode("u")
        if found.height == 0:
            return no
        pair = pl.col("rule").cast(pl.String).str.zfill(6) + pl.col("u")
        hit = _filter(found, pair.is_in(R.unless_keys))["i"]
        return no.scatter(hit, True) if hit.len() else no

    def _check(self, rows: pl.DataFrame, i: int) -> tuple[pl.Series, pl.Series]:
        """(confirm holds, shown text) of rule ``i`` for its rows; ``unless`` is ``_cancelled``'s."""
        R = self.rules
        # the trigger's byte offset in the hay: the o-th match of that pass
        pos = pl.when(pl.col("p") == 1).then(pl.col("hay").str.find_many(R.en, leftmost=True)) \
            .otherwise(pl.col("hay").str.find_many(R.zh, leftmost=True))
        rows = rows.with_columns(s=pos.list.get(pl.col("o")))
        rows = rows.with_columns(e=pl.col("s") + pl.col("w").str.len_bytes())
        if i in R.python:
            return self._check_python(rows, i)
        hb = pl.col("hay").cast(pl.Binary)
        pre = hb.bin.head(pl.col("s")).cast(pl.String).str.tail(6)
        win = pre + hb.bin.slice(pl.col("s"), pl.col("e") - pl.col("s")).cast(pl.String) \
            + hb.bin.slice(pl.col("e")).cast(pl.String).str.head(12)
        # the shown text comes from the original by character position: lower-casing may change a
        # character's UTF-8 length (Ⱥ → ⱥ), never the number of characters (İ and K are resolved apart)
        cs = hb.bin.head(pl.col("s")).cast(pl.String).str.len_chars().cast(pl.Int64)
        lo0 = pl.max_horizontal(cs - 6, pl.lit(0, pl.Int64))
        twin = pl.col("text").str.slice(lo0, cs + pl.col("w").str.len_chars().cast(pl.Int64) + 12 - lo0)
        rows = rows.with_columns_seq(m=win.str.extract_groups(R.confirm[i]), sw=pre.str.len_chars().cast(pl.Int64),
                                     twin=twin)
        rows = rows.with_columns_seq(ew=pl.col("sw") + pl.col("w").str.len_chars().cast(pl.Int64),
                                     ms=pl.col("m").struct.field("pre").str.len_chars().cast(pl.Int64))
        rows = rows.with_columns(me=pl.col("ms") + pl.col("m").struct.field("m").str.len_chars().cast(pl.Int64))
        over = (pl.col("ms") <= pl.col("ew")) & (pl.col("me") >= pl.col("sw"))
        lo = pl.min_horizontal("sw", "ms")
        got = rows.select_seq(ok=pl.col("m").struct.field("m").is_not_null(), w=pl.when(over).then(
            pl.col("twin").str.slice(lo, pl.max_horizontal("ew", "me") - lo)).otherwise(pl.col("w")))
        return got["ok"], got["w"]

    def _check_python(self, rows: pl.DataFrame, i: int) -> tuple[pl.Series, pl.Series]:
        """``Matcher._check`` row by row, for a rule whose confirm regex Rust's regex cannot read alike."""
        rule, check = self.rules.matcher.rules[i], self.rules.matcher._check
        rows = rows.with_columns_seq(cs=pl.col("hay").cast(pl.Binary).bin.head(pl.col("s")).cast(pl.String)
                                     .str.len_chars(), cw=pl.col("w").str.len_chars())
        keep, matched = [], []
        for text, hay, s, w, orig in rows.select("text", "hay", "cs", "cw", "w").iter_rows():
            m = check(rule, text, hay, s, s + w)
            keep.append(m is not None)
            matched.append(orig if m is None else m)
        return pl.Series(keep, dtype=pl.Boolean), pl.Series(matched, dtype=pl.String)

    def _python(self, hard: pl.DataFrame) -> pl.DataFrame:
        """Events of messages whose lower-casing is not plain ASCII, by ``Matcher.match`` itself."""
        cols: dict = {"k": [], "rule": [], "matched": [], "py": []}
        for k, text in hard.select("k", "text").iter_rows():
            for kind, matched, amount in self.rules.matcher.match(text):
                for name, v in zip(cols, (k, self.rules.kinds.index(kind), matched, amount)):
                    cols[name].append(v)
        return pl.DataFrame(cols, schema={"k": pl.UInt32, "rule": pl.Int32, "matched": pl.String, "py": pl.String})

    def _amounts(self, found: pl.DataFrame, text: pl.Series) -> pl.Series:
        """``events.amount_in`` of each row's text, for the rules that want it (see ``amounts``)."""
        want = found.select_seq(pl.col("rule").is_in(self.rules.wants) & pl.col("py").is_null()).to_series()
        ks = found["k"].filter(want).unique()
        got = amounts(pl.DataFrame({"k": ks, "text": text.gather(ks)}))
        every = pl.repeat(None, text.len(), dtype=pl.String, eager=True).alias("amount")
        return every.scatter(got["k"], got["amount"]).gather(found["k"]).zip_with(want, every.clear(found.height))


def amounts(df: pl.DataFrame) -> pl.DataFrame:
    """(k, amount) for the texts of ``df`` (k, text) that hold one, as ``events.amount_in`` finds it.

    Each number (``events._NUMBER``, Python's digits) is cut out with the text around it: the 4
    characters before it and after it decide, and those never reach into another number in a way
    that matters (no currency or price word holds a digit), so the gaps between numbers are enough.
    A text holding NUL (the cutting mark) is read by ``amount_in`` itself.
    """
    df = _filter(df, pl.col("text").str.contains(_DIGIT))
    nul = df["text"].str.contains("\x00", literal=True)
    odd = _filter(df, nul)
    seg = _filter(df, ~nul).select_seq(
        "k", s=pl.col("text").str.replace_all(_NUMBER, "\x00${0}\x00").str.split("\x00"))
    seg = seg.with_columns(i=pl.int_ranges(pl.col("s").list.len(), dtype=pl.UInt32)).explode(["s", "i"])
    seg = _filter(seg.with_columns_seq(pre=pl.col("s").shift(1), post=pl.col("s").shift(-1)), pl.col("i") % 2 == 1)
    before = pl.col("pre").str.tail(4).str.strip_chars_end(_PY_SPACE)
    whole = pl.col("s").str.split(".").list.first().str.len_chars()
    ok = (whole <= 7) & (
        before.str.contains(_ENDS_CURRENCY)
        | pl.col("post").str.head(4).str.strip_chars_start(_PY_SPACE).str.contains(_STARTS_CURRENCY)
        | ((whole >= 2) & (whole <= 6) & before.str.strip_chars_end(_FILLERS).str.contains(_ENDS_PRICE)))
    out = _filter(seg, ok).select_seq("k", amount="s")
    out = _filter(out, pl.col("k").is_first_distinct())
    if odd.height:
        rows = [(k, a) for k, t in odd.iter_rows() if (a := amount_in(t)) is not None]
        out = pl.concat([out, pl.DataFrame(rows, schema=out.schema, orient="row")])
    return out


def _order(times: pl.Series) -> Out:
    out = Out()
    if times.len() == 0:
        return out
    nxt = times.shift(-1)
    out.head, out.tail = times[0], times[-1]
    out.lo, out.hi = times.min(), times.max()
    out.up = bool((times < nxt).any())
    out.down = bool((times > nxt).any())
    return out


def _bytes(lines: pl.DataFrame) -> bytes | memoryview:
    """The lines (one column, each ends with a newline) as UTF-8, joined in Rust: no Python string per line."""
    if lines.height == 0:
        return b""
    joined = lines.to_series().str.join("")
    del lines            # the caller passes the only reference: the lines go before the bytes are made
    return _view(joined.cast(pl.Binary))


def _view(value: pl.Series) -> bytes | memoryview:
    """The one value of a Binary Series as a read-only view of Polars' own memory, through the Arrow C
    stream interface: no copy. (``item()`` copies it into bytes while holding the GIL: ~0.5 s of the
    1M-message import, which the other parsing thread spent waiting.) ``item()`` when the export is not
    the one-value binary-view array expected."""
    try:
        return _Export(value).view()
    except (ValueError, TypeError, AttributeError, OSError):
        return value.item()


class _Export:
    """One exported Arrow array, released when the last view of its memory is gone."""

    def __init__(self, value: pl.Series):
        import struct

        A = _arrow()
        self.capsule = value.__arrow_c_stream__()
        self.stream = A.Stream.from_address(A.pointer(self.capsule, b"arrow_array_stream"))
        self.schema, self.array = A.Schema(), A.Array()
        if self.stream.get_schema(ctypes.byref(self.stream), ctypes.byref(self.schema)) \
                or self.stream.get_next(ctypes.byref(self.stream), ctypes.byref(self.array)):
            raise ValueError("arrow export")
        a = self.array
        if self.schema.format != b"vz" or a.length != 1 or a.null_count or a.n_buffers < 3 or not a.buffers[1]:
            raise ValueError("not one binary view")
        length, _, index, offset = struct.unpack("<iIii", ctypes.string_at(a.buffers[1] + 16 * a.offset, 16))
        if length <= 12:    # kept inside the view itself
            raise ValueError("inline")
        if not 0 <= index < a.n_buffers - 3 or offset < 0 or not a.buffers[2 + index]:
            raise ValueError("view outside the data buffers")   # (the last buffer holds their sizes)
        self.address, self.length = a.buffers[2 + index] + offset, length

    def view(self) -> memoryview:
        data = (ctypes.c_char * self.length).from_address(self.address)
        data.owner = self    # the export is released once this array and every view of it are gone
        return memoryview(data).cast("B").toreadonly()

    def __del__(self):
        for struct_ in (getattr(self, "array", None), getattr(self, "schema", None), getattr(self, "stream", None)):
            if struct_ is not None and struct_.release:
                struct_.release(ctypes.byref(struct_))


@functools.lru_cache(maxsize=1)
def _arrow():
    """The Arrow C data interface structures (https://arrow.apache.org/docs/format/CDataInterface.html)."""
    from types import SimpleNamespace

    class Schema(ctypes.Structure):
        pass

    Schema._fields_ = [("format", ctypes.c_char_p), ("name", ctypes.c_char_p), ("metadata", ctypes.c_char_p),
                       ("flags", ctypes.c_int64), ("n_children", ctypes.c_int64),
                       ("children", ctypes.POINTER(ctypes.POINTER(Schema))), ("dictionary", ctypes.POINTER(Schema)),
                       ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(Schema))), ("private_data", ctypes.c_void_p)]

    class Array(ctypes.Structure):
        pass

    Array._fields_ = [("length", ctypes.c_int64), ("null_count", ctypes.c_int64), ("offset", ctypes.c_int64),
                      ("n_buffers", ctypes.c_int64), ("n_children", ctypes.c_int64),
                      ("buffers", ctypes.POINTER(ctypes.c_void_p)), ("children", ctypes.POINTER(ctypes.POINTER(Array))),
                      ("dictionary", ctypes.POINTER(Array)), ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(Array))),
                      ("private_data", ctypes.c_void_p)]

    class Stream(ctypes.Structure):
        pass

    Stream._fields_ = [("get_schema", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Stream), ctypes.POINTER(Schema))),
                       ("get_next", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(Stream), ctypes.POINTER(Array))),
                       ("get_last_error", ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.POINTER(Stream))),
                       ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(Stream))), ("private_data", ctypes.c_void_p)]
    pointer = ctypes.pythonapi.PyCapsule_GetPointer
    pointer.restype, pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return SimpleNamespace(Schema=Schema, Array=Array, Stream=Stream, pointer=pointer)


_ATTACH_RE = _attach_re()
_PLACEHOLDER = "^(?:" + "|".join(map(_rust_escape, PLACEHOLDERS)) + ")"
_ENDS_CURRENCY = "(?:" + "|".join(map(_rust_escape, _CURRENCY_BEFORE)) + ")\\z"
_STARTS_CURRENCY = "\\A(?:" + "|".join(map(_rust_escape, _CURRENCY_AFTER)) + ")"
_ENDS_PRICE = "(?:" + "|".join(map(_rust_escape, _PRICE_WORDS)) + ")\\z"


# ---------------------------------------------------------------- a file, chunk by chunk, on threads

CHUNK = 3_500_000   # ~24k messages: big enough to pay Polars' ~0.1 ms a call; RSS ~40 MB more a MB (4 MB: 0.45-0.49x naive)


def _chunk_size() -> int:
    env = os.environ.get("TRADESHIELD_CHAT_CHUNK_KB", "").strip()
    return int(env) * 1000 if env.isdigit() and int(env) > 0 else CHUNK


def run(path, cfg: dict, sink, progress=None, threads: int | None = None) -> Out:
    """``fastpath.run_raw`` with columnar chunks on threads (Polars works without the GIL).

    Each thread reads the next chunk (``fastpath.pieces``, one thread at a time) and parses it; results reach
    ``sink`` in file order, written by whichever thread finishes the chunk that is due (with any later
    ones already done), so no thread waits for another's turn and the writing and hashing overlap the
    parsing. A chunk's first line number is known once the chunks ahead of it are counted, which each
    thread does first (``Columns.chunk(counted=)``); only the writing of its lines waits for that.
    No other thread takes part: the GIL is the scarce thing here (py-spy: held ~75 % of the time), and a
    reading thread that also wrote lost ~3 s of the 1M-message import waiting for it. At most
    ``threads + 1`` chunks are between read and written (memory stays flat). A chunk ``Columns.chunk``
    declines goes through ``fastpath`` in this process, one at a time.
    """
    import threading

    from tradeshield.chat import fastpath

    threads = max(1, fastpath.worker_count() if threads is None else threads)
    cols = Columns(cfg)
    total = Out()
    size = os.path.getsize(path)
    label = os.path.basename(str(path))
    reading, falling_back, cond = threading.Lock(), threading.Lock(), threading.Condition()
    state: dict = {"next": 0, "seq": 0, "ready": {}, "writing": False, "errors": [], "fastpath": False}
    starts, counts = {0: 1}, {}           # first line number of a chunk; newlines in a chunk

    class Stopped(Exception):
        """Another thread failed: this one stops waiting."""

    def count(seq: int, n: int) -> None:
        with cond:
            counts[seq] = n
            k = max(starts)
            while k in counts:
                starts[k + 1] = starts[k] + counts.pop(k)
                k += 1
            cond.notify_all()

    def start_of(seq: int) -> int:
        with cond:
            while seq not in starts:
                if state["errors"]:
                    raise Stopped
                cond.wait()
            return starts[seq]

    def parse(seq: int, raw: bytes, first: bool) -> Out:
        told: list = []

        def counted(n: int) -> None:
            told.append(n)
            count(seq, n)

        out = cols.chunk(raw, lambda: start_of(seq), first, counted)
        if out is not None:
            return out
        if not told:
            count(seq, fastpath.newlines(raw))
        line = start_of(seq)
        with falling_back:
            if not state["fastpath"]:
                fastpath._init(cfg, quiet=False)
                state["fastpath"] = True
            return fastpath._work(raw, line, first)

    def fail(e: BaseException) -> None:
        with cond:
            if not isinstance(e, Stopped):
                state["errors"].append(e)
            cond.notify_all()

    def write_due() -> None:
        """Write the chunks that are due, in order, while they are ready (one writer at a time)."""
        while True:
            with cond:
                item = state["ready"].pop(state["next"], None)
                if item is None or state["errors"]:
                    state["writing"] = False
                    cond.notify_all()
                    return
            out, done = item
            try:
                fastpath.merge(total, out, cfg["max_bad"])
                sink(out)
                if progress:
                    progress(label, done, size)
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                fail(e)
            del out, item
            with cond:
                state["next"] += 1
                cond.notify_all()

    def worker(chunks, f) -> None:
        while True:
            with cond:
                while not state["errors"] and state["seq"] - state["next"] > threads:
                    cond.wait()
            with reading:
                if state["errors"]:
                    return
                try:
                    raw, first = next(chunks)
                except StopIteration:
                    return
                except BaseException as e:  # noqa: BLE001 - a read error: handed to the caller
                    fail(e)
                    return
                seq, done = state["seq"], min(f.tell(), size)
                state["seq"] += 1
            try:
                out = parse(seq, raw, first)
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                fail(e)
                return
            del raw
            with cond:
                state["ready"][seq] = (out, done)
                del out
                if state["writing"] or seq != state["next"]:
                    continue
                state["writing"] = True
            write_due()

    with open(path, "rb") as f:
        chunks = fastpath.pieces(f, _chunk_size())
        pool = [threading.Thread(target=worker, args=(chunks, f), name=f"chat-{i}", daemon=True)
                for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    if state["errors"]:
        raise state["errors"][0]
    return total
