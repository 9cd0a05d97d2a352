"""chat fast path: chunked Taobao parsing and the columns emitter give what the engine and a plain
per-message json.dumps loop give, whatever the chunking, the worker count or the text."""
from __future__ import annotations

import hashlib
import io
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeshield.chat import fastpath
from tradeshield.chat.engine import Context, parse_chunks
from tradeshield.chat.events import Matcher, _literal_re, trie_re
from tradeshield.chat.model import attachments_of
from tradeshield.chat.taobao import FORMAT

SHA = "ab" * 32
CFG = {"sha": SHA, "tz": "+08:00", "me": None, "side": "seller", "encoding": "utf-8", "max_bad": 20}


def reference(records, sha=SHA) -> tuple[str, str]:
    """chat.jsonl and chat-events.jsonl as a plain loop writes them: json.dumps and Matcher.match per message."""
    matcher, msgs, evs = Matcher(), [], []
    dumps = lambda d: json.dumps(d, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    for t, sender, role, text, a, b in records:
        msgs.append(dumps({"time": t, "sender": sender, "role": role, "text": text,
                           "attachments": attachments_of(text), "source": sha, "lines": [a, b]}) + "\n")
        for kind, matched, amount in matcher.match(text):
            ev = {"time": t, "kind": kind, "sender": sender, "role": role, "text": text, "matched": matched}
            if amount:
                ev["amount"] = amount
            ev["ref"] = {"source": sha, "lines": [a, b]}
            evs.append(dumps(ev) + "\n")
    return "".join(msgs), "".join(evs)


def engine_records(text: str, me=None, side="seller"):
    return list(parse_chunks(FORMAT, [text], Context("+08:00", me, side)))


def fast(text: str, size: int, workers: int = 0, me=None) -> tuple[str, str, fastpath.Out]:
    """run_raw over ``text`` cut into raw reads of ``size`` bytes."""
    raw = text.encode("utf-8")
    chunks, total = [], fastpath.Out()
    orig = fastpath.RAW_CHUNK
    fastpath.RAW_CHUNK = size
    try:
        path = _tmp_file(raw)
        out = fastpath.run_raw(path, dict(CFG, me=me), chunks.append, workers=workers)
    finally:
        fastpath.RAW_CHUNK = orig
    total = out
    msgs = b"".join(o.messages for o in chunks).decode("utf-8")
    evs = b"".join(o.events for o in chunks).decode("utf-8")
    return msgs, evs, total


_TMP = {}


def _tmp_file(raw: bytes) -> str:
    import tempfile

    f = tempfile.NamedTemporaryFile(suffix=".txt", delete=False)
    f.write(raw)
    f.close()
    return f.name


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

def test_emitter_escapes_like_json_and_round_trips():
    texts = ['a "quoted" \\ back\\slash', "line1\nline2\r\n", "ctl \x00\x01\x08\x0b\x0c\x1f\x7f", "emoji 😀🇨🇳 zwj 👩‍💻",
             "\u2028\u2029 separators", "", "CJK 能便宜50吗 [图片] <Media omitted> https://a.b/c?d=\"e\""]
    recs = [("2024-01-02T10:00:00+08:00", 'n"ick\\', "them", t, i + 1, i + 2) for i, t in enumerate(texts)]
    recs.append((None, "系统", "system", "no time", 9, 9))
    out = fastpath.Emitter(SHA).emit(*fastpath.record_columns(recs, fastpath.Senders()))
    want_m, want_e = reference(recs)
    assert out.messages.decode() == want_m and out.events.decode() == want_e
    parsed = [json.loads(ln) for ln in out.messages.decode().split("\n")[:-1]]   # not splitlines: U+2028 stays inside a line
    assert [p["text"] for p in parsed] == [r[3] for r in recs]
    assert parsed[0]["sender"] == 'n"ick\\' and parsed[-1]["time"] is None


@pytest.mark.parametrize("odd", [False, True])
def test_chunked_taobao_equals_engine_and_reference(odd):
    text = wangwang(600, seed=7, odd=odd)
    recs = engine_records(text)
    want_m, want_e = reference(recs)
    for size in (300, 4096, 1 << 20):        # chunk edges everywhere, a few, none
        msgs, evs, total = fast(text, size)
        assert msgs == want_m
        assert evs == want_e
        assert total.n == len(recs)
    ctx = Context("+08:00", None, "seller")
    list(parse_chunks(FORMAT, [text], ctx))
    assert (total.bad_count, total.bad) == (ctx.bad_count, ctx.bad_lines)
    assert total.bad_count > 0 if odd else total.bad_count == 0


def test_worker_processes_give_the_same_bytes():
    text = wangwang(3000, seed=3, odd=True)
    one = fast(text, 8192, workers=0)
    two = fast(text, 8192, workers=2)
    assert one[0] == two[0] and one[1] == two[1]
    assert (one[2].n, one[2].kinds, one[2].up, one[2].down) == (two[2].n, two[2].kinds, two[2].up, two[2].down)


def test_fast_blocks_path_is_taken_and_declines_irregular_chunks():
    ctx = Context("+08:00", None, "seller")
    assert fastpath.taobao_columns(wangwang(50), 1, ctx, {}) is not None
    assert fastpath.taobao_columns(wangwang(50) + "买家\nx 2012-01-01 10:00:00\n正文 2012-01-01 10:00:00\n\n", 1, ctx,
                                   {}) is None
    assert fastpath.taobao_columns("前言\n\n" + wangwang(5), 1, ctx, {}) is None


def test_cuts_fall_where_the_engine_starts_a_message():
    text = wangwang(400, seed=5, odd=True).encode()
    pieces = list(fastpath.raw_chunks(io.BytesIO(text), size=500))
    assert b"".join(p for p, _, _ in pieces) == text and len(pieces) > 10
    for piece, line, first in pieces:
        assert first == (line == 1)
        if not first:
            assert piece.split(b"\n", 1)[0].decode() in ("买家", "卖家", "自己", "客服")
    assert [line for _, line, _ in pieces][1:] == [
        1 + text[:sum(len(p) for p, _, _ in pieces[:i])].count(b"\n") for i in range(1, len(pieces))]


def test_crlf_bom_and_first_line():
    text = "\ufeff" + wangwang(40, seed=2).replace("\n", "\r\n")
    raw = text.encode("utf-8")
    path = _tmp_file(raw)
    got = []
    fastpath.run_raw(path, dict(CFG, encoding="utf-8-sig"), got.append, workers=0)
    msgs = b"".join(o.messages for o in got).decode()
    want, _ = reference(engine_records(text[1:].replace("\r\n", "\n")))
    assert msgs == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["买家", "卖家", "自己", "客服", "系统消息", "路人"]),
                          st.text(alphabet="星小美旺离线 :_a1", max_size=8),
                          st.sampled_from(["2012-09-26 22:35:07", "2012-13-01 10:00:00", "2012-09-26 22:35", "x"]),
                          st.text(alphabet="能便宜50吗退款\n 已读[图片]\"\\\x01vxVX加微信2012-09-26 22:35:07", max_size=30),
                          st.sampled_from(["\n\n", "\n", "\n\n\n", ""])), max_size=25),
       st.integers(min_value=20, max_value=400))
