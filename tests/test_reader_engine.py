"""The conversation reader's engine (issue 15's speed work) gives what the plain reading gives.

The reader caches what a text says on its own (``state["cache"]``), per speaker and per set of kinds found, per
clause piece (``Rules.piece_cache``/``clause_cache``) and per event line format; the writer takes the events as
JSON lines (``read_lines``) instead of dicts; a large import reads them in a child process. Each test compares
one of those with the straightforward path on labelled chats (``bench/data/events/tune.txt``) and randomised
conversations made from them — texts repeated and made unique, speakers and roles mixed, batches of any size.
"""
from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tradeshield.conversation.reader as reader
from tradeshield.conversation.reader import load_rules, read_conversation, read_lines, read_messages

ROOT = Path(__file__).resolve().parent.parent
TUNE = ROOT / "bench" / "data" / "events" / "tune.txt"
EXTRA = ["好的", "可以", "不行", "行，280", "定金200不退", "直 接 转 账 给 我", "能便宜50吗？", "1100行不行",
         "OK, deal. I'll pay 300", "no refund, sorry", "   ", "", "押金200，归还时全额退", "你说过包邮的",
         "模板加数据要300", "收到了，但是袖口有破损", "订单号：790377840517953849", "实付款￥7056.43"]


def tune_texts() -> list[tuple[str, str]]:
    """(speaker, text) of every labelled message of the tuning part (never the held-out part)."""
    out = []
    for ln in TUNE.read_text(encoding="utf-8").splitlines():
        if ln.startswith(("me: ", "them: ")) and " ||" in ln:
            who, rest = ln.split(": ", 1)
            out.append((who, rest.rsplit(" ||", 1)[0]))
    return out


def conversation(seed: int, n: int = 600) -> list[dict]:
    """Messages as the writer makes them: tune texts and a few odd ones, some repeated as they are, some made
    unique (a number, a name, an amount added), now and then a system line or a message without a role."""
    rnd = random.Random(seed)
    pool = tune_texts() + [(rnd.choice(["me", "them"]), t) for t in EXTRA]
    msgs = []
    for k in range(n):
        who, text = rnd.choice(pool)
        r = rnd.random()
        if r < 0.2:
            text = f"{text} #{k}"
        elif r < 0.3:
            text = f"小王{k}，{text}"
        elif r < 0.4:
            text = f"{text}，{rnd.randint(1, 3000)}元"
        elif r < 0.45:
            text = text.replace("，", "\n", 1)
        role = who if rnd.random() > 0.05 else rnd.choice(["system", None])
        msgs.append({"time": f"2024-01-{1 + k // 100:02d}T10:{k % 60:02d}:00+08:00" if k % 17 else None,
                     "sender": "卖家小王" if who == "me" else "买家", "role": role, "text": text,
                     "line_start": 3 * k + 1, "line_end": 3 * k + 2, "source": "ab" * 32})
    return msgs


def batches(msgs: list, rnd: random.Random) -> list[list]:
    out, i = [], 0
    while i < len(msgs):
        size = rnd.choice([1, 7, 50, 333])
        out.append([dict(m) for m in msgs[i:i + size]])
        i += size
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("role", ["seller", "buyer", None])
def test_event_lines_are_json_dumps_of_the_events(seed, role):
    """What the writer stores (``read_lines``) is json.dumps({"time": …, **event}) of each event the dict path
    gives, batch by batch with one state each, and the kinds are counted in the order they first occur."""
    msgs = conversation(seed)
    rnd = random.Random(seed)
    s_lines, s_dicts = {}, {}
    for batch in batches(msgs, rnd):
        got, counts = read_lines([dict(m) for m in batch], role=role, me="卖家小王", state=s_lines)
        evs = read_conversation(batch, role=role, me="卖家小王", state=s_dicts)
        want = "".join(json.dumps({"time": ev["time"], **ev}, ensure_ascii=False, separators=(",", ":")) + "\n"
                       for ev in evs)
        assert got.decode("utf-8") == want
        assert list(counts.items()) == list(Counter(ev["kind"] for ev in evs).items())


