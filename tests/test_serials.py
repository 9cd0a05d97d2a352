"""find_serials: IMEI Luhn and TAC, IMEI-SV, MEID, Apple and labelled serials, positions and sources."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeshield.serials import apple_serial, find_serials, identities, luhn_digit, luhn_ok


def one(text, **kw):
    hits = find_serials(text, **kw)
    assert len(hits) == 1, hits
    return hits[0]


@pytest.mark.parametrize("imei", ["352099001761481", "861234567890127", "490154203237518"])
def test_valid_imei_with_tac(imei):
    hit = one(f"IMEI: {imei}")
    assert (hit["type"], hit["value"], hit["valid"], hit["tac"]) == ("imei", imei, True, imei[:8])
    assert hit["label"] == "IMEI"
    assert hit["span"] == [6, 21]


def test_one_digit_changed_is_reported_invalid_with_expected_check_digit():
    hit = one("352099001761482")
    assert hit["valid"] is False and hit["expected_check_digit"] == "1"
    # changing a body digit instead of the check digit is caught too
    assert one("352099001761581")["valid"] is False


@given(st.text(alphabet="0123456789", min_size=14, max_size=14), st.integers(0, 13), st.integers(1, 9))
def test_luhn_catches_every_single_digit_error(body, pos, delta):
    good = body + str(luhn_digit(body))
    assert luhn_ok(good)
    bad = good[:pos] + str((int(good[pos]) + delta) % 10) + good[pos + 1:]
    assert not luhn_ok(bad)
    assert find_serials(f"IMEI {bad}")[0]["valid"] is False


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_grouped_imei_layouts_read_as_the_same_number(body):
    imei = body + str(luhn_digit(body))
    for shown in (imei, f"{imei[:2]}-{imei[2:8]}-{imei[8:14]}-{imei[14]}", f"{imei[:8]} {imei[8:14]} {imei[14]}"):
        hit = one(f"IMEI1 {shown} end")
        assert hit["value"] == imei and hit["valid"] is True and hit["label"] == "IMEI1"


def test_dual_sim_labels_and_positions():
    text = "IMEI1: 352099001761481\nIMEI2: 861234567890127"
    hits = find_serials(text, source={"photo": "abc"})
    assert [(h["label"], h["value"]) for h in hits] == [("IMEI1", "352099001761481"), ("IMEI2", "861234567890127")]
    assert all(h["source"] == {"photo": "abc"} for h in hits)
    assert [text[slice(*h["span"])] for h in hits] == ["352099001761481", "861234567890127"]


@pytest.mark.parametrize("text", [
    "tel 13800138000 1234",           # 11 + 4 digits is not an IMEI layout
    "card 6222021234567890123",       # 19 digits: a bank card, not an IMEI
    "order 1234567890123456",         # bare 16 digits need the IMEISV label
    "x352099001761481",               # glued to a letter
    "",
])
def test_no_false_identifiers(text):
    assert find_serials(text) == []


def test_imeisv_carries_the_imei_it_contains():
    hit = one("IMEISV: 3520990017614823")
    assert hit["type"] == "imeisv" and hit["svn"] == "23" and hit["imei"] == "352099001761481"
    assert identities([hit])["imei"] == {"352099001761481"}


def test_meid_with_and_without_check_digit():
    hit = one("MEID: A1000012345678")
    assert (hit["type"], hit["value"], hit["valid"]) == ("meid", "A1000012345678", None)
    good = "A1000012345678" + format(luhn_digit("A1000012345678", 16), "X")
    assert one(f"MEID {good}")["valid"] is True
    bad = good[:-1] + format((int(good[-1], 16) + 1) % 16, "X")
    assert one(f"MEID {bad}")["valid"] is False


def test_apple_serial_decoded_and_box_barcode_prefix():
    hit = one("S/N: C02L13ECF8J2")
    assert hit["scheme"] == "apple-12" and hit["made"] == {"years": [2013, 2023], "half": 2, "week_of_half": 1}
    assert hit["model_code"] == "F8J2"
    box = one("SC02L13ECF8J2")  # Apple box barcodes encode "S" + serial
    assert box["value"] == "C02L13ECF8J2" and box["span"] == [1, 13]
    assert apple_serial("C02I13ECF8J2") is None      # no I in Apple serials
    assert apple_serial("ABCDEFGHJKLM") is None      # letters only


def test_labelled_generic_and_chinese_serials():
    assert one("Serial No. R58M12ABCDE model")["value"] == "R58M12ABCDE"
    assert one("序列号：F2LXK1Q0HG7F")["label"] == "序列号"
    assert find_serials("SN: ABCDEF") == []  # a word without digits is not a serial


def test_identities_drop_misread_imeis():
    facts = find_serials("IMEI 352099001761481 IMEI 352099001761482")
    assert identities(facts)["imei"] == {"352099001761481"}
