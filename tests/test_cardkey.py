"""Card keys: seal → split → prove → verify round trip, per-code proofs, codes never stored."""
from __future__ import annotations

import json
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeshield import i18n
from tradeshield.cardkey import (code_salt, leaf_hash, merkle_levels, merkle_path, plan_segments, prove, read_codes,
                                 root_from_path, seal, split, verify)
from tradeshield.errors import InputError, UsageError

CODES = "\n".join(f"CARD-{i:04d}-{'XK7Q' * 3}-{i * 7919 % 10000:04d}" for i in range(1, 13)) + "\n"


def _files_text(root):
    for p in root.rglob("*"):
        if p.is_file():
            yield p, p.read_bytes().decode("utf-8", "replace")


def test_cli_round_trip(cli, case, tmp_path):
    codes = tmp_path / "codes.txt"
    codes.write_text(CODES, encoding="utf-8")
    r = cli("cardkey", "seal", "--json", input=CODES, cwd=case.root)
    assert r.code == 0, r
    message = r.json["message"]
    assert len(message) <= 200 and r.json["short_code"] in message and r.json["count"] == 12
    assert r.json["commitment"] not in message      # 64 hex digits are noise to a 客服: the short code stands in
    r = cli("cardkey", "split", "--per-message", "5", "--json", "--file", codes, cwd=case.root)
    assert r.code == 0, r
    segs = r.json["segments"]
    assert [s["n"] for s in segs] == [1, 2, 3] and all(len(s["text"]) <= 200 for s in segs)
    assert segs[0]["text"].startswith("[Card keys 1/3] #1–5 of 12\n1. CARD-0001-")
    proof = tmp_path / "proof.json"
    assert cli("cardkey", "prove", "--out", proof, cwd=case.root).code == 0
    r = cli("cardkey", "verify", proof, "--commitment", message, input=CODES)
    assert r.code == 0 and "verified" in r.stdout, r
    one_changed = CODES.replace("CARD-0007-XK7Q", "CARD-0007-XK7R")
    r = cli("cardkey", "verify", proof, "--commitment", message, "--json", input=one_changed)
    assert r.code == 1
    assert [c["n"] for c in r.json["codes"] if not c["ok"]] == [7]
    facts = json.loads((case.root / "facts" / "cardkey.json").read_text(encoding="utf-8"))
    assert [s["n"] for s in facts["segments"]] == [1, 2, 3] and all(s["produced_at"] for s in facts["segments"])
    for path, text in _files_text(case.root):                            # codes never stored, logged or bundled
        assert "CARD-0001" not in text and "XK7QXK7Q" not in text, path
    secret = case.root / "facts" / "cardkey-secret.json"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_codes_never_from_argv(cli, case):
    r = cli("cardkey", "seal", "CARD-0001", cwd=case.root)
    assert r.code == 2 and "CARD-0001" not in (case.root / "custody.jsonl").read_text(encoding="utf-8")
    assert not (case.root / "facts" / "cardkey.json").exists()


@pytest.mark.parametrize("data,message", [
    ("", "no card keys read (one per line, from stdin or --file)"),
    ("A1\n\nB2\nA1\n", "duplicate card key: line 4 repeats line 1"),
    ("x" * 151 + "\n", "the card key on line 1 is too long (at most 150 characters)"),
])
def test_bad_code_input(cli, case, data, message):
    r = cli("cardkey", "seal", input=data, cwd=case.root)
    assert r.code == 2 and r.stderr.strip() == f"tradeshield: {message}", r


def test_seal_needs_a_case_and_refuses_to_replace(cli, case, tmp_path):
    r = cli("cardkey", "seal", input="A\n", cwd=tmp_path)
    assert r.code == 2 and "no case found" in r.stderr
    assert cli("cardkey", "seal", input="A\n", cwd=case.root).code == 0
    r = cli("cardkey", "seal", input="B\n", cwd=case.root)
    assert r.code == 2 and "already has a card-key commitment" in r.stderr
    assert cli("cardkey", "seal", "--force", input="B\n", cwd=case.root).code == 0


def test_split_checks_codes_against_commitment(case):
    codes = read_codes(CODES)
    seal(case, codes)
    with pytest.raises(InputError) as e:
        split(case, codes[:5] + ["CARD-XXXX"] + codes[6:])
    assert (e.value.key, e.value.params["n"]) == ("cardkey.not_committed", 6)
    with pytest.raises(InputError) as e:
        split(case, codes[:-1])
    assert e.value.key == "cardkey.count_mismatch"
    with pytest.raises(InputError):
        split(case, [codes[1], codes[0], *codes[2:]])                      # order is part of the commitment
    out = split(case, codes, per_message=4, segment=2)
    assert [s["n"] for s in out["segments"]] == [2] and out["segments"][0]["first"] == 5
    assert [s["n"] for s in case.read_facts("cardkey")["segments"]] == [2]
    with pytest.raises(UsageError):
        split(case, codes, per_message=4, segment=9)


def test_each_code_can_be_proven_alone(case):
    codes = read_codes(CODES)
    sealed = seal(case, codes)
    proof = prove(case, [3])
    assert [i["index"] for i in proof["items"]] == [3] and "CARD" not in json.dumps(proof)
    assert verify(proof, [codes[2]], sealed["message"])["ok"]
    assert not verify(proof, [codes[3]])["ok"]
    assert verify(proof, [codes[2]], "f" * 64)["commitment_matches"] is False
    assert not verify(proof, [codes[2]], "f" * 64)["ok"]
    tampered = json.loads(json.dumps(proof))
    tampered["items"][0]["salt"] = "00" * 16
    assert not verify(tampered, [codes[2]])["ok"]