@pytest.mark.parametrize("seed", [4, 5])
def test_caches_do_not_change_what_is_read(seed, monkeypatch):
    """The same conversation read with every cache warm (texts repeated, state carried over batches) and read
    with caches that keep nothing (each text, piece, clause and line format worked out afresh) gives the same
    events and money terms, message by message."""
    msgs = conversation(seed, 900)
    msgs = msgs + msgs[::-1]          # every text again, in the other order
    rnd = random.Random(seed)
    state: dict = {}
    warm = []
    for batch in batches(msgs, rnd):
        warm += [(evs, money) for _m, evs, money in read_messages(batch, role="seller", me="卖家小王", state=state)]
    assert sum(len(e) for e, _m in warm) > 100 and len(state["cache"]) > 100

    monkeypatch.setattr(reader, "_CACHE_SIZE", 0)     # every cache is cleared before each entry is stored
    R = load_rules()
    for cache in (R.piece_cache, R.clause_cache, R.formats, R.templates):
        cache.clear()
    state = {}
    cold = [(evs, money) for _m, evs, money in read_messages([dict(m) for m in msgs], role="seller", me="卖家小王",
                                                             state=state)]
    assert len(state["cache"]) <= 1
    assert cold == warm


def test_tune_chats_read_the_same_whole_or_in_batches():
    """A chat read at once and the same chat fed one message at a time with the state carried over."""
    chats, cur = [], None
    for ln in TUNE.read_text(encoding="utf-8").splitlines():
        if ln.startswith("== "):
            role = dict(x.split("=", 1) for x in ln.split()[2:] if "=" in x).get("role")
            cur = (role, [])
            chats.append(cur)
        elif cur is not None and ln.startswith(("me: ", "them: ")) and " ||" in ln:
            who, rest = ln.split(": ", 1)
            cur[1].append({"role": who, "text": rest.rsplit(" ||", 1)[0], "lines": [len(cur[1]), len(cur[1])],
                           "source": "tune", "sender": who, "time": None})
    assert len(chats) > 30
    for role, msgs in chats:
        whole = read_conversation(msgs, role=role)
        state: dict = {}
        one_by_one = [ev for m in msgs for ev in read_conversation([m], role=role, state=state)]
        assert one_by_one == whole


def test_derived_prefilters_find_what_the_rules_find():
    """The pre-filters derived from the rules (``whole_any``, ``block_pre``) never skip a text a rule matches."""
    R = load_rules()
    texts = [t for _w, t in tune_texts()] + EXTRA
    for i in R.blockable:
        pre, rx = R.block_pre[i], R.kinds[i].unless_message
        for t in texts + ["警告你", "按约定来", "让我考虑一下", "let me see", "已经寄回了", "Think about it"]:
            if rx.search(t):
                assert pre is None or pre.search(t), (R.kinds[i].kind, t)
    texts = texts + ["280", "那200呢", "１２０", "行，280", "好的 ２８０", "先付 50，剩下的到货再付"]   # (full-width digits are \d too)
    assert any(R.kinds[i].message.search(t) for i in R.whole for t in texts)
    for t in texts:
        if any(R.kinds[i].message.search(t) for i in R.whole):
            assert R.whole_any.search(t.lower()), t
        for i in R.whole:
            if R.kinds[i].message.search(t):
                assert R.kinds[i].message_any.search(t.lower()), (R.kinds[i].kind, t)


@pytest.mark.parametrize("rules", ["bad", "good"])
def test_events_read_in_a_child_process_are_the_same(case, tmp_path, monkeypatch, rules):
    """A large import reads its events in a forked child (``chat.background``): forced on, a chat imports to the
    same bytes as read in the parent; a bad rules file still stops the import with its one-line error."""
    from tradeshield.chat import background
    from tradeshield.chat.store import import_chat
    from tradeshield.errors import InputError
    from tradeshield.evidence.case import Case

    if not hasattr(__import__("os"), "fork"):
        pytest.skip("no fork on this platform: events are always read in the importing process")
    lines = []
    for k, m in enumerate(conversation(7, 12_000)):
        who = "卖家小王" if m["role"] == "me" else "买家"
        lines.append(f"2024-01-{1 + k // 2000:02d} {k % 24:02d}:{k % 60:02d}:{k % 60:02d} {who}\n{m['text'].strip() or '好'}\n")
    src = tmp_path / "chat.txt"
    src.write_text("".join(lines), encoding="utf-8")
    if rules == "bad":
        bad = tmp_path / "rules.toml"
        bad.write_text("[[kind]]\nkind = 'x'\nzh = ['(']\n", encoding="utf-8")
        monkeypatch.setenv("TRADESHIELD_CHAT_RULES", str(bad))
        monkeypatch.setenv("TRADESHIELD_CHAT_WORKER", "1")
        assert background.wanted(src)
        load_rules.cache_clear()          # the rules are read once per process: read them again, from the env
        try:
            with pytest.raises(InputError) as err:
                import_chat(case, src, me="卖家小王")
        finally:
            load_rules.cache_clear()
        assert err.value.key == "conv.bad_rules"
        assert not (case.root / "derived" / "chat.jsonl").exists()
        return
    # a second chat into the same case: both outputs merged by time (the events one by the child)
    second = tmp_path / "chat2.txt"
    second.write_text("".join(lines[1::2][::-1]).replace("2024-01-", "2024-02-"), encoding="utf-8")
    out = {}
    for mode in ("0", "1"):
        monkeypatch.setenv("TRADESHIELD_CHAT_WORKER", mode)
        c = Case.init(tmp_path / f"case{mode}", role="seller")
        out[mode] = []
        for f in (src, second):
            res = import_chat(c, f, me="卖家小王")
            assert sum(res["event_counts"].values()) > 500
            out[mode].append(({k: v for k, v in res.items() if k not in ("events",)} | {"n": len(res["events"])},
                              (c.root / res["messages_path"]).read_bytes(),
                              (c.root / res["events_path"]).read_bytes(), c.read_facts("chat")))
        assert out[mode][1][0]["order"] != "oldest-first"
    assert out["1"] == out["0"]


