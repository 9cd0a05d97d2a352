"""The chat pipeline: every grammar chunked anywhere gives the same records, the one writer gives what a plain
per-message json.dumps + find_events gives, and an import copies, hashes, parses the copy and publishes
(fresh case, re-import, a second chat into a case that already holds one). The old trigger-word matcher is no
part of the library any more; its batch scan is still checked here because bench/bench_events.py scores the
reader against it (bench/old_matcher.py)."""
from __future__ import annotations

import hashlib
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeshield.chat.engine import Context, parse_chunks
from tradeshield.chat.events import find_events
from tradeshield.chat.model import attachments_of
from tradeshield.chat.taobao import FORMAT
from tradeshield.chat.writer import Out, Writer

SHA = "ab" * 32


def reference(records, sha=SHA) -> tuple[list, list]:
    """chat.jsonl lines as a plain loop makes them (json.dumps per message), and the events ``find_events`` gives
    for the whole conversation at once (the writer calls it batch by batch: the dialogue state carries over)."""
    msgs, dicts = [], []
    dumps = lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    for t, sender, role, text, a, b in records:
        msgs.append(dumps({"time": t, "sender": sender, "role": role, "text": text,
                           "attachments": attachments_of(text), "source": sha, "lines": [a, b]}) + "\n")
        dicts.append({"time": t, "sender": sender, "role": role, "text": text, "line_start": a, "line_end": b,
                      "source": sha})
    evs = [{"time": ev["time"], **ev} for ev in find_events(dicts)]
    return msgs, evs


def written(records, sha=SHA, batch=7) -> tuple[list, list, Out]:
    w = Writer(sha)
    msgs, evs = b"", b""
    for i in range(0, len(records), batch):
        out = w.write(records[i:i + batch])
        msgs += out.messages
        evs += out.events
    lines = [ln + "\n" for ln in msgs.decode("utf-8").split("\n")[:-1]]
    events = [json.loads(ln) for ln in evs.decode("utf-8").split("\n")[:-1]]
    assert all(ln.startswith('{"time":') for ln in evs.decode("utf-8").split("\n")[:-1])
    return lines, events, w.total


def engine_records(text: str, me=None, side="seller", fmt=FORMAT, size=None):
    chunks = [text] if size is None else [text[i:i + size] for i in range(0, len(text), size)] or [""]
    return list(parse_chunks(fmt, chunks, Context("+08:00", me, side)))


# ---------------------------------------------------------------- sample exports

BLOCK = "{role}\n{nick} {date} {clock}\n{body}\n\n"
BODIES = ["能便宜50吗", "亲，在吗？\n包邮吗", "好的 ", "收到货了，屏幕碎了\n我要退款￥1200", "[图片]", "加我微信 vx123 私下交易",
          "he said \"ok\" \\ fine\ttab", "emoji 😀 and \u2028 sep", "不议价哦", "Please REFUND, it's broken",
          "http://x.cn/a?b=1 链接", "已读\n好的", "换一台吧\u3000", "ctrl \x01\x1f char"]


def wangwang(n: int, seed: int = 1, odd: bool = False) -> str:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        role = rnd.choice(["买家", "卖家", "自己", "客服"])
        nick = rnd.choice(["tb_星星", "数码店:小美", "shop_abc旺旺离线", "小熊483", ""]) if role == "自己" else \
            rnd.choice(["tb_星星", "数码店:小美", "shop_abc旺旺离线", "小熊483 手机在线"])
        body = rnd.choice(BODIES)
        date, clock = f"2012-{1 + i // 500 % 12:02d}-{1 + i % 28:02d}", f"{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}"
        if odd:   # things the engine treats its own way: they must come out exactly as the engine says
            r = rnd.random()
            if r < 0.04:
                date = "2012-02-30"                                      # invalid: skipped and counted
            elif r < 0.08:
                body += "\n\n继续说：屏幕坏了"                               # a blank line inside a message
            elif r < 0.11:
                body += "\n抄送 2012-09-26 22:35:07"                       # a line the engine reads as a header
            elif r < 0.14:
                nick = nick + " "                                        # two spaces before the date
            elif r < 0.16:
                out.append("\n")                                         # two blank lines
            elif r < 0.18:
                clock = "25:61:00"
            elif r < 0.20:
                body = "已读\n已读"
        out.append(BLOCK.format(role=role, nick=nick, date=date, clock=clock, body=body))
    return "".join(out)


