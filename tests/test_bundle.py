"""Bundle: BagIt validity, determinism, atomicity, tamper detection by name, seal, signing, zip-slip."""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tradeshield.evidence.bundle import build_bundle, merkle_root, normalize_code, seal, seal_code
from tradeshield.errors import InputError
from tradeshield.evidence.verify import verify


def _rewrite(src: Path, dst: Path, mutate) -> None:
    """Copy a zip entry by entry, letting ``mutate(name, data)`` return new bytes, None to drop, or a list of extras."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = mutate(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)


def _bag(zpath):
    with zipfile.ZipFile(zpath) as z:
        return z.namelist()[0].split("/")[0]


def test_bundle_verifies_and_is_a_valid_bag(filled, tmp_path):
    bagit = pytest.importorskip("bagit")
    out = tmp_path / "case.zip"
    res = build_bundle(filled, out)
    rep = verify(out)
    assert rep.ok, rep.problems
    assert rep.info["merkle_root"] == res["merkle_root"] and res["seal_code"].startswith("TS1-")
    assert len(res["seal_code"]) == 24
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert names == sorted(names)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
        jpg = next(i for i in z.infolist() if i.filename.endswith(".JPG"))
        assert jpg.compress_type == zipfile.ZIP_STORED
        z.extractall(tmp_path / "x")
    bag = bagit.Bag(str(tmp_path / "x" / res["bag"]))
    bag.validate()  # raises BagValidationError on any problem
    manifest = json.loads((tmp_path / "x" / res["bag"] / "tradeshield-manifest.json").read_text("utf-8"))
    items = {i["path"]: i for i in manifest["items"]}
    photo = items["data/evidence/IMG_0012.JPG"]
    assert photo["kind"] == "photo" and photo["role"] == "original" and photo["original_name"] == "IMG_0012.JPG"
    frame = items["data/derived/frames/f0001.jpg"]
    assert frame["role"] == "derived" and frame["provenance"]["params"] == {"pts": 2.0}
    assert manifest["merkle"]["root"] == merkle_root([(p, i["sha256"]) for p, i in items.items()])


def test_two_bundles_are_byte_identical(filled, tmp_path):
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    build_bundle(filled, a)
    time.sleep(1.1)
    build_bundle(filled, b)
    assert a.read_bytes() == b.read_bytes()


def test_interrupted_bundle_leaves_no_zip(filled, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(64 << 20)
    filled.add([big])
    out = tmp_path / "case.zip"

    def boom(label, done, total):
        if done > 8 << 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_bundle(filled, out, progress=boom)
    assert not out.exists()
    assert list(tmp_path.glob(".case.zip.tmp-*")) == []


def test_killed_bundle_process_leaves_no_zip(filled, tmp_path):
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(256 << 20)
    filled.add([big])
    out = tmp_path / "killed.zip"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.Popen([sys.executable, "-m", "tradeshield", "bundle", "-o", str(out), "--case", str(filled.root), "-q"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".killed.zip.tmp-*")) and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "a killed bundle must not leave FILE.zip"


@pytest.mark.parametrize("tamper, problem, where", [
    ("flip", "modified", "data/evidence/IMG_0012.JPG"),
    ("delete", "missing", "data/evidence/chat.txt"),
    ("add", "extra", "data/evidence/planted.jpg"),
    ("custody", "chain-broken", "data/custody.jsonl:3"),
    ("manifest", "modified", "tradeshield-manifest.json"),
])
def test_tampering_is_named(filled, tmp_path, tamper, problem, where):
    out = tmp_path / "case.zip"
    build_bundle(filled, out, sign=True)
    bad = tmp_path / "bad.zip"
    bag = _bag(out)

    def mutate(name, data):
        rel = name[len(bag) + 1:]
        if tamper == "flip" and rel == "data/evidence/IMG_0012.JPG":
            return data[:50] + bytes([data[50] ^ 1]) + data[51:]
        if tamper == "delete" and rel == "data/evidence/chat.txt":
            return None
        if tamper == "custody" and rel == "data/custody.jsonl":
            lines = data.split(b"\n")
            lines[1] = lines[1].replace(b'"add"', b'"ADD"')
            return b"\n".join(lines)
        if tamper == "manifest" and rel == "tradeshield-manifest.json":
            return data.replace(b"IMG_0012", b"IMG_0099")
        return data

    _rewrite(out, bad, mutate)
    if tamper == "add":
        with zipfile.ZipFile(bad, "a") as z:
            z.writestr(f"{bag}/data/evidence/planted.jpg", b"\xff\xd8\xffplanted")
    rep = verify(bad)
    assert not rep.ok
    assert any(p.problem == problem and p.path == where for p in rep.problems), rep.problems
    if tamper == "custody":  # the bag manifest also names the edited file
        assert any(p.problem == "modified" and p.path == "data/custody.jsonl" for p in rep.problems)
    if tamper == "manifest":  # the signature covers the tagmanifest, which no longer matches the manifest
        assert rep.info["signature_ok"] and not rep.ok


def test_consistent_rewrite_is_caught_by_merkle_root(filled, tmp_path):
    """An attacker who flips a byte and fixes manifest-sha256 and tagmanifest still breaks the Merkle root."""
    import hashlib

    out = tmp_path / "case.zip"
    build_bundle(filled, out)
    bag = _bag(out)
    with zipfile.ZipFile(out) as z:
        files = {n[len(bag) + 1:]: z.read(n) for n in z.namelist()}
    files["data/evidence/IMG_0012.JPG"] = files["data/evidence/IMG_0012.JPG"][:-1] + b"\x00"
    files["manifest-sha256.txt"] = "".join(
        f"{hashlib.sha256(d).hexdigest()}  {p}\n" for p, d in sorted(files.items()) if p.startswith("data/")).encode()
    files["tagmanifest-sha256.txt"] = "".join(
        f"{hashlib.sha256(files[p]).hexdigest()}  {p}\n"
        for p in sorted(files) if not p.startswith("data/") and p != "tagmanifest-sha256.txt").encode()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        for p, d in sorted(files.items()):
            z.writestr(f"{bag}/{p}", d)
    rep = verify(bad)
    # the Merkle root recorded in the manifest, and the custody log's record of the photo, both disagree
    assert [p.problem for p in rep.problems] == ["manifest-mismatch", "merkle-mismatch", "modified"]
    assert rep.problems[-1].path == "data/evidence/IMG_0012.JPG" and "custody" in rep.problems[-1].detail


def test_replaced_signature_is_detected(filled, tmp_path):
    out = tmp_path / "case.zip"
    build_bundle(filled, out, sign=True)
    assert verify(out).info["signed"] is True
    bad = tmp_path / "bad.zip"

    def mutate(name, data):
        if name.endswith("tradeshield-signature.json"):
            rec = json.loads(data)
            sig = bytearray(base64.b64decode(rec["signature"]))
            sig[0] ^= 0xFF
            rec["signature"] = base64.b64encode(bytes(sig)).decode()
            return json.dumps(rec).encode()
        return data

    _rewrite(out, bad, mutate)
    rep = verify(bad)
    assert any(p.problem == "signature-invalid" for p in rep.problems)


def test_signing_key_created_private(filled, tmp_path):
    from tradeshield.evidence.signing import key_path

    build_bundle(filled, tmp_path / "s.zip", sign=True)
    assert key_path().stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("evil, reason", [("../../evil.txt", "'..' in path"), ("/etc/evil", "absolute path")])
def test_zip_slip_is_refused(filled, tmp_path, evil, reason):
    out = tmp_path / "case.zip"
    build_bundle(filled, out)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr(evil, b"pwned")
    rep = verify(out)
    assert any(p.problem == "unsafe-entry" and p.detail == reason for p in rep.problems)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_symlink_and_duplicate_entries_are_refused(filled, tmp_path):
    out = tmp_path / "case.zip"
    build_bundle(filled, out)
    bag = _bag(out)
    with zipfile.ZipFile(out, "a") as z:
        link = zipfile.ZipInfo(f"{bag}/data/evidence/link")
        link.external_attr = (0o120777 << 16)
        z.writestr(link, "/etc/passwd")
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.writestr(f"{bag}/bagit.txt", b"BagIt-Version: 1.0\n")
    details = {p.detail for p in verify(out).problems if p.problem == "unsafe-entry"}
    assert details == {"symbolic link", "duplicate name"}


def test_not_a_bundle_is_unusable_input(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(InputError):
        verify(junk)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(InputError) as e:
        verify(empty)
    assert e.value.key == "verify.not_bag"


def test_seal_message_fits_and_code_verifies(filled, tmp_path):
    for lang in ("zh", "en"):
        res = seal(filled, lang=lang)
        assert res["chars"] <= 200 and res["code"] in res["message"]
    out = tmp_path / "case.zip"
    # more evidence after the seal: the seal still verifies against the files it covered
    extra = tmp_path / "later.txt"
    extra.write_text("added after shipping")
    filled.add([extra])
    build_bundle(filled, out)
    rep = verify(out, code=res["code"].lower().replace("ts1-", "TS1 "))
    assert rep.ok and rep.info["code"]["matches"] == "seal"
    rep = verify(out, code=seal_code("00" * 32))
    assert [p.problem for p in rep.problems] == ["code-mismatch"]
    assert normalize_code(" ts1-abcd efgh ") == "TS1-ABCDEFGH"


def test_bundle_refuses_a_modified_case(filled, tmp_path):
    item = filled.evidence()[0]
    p = filled.root / item.path
    os.chmod(p, 0o644)
    p.write_bytes(p.read_bytes() + b"x")
    with pytest.raises(InputError) as e:
        build_bundle(filled, tmp_path / "c.zip")
    assert e.value.key == "bundle.case_modified"
    assert not (tmp_path / "c.zip").exists()


def test_verify_case_dir_names_problems(filled):
    assert verify(filled.root).ok
    item = filled.evidence()[0]
    p = filled.root / item.path
    os.chmod(p, 0o644)
    p.write_bytes(b"changed")
    (filled.evidence_dir / "sneaky.jpg").write_bytes(b"x")
    (filled.root / "derived" / "frames" / "f0001.jpg").unlink()
    got = {(f.problem, f.path) for f in verify(filled.root).problems}
    assert got == {("modified", item.path), ("extra", "evidence/sneaky.jpg"), ("missing", "derived/frames/f0001.jpg")}


def test_a_preallocated_bundle_is_cut_at_the_end_of_the_zip(case, tmp_path):
    """Payloads over 4 MB get the zip's blocks reserved up front; the reserve beyond the zip must go."""
    src = tmp_path / "big"
    src.mkdir()
    (src / "unboxing.bin").write_bytes(os.urandom(5 << 20))
    (src / "note.txt").write_text("海信A5Pro 开箱 " * 20000, encoding="utf-8")     # deflates to far below its size
    case.add([src])
    out = tmp_path / "big.zip"
    res = build_bundle(case, out)
    data = out.read_bytes()
    assert len(data) == res["zip_bytes"]
    eocd = data.rfind(b"PK\x05\x06")
    assert eocd == len(data) - 22                  # the end record is the last thing in the file: no reserve left
    assert verify(out).ok


def test_preallocate_reserves_or_declines(tmp_path):
    from tradeshield.evidence.fsutil import preallocate

    with open(tmp_path / "small", "wb") as f:
        assert preallocate(f, 1000) is False       # too small to be worth a call
    with open(tmp_path / "big", "wb") as f:
        done = preallocate(f, 8 << 20)
        if not done:
            pytest.skip("this file system has no fallocate(2)")
        assert os.fstat(f.fileno()).st_size == 8 << 20