def test_bad_proof_file(cli, tmp_path):
    p = tmp_path / "proof.json"
    p.write_text('{"format": "something else"}', encoding="utf-8")
    r = cli("cardkey", "verify", p, input="A\n")
    assert r.code == 2 and r.stderr.startswith(f"tradeshield: invalid proof file: {p}")


@pytest.mark.parametrize("data, says", [(bytes(range(128, 256)), "not UTF-8 text"), (b"codes: A B C", "not JSON")])
def test_proof_that_is_not_json_says_so_in_words(cli, tmp_path, data, says):
    """Random bytes or a pasted note as the proof: one line saying what the file is not, in the user's language,
    not Python's decoder message ('utf-8' codec can't decode byte 0x86 …)."""
    p = tmp_path / "proof.json"
    p.write_bytes(data)
    r = cli("cardkey", "verify", p, input="A\n")
    assert r.code == 2 and says in r.stderr and "codec" not in r.stderr and "Expecting" not in r.stderr, r
    z = cli("--lang", "zh", "cardkey", "verify", p, input="A\n")
    assert z.code == 2 and "证明文件不是" in z.stderr, z


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_commitment_message_fits_in_one_message(lang):
    msg = i18n.t("cardkey.message", lang, n=99999, code="CK-AAAA-BBBB-CCCC-DDDD", time="2024-05-06 10:01 +08:00")
    assert len(msg) <= 200


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
                        max_size=60).map(str.strip).filter(bool), min_size=1, max_size=40, unique=True),
       st.one_of(st.none(), st.integers(1, 6)), st.sampled_from(["zh", "en"]))
def test_segments_fit_and_keep_every_code_in_order(codes, per, lang):
    segs = plan_segments(codes, per, lang)
    assert all(len(s["text"]) <= 200 for s in segs)
    lines = [ln for s in segs for ln in s["text"].split("\n")[1:]]
    assert lines == [f"{i}. {c}" for i, c in enumerate(codes, start=1)]
    assert [s["n"] for s in segs] == list(range(1, len(segs) + 1))
    if per:
        assert all(s["last"] - s["first"] + 1 <= per for s in segs)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 33), st.binary(min_size=32, max_size=32))
def test_merkle_paths_reach_the_root(n, master):
    codes = [f"code-{i}" for i in range(n)]
    leaves = [leaf_hash(i, code_salt(master, i), c) for i, c in enumerate(codes, start=1)]
    levels = merkle_levels(leaves)
    for pos in range(n):
        assert root_from_path(leaves[pos], merkle_path(levels, pos)) == levels[-1][0]
    if n > 1:
        assert root_from_path(leaves[0], merkle_path(levels, 1)) != levels[-1][0]


# ---------------------------------------------------------------- issue 20: card keys for humans

def test_codes_are_normalised_before_hashing_and_verifying(case):
    from tradeshield.cardkey import prove, read_codes, seal, verify

    sealed = seal(case, read_codes("abcd-1234-efgh\nWXYZ 9876\n"))
    proof = prove(case)
    typed = read_codes("ABCD1234EFGH\nwxyz-9876\n")            # retyped by the buyer: case, spaces, dashes
    res = verify(proof, typed, commitment=sealed["message"])
    assert res["ok"] and res["commitment_matches"] is True
    assert not verify(proof, read_codes("ABCD1234EFGX\n"))["ok"]
    with pytest.raises(Exception):
        read_codes("ab-cd\nABCD\n")                                # the same code twice, written differently


def test_commitment_message_is_a_short_code_in_the_case_zone(tmp_path):
    from tradeshield.cardkey import read_codes, seal, short_code
    from tradeshield.evidence.case import Case

    case = Case.init(tmp_path / "c", role="seller", timezone="+08:00")
    for lang in ("zh", "en"):
        sealed = seal(case, read_codes("AAAA-1111\n"), force=True, lang=lang)
        msg = sealed["message"]
        assert short_code(sealed["commitment"]) in msg and sealed["commitment"] not in msg
        assert "+08:00" in msg and "+00:00" not in msg and sealed["sealed_at"].endswith("+08:00")
        assert "SHA" not in msg and "Merkle" not in msg


def test_short_code_pins_the_commitment(case):
    from tradeshield.cardkey import prove, read_codes, seal, short_code, verify

    sealed = seal(case, read_codes("Q1\nQ2\n"))
    code = short_code(sealed["commitment"])
    assert verify(prove(case), ["Q1"], commitment=code.lower().replace("-", " "))["commitment_matches"] is True
    assert verify(prove(case), ["Q1"], commitment="CK-AAAA-AAAA-AAAA-AAAA")["ok"] is False


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_terms_message_fits_and_says_what_to_agree(lang, cli):
    from tradeshield.cardkey import terms_message

    for seg in (None, 1, 3, 12):
        msg = terms_message(1440, seg, lang)
        assert len(msg.encode("utf-16-le")) // 2 <= 200
    msg = terms_message(15, 3, lang)
    assert "15" in msg and "3" in msg
    assert ("不支持退款" in msg and "同意" in msg) if lang == "zh" else ("no refund" in msg and "agree" in msg)
    r = cli("cardkey", "terms", "--check-minutes", "20", "--segments", "2", "--json", "--lang", lang)
    assert r.code == 0 and "20" in r.json["message"] and r.json["chars"] <= 200
    r = cli("cardkey", "terms", "--check-minutes", "0", "--lang", lang)
    assert r.code == 2