@pytest.mark.parametrize("seed, warm, share, piece", [(11, 0, 0.5, 1000), (12, 3, 0.5, 7), (13, 128, 0.5, 50),
                                                    (14, 128, 0.0, 1000), (15, 0, 0.0, 25), (16, 3, 0.1, 0),
                                                    (17, 128, 0.0, 0), (18, 16, 0.0, 30)])
def test_events_read_on_two_cores_are_the_same(seed, warm, share, piece):
    """``background.SplitReader`` reads batches in the child or here, each from a guessed dialogue state (the
    latest right one warmed up on the ``warm`` messages before), and reads again the batches whose guess was
    wrong: the lines are those of one reading of the whole chat in order, whatever the split. ``warm = 0`` makes
    guesses wrong on purpose (the batch read again must then be found and fixed). With every batch sent to the
    child (``share = 0``) ``finish`` takes back the batches it has not started and both processes read them, cut
    into pieces of ``piece`` messages, from either end (``piece = 0``: whole, here)."""
    from tradeshield.chat import background
    from tradeshield.chat.writer import _KEYS

    if not hasattr(__import__("os"), "fork"):
        pytest.skip("no fork on this platform: events are always read in the importing process")
    msgs = conversation(seed, 3000)
    recs = [tuple(m[k] for k in _KEYS[:-1]) for m in msgs]
    sha = "ab" * 32
    want, want_counts = read_lines([dict(m) for m in msgs], role="seller", me="卖家小王")

    def split_read(rnd):
        bg = background.SplitReader({"role": "seller", "me": "卖家小王"}, warm=warm, piece=piece,
                                    local=lambda k, pending: rnd.random() < share)
        got, counts = [], Counter()
        try:
            i = 0
            while i < len(recs):
                size = rnd.choice([1, 40, 150, 400])
                bg.add(sha, recs[i:i + size])
                i += size
                if share == 0:
                    continue       # every batch queued at once: the child is still at the first ones at ``finish``
                for lines, c in bg.ready():
                    got.append(lines)
                    counts.update(c)
            for lines, c in bg.finish():
                got.append(lines)
                counts.update(c)
        finally:
            bg.close()
        assert b"".join(got) == want
        assert counts == Counter(want_counts)
        return bg

    def taken_back(bg) -> bool:
        if not piece:
            return bg.stolen == bg.local_n > 0 and bg.n > bg.local_n
        return bg.stolen > 0 and bg.local_n > 1 and bg.shared > 1    # the pieces taken back read at both ends

    # (how much the child has read or taken from its queue at ``finish`` depends on the machine's load: a run that
    # took nothing back says nothing about taking back, and is run again — at most three times)
    for attempt in range(3):
        bg = split_read(random.Random(seed * 10 + attempt))
        if share != 0 or taken_back(bg):
            break
    if share == 0:
        assert taken_back(bg)
    else:
        assert bg.local_n > 1 and bg.n - bg.local_n > 5
    if warm == 0:
        assert bg.redone > 0