# ---------------------------------------------------------------- tests

def test_writer_escapes_like_json_and_round_trips():
    texts = ['a "quoted" \\ back\\slash', "line1\nline2\r\n", "ctl \x00\x01\x08\x0b\x0c\x1f\x7f", "emoji 😀🇨🇳 zwj 👩‍💻",
             "\u2028\u2029 separators", "", "CJK 能便宜50吗 [图片] <Media omitted> https://a.b/c?d=\"e\"", "退款 ¥30"]
    recs = [("2024-01-02T10:00:00+08:00", 'n"ick\\', "them", t, i + 1, i + 2) for i, t in enumerate(texts)]
    recs.append((None, "系统", "system", "no time 退款", 9, 9))
    msgs, evs, total = written(recs, batch=3)
    want_m, want_e = reference(recs)
    assert msgs == want_m and evs == want_e and len(evs) >= 2
    parsed = [json.loads(ln) for ln in msgs]      # (not splitlines: U+2028 stays inside a line)
    assert [p["text"] for p in parsed] == [r[3] for r in recs]
    assert parsed[0]["sender"] == 'n"ick\\' and parsed[-1]["time"] is None
    # a system line is nobody's event (issue 19: events belong to a speaker)
    assert total.n == len(recs) and total.kinds == {"refund-request": 1, "discount-request": 1}


@pytest.mark.parametrize("odd", [False, True])
def test_taobao_blocks_through_the_writer_equal_the_reference(odd):
    text = wangwang(600, seed=7, odd=odd)
    recs = engine_records(text)
    want_m, want_e = reference(recs)
    for batch in (1, 50, 5000):
        msgs, evs, total = written(recs, batch=batch)
        assert msgs == want_m and evs == want_e and total.n == len(recs)
    ctx = Context("+08:00", None, "seller")
    list(parse_chunks(FORMAT, [text], ctx))
    assert ctx.bad_count > 0 if odd else ctx.bad_count == 0


@pytest.mark.parametrize("layout", ["taobao", "whatsapp", "wechat-txt", "qq", "signal"])
def test_chunk_boundaries_do_not_change_results_in_any_grammar(tmp_path, layout):
    """Every line grammar gives the same records whether the text comes whole or in chunks of any size."""
    from bench.gen_formats import convert
    from tradeshield.chat.detect import FORMATS, resolve

    src = tmp_path / "tb.txt"
    src.write_text(wangwang(120, seed=4), encoding="utf-8")
    path = src
    if layout != "taobao":
        path = tmp_path / f"{layout}.txt"
        convert(str(src), layout, str(path))
    fmt = FORMATS[resolve(layout)]
    text = path.read_text(encoding="utf-8")
    fmt = fmt.prepare(text)
    whole = engine_records(text, fmt=fmt)
    assert len(whole) >= 100
    for size in (1, 7, 50, 333, 4096):
        assert engine_records(text, fmt=fmt, size=size) == whole, size


def test_source_chunks_start_small_and_grow_to_the_limit(tmp_path, monkeypatch):
    """The first chunk is small (a grammar parses a whole chunk before its first record comes out, and the events
    child waits for the first batch), then each is 4x the last up to ``size``; together they are the text."""
    from tradeshield.chat import source

    monkeypatch.setattr(source, "FIRST_CHUNK", 10)
    text = "".join(f"{i:04d} 买家：在吗\n" for i in range(400))
    p = tmp_path / "c.txt"
    p.write_text(text, encoding="utf-8")
    sizes = [len(c) for c in source.Source(p).chunks(size=1000)]
    assert sizes[:4] == [10, 40, 160, 640] and set(sizes[4:-1]) == {1000} and sizes[-1] <= 1000
    assert "".join(source.Source(p).chunks(size=1000)) == text
    assert [len(c) for c in source.Source(p).chunks(size=8)][:2] == [8, 8]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list("买家卖自己\n 2024-0513:.:()[]图片abc旺离线,/PMam-\t【】—") +
                               ["撤回了一条消息", "加入本群", "\n\n", "[2024-05-13, 10:00] "]), max_size=200).map("".join),
       st.integers(min_value=1, max_value=64))