def test_random_blocks_match_the_engine(blocks, size):
    text = "".join(f"{r}\n{n} {d}\n{b}{sep}" for r, n, d, b, sep in blocks)
    if not text:
        return
    want_m, want_e = reference(engine_records(text))
    msgs, evs, _ = fast(text, size)
    assert msgs == want_m and evs == want_e


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abc+-]\\^收到货了", min_size=1, max_size=4), min_size=1, max_size=8),
       st.text(alphabet="abc+-]\\^收到货了x", max_size=60))
def test_trie_regex_finds_what_the_longest_first_alternation_finds(words, text):
    assert [m.span() for m in trie_re(words).finditer(text)] == [m.span() for m in _literal_re(words).finditer(text)]


def test_chunk_scan_events_equal_per_message_matching():
    texts = [b for b in BODIES] + ["不议价，能便宜点吗", "最低多少？便宜100", "Refund please", "REFUND 退款 ¥30"]
    recs = [("2024-01-02T10:00:00+08:00", "x", "them", t, i, i) for i, t in enumerate(texts * 3)]
    em = fastpath.Emitter(SHA)
    out = em.emit(*fastpath.record_columns(recs, fastpath.Senders()))
    assert out.events.decode() == reference(recs)[1]
    assert out.kinds["refund-request"] >= 3 * 3


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
    assert called, "the chunked import copies through Case.add_pending"
    assert res["messages"] == len(engine_records(text))
    item = case.evidence_by_hash(res["sha256"])
    assert (case.root / item.path).read_text(encoding="utf-8") == text
    lines = (case.root / res["messages_path"]).read_bytes().splitlines()   # (not str.splitlines: U+2028)
    assert len(lines) == res["messages"] and all(json.loads(ln)["source"] == item.sha256 for ln in lines)


@pytest.mark.parametrize("workers", ["0", "2"])
def test_newest_first_export_through_the_fast_path(case, tmp_path, monkeypatch, workers):
    from tradeshield.chat.store import _raw_plan, import_chat

    monkeypatch.setenv("TRADESHIELD_CHAT_WORKERS", workers)
    blocks = [f"买家\ntb_星星 2013-01-{1 + i // 24:02d} {i % 24:02d}:00:00\n第{i}条\n能便宜{10 + i}元吗\n\n" for i in range(200)]
    src = tmp_path / "newest.txt"
    text = "".join(reversed(blocks))
    src.write_text(text, encoding="utf-8")
    assert _raw_plan(src, "auto", None) is not None          # this file does take the chunked path
    res = import_chat(case, src)
    assert res["order"] == "newest-first" and res["messages"] == 200 and res["event_counts"] == {"discount-request": 200}
    msgs = [json.loads(ln) for ln in (case.root / res["messages_path"]).read_text(encoding="utf-8").splitlines()]
    assert [m["time"] for m in msgs] == sorted(m["time"] for m in msgs)
    lines = text.split("\n")
    for m in msgs:
        a, b = m["lines"]
        assert lines[a - 1] == "买家" and "\n".join(lines[a + 1:b]) == m["text"]


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
    assert store._raw_plan(src, "auto", None) is not None
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
    out = fastpath.Out()
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