@pytest.mark.parametrize("seed", [21, 22])
def test_writer_records_read_as_their_dicts(seed):
    """The writer hands the reader its records as tuples (``chat.writer._KEYS`` order, source last) instead of
    dicts: the same lines and counts, batch by batch, and the same (events, money) per message."""
    from tradeshield.chat.writer import _KEYS

    msgs = conversation(seed, 1500)
    rnd = random.Random(seed)
    s_d, s_t = {}, {}
    for batch in batches(msgs, rnd):
        tuples = [tuple(m[k] for k in _KEYS) for m in batch]
        assert read_lines(tuples, role="buyer", me="卖家小王", state=s_t) == \
            read_lines(batch, role="buyer", me="卖家小王", state=s_d)
    tuples = [tuple(m[k] for k in _KEYS) for m in msgs]
    got = [(evs, money) for _m, evs, money in read_messages(tuples, role="seller", me="卖家小王")]
    want = [(evs, money) for _m, evs, money in read_messages(msgs, role="seller", me="卖家小王")]
    assert got == want and sum(len(e) for e, _m in want) > 100


def adversarial_texts(seed: int, n: int = 3000) -> list[str]:
    """Tune texts and odd ones cut, glued, spaced out, upper-cased and salted with what the cut and the pre-filters
    look at: marks and spaces at the joins, digits (full-width too), ASCII , and ., 但是, and letters whose case
    mapping is odd (İ lower-cases to two characters, Σ in context, the Kelvin sign)."""
    rnd = random.Random(seed)
    pool = [t for _w, t in tune_texts()] + EXTRA
    salt = ["，", "。", " ", "\n", ",", ".", "、", "~", "…", "吧", "吗？", "1", "２０", " 280", "但是", "İ", "Σ", "K",
            "OK", "ſ", "ı", "ＯＫ", "\u3000", "先付", "退", "行", "，280"]
    out = []
    for _ in range(n):
        t = rnd.choice(pool)
        for _k in range(rnd.randint(0, 3)):
            r = rnd.random()
            if r < 0.3:
                t = t + rnd.choice(salt) + rnd.choice(pool)
            elif r < 0.5:
                k = rnd.randint(0, len(t))
                t = t[:k] + rnd.choice(salt) + t[k:]
            elif r < 0.6:
                t = t.upper()
            elif r < 0.7:
                t = " ".join(t)
            elif r < 0.8:
                t = t[rnd.randint(0, len(t)):] + t[:rnd.randint(0, len(t))]
            else:
                t = rnd.choice(salt) + t + rnd.choice(salt)
        out.append(t)
    return out


@pytest.mark.parametrize("seed", [31, 32])
def test_piece_bits_find_what_the_text_searches_find(seed, monkeypatch):
    """``_analyse`` takes the text-wide pre-filters (whole-message rules' ``message_any``, ``block_pre``) and the
    choice of cut (``plain_cut``) from its pieces' bits; with the bits turned off (``piece_bits`` None: the cut
    chosen on the text, each pre-filter searched in the whole text) every text reads the same — on tune texts made
    adversarial for the cut and the pre-filters."""
    R = load_rules()
    assert R.piece_bits is not None        # (today's rules have no anchor that could span a mark)
    texts = adversarial_texts(seed)

    def analyses():
        reader.clear_caches()
        return [(a[0], [x[:6] + x[7:11] for x in a[1]], a[2:7], a[8:]) for a in
                (reader._analyse(R, t, True) for t in texts)]

    fast = analyses()
    monkeypatch.setattr(R, "piece_bits", None)
    slow = analyses()
    reader.clear_caches()
    assert sum(1 for a in fast if a[2][1]) > 100        # candidates found: the comparison means something
    # kinds cancelled by a word anywhere in the message: by a plain word (``block_split``: the pieces' bits alone)
    # and by another pattern (searched), each case met
    blocked = [a[2][4] for a in fast]
    kinds_blocked = {R.kinds[i].kind for b in blocked for i in b}
    assert sum(1 for b in blocked if b) > 20 and {"agreement", "fake-service"} <= kinds_blocked
    assert fast == slow


def test_read_on_adversarial_texts_as_on_main_paths(monkeypatch):
    """Whole reading (events and money, message by message) with and without the pieces' bits on adversarial
    texts said by both sides."""
    rnd = random.Random(33)
    msgs = [{"role": rnd.choice(["me", "them"]), "text": t, "lines": [k, k], "source": "x", "sender": "s",
             "time": None} for k, t in enumerate(adversarial_texts(34, 2500))]
    R = load_rules()
    reader.clear_caches()
    fast = [(e, m) for _x, e, m in read_messages([dict(m) for m in msgs], role="seller")]
    monkeypatch.setattr(R, "piece_bits", None)
    reader.clear_caches()
    slow = [(e, m) for _x, e, m in read_messages([dict(m) for m in msgs], role="seller")]
    reader.clear_caches()
    assert sum(len(e) for e, _m in fast) > 200
    assert fast == slow