def test_chunk_boundaries_on_random_text(text, size):
    from tradeshield.chat.detect import FORMATS

    for name in ("taobao", "qq", "qq-window", "wechat-txt", "whatsapp", "signal"):
        fmt = FORMATS[name].prepare(text)
        assert engine_records(text, fmt=fmt, size=size) == engine_records(text, fmt=fmt), name


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abc+-]\\^收到货了", min_size=1, max_size=4), min_size=1, max_size=8),
       st.text(alphabet="abc+-]\\^收到货了x", max_size=60))
def test_trie_regex_finds_what_the_longest_first_alternation_finds(words, text):
    from bench.old_matcher import _literal_re, trie_re

    assert [m.span() for m in trie_re(words).finditer(text)] == [m.span() for m in _literal_re(words).finditer(text)]


def test_batch_matching_equals_per_message_matching():
    """The old matcher (the bench's baseline): one scan over many texts finds what a scan per text finds."""
    from bench.old_matcher import Matcher

    texts = [b for b in BODIES] + ["不议价，能便宜点吗", "最低多少？便宜100", "Refund please", "REFUND 退款 ¥30", "", "x\x00y 退款"]
    m = Matcher()
    many = dict(m.match_many(texts * 3))
    assert many == {k: r for k, r in enumerate(map(m.match, texts * 3)) if r}
    assert sum(1 for r in many.values() for kind, _, _ in r if kind == "refund-request") >= 3 * 3


def test_record_derived_takes_hashes_computed_while_writing(case):
    p = case.derived_path("x.txt")
    p.write_bytes(b"hello")
    q = case.derived_path("y.txt")
    q.write_bytes(b"world")
    entry = case.record_derived([p, q], action="test", sources=[], hashes={p: ("f" * 64, 5)})
    files = {f["path"]: f for f in entry["files"]}
    assert files["derived/x.txt"]["sha256"] == "f" * 64          # taken as given
    assert files["derived/y.txt"]["sha256"] == hashlib.sha256(b"world").hexdigest()   # hashed as before


def test_import_records_true_hashes_and_copies_the_evidence(case, tmp_path):
    from tradeshield.chat.store import import_chat

    src = tmp_path / "ww.txt"
    text = wangwang(2500, seed=11)
    src.write_text(text, encoding="utf-8")
    res = import_chat(case, src)
    assert res["messages"] == len(engine_records(text)) and res["order"] in ("oldest-first", "mixed")
    msgs = [json.loads(ln) for ln in (case.root / res["messages_path"]).read_bytes().splitlines()]
    assert len(msgs) == res["messages"] and all(m["source"] == res["sha256"] for m in msgs)
    item = case.evidence_by_hash(res["sha256"])
    assert item is not None and (case.root / item.path).read_bytes() == src.read_bytes()
    rec = case.derived_records()
    for rel in (res["messages_path"], res["events_path"]):
        assert rec[rel]["sha256"] == hashlib.sha256((case.root / rel).read_bytes()).hexdigest()
    assert not list((case.root / "derived").glob(".chat-*"))     # no spool left behind
    # a re-import of the same file gives the same outputs
    before = (case.root / res["messages_path"]).read_bytes()
    import_chat(case, src)
    assert (case.root / res["messages_path"]).read_bytes() == before


