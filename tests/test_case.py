"""Case workspace, add, events, custody chain."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tradeshield.evidence.case import Case
from tradeshield.evidence.custody import CustodyLog, canonical
from tradeshield.errors import CaseError, InputError, UsageError


def test_init_writes_case_toml_and_layout(case):
    info = case.info
    assert info["role"] == "seller" and info["platform"] == "xianyu"
    assert info["item"] == "海信A5Pro" and info["price"] == 1100 and info["order"] == "1234567890"
    assert info["counterparty"] == "远方私人" and info["timezone"] == "+08:00" and info["currency"] == "CNY"
    for sub in ("evidence", "derived", "statements", "facts"):
        assert (case.root / sub).is_dir()
    entries = case.custody.entries()
    assert [e["action"] for e in entries] == ["init"]
    assert entries[0]["prev"] == "0" * 64


def test_init_refuses_existing_case_and_bad_values(case, tmp_path):
    with pytest.raises(CaseError):
        Case.init(case.root, role="seller")
    with pytest.raises(UsageError):
        Case.init(tmp_path / "x", role="dealer")
    with pytest.raises(UsageError):
        Case.init(tmp_path / "y", role="buyer", price="-3")
    with pytest.raises(InputError):
        Case.init(tmp_path / "z", role="buyer", timezone="+99:00")


def test_find_walks_up_and_honours_env(case, tmp_path, monkeypatch):
    deep = case.root / "derived" / "a" / "b"
    deep.mkdir(parents=True)
    assert Case.find(start=deep).root == case.root
    monkeypatch.setenv("TRADESHIELD_CASE", str(case.root))
    assert Case.find(start=tmp_path).root == case.root
    monkeypatch.delenv("TRADESHIELD_CASE")
    with pytest.raises(CaseError):
        Case.find(start=tmp_path)


def test_add_copies_hashes_and_never_touches_source(case, tmp_path):
    src = tmp_path / "photo.jpg"
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 10, 10)).save(src, "JPEG")
    os.utime(src, (1_600_000_000, 1_600_000_000))
    before = (src.read_bytes(), src.stat().st_mtime_ns)
    [res] = case.add([src], note="序列号照片")
    assert (src.read_bytes(), src.stat().st_mtime_ns) == before
    assert res.status == "added" and res.item.kind == "photo" and res.item.note == "序列号照片"
    copy = case.root / res.item.path
    import hashlib

    assert hashlib.sha256(copy.read_bytes()).hexdigest() == res.item.sha256 == hashlib.sha256(before[0]).hexdigest()
    assert not os.access(copy, os.W_OK) or os.geteuid() == 0  # read-only (root may still write)
    assert copy.stat().st_mode & 0o222 == 0
    assert res.item.original_mtime.startswith("2020-09-13")


def test_add_duplicate_is_reported_not_copied(case, tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("买家要求优惠五十元", encoding="utf-8")
    b = tmp_path / "sub" / "b.txt"
    b.parent.mkdir()
    b.write_bytes(a.read_bytes())
    first = case.add([a])
    second = case.add([tmp_path / "sub"])
    assert first[0].status == "added" and second[0].status == "duplicate"
    assert len(list(case.evidence_dir.iterdir())) == 1
    assert len(case.evidence()) == 1


def _entries(case) -> list[str]:
    return [e["action"] for e in case.custody.entries()]


def test_pending_evidence_is_readable_at_once_and_logged_only_when_finished(case, tmp_path):
    src = tmp_path / "chat.txt"
    src.write_bytes("买家\n小熊 2024-01-02 10:00:00\n能便宜50吗\n".encode() * 5000)
    log_before = _entries(case)
    pending = case.add_pending(src, note="chat export")
    import hashlib

    assert pending.path.read_bytes() == src.read_bytes()             # readable before it is evidence
    assert pending.sha256 == hashlib.sha256(src.read_bytes()).hexdigest() and pending.size == src.stat().st_size
    assert case.evidence() == [] and _entries(case) == log_before
    assert [p.name for p in case.evidence_dir.iterdir() if not p.name.startswith(".")] == []
    item = pending.finish()
    assert pending.finish() is item and not pending.path.exists()
    assert (case.root / item.path).read_bytes() == src.read_bytes() and item.note == "chat export"
    assert [i.sha256 for i in case.evidence()] == [item.sha256] and _entries(case) == [*log_before, "add"]
    assert list(case.evidence_dir.iterdir()) == [case.root / item.path]     # no hidden copy left
    again = case.add_pending(src)                                     # a duplicate: read, then dropped
    assert again.finish() == item and _entries(case)[-1] == "add-duplicate"
    assert list(case.evidence_dir.iterdir()) == [case.root / item.path]
    inside = case.add_pending(case.root / item.path)                  # a file already in evidence/
    assert inside.path == case.root / item.path and inside.finish() == item


def test_pending_evidence_discarded_or_mismatched_leaves_nothing(case, tmp_path, monkeypatch):
    src = tmp_path / "chat.txt"
    src.write_bytes(b"x" * 100_000)
    log_before = _entries(case)
    pending = case.add_pending(src)
    pending.discard()
    assert list(case.evidence_dir.iterdir()) == [] and _entries(case) == log_before
    import tradeshield.evidence.case as case_mod

    monkeypatch.setattr(case_mod, "hash_file", lambda p, *a, **k: ("0" * 64, 100_000))   # the read-back differs
    pending = case.add_pending(src)
    with pytest.raises(InputError) as e:
        pending.finish()
    assert e.value.key == "add.copy_mismatch"
    pending.discard()
    assert list(case.evidence_dir.iterdir()) == [] and _entries(case) == log_before and case.evidence() == []
    with pytest.raises(InputError) as e:          # Case.add checks the same way, before naming the copy
        case.add([src])
    assert e.value.key == "add.copy_mismatch"
    assert list(case.evidence_dir.iterdir()) == [] and _entries(case) == log_before and case.evidence() == []


def test_add_name_collision_keeps_both(case, tmp_path):
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    (tmp_path / "1" / "x.txt").write_text("one")
    (tmp_path / "2" / "x.txt").write_text("two")
    res = case.add([tmp_path / "1" / "x.txt", tmp_path / "2" / "x.txt"])
    assert len({r.item.path for r in res}) == 2


def test_kind_is_sniffed_from_content_not_extension(case, tmp_path):
    fake = tmp_path / "invoice.jpg"
    fake.write_bytes(b"%PDF-1.4\n%fake\n")
    txt = tmp_path / "movie.mp4"
    txt.write_text("2024-03-02 14:05:11 李四\n你好\n", encoding="utf-8")
    kinds = {r.source: r.item.kind for r in case.add([fake, txt])}
    assert kinds[str(fake)] == "pdf" and kinds[str(txt)] == "chat"


def test_add_missing_file_adds_nothing(case, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("x")
    with pytest.raises(InputError) as e:
        case.add([good, tmp_path / "missing.jpg"])
    assert e.value.key == "file.missing"
    assert case.evidence() == []


def test_capture_time_from_exif_and_video(case, corpus):
    res = case.add([corpus / "photos" / "iphone11promax_gps.heic", corpus / "videos" / "iphone6_rotate90_gps.mov"])
    photo, video = (r.item for r in res)
    assert photo.kind == "photo" and photo.capture_time.startswith("2021-04-11T15:47:53")
    assert photo.capture_source.startswith("exif:DateTimeOriginal")
    assert video.kind == "video" and video.capture_time == "2019-07-24T11:25:40+03:00"
    assert video.capture_source == "quicktime:creationdate"


def test_events_sorted_and_logged(case):
    case.add_event("2021-05-25 09:00", "delivered")
    case.add_event("2021-05-23 10:12", "shipped", note="顺丰 SF1234567890")
    evs = case.events()
    assert [e.kind for e in evs] == ["shipped", "delivered"]
    assert evs[0].time == "2021-05-23T10:12:00+08:00" and evs[0].note == "顺丰 SF1234567890"
    assert [e["action"] for e in case.custody.entries()][-2:] == ["event", "event"]
    with pytest.raises(UsageError):
        case.add_event("2021-05-23 10:12", "teleported")
    with pytest.raises(InputError):
        case.add_event("yesterday-ish", "shipped")


def test_derived_records_provenance(case):
    dest = case.derived_path("frames/f1.jpg")
    dest.write_bytes(b"jpeg")
    case.record_derived([dest], action="frames", sources=["ab" * 32], params={"pts": 1.5})
    rec = case.derived_records()["derived/frames/f1.jpg"]
    assert rec["sources"] == ["ab" * 32] and rec["params"] == {"pts": 1.5} and rec["action"] == "frames"
    with pytest.raises(UsageError):
        case.derived_path("../evidence/evil.jpg")


def test_facts_round_trip(case):
    case.write_facts("invoice", {"documents": [{"fields": {"total": {"value": "1200.00"}}}]})
    assert case.read_facts("invoice")["documents"][0]["fields"]["total"]["value"] == "1200.00"
    assert case.read_facts("nothing", default={}) == {}
    with pytest.raises(UsageError):
        case.write_facts("../x", {})


# ------------------------------------------------------------------ custody chain

def test_chain_detects_edit_delete_and_reorder(tmp_path):
    log = CustodyLog(tmp_path / "c.jsonl")
    for i in range(5):
        log.append("add", files=[{"path": f"evidence/{i}", "sha256": "0" * 64, "size": i}])
    assert log.verify() == []
    lines = log.path.read_bytes().split(b"\n")[:-1]

    def check(new_lines):
        p = tmp_path / "t.jsonl"
        p.write_bytes(b"\n".join(new_lines) + b"\n")
        return CustodyLog(p).verify()

    edited = list(lines)
    entry = json.loads(edited[1])
    entry["files"][0]["size"] = 99
    edited[1] = canonical(entry)
    found = check(edited)
    assert [f.problem for f in found] == ["chain-broken"] and found[0].path.endswith(":3")
    found = check(lines[:2] + lines[3:])
    assert found and found[0].path.endswith(":3")
    found = check([lines[1], lines[0]] + lines[2:])
    assert found[0].path.endswith(":1")


def test_concurrent_appends_keep_the_chain(tmp_path):
    path = tmp_path / "c.jsonl"
    code = ("import sys; from tradeshield.evidence.custody import CustodyLog; log = CustodyLog(sys.argv[1])\n"
            "for i in range(40): log.append('x', details={'i': i, 'who': sys.argv[2]})")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), w], env=env) for w in "ab"]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    log = CustodyLog(path)
    assert len(log.entries()) == 80 and log.verify() == []
    assert [e["seq"] for e in log.entries()] == list(range(1, 81))


def test_facts_small_indented_large_compact_same_data():
    """Large facts (the chat's 2,000 head events, ~1 MB) are written compact: indenting makes json use its
    pure-Python encoder, ~60 ms of a large import's single-threaded tail. Small ones stay indented for reading."""
    import json

    from tradeshield.evidence import case as case_mod

    small = {"b": [1, 2], "a": "文字"}
    big = {"events": [{"kind": "agreement", "text": "好的" * 20, "n": i} for i in range(4000)]}
    s, b = case_mod._facts_json(small), case_mod._facts_json(big)
    assert s.startswith(b"{\n  \"a\"") and json.loads(s) == small
    assert len(b) > case_mod.FACTS_INDENT_MAX and b.count(b"\n") == 1 and json.loads(b) == big
    assert "文字".encode() in s