def test_money_terms_or_none_depends_on_the_clause_alone():
    """A piece records only whether it may hold money terms (``money``'s pre-check), and ``_outcome`` skips the
    messages without events: both rest on whether a clause has money terms not depending on who says it, on which
    side, or on the kinds found in it (they choose a term's role only)."""
    from itertools import product

    from tradeshield.conversation.clauses import split_clauses
    from tradeshield.conversation.money import _money_terms
    from tradeshield.conversation.reader import kind_names

    kinds = [(), ("refund-request",), ("price-agreed",), ("deposit-terms",), ("discount-request",),
             tuple(kind_names())]
    clauses = {c.text for t in [t for _w, t in tune_texts()] + EXTRA + adversarial_texts(35, 1500)
               for c in split_clauses(t)}
    some = 0
    for c in clauses:
        got = {bool(_money_terms(c, side, by, k)) for side, by, k in product(("buyer", "seller", None), ("me", "them"),
                                                                              kinds)}
        assert len(got) == 1, c
        some += got == {True}
    assert some > 100


def _lazy_patterns(R) -> list:
    """Every ``reader._Rx`` (a pattern compiled when first used) the loaded rules hold."""
    out, seen = [], set()

    def walk(x):
        if isinstance(x, reader._Rx):
            if id(x) not in seen:
                seen.add(id(x))
                out.append(x)
        elif isinstance(x, (list, tuple)):
            for y in x:
                walk(y)

    for k in R.kinds:
        for v in vars(k).values():
            walk(v)
    for parts in R.whole_parts.values():
        walk(parts)
    walk(list(R.block_split.values()))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "|", "(?:", ")", "[", "]", "^", "\\|", "\\]", "c", "好"]), max_size=12)
       .map("".join), st.text(alphabet="ab|c好]^", max_size=12))
def test_a_pattern_is_found_where_one_of_its_top_level_alternatives_is(pattern, text):
    """``reader._alternatives`` cuts a pattern at its top-level bars (not inside groups, classes or after a
    backslash): a search finds the pattern exactly when it finds one of the pieces."""
    import re
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)     # (「[[」: a possible nested set)
        try:
            whole = re.compile(pattern)
        except re.error:
            return
        alts = reader._alternatives(pattern)
        assert "|".join(alts) == pattern
        assert bool(whole.search(text)) == any(re.search(a, text) for a in alts)


def test_packaged_rules_compile_when_used():
    """The packaged rules' ~1,000 patterns are compiled when first used (``reader._Rx``): every one must compile, and
    the stand-in must find what the compiled pattern finds; a user's rules file is compiled at load (its bad pattern
    is reported there: ``test_events_read_in_a_child_process_are_the_same[bad]``)."""
    import re

    R = load_rules()
    assert R.builtin
    lazy = _lazy_patterns(R)
    assert len(lazy) > 500
    texts = [t for _w, t in tune_texts()][::25] + EXTRA
    for rx in lazy:
        fresh = re.compile(rx.pattern, rx.flags)      # (a bad pattern raises here)
        for t in texts:
            assert [m.span() for m in rx.finditer(t)] == [m.span() for m in fresh.finditer(t)]
        assert rx.search.__self__.pattern == fresh.pattern and rx.search.__self__.flags == fresh.flags
    # its first use leaves the compiled pattern's own methods on it
    one = reader._Rx("退(?:款|货)", re.I)
    assert "search" not in vars(one)
    assert one.search("我要退款").group() == "退款"
    assert vars(one)["search"].__self__.pattern == "退(?:款|货)"


def test_cut_marks_english_contrast_words_in_any_case():
    """``clauses._CUT`` is compiled without re.I (only its but/however are case-insensitive): 「BUT」 still cuts."""
    from tradeshield.conversation.clauses import raw_pieces

    for word in ("but", "But", "BUT", "however", "HOWEVER"):
        pieces = [p for _a, p in raw_pieces(f"ok deal {word} no refund")]
        assert len(pieces) == 2 and pieces[1].lower().startswith(word.lower()), (word, pieces)