def test_import_parses_the_case_copy_not_the_original(case, tmp_path, monkeypatch):
    """What is parsed is what was hashed: the original changing after its copy changes nothing."""
    from tradeshield.chat import store

    src = tmp_path / "ww.txt"
    text = wangwang(300)
    src.write_text(text, encoding="utf-8")
    real = case.add_pending
    called = []

    def then_changed(path, **kw):
        pending = real(path, **kw)
        with open(path, "a", encoding="utf-8") as f:     # the user's file grows after the copy
            f.write("\n\n" + wangwang(50, seed=5))
        called.append(pending)
        return pending

    monkeypatch.setattr(case, "add_pending", then_changed)
    res = store.import_chat(case, src)
    assert called, "the import copies through Case.add_pending"
    assert res["messages"] == len(engine_records(text))
    item = case.evidence_by_hash(res["sha256"])
    assert (case.root / item.path).read_text(encoding="utf-8") == text
    lines = (case.root / res["messages_path"]).read_bytes().splitlines()   # (not str.splitlines: U+2028)
    assert len(lines) == res["messages"] and all(json.loads(ln)["source"] == item.sha256 for ln in lines)


@pytest.mark.parametrize("layout", ["taobao", "wechat-txt"])
def test_newest_first_export(case, tmp_path, layout):
    from tradeshield.chat.store import import_chat

    if layout == "taobao":
        blocks = [f"买家\ntb_星星 2013-01-{1 + i // 24:02d} {i % 24:02d}:00:00\n第{i}条\n能便宜{10 + i}元吗\n\n"
                  for i in range(200)]
    else:
        blocks = [f"2013-01-{1 + i // 24:02d} {i % 24:02d}:00:00 tb_星星\n第{i}条\n能便宜{10 + i}元吗\n\n"
                  for i in range(200)]
    src = tmp_path / "newest.txt"
    text = "".join(reversed(blocks))
    src.write_text(text, encoding="utf-8")
    res = import_chat(case, src)
    assert res["format"] == layout
    assert res["order"] == "newest-first" and res["messages"] == 200 and res["event_counts"] == {"discount-request": 200}
    msgs = [json.loads(ln) for ln in (case.root / res["messages_path"]).read_text(encoding="utf-8").splitlines()]
    assert [m["time"] for m in msgs] == sorted(m["time"] for m in msgs)
    lines = text.split("\n")
    skip = 2 if layout == "taobao" else 1
    for m in msgs:
        a, b = m["lines"]
        assert "\n".join(lines[a - 1 + skip:b]) == m["text"]


def test_a_second_chat_merges_by_time_and_a_reimport_replaces_only_its_own(case, tmp_path):
    """A case that already holds a chat takes a second one through the same path: both merged by time."""
    from bench.gen_formats import convert
    from tradeshield.chat.store import import_chat

    tb = tmp_path / "tb.txt"
    tb.write_text(wangwang(300, seed=8), encoding="utf-8")
    wa = tmp_path / "wa.txt"
    convert(str(tb), "wechat-txt", str(wa))
    r1 = import_chat(case, tb)
    first = (case.root / r1["messages_path"]).read_bytes()
    r2 = import_chat(case, wa)
    assert r2["format"] == "wechat-txt" and r2["messages"] > 250        # (blocks without a nick have no header)
    merged = (case.root / r2["messages_path"]).read_bytes().splitlines()
    msgs = [json.loads(ln) for ln in merged]
    assert len(msgs) == r1["messages"] + r2["messages"]
    assert [m["time"] for m in msgs] == sorted(m["time"] for m in msgs)
    assert {m["source"] for m in msgs} == {r1["sha256"], r2["sha256"]}
    assert [ln for ln in merged if r1["sha256"].encode() in ln] == first.splitlines()
    evs = [json.loads(ln) for ln in (case.root / r2["events_path"]).read_bytes().splitlines()]
    assert {e["ref"]["source"] for e in evs} == {r1["sha256"], r2["sha256"]}
    assert [e["time"] for e in evs] == sorted(e["time"] for e in evs)
    facts = case.read_facts("chat")
    assert [s["format"] for s in facts["sources"]] == ["taobao", "wechat-txt"]
    import_chat(case, wa)                           # re-import: its own lines replaced, nothing doubled
    assert (case.root / r2["messages_path"]).read_bytes().splitlines() == merged
    rec = case.derived_records()
    assert rec[r2["messages_path"]]["sha256"] == hashlib.sha256(b"".join(ln + b"\n" for ln in merged)).hexdigest()


