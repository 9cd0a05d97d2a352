"""Statements: every scenario renders from a complete fixture case, lists missing facts from an empty one,
and prints no date, amount or hash that is not in the case."""
from __future__ import annotations

import json
import re

import pytest

from statement_fixtures import full_case
from tradeshield.evidence.case import Case
from tradeshield.errors import UsageError
from tradeshield.split import measure
from tradeshield.statement import build_statement, get_scenario, save_statement, scenarios, templates_dir
from tradeshield.statement_facts import gather_facts

SCENARIOS = sorted(scenarios())
REQUIRED_SCENARIOS = {"seller-refund-after-discount", "seller-item-swapped", "seller-damage-after-delivery",
                      "seller-not-as-described-rebuttal", "buyer-not-as-described", "buyer-not-received",
                      "buyer-cardkey-invalid", "buyer-custom-partial", "appeal", "generic"}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("st")
    return {"seller": full_case(tmp, "seller"), "buyer": full_case(tmp, "buyer")}


def _case_for(cases, name):
    return cases["buyer" if get_scenario(name).role == "buyer" else "seller"]


def _known_values(case) -> tuple[set, set, list]:
    """Every time, amount and hash the case holds, as they may be printed."""
    facts = gather_facts(case)
    blob = json.dumps({k: f.value for k, f in facts.items()}, ensure_ascii=False)
    whens = set(re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", blob)) | set(re.findall(r"\d{4}-\d{2}-\d{2}", blob))
    amounts = {str(case.info["price"]), *re.findall(r'"(?:amount|total)": "([\d.]+)"', blob)}
    hashes = [it.sha256 for it in case.evidence()] + [case.read_facts("seal")["root"]]
    return whens, amounts, hashes


def test_all_required_scenarios_exist_with_both_templates():
    assert REQUIRED_SCENARIOS <= set(SCENARIOS)
    for name in SCENARIOS:
        for lang in ("zh", "en"):
            assert (templates_dir() / f"{name}.{lang}.j2").is_file()
    stray = {p.name.split(".")[0] for p in templates_dir().glob("*.j2") if not p.name.startswith("_")}
    assert stray == set(SCENARIOS)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_renders_from_full_case_with_only_case_facts(cases, name, lang):
    case = _case_for(cases, name)
    st = build_statement(case, name, lang=lang, limit=200)
    assert st.ok and st.missing == []
    text = st.text
    assert "None" not in text and "{{" not in text and "（）" not in text and "()" not in text
    assert "1234567890" in st.split.messages[0]
    assert all(measure(m, "utf16") <= 200 for m in st.split.messages)
    whens, amounts, hashes = _known_values(case)
    for d in re.findall(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?", text):
        assert d in whens, d
    for a in re.findall(r"¥(\d+(?:\.\d+)?)", text):
        assert a in amounts, a
    for h in re.findall(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{12,64}\b", text):
        assert any(full.startswith(h) for full in hashes), h
    # the summary is its own first message and carries a date
    assert re.search(r"\d{4}-\d{2}-\d{2}", st.split.parts[0])
    assert not [w for w in st.lint["warnings"]], st.lint["warnings"]
    assert not [f for f in st.lint["findings"] if not f["quoted"]]


@pytest.mark.parametrize("name", SCENARIOS)
def test_empty_case_lists_every_required_fact_with_a_remedy(tmp_path, name):
    case = Case.init(tmp_path / "empty", role="buyer" if get_scenario(name).role == "buyer" else "seller")
    st = build_statement(case, name, lang="en")
    assert not st.ok and st.text == "" and st.split is None
    assert [m.fact for m in st.missing] == get_scenario(name).required
    for m in st.missing:
        assert m.how and ("tradeshield" in m.how or "case.toml" in m.how), m
        assert m.description and m.description != f"fact.{m.fact}"


def test_seller_refund_statement_content(cases):
    st = build_statement(cases["seller"], "seller-refund-after-discount", lang="zh")
    first = st.split.parts[0]
    assert "2021-05-29 20:01" in first and "2021-05-29 20:09" in first and "8分钟" in first and "¥50" in first
    assert st.split.messages[0].startswith("（1/")
    # chat quotes keep sender and time
    assert "远方私人（2021-05-29 20:01）：「便宜50吧，不然我退了」" in st.text
    assert "TS1-7K3M-Q9PX-2ABC" in st.text
    # the returned item's serial (photographed after the return) is not presented as the shipped one
    assert "352099001761481" in st.text and "356938035643809" not in st.text


def test_partial_facts_name_the_command(tmp_path):
    case = Case.init(tmp_path / "c", role="seller", item="手机", price=900, order="998877665544")
    case.add_event("2021-05-25 14:30", "delivered")
    st = build_statement(case, "seller-refund-after-discount", lang="zh")
    assert [m.fact for m in st.missing] == ["discount_request", "refund_request"]
    assert "tradeshield chat" in st.missing[0].how and "discount-requested" in st.missing[0].how
    case.add_event("2021-05-29 20:01", "discount-requested", note="要求优惠50元")
    case.add_event("2021-05-29 20:40", "refund-requested")
    st = build_statement(case, "seller-refund-after-discount", lang="en")
    assert st.ok and "39 minutes" in st.split.parts[0]


def test_refund_before_discount_is_not_paired(tmp_path):
    """A refund asked before the discount is not "the refund after the discount"."""
    case = Case.init(tmp_path / "c", role="seller", item="手机", price=900, order="998877665544")
    case.add_event("2021-05-25 14:30", "delivered")
    case.add_event("2021-05-26 10:00", "refund-requested")
    case.add_event("2021-05-29 20:01", "discount-requested")
    st = build_statement(case, "seller-refund-after-discount", lang="zh")
    assert [m.fact for m in st.missing] == ["refund_request"]


def test_malformed_facts_are_missing_not_errors(tmp_path):
    case = Case.init(tmp_path / "c", role="seller", item="手机", price=900, order="998877665544")
    case.write_facts("chat", {"events": [{"kind": "discount-request", "time": "not a time", "text": "x"}, "junk"]})
    case.write_facts("courier", {"events": "nope"})
    case.write_facts("seal", ["wrong"])
    facts = gather_facts(case)
    assert {"discount_request", "delivered", "seal"}.isdisjoint(facts)
    assert facts["order"].value == "998877665544" and facts["order"].origin == "case.toml"


def test_fact_provenance(cases):
    facts = gather_facts(cases["seller"])
    d = facts["discount_request"]
    assert d.origin == "facts/chat.json lines 21-22"
    assert d.sources == [cases["seller"].read_facts("chat")["sources"][0]["sha256"]]
    assert facts["delivered"].origin == "facts/courier.json" and facts["delivered"].value["when"] == "2021-05-25 14:30"


def test_save_is_atomic_logged_and_never_overwrites(cases):
    case = cases["seller"]
    st = build_statement(case, "seller-refund-after-discount", lang="zh")
    a = save_statement(case, st)
    b = save_statement(case, st)
    assert a[0] != b[0] and a[0].read_text(encoding="utf-8") == b[0].read_text(encoding="utf-8")
    assert a[0].read_text(encoding="utf-8").split("\n\n")[0] == st.split.messages[0]
    meta = json.loads(a[1].read_text(encoding="utf-8"))
    assert meta["facts"]["discount_request"]["origin"].startswith("facts/chat.json")
    rec = case.derived_records()[case.rel(a[0])]
    assert rec["action"] == "statement" and rec["params"]["scenario"] == "seller-refund-after-discount"
    assert set(rec["sources"]) >= {case.read_facts("chat")["sources"][0]["sha256"]}
    assert not list(case.statements_dir.glob(".*tmp*"))


def test_limit_and_count_are_respected(cases):
    st = build_statement(cases["seller"], "seller-refund-after-discount", lang="zh", limit=120, count="bytes")
    assert all(len(m.encode("utf-8")) <= 120 for m in st.split.messages)
    assert len(st.split.messages) > 4


def test_unknown_scenario(cases):
    with pytest.raises(UsageError):
        build_statement(cases["seller"], "nope")


# ---------------------------------------------------------------- CLI

def test_cli_statement_writes_and_json(tmp_path, cli):
    case = full_case(tmp_path, "seller")
    r = cli("statement", "--scenario", "seller-refund-after-discount", "--lang", "zh", "--json", cwd=case.root)
    assert r.code == 0, r
    data = r.json
    assert data["ok"] and data["split"]["messages"][0]["text"].startswith("（1/")
    saved = [p for p in data["saved"] if p.endswith(".txt")]
    assert saved and open(saved[0], encoding="utf-8").read().startswith(data["split"]["messages"][0]["text"])
    r = cli("statement", "-s", "seller-refund-after-discount", "--lang", "en", "--no-save", cwd=case.root)
    assert r.code == 0 and "(1/" in r.stdout and "/200" in r.stdout


def test_cli_statement_missing_exits_1(tmp_path, cli):
    Case.init(tmp_path / "e", role="seller")
    r = cli("statement", "-s", "seller-refund-after-discount", "--lang", "en", cwd=tmp_path / "e")
    assert r.code == 1
    assert "6 required facts are missing" in r.stdout and "tradeshield event add TIME delivered" in r.stdout
    assert not list((tmp_path / "e" / "statements").iterdir())


def test_cli_statement_list_and_errors(tmp_path, cli):
    r = cli("statement", "--list", "--json")
    assert r.code == 0 and {s["name"] for s in r.json} == set(SCENARIOS)
    r = cli("statement", "-s", "nope", cwd=tmp_path)
    assert r.code == 2 and r.stderr.startswith("tradeshield: ")
    Case.init(tmp_path / "e", role="seller")
    r = cli("statement", "-s", "nope", "--lang", "en", cwd=tmp_path / "e")
    assert r.code == 2 and "unknown scenario: nope" in r.stderr
