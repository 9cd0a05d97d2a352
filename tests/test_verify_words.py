"""What verify says, in the reader's language: every finding's detail in zh for zh readers (JSON keeps the stable
English ``detail``), and the seal time in the case's own zone rather than UTC."""
from __future__ import annotations

import re
import zipfile

from tradeshield.errors import HashMismatch, UnexpectedFile
from tradeshield.evidence.bundle import build_bundle, seal
from tradeshield.evidence.verify import verify


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as w:
        for i in z.infolist():
            w.writestr(i.filename, z.read(i))
        change(w)


def test_a_second_bag_is_named_in_zh_with_a_zh_detail(filled, tmp_path, cli):
    out = tmp_path / "case.zip"
    res = build_bundle(filled, out, sign=True)
    bad = tmp_path / "two.zip"
    _rewrite(out, bad, lambda w: w.writestr("other/bagit.txt", "BagIt-Version: 1.0\n"))
    rep = verify(bad)
    extra = [p for p in rep.problems if isinstance(p, UnexpectedFile) and p.path == "other/"]
    assert extra, rep.problems
    zh = extra[0].describe("zh")
    assert "第二个证据包" in zh and "a bundle" not in zh, zh
    assert "a second bag" in extra[0].describe("en")
    assert "detail_zh" not in extra[0].to_dict() and "second bag" in extra[0].to_dict()["detail"]
    r = cli("verify", bad, env={"TRADESHIELD_LANG": "zh"})
    assert r.code == 1 and "第二个证据包" in r.stdout and "second bag" not in r.stdout, r
    assert res["bag"]  # the real bag is still the one judged


def test_every_zh_finding_line_of_a_damaged_bundle_is_chinese(filled, tmp_path, cli):
    """A foreign entry at the top of the zip: no English words in the zh finding lines."""
    out = tmp_path / "case.zip"
    build_bundle(filled, out)
    bad = tmp_path / "bad.zip"
    _rewrite(out, bad, lambda w: w.writestr("readme.txt", "hello"))
    rep = verify(bad)
    assert rep.problems
    for p in rep.problems:
        line = p.describe("zh")
        words = re.findall(r"[A-Za-z]{4,}", line.replace(p.path, ""))
        assert not [w for w in words if w not in ("BagIt", "Merkle", "tradeshield", "manifest", "Oxum", "Payload")], line


def test_hash_mismatch_needs_no_detail():
    f = HashMismatch("evidence/a.jpg", expected="aa", found="bb")
    assert f.describe("zh").startswith("已被修改")


def test_seal_time_is_shown_in_the_cases_zone(filled, tmp_path, cli):
    code = seal(filled)["code"]
    out = tmp_path / "case.zip"
    build_bundle(filled, out)
    r = cli("verify", out, "--code", code)
    assert r.code == 0, r
    line = next(ln for ln in r.stdout.splitlines() if code in ln and "sealed" in ln)
    zone = filled.info["timezone"]
    assert zone in line, (zone, line)
    if zone != "+00:00":
        assert "+00:00" not in line