def test_preallocated_spools_are_cut_to_what_was_written(case, tmp_path, monkeypatch):
    """Spools reserved far beyond the output (ratio 60: several MB for ~100 kB) come out exactly as written."""
    from tradeshield.evidence import fsutil
    from tradeshield.chat import store

    monkeypatch.setattr(store, "SPOOL_RATIO", (60.0, 60.0))
    reserved = []
    real = fsutil.preallocate
    monkeypatch.setattr(fsutil, "preallocate", lambda f, size: reserved.append(real(f, size)) or reserved[-1])
    src = tmp_path / "ww.txt"        # oldest first: the spool itself becomes chat.jsonl (renamed, not rewritten)
    src.write_text("".join(f"{'买家' if i % 2 else '卖家'}\n小熊 2024-03-{1 + i // 1440:02d} {i // 60 % 24:02d}:{i % 60:02d}:00\n"
                           f"{BODIES[i % len(BODIES)]}\n\n" for i in range(2500)), encoding="utf-8")
    res = store.import_chat(case, src)
    assert res["order"] == "oldest-first"
    rec = case.derived_records()
    for rel in (res["messages_path"], res["events_path"]):
        data = (case.root / rel).read_bytes()
        assert data.endswith(b"\n") and b"\x00" not in data
        assert rec[rel]["sha256"] == hashlib.sha256(data).hexdigest() and rec[rel]["size"] == len(data)
    if not any(reserved):
        pytest.skip("this file system has no fallocate(2): nothing was reserved")


def test_a_copy_that_reads_back_wrong_leaves_no_evidence_and_no_output(case, tmp_path, monkeypatch):
    """The parse runs on the copy while it is checked: a failed check drops the copy, the spools and the outputs."""
    import tradeshield.evidence.case as case_mod
    from tradeshield.chat import store
    from tradeshield.errors import InputError

    src = tmp_path / "ww.txt"
    src.write_text(wangwang(300), encoding="utf-8")
    log_before = [e["action"] for e in case.custody.entries()]
    monkeypatch.setattr(case_mod, "hash_file", lambda p, *a, **k: ("0" * 64, 0))
    with pytest.raises(InputError) as e:
        store.import_chat(case, src)
    assert e.value.key == "add.copy_mismatch"
    assert list(case.evidence_dir.iterdir()) == [] and list((case.root / "derived").iterdir()) == []
    assert [e["action"] for e in case.custody.entries()] == log_before and case.read_facts("chat") is None


def test_spools_are_synced_while_they_are_written(tmp_path, monkeypatch):
    """The sink's thread fdatasyncs the spools as they grow (so publishing does not wait for the disk)."""
    import os
    import time

    from tradeshield.chat import store

    synced = []
    name = "fdatasync" if hasattr(os, "fdatasync") else "fsync"
    real = getattr(os, name)
    monkeypatch.setattr(os, name, lambda fd: synced.append(fd) or real(fd))
    monkeypatch.setattr(store._Sink, "SYNC_EVERY", 0.001)
    files = [open(tmp_path / "m", "wb"), open(tmp_path / "e", "wb")]
    sink = store._Sink(*files)
    out = Out()
    out.messages, out.events = b"m" * 100_000, b"e" * 10
    sink(out)
    deadline = time.monotonic() + 10
    while len(set(synced)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert set(synced) == {f.fileno() for f in files}
    sink.close()
    assert not sink._syncer.is_alive() and all(f.closed for f in files)
    n = len(synced)
    time.sleep(0.05)
    assert len(synced) == n                          # nothing synced after close
    assert (tmp_path / "m").read_bytes() == b"m" * 100_000 and (tmp_path / "e").read_bytes() == b"e" * 10


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 30)), max_size=40), min_size=1, max_size=3),
       st.integers(1, 7), st.lists(st.sampled_from(["+08:00", "+00:00"]), min_size=3, max_size=3))
