"""Integrity you can stake a dispute on: one bag fully covered, what verify proves and says, the case log as the
truth, bounded work on hostile zips, clean text, no home paths in bundles, BagIt percent-encoding, leftovers."""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import zipfile
from pathlib import Path

import pytest

from tradeshield.evidence.bundle import build_bundle, seal
from tradeshield.evidence.case import Case
from tradeshield.evidence.verify import verify, verify_bundle, verify_case


def _files(zpath) -> dict[str, bytes]:
    with zipfile.ZipFile(zpath) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _write(zpath, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in files.items():
            z.writestr(n, d)


# ---------------------------------------------------------------- one bag, fully covered

def test_shadow_bag_with_a_forged_real_one_is_refused(filled, tmp_path, cli):
    """Item 1: an untouched copy under aaa/ and a forged real bag (price, photo) — exit 1, the second bag named."""
    code = seal(filled)["code"]
    out = tmp_path / "case.zip"
    res = build_bundle(filled, out, sign=True)
    bag = res["bag"]
    files = _files(out)
    shadow = {"aaa/" + n[len(bag) + 1:]: d for n, d in files.items()}
    forged = dict(files)
    forged[f"{bag}/data/case.toml"] = files[f"{bag}/data/case.toml"].replace(b"1100", b"9100")
    photo = f"{bag}/data/evidence/IMG_0012.JPG"
    forged[photo] = files[photo][:-10] + b"\x00" * 10
    bad = tmp_path / "shadow.zip"
    _write(bad, {**shadow, **forged})
    rep = verify(bad, code=code, key=res["fingerprint"])
    assert not rep.ok
    kinds = {(p.problem, p.path) for p in rep.problems}
    assert any(pr == "extra" and path.startswith("tradeshield-") or path == "aaa/" for pr, path in kinds), kinds
    r = cli("verify", bad, "--code", code, "--key", res["fingerprint"])
    assert r.code == 1 and "second bag" in r.stdout and "intact" not in r.stdout, r
    assert "covered by the seal" not in r.stdout or "✘" in r.stdout


@pytest.mark.parametrize("attack", ["extra-in-bag", "extra-top", "dir-entry", "big-tag", "bag-info", "bagit",
                                    "empty-tagmanifest"])
def test_what_the_signature_did_not_cover_is_now_caught(filled, tmp_path, attack):
    """Item 2: each of these was exit 0 on a signed bundle."""
    out = tmp_path / "case.zip"
    res = build_bundle(filled, out, sign=True)
    bag = res["bag"]
    files = _files(out)

    def retag():
        tags = {n[len(bag) + 1:]: d for n, d in files.items()
                if n.startswith(bag + "/") and not n.startswith(bag + "/data/")
                and not n.endswith(("tagmanifest-sha256.txt", "tradeshield-signature.json"))}
        files[f"{bag}/tagmanifest-sha256.txt"] = "".join(
            f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(tags.items())).encode()

    if attack == "extra-in-bag":
        files[f"{bag}/notes.txt"] = b"added"
    elif attack == "extra-top":
        files["README.txt"] = b"added"
    elif attack == "dir-entry":
        files[f"{bag}/data/evidence/"] = b""
    elif attack == "big-tag":
        files[f"{bag}/bag-info.txt"] += b"X: " + b"A" * (3 << 20) + b"\n"
        retag()
    elif attack == "bag-info":
        files[f"{bag}/bag-info.txt"] = files[f"{bag}/bag-info.txt"].replace(b"order 1234567890", b"order 999") \
            + b"Contact-Name: attacker\n"
        retag()
    elif attack == "bagit":
        files[f"{bag}/bagit.txt"] += b"X-Edited: yes\n"
        retag()
    elif attack == "empty-tagmanifest":
        files[f"{bag}/tagmanifest-sha256.txt"] = b""
    bad = tmp_path / "bad.zip"
    _write(bad, files)
    rep = verify(bad, key=res["fingerprint"])
    assert not rep.ok, attack
    assert rep.problems and all(p.path for p in rep.problems)


def test_unsigned_and_resigned_say_so(filled, tmp_path, cli):
    """Item 3: unsigned reads as unsigned; another key is refused when the expected key is given."""
    out = tmp_path / "unsigned.zip"
    build_bundle(filled, out)
    r = cli("verify", out)
    assert r.code == 0 and "UNSIGNED" in r.stdout and "✔" not in r.stdout, r
    r = cli("verify", out, "--key", "SHA256:0000:0000:0000:0000:0000:0000:0000:0000", "--json")
    assert r.code == 1 and r.json["problems"][0]["problem"] == "key-mismatch"
    signed = tmp_path / "signed.zip"
    res = build_bundle(filled, signed, sign=True)
    r = cli("verify", signed)
    assert r.code == 0 and "signer not checked" in r.stdout and res["fingerprint"] in r.stdout
    r = cli("verify", signed, "--key", res["fingerprint"].replace("SHA256:", "").replace(":", "").upper())
    assert r.code == 0 and "signed by the key you required" in r.stdout
    r = cli("verify", signed, "--key", "SHA256:1111:1111:1111:1111:1111:1111:1111:1111")
    assert r.code == 1 and "signing key does not match" in r.stdout
    r = cli("verify", signed, "--key", "nonsense")
    assert r.code == 2 and "fingerprint" in r.stderr
    r = cli("verify", filled.root, "--key", res["fingerprint"])
    assert r.code == 2 and "bundle zip" in r.stderr


def test_code_states_its_scope(filled, tmp_path, cli):
    """Item 4: a seal covers only the originals; verify says how many files it does not cover."""
    code = seal(filled)["code"]
    filled.write_facts("check", {"level": "low"})
    out = tmp_path / "case.zip"
    build_bundle(filled, out, sign=True)
    r = cli("verify", out, "--code", code, "--json")
    assert r.code == 0 and r.json["code"]["scope"] == "seal" and r.json["code"]["covered"] == 3
    assert r.json["code"]["not_covered"] == r.json["files"] - 3 > 0
    r = cli("verify", out, "--code", code)
    assert "the 3 originals in evidence/ are those sealed on" in r.stdout and "not covered by the seal" in r.stdout


# ---------------------------------------------------------------- case log

def _add_event(root: str, i: int, barrier) -> None:
    from tradeshield.evidence.case import Case

    case = Case(root)
    barrier.wait()
    case.add_event(f"2024-03-0{1 + i % 9} 10:{i % 60:02d}", "other", note=f"event {i}")


def _race_pairs(target, root: Path, pairs: int) -> None:
    """``pairs`` rounds of two processes released by one barrier, each calling ``target(root, i, barrier)``."""
    ctx = multiprocessing.get_context("fork")
    for pair in range(pairs):
        barrier = ctx.Barrier(2)
        procs = [ctx.Process(target=target, args=(str(root), pair * 2 + k, barrier)) for k in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
            assert p.exitcode == 0


def test_concurrent_event_add_loses_nothing(case):
    """Item 5: 20 pairs of `event add` started at the same moment; every event stays in events.jsonl."""
    _race_pairs(_add_event, case.root, 20)
    notes = sorted(e.note for e in case.events())
    assert notes == sorted(f"event {i}" for i in range(40))
    assert sum(1 for e in case.custody.entries() if e["action"] == "event") == 40
    assert verify_case(case.root).ok


def test_verify_case_names_an_event_the_log_has_but_events_jsonl_lost(case):
    """The old race: the second writer's file (without the first event) is what custody's last record hashes."""
    case.add_event("2024-03-01 10:00", "shipped")
    kept = case.events_path.read_bytes()
    case.add_event("2024-03-02 10:00", "delivered")
    lines = case.events_path.read_bytes().split(b"\n")
    case.events_path.write_bytes(lines[1] + b"\n")  # the first event lost
    from tradeshield.evidence.custody import canonical

    case.custody.append("event", files=[case._file_record("events.jsonl")], details={"event": json.loads(lines[1])})
    assert kept
    rep = verify_case(case.root)
    assert [p.problem for p in rep.problems] == ["event-missing"]
    assert "shipped" in rep.problems[0].detail
    assert canonical(json.loads(lines[1])) == lines[1]


# ---------------------------------------------------------------- bounded work, damage named

def _bombs():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_bombs", Path(__file__).parent.parent / "bench" / "make_bombs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bombs_are_not_inflated(filled, tmp_path, monkeypatch):
    """Item 6: a tag file, custody and a payload file that inflate to 256 MiB are named without inflating them
    (bench/make_bombs.py measures verify's peak RSS on 1 GiB bombs)."""
    bombs = _bombs()
    out = tmp_path / "case.zip"
    res = build_bundle(filled, out, sign=True)
    bag = res["bag"]
    base = bombs.members_of(out)
    stream, crc, size = bombs.deflated_newlines(256)
    inflated = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *a, **kw):  # records every member verify inflates
        inflated.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(self, name, *a, **kw)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    for member in ("bag-info.txt", "tradeshield-manifest.json", "data/custody.jsonl", "data/evidence/chat.txt"):
        bad = tmp_path / "bomb.zip"
        bombs.write_zip(bad, [(n, stream, zipfile.ZIP_DEFLATED, crc, size) if n == f"{bag}/{member}" else (n, d, m, c, s)
                              for n, d, m, c, s in base])
        inflated.clear()
        rep = verify(bad, key=res["fingerprint"])
        assert not rep.ok
        assert any(p.path == member and p.problem in ("bag-invalid", "size-changed") for p in rep.problems), \
            (member, rep.problems)
        assert f"{bag}/{member}" not in inflated, member


def test_too_many_entries_is_one_finding(filled, tmp_path, monkeypatch):
    from tradeshield.evidence import verify as v

    monkeypatch.setattr(v, "MAX_ENTRIES", 50)
    out = tmp_path / "many.zip"
    with zipfile.ZipFile(out, "w") as z:
        for i in range(60):
            z.writestr(f"b/data/{i}.txt", b"x")
    rep = verify(out)
    assert [p.problem for p in rep.problems] == ["too-many-entries"]


@pytest.mark.parametrize("field, at", [("crc", 14), ("size", 22), ("name", 30), ("method", 8)])
def test_local_header_flips_of_a_stored_entry_are_named(filled, tmp_path, field, at):
    """Item 7: unzip -t rejects these; verify now names the member (exit 1) instead of saying intact."""
    out = tmp_path / "case.zip"
    res = build_bundle(filled, out, sign=True)
    with zipfile.ZipFile(out) as z:
        info = next(i for i in z.infolist() if i.filename.endswith("IMG_0012.JPG"))
    assert info.compress_type == zipfile.ZIP_STORED
    data = bytearray(out.read_bytes())
    data[info.header_offset + at] ^= 0x01
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    rep = verify_bundle(bad, key=res["fingerprint"])
    assert not rep.ok
    assert any(p.path.endswith("IMG_0012.JPG") or "IMG_0012" in (p.path + (p.detail or "")) for p in rep.problems), \
        rep.problems


def test_every_byte_of_the_central_directory_flipped_is_a_finding(filled, tmp_path):
    """Each byte of the central directory and end record with its top bit flipped: a finding or (a field zip
    readers ignore) intact — never 'not a bag' (some flips hide every entry after the first) and never an error."""
    out = tmp_path / "case.zip"
    res = build_bundle(filled, out, sign=True)
    raw = out.read_bytes()
    with zipfile.ZipFile(out) as z:
        start = z.start_dir
    bad = tmp_path / "flip.zip"
    for at in range(start, len(raw)):
        data = bytearray(raw)
        data[at] ^= 0x80
        bad.write_bytes(bytes(data))
        verify_bundle(bad, key=res["fingerprint"])  # raises InputError ('not a bag') or worse on failure


def test_bad_crc_of_a_deflated_member_is_tampering_not_an_error(filled, tmp_path, cli):
    out = tmp_path / "case.zip"
    build_bundle(filled, out, sign=True)
    with zipfile.ZipFile(out) as z:
        info = next(i for i in z.infolist() if i.filename.endswith("chat.txt"))
    data = bytearray(out.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x10
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    r = cli("verify", bad)
    assert r.code == 1 and "chat.txt" in r.stdout and "internal error" not in r.stderr, r


# ---------------------------------------------------------------- clean text

def test_escape_sequences_in_an_entry_name_do_not_reach_the_terminal(filled, tmp_path, cli):
    out = tmp_path / "case.zip"
    res = build_bundle(filled, out)
    files = _files(out)
    files[f"{res['bag']}/data/evidence/\x1b[32m✔ intact\x1b]0;pwned\x07\u202eexe.jpg"] = b"x"
    bad = tmp_path / "bad.zip"
    _write(bad, files)
    r = cli("verify", bad)
    assert r.code == 1
    assert "\x1b" not in r.stdout and "\u202e" not in r.stdout and "\x07" not in r.stdout
    assert "\\x1b[32m" in r.stdout and "\\u202e" in r.stdout
    r = cli("verify", bad, "--json")
    assert "\u202e" not in r.stdout and "\\u202e" in r.stdout and r.json["problems"]


def test_textsafe_cleans_controls_c1_and_bidi():
    from tradeshield.textsafe import clean

    assert clean("a\x1b[2Jb\x9bc\u202ed\u2066e\x00") == "a\\x1b[2Jb\\x9bc\\u202ed\\u2066e\\x00"
    assert clean("line1\nline2\r\n", keep_newlines=True) == "line1\nline2\n"
    assert clean("line1\nline2") == "line1\\nline2"
    assert clean("中文 émoji 👍\t") == "中文 émoji 👍\t"


def test_report_and_captions_clean_case_text(tmp_path):

    from PIL import Image

    from tradeshield.imaging import add_caption, draw_label

    img = Image.new("RGB", (200, 100), (255, 255, 255))
    # a caption with ESC draws the same pixels as one where ESC is written out
    assert add_caption(img, ["a\x1bb"]).tobytes() == add_caption(img, ["a\\x1bb"]).tobytes()
    assert draw_label(img, ["x\u202ey"]).tobytes() == draw_label(img, ["x\\u202ey"]).tobytes()


# ---------------------------------------------------------------- privacy, BagIt, leftovers, inputs

def test_no_absolute_path_leaves_the_machine(filled, tmp_path):
    out = tmp_path / "case.zip"
    build_bundle(filled, out)
    home = str(tmp_path)
    for name, data in _files(out).items():
        assert home.encode() not in data, name
    local = (filled.root / ".tradeshield" / "sources.jsonl").read_text(encoding="utf-8")
    assert str(tmp_path / "src" / "IMG_0012.JPG") in local
    assert {it.original_path for it in filled.evidence()} == {"IMG_0012.JPG", "chat.txt", "invoice.pdf"}


def test_facts_written_with_absolute_paths_keep_none(filled, tmp_path):
    ev = filled.evidence()[0]
    outside = tmp_path / "src" / "chat.txt"
    filled.write_facts("check", {"chat": {"path": str(filled.root / ev.path)}, "original": str(outside),
                                 "text": "/not/a/file here", "list": [str(filled.root / "derived")]})
    facts = filled.read_facts("check")
    assert facts == {"chat": {"path": ev.path}, "original": "chat.txt", "text": "/not/a/file here", "list": ["derived"]}


def test_bagit_python_validates_newline_percent_and_cjk_names(case, tmp_path):
    bagit = pytest.importorskip("bagit")
    src = tmp_path / "src"
    src.mkdir()
    names = ["line\nbreak.txt", "100%.txt", "x%0A.txt", "发票 2024.pdf", "carriage\rreturn.txt"]
    for i, n in enumerate(names):
        (src / n).write_bytes(f"file {i}\n".encode())
    case.add([src])
    out = tmp_path / "case.zip"
    res = build_bundle(case, out, sign=True)
    assert verify(out, key=res["fingerprint"]).ok
    with zipfile.ZipFile(out) as z:
        manifest = z.read(f"{res['bag']}/manifest-sha256.txt").decode()
        z.extractall(tmp_path / "x")
    assert "line%0Abreak.txt" in manifest and "carriage%0Dreturn.txt" in manifest and "发票 2024.pdf" in manifest
    # "%" is written as "％" in the evidence copy's name, so no path needs "%25" (which bagit-python cannot decode)
    assert "100\uff05.txt" in manifest and "x\uff050A.txt" in manifest and "%25" not in manifest
    bag = bagit.Bag(str(tmp_path / "x" / res["bag"]))
    bag.validate()  # raises BagValidationError otherwise
    assert {f"data/evidence/{n}" for n in ["line\nbreak.txt", "发票 2024.pdf"]} <= set(bag.payload_entries())


def test_a_name_too_long_for_its_copy_is_cut_and_the_bundle_verifies(case, tmp_path):
    """A real WhatsApp export kept its URL-encoded name (starkdmi/whats_json: 「… WhatsApp%20Chat%20with%20%E0%A4…
    sdike.txt」, 230 bytes): each "%" became the 3-byte "％" in the copy's name, 255 bytes were passed and `chat` ended
    in "internal error: File name too long". The copy's name is cut (the file's hash keeps it its own), the full name
    stays in custody, and the bundle verifies."""
    src = tmp_path / "src"
    src.mkdir()
    long = "WhatsApp" + "%20Chat%E0%A4%AE" * 14 + "x.txt"          # 237 bytes, 267 with ％
    twin = "WhatsApp" + "%20Chat%E0%A4%AE" * 14 + "y.txt"          # cut to the same prefix
    (src / long).write_bytes(b"one\n")
    (src / twin).write_bytes(b"two\n")
    case.add([src / long, src / twin])
    items = case.evidence()
    assert len(items) == 2 and len({it.path for it in items}) == 2
    for it in items:
        name = Path(it.path).name
        assert len(name.encode("utf-8")) <= 180 and name.endswith(".txt") and it.sha256[:8] in name
        assert it.original_path in (long, twin)
    out = tmp_path / "case.zip"
    res = build_bundle(case, out, sign=True)
    assert verify(out, key=res["fingerprint"]).ok


def test_manifest_paths_are_percent_encoded_both_ways():
    from tradeshield.evidence.bundle import bagit_decode, bagit_encode

    for name in ["a%0Ab", "100%", "x\ny\rz", "%25", "plain 中文"]:
        assert bagit_decode(bagit_encode(name)) == name
    assert bagit_encode("a%0A\n") == "a%250A%0A"


def _dead_pid() -> int:
    pid = 4_000_000  # below the default pid_max (4,194,304); moved on until no process has it
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_stale_temp_files_of_a_killed_run_go_with_the_next_command(case):
    dead = _dead_pid()
    leftovers = [case.root / "evidence" / f".incoming-{dead}-77", case.root / "derived" / f".chat.jsonl.tmp-{dead}-ab12"]
    for p in leftovers:
        p.write_bytes(b"x" * 1000)
    old_spool = case.root / "derived" / ".chat-0123456789ab.spool"  # no pid in the name: judged by its age
    old_spool.write_bytes(b"x")
    os.utime(old_spool, (1, 1))
    leftovers.append(old_spool)
    mine = case.root / "derived" / f".chat.jsonl.tmp-{os.getpid()}-cd34"
    mine.write_bytes(b"running")
    rep = verify_case(case.root)
    assert set(rep.info["leftovers"]) == {case.rel(p) for p in leftovers}
    Case(case.root)
    assert not any(p.exists() for p in leftovers) and mine.exists()


def test_a_killed_bundle_runs_temp_zip_goes_with_the_next_bundle(filled, tmp_path):
    out = tmp_path / "case.zip"
    dead = tmp_path / f".case.zip.tmp-{_dead_pid()}-x1y2"
    dead.write_bytes(b"half a zip")
    build_bundle(filled, out)
    assert out.is_file() and not dead.exists()


def test_other_inputs_get_one_clear_line(case, tmp_path, cli):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli("bundle", "-o", empty, "--force", cwd=case.root)
    assert r.code == 2 and "folder" in r.stderr and "internal" not in r.stderr, r
    r = cli("verify", case.root, "--tsr", empty)
    assert r.code == 2 and "not a regular file" in r.stderr, r
    r = cli("add", empty, cwd=case.root)
    assert r.code == 2 and "nothing to add" in r.stderr, r
    r = cli("chat", tmp_path, cwd=case.root)
    assert r.code == 2 and "not a regular file" in r.stderr and "internal" not in r.stderr, r
    if sys.platform.startswith("linux"):
        raw = os.fsencode(str(tmp_path)) + b"/bad-\xff\xfe-name.jpg"
        with open(raw, "wb") as f:
            f.write(b"\xff\xd8\xff not really a jpeg")
        r = cli("add", os.fsdecode(raw), cwd=case.root)
        assert r.code == 0 and "internal" not in r.stderr, r
        r = cli("add", os.fsdecode(raw), "--json", cwd=case.root)
        assert r.code == 0 and r.json[0]["status"] == "duplicate"
    toml = case.root / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('timezone = "+08:00"', 'timezone = "Mars/Olympus"'),
                    encoding="utf-8")
    r = cli("event", "add", "2024-03-01 10:00", "shipped", cwd=case.root)
    assert r.code == 2 and "Mars/Olympus" in r.stderr, r


def test_report_html_keeps_no_raw_escapes_or_bidi_overrides(case):
    from tradeshield.report import render_report

    case.update_info(item="Phone\x1b[31m red\u202eevil", counterparty="\x1b]0;title\x07someone")
    case.add_event("2024-03-01 10:00", "shipped", note="note \x1b[2J with\u2066isolate")
    html = render_report(case, {}, {"messages": ["chat text \x1b[5m blink \u202e"]}, "en")
    assert "\x1b" not in html and "\u202e" not in html and "\u2066" not in html and "\x07" not in html
    assert "\\x1b[31m" in html and "\\u202e" in html


def test_verify_case_on_edited_logs_reports_never_raises(case, tmp_path):
    """Edited custody/events lines (wrong types, not JSON, lone surrogates, deep nesting): findings, no exception."""
    import random

    from tradeshield.errors import TradeshieldError

    (tmp_path / "a.txt").write_text("hello")
    case.add([tmp_path / "a.txt"])
    case.add_event("2024-03-01 10:00", "shipped")
    seal(case)
    orig = {n: (case.root / n).read_bytes() for n in ("custody.jsonl", "events.jsonl")}
    junk = [b"[]", b"5", b'{"details": 5}', b'{"details": {"item": 5}, "action": "add"}',
            b'{"action":"add","details":{"item":{"sha256":5}}}', b'{"files":[5, {"path":1}]}',
            b'{"action":"seal","details":{"leaves":[[1,2,3]]}}', b'{"action":"seal","details":{"leaves":[["a","zz"]]}}',
            b'{"action":"stamp","details":{"root":5}}', b'{"action":"event","details":{"event":[1]}}',
            b'{"time": "bad", "kind": "x"}', b"\xff\xfe", b'{"a": "\\ud800"}', b"[" * 5000]
    rng = random.Random(5)
    for _ in range(120):
        for n, d in orig.items():
            (case.root / n).write_bytes(d)
        n = rng.choice(sorted(orig))
        lines = orig[n].split(b"\n")
        k = rng.randrange(len(lines))
        lines[k] = rng.choice(junk) if rng.random() < 0.7 else lines[k][: rng.randrange(len(lines[k]) + 1)]
        (case.root / n).write_bytes(b"\n".join(lines))
        try:
            rep = verify_case(case.root, code="TS1-AAAA")
        except TradeshieldError:
            continue
        assert not rep.ok


def _add_fact(root: str, i: int, barrier) -> None:
    from tradeshield.conversation.facts import add_fact, kinds
    from tradeshield.evidence.case import Case

    case = Case(root)
    barrier.wait()
    add_fact(case, sorted(kinds())[0], f"fact {i}", time=f"2024-03-01 10:{i:02d}")


def test_concurrent_fact_add_loses_nothing(case):
    """facts/decisions.json is read, changed and written under the custody lock like events.jsonl."""
    pytest.importorskip("tradeshield.conversation.facts")
    from tradeshield.conversation.facts import load_decisions

    _race_pairs(_add_fact, case.root, 10)
    assert sorted(f["text"] for f in load_decisions(case)["facts"]) == sorted(f"fact {i}" for i in range(20))
