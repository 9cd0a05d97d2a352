"""`stamp` and `verify` with RFC 3161 responses from a real local OpenSSL TSA (no mock)."""
from __future__ import annotations

import pytest

from tests.test_tsa import LocalTSA, need_openssl
from tradeshield.evidence.bundle import build_bundle
from tradeshield.errors import InputError
from tradeshield.evidence.stamp import import_response, stamp_bundle, stamp_case
from tradeshield.evidence.verify import verify


@pytest.fixture(scope="module")
def tsa_server(tmp_path_factory):
    need_openssl()
    return LocalTSA(tmp_path_factory.mktemp("stamp-tsa"), "rsa")


@pytest.fixture
def evidence_case(case, tmp_path):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 20)
    case.add([tmp_path / "photo.jpg"])
    return case


def test_case_stamp_round_trip(evidence_case, tsa_server, tmp_path):
    res = stamp_case(evidence_case)
    tsq = (tmp_path / "x.tsq")
    tsq.write_bytes(open(res["request"], "rb").read())
    tsr = tmp_path / "reply.tsr"
    tsr.write_bytes(tsa_server.reply(tsq.read_bytes()))
    imported = import_response(evidence_case, tsr)
    assert imported["root"] == res["root"] and imported["problems"] == []
    rep = verify(evidence_case.root, ca_file=str(tsa_server.ca))
    assert rep.ok, rep.problems
    [ts] = rep.info["timestamps"]
    assert ts["ok"] and ts["chain_ok"] is True and ts["digest_hex"] == res["root"]
    # the stamp covers the evidence, so the bundle carries it and its seal code verifies
    out = tmp_path / "case.zip"
    build_bundle(evidence_case, out)
    assert verify(out, code=res["code"]).ok


def test_response_for_other_evidence_is_refused(evidence_case, tsa_server, tmp_path):
    from tradeshield.evidence import tsa

    stamp_case(evidence_case)
    tsr = tmp_path / "other.tsr"
    tsr.write_bytes(tsa_server.reply(tsa.build_request("ab" * 32)))
    with pytest.raises(InputError) as e:
        import_response(evidence_case, tsr)
    assert e.value.key == "stamp.no_match"


def test_bundle_stamp_checked_beside_the_zip(evidence_case, tsa_server, tmp_path):
    from tradeshield.evidence import tsa

    out = tmp_path / "case.zip"
    build_bundle(evidence_case, out)
    res = stamp_bundle(out)
    assert res["request"] == str(tmp_path / "case.tsq")
    (tmp_path / "case.tsr").write_bytes(tsa_server.reply((tmp_path / "case.tsq").read_bytes()))
    rep = verify(out)
    assert rep.ok and rep.info["timestamps"][0]["ok"]
    (tmp_path / "case.tsr").write_bytes(tsa_server.reply(tsa.build_request("cd" * 32)))
    rep = verify(out)
    assert [(p.problem, p.detail) for p in rep.problems] == [("timestamp-invalid", "imprint-mismatch"),
                                                             ("timestamp-invalid", "nonce-mismatch")]


def test_stamp_cli(evidence_case, tsa_server, cli, tmp_path):
    r = cli("stamp", "--json", "--case", evidence_case.root)
    assert r.code == 0, r
    tsr = tmp_path / "r.tsr"
    tsr.write_bytes(tsa_server.reply(open(r.json["request"], "rb").read()))
    r = cli("stamp", "--import", tsr, "--json", "--case", evidence_case.root)
    assert r.code == 0 and r.json["problems"] == []
    r = cli("verify", evidence_case.root, "--tsa-ca", tsa_server.ca, "--json")
    assert r.code == 0 and r.json["timestamps"][0]["chain_ok"] is True
    junk = tmp_path / "junk.tsr"
    junk.write_bytes(b"<html>error</html>")
    r = cli("stamp", "--import", junk, "--case", evidence_case.root)
    assert r.code == 2 and r.stderr.startswith("tradeshield: ") and r.stderr.count("\n") == 1