def test_block_merge_equals_a_stable_heap_merge(streams, block, offsets):
    """merge_by_time (blocks, sorted) gives what a stable heap merge of (time carried forward, stream, position) gives."""
    import heapq

    from tradeshield.chat import spool

    def line(t, tag, off):
        if t is None:
            return b'{"time":null,"x":"%s"}\n' % tag.encode()
        return b'{"time":"2024-01-01T%02d:%02d:00%s","x":"%s"}\n' % (t // 60, t % 60, off.encode(), tag.encode())

    data = []
    for i, ts in enumerate(streams):
        known = sorted(t for t in ts if t is not None)     # each stream sorted, nulls where they fall
        it = iter(known)
        data.append([line(None if t is None else next(it), f"{i}.{n}", offsets[i]) for n, t in enumerate(ts)])

    def keyed(lines, idx):
        last = float("-inf")
        for n, ln in enumerate(lines):
            e = spool.epoch(spool.line_time(ln))
            last = e if e is not None else last
            yield (last, idx, n), ln

    want = [ln for _, ln in heapq.merge(*(keyed(d, i) for i, d in enumerate(data)), key=lambda p: p[0])]
    old = spool.MERGE_BLOCK
    spool.MERGE_BLOCK = block
    try:
        assert list(spool.merge_by_time(*data)) == want
    finally:
        spool.MERGE_BLOCK = old


def test_clock_shortcut_writes_back_what_the_general_path_writes():
    """A clock already written HH:MM:SS is returned as it is (the path of nearly every Taobao/WeChat/QQ message);
    every such string, valid or not, and a few that only look like it, give what the general path gives."""
    from tradeshield.chat import engine

    def general(t):
        m = engine._CLOCK.match(t.strip())
        if not m:
            return None
        h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
        return None if h > 23 or mi > 59 or s > 59 else f"{h:02d}:{mi:02d}:{s:02d}"

    odd = ["7:05:09", " 07:05:09", "07:05:09 ", "０７:05:09", "07:5:09", "24:00:00", "23:59:60", "07:05", "7:05"]
    for t in [f"{h:02d}:{m:02d}:{s:02d}" for h in range(30) for m in range(0, 61, 3) for s in (0, 9, 59, 60)] + odd:
        assert engine._norm_clock(t, None) == general(t), t
    assert engine._norm_clock("07:05:09", "PM") == "19:05:09"


def test_bounded_sender_caches_change_nothing(monkeypatch):
    """The roles and message-line fragments kept per sender are bounded (``engine._SENDERS``, emptied when full):
    with room for one sender only, a chat of many senders parses and writes the same bytes."""
    from tradeshield.chat import engine, writer

    text = wangwang(400, seed=5)
    want = engine_records(text)
    want_lines = written(want)
    monkeypatch.setattr(engine, "_SENDERS", 1)
    monkeypatch.setattr(writer, "_SENDERS", 1)
    got = engine_records(text)
    assert got == want and len({r[1] for r in got}) > 5
    assert written(got)[:2] == want_lines[:2]


def test_whatsapp_sender_split_is_the_regex():
    """``whatsapp._sender`` (str.find for the usual ``Name: text``) gives what ``_SENDER.match`` gives, on random
    strings of colons, spaces of every kind, line breaks, long names and links."""
    import random

    from tradeshield.chat.whatsapp import _SENDER, _sender

    rnd = random.Random(7)
    alpha = ["a", "B", ":", " ", "\t", "\n", "\u3000", "\xa0", "张", "http", "x" * 40, "\u200e", "\r", "：", ""]
    fast = 0
    for _ in range(60_000):
        s = "".join(rnd.choice(alpha) for _k in range(rnd.randint(0, 12)))
        m = _SENDER.match(s)
        assert _sender(s) == (None if m is None else (m[1], m[2])), repr(s)
        fast += m is not None
    assert fast > 5_000
