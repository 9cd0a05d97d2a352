"""Counterparty check: labelled scenarios, each rule on its own evidence, ordinary chats, facts, CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeshield.check import (Facts, Msg, evaluate, facts_from, load_profile, load_rules, match_rule,
                               run_check)
from tradeshield.errors import InputError, UsageError

SCEN = Path(__file__).parent / "data" / "check_scenarios"
SCENARIOS = sorted(SCEN.glob("*.toml"))


def ids(result):
    return [r["id"] for r in result["reasons"]]


def run_scenario(path):
    data = load_profile(path, extra_keys=("expect", "watchlist"))
    return data["expect"], evaluate(facts_from(data), data.get("messages", []), watch_hits=data.get("watchlist"))


# ---------------------------------------------------------------- labelled set

def test_labelled_set_is_large_and_mixed():
    labels = [load_profile(p, extra_keys=("expect", "watchlist"))["expect"]["label"] for p in SCENARIOS]
    assert len(labels) >= 40
    assert labels.count("risky") >= 15 and labels.count("ordinary") >= 15
    assert set(labels) == {"risky", "ordinary"}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario(path):
    expect, result = run_scenario(path)
    if expect["label"] == "risky":
        assert result["level"] in ("elevated", "high"), result["reasons"]
    else:
        assert result["level"] == "low" and result["reasons"] == [], result["reasons"]
    assert set(expect.get("rules", [])) <= set(ids(result))


# ---------------------------------------------------------------- each phrase rule on its own evidence

POSITIVE = {
    "ship-before-pay": ["你先发货，我收到就付款", "货到付款可以吗", "先发货后付款吧"],
    "change-address": ["地址改成北京市朝阳区", "麻烦寄到另一个地址", "帮我修改一下收货地址"],
    "cardkey-before-pay": ["先把卡密发我看看", "兑换码先给我，我试了再付"],
    "cardkey-dispute": ["卡密不对啊", "提示已被兑换"],
    "off-platform-contact": ["加我微信吧", "加个 V X 聊", "私聊", "13812345678", "QQ：123456789", "add me on whatsapp"],
    "off-platform-payment": ["直接转账给我", "闲鱼太麻烦了", "银行卡号发我", "支付宝转我", "不走平台"],
    "fake-service": ["我是闲鱼官方客服", "你的店铺还没开通消费者保障", "需要屏幕共享一下"],
    "deposit-unfreeze": ["先交500保证金", "资金已被冻结", "我多转了1000", "买礼品卡"],
    "link-or-qr": ["点击链接付款", "扫一下这个二维码", "http://pay-xianyu.top/x", "改价链接发你了"],
    "pressure": ["赶紧付款", "30分钟内不处理就冻结", "手慢无", "最后一次机会"],
    "refund-extortion": ["补我50就不退了", "不然我就申请退款", "便宜100我就确认收货"],
}

ORDINARY = [
    "我明天发货", "我用支付宝付款了", "用支付宝付款了", "已经在闲鱼上付款了", "你好，还在吗？", "电池健康多少？",
    "好的，我拍了", "尽快发货哦", "我马上确认收货", "收到了，谢谢", "不加微信，平台上聊", "请勿私下转账",
    "千万别私下转账", "地址没问题", "发票照片我发你", "微信上有朋友也想要", "可以便宜点吗？", "顺丰单号SF1234567890123",
    "订单号 3456789012345678901", "卡密一经发送不退", "兑换成功，谢谢", "我下午用支付宝付", "发个视频看看",
    "能验机吗", "明天下午到", "这款还有货吗，https://item.taobao.com/item.htm?id=16069271800", "我马上就要出差了", "这是商品链接 https://m.tb.cn/h.abc", "好评已给",
]


def test_every_phrase_rule_has_examples():
    phrase_ids = {r["id"] for r in load_rules().rules if r["detector"] == "phrase"}
    assert phrase_ids == set(POSITIVE)


@pytest.mark.parametrize("rule_id,text", [(r, t) for r, ts in POSITIVE.items() for t in ts])
def test_rule_fires_on_its_evidence(rule_id, text):
    rules = load_rules()
    rule = next(r for r in rules.rules if r["id"] == rule_id)
    assert match_rule(rule, text, rules) is not None
    role = "buyer" if rule_id == "never" else (rule.get("roles") or ["seller"])[0]
    result = evaluate(Facts(role=role, category="cardkey" if "cardkey" in rule_id else "phone"),
                      [Msg(text, line_start=7)])
    reason = next(r for r in result["reasons"] if r["id"] == rule_id)
    assert reason["evidence"][0]["line"] == 7 and reason["evidence"][0]["text"] == text


@pytest.mark.parametrize("text", ORDINARY)
def test_no_rule_fires_on_ordinary_chat(text):
    for role in ("seller", "buyer"):
        result = evaluate(Facts(role=role, category="phone"), [Msg(text)])
        assert result["reasons"] == [] and result["level"] == "low", (role, ids(result))


def test_issue_examples():
    rules = load_rules()
    by_id = {r["id"]: r for r in rules.rules}
    assert match_rule(by_id["pressure"], "我明天发货", rules) is None
    assert match_rule(by_id["off-platform-payment"], "用支付宝付款了", rules) is None
    assert match_rule(by_id["off-platform-payment"], "支付宝直接转账给我", rules) is not None


def test_negation_and_speaker():
    f = Facts(role="seller", category="phone")
    assert ids(evaluate(f, [Msg("不用加我微信")])) == []
    assert ids(evaluate(f, [Msg("加我微信")])) == ["off-platform-contact"]
    assert ids(evaluate(f, [Msg("加我微信", role="me")])) == []          # the user's own words
    assert ids(evaluate(f, [Msg("请勿私下转账，加微信的都是骗子", role="system")])) == []


def test_evidence_counts_all_matches_but_keeps_five():
    msgs = [Msg(f"加我微信 {i}", line_start=i) for i in range(1, 9)]
    reason = evaluate(Facts(role="seller"), msgs)["reasons"][0]
    assert reason["matches"] == 8 and [e["line"] for e in reason["evidence"]] == [1, 2, 3, 4, 5]


# ---------------------------------------------------------------- fact rules

def test_dealer_pattern_only_for_phone_and_electronics_sellers():
    base = dict(trades=312, same_category_share=0.9)
    assert "dealer-pattern" in ids(evaluate(Facts(role="seller", category="phone", **base)))
    assert "dealer-pattern" in ids(evaluate(Facts(role="seller", category="electronics", **base)))
    assert ids(evaluate(Facts(role="seller", category="clothing", **base))) == []
    assert ids(evaluate(Facts(role="buyer", category="phone", **base))) == []
    assert ids(evaluate(Facts(role="seller", category="phone", trades=312, same_category_share=0.5))) == []
    assert ids(evaluate(Facts(role="seller", category="phone", trades=49, same_category_share=0.9))) == []


def test_dealer_reason_explains_with_numbers():
    r = evaluate(Facts(role="seller", category="phone", trades=312, same_category_share=0.9))
    reason = r["reasons"][0]
    assert "312" in reason["en"] and "90%" in reason["en"] and "312" in reason["zh"]
    assert {"kind": "fact", "name": "trades", "value": 312} in reason["evidence"]
    assert r["level"] == "elevated" and r["score"] == 30


@pytest.mark.parametrize("facts,expected", [
    (dict(account_age_days=3), ["new-account"]),
    (dict(account_age_days=30), []),
    (dict(credit="信用较差"), ["low-credit"]),
    (dict(credit="暂无"), ["unknown-credit"]),
    (dict(credit="极好"), []),
    (dict(price=700, listed=1150), ["lowball-offer"]),
    (dict(price=1300, listed=1150), ["overpay-offer"]),
    (dict(price=1100, listed=1150, market=1200), []),
])
def test_fact_rules_for_seller(facts, expected):
    assert ids(evaluate(Facts(role="seller", category="phone", **facts))) == expected


def test_price_rules_for_buyer_use_market():
    r = evaluate(Facts(role="buyer", category="phone", price=2000, market=6000))
    assert ids(r) == ["price-too-good"] and "67%" in r["reasons"][0]["en"] and "market" in r["reasons"][0]["en"]


def test_levels_follow_thresholds():
    assert evaluate(Facts(role="seller", account_age_days=1))["level"] == "low"            # 20
    assert evaluate(Facts(role="seller", account_age_days=1, credit="暂无"))["level"] == "elevated"   # 30
    assert evaluate(Facts(role="seller", asks=["deposit"], account_age_days=1))["level"] == "high"    # 65


def test_stated_asks_fire_without_chat():
    r = evaluate(Facts(role="seller", asks=["ship-before-pay"]))
    assert ids(r) == ["ship-before-pay"] and r["reasons"][0]["evidence"][0]["kind"] == "stated"


# ---------------------------------------------------------------- checklist

def _checklist(role, category, **kw):
    return {i["id"]: i for i in evaluate(Facts(role=role, category=category, **kw))["checklist"]}


def test_checklist_by_role_and_category():
    seller = _checklist("seller", "phone")
    assert seller["photo-ids"]["command"] == "tradeshield photo"
    assert seller["record-packing"]["command"] == "tradeshield frames"
    assert {"seal-evidence", "insured-shipping", "stay-on-platform"} <= set(seller)
    assert "record-unboxing" not in seller and "walk-away" not in seller
    buyer = _checklist("buyer", "electronics")
    assert {"record-unboxing", "check-before-confirm", "stay-on-platform"} <= set(buyer)
    assert "insured-shipping" not in buyer
    card = _checklist("seller", "cardkey")
    assert card["cardkey-seal"]["command"].startswith("tradeshield cardkey seal")
    assert "record-packing" not in card
    assert "walk-away" in _checklist("seller", "phone", asks=["deposit", "off-platform"])


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("kw,key", [
    (dict(same_category_share=1.5), "check.bad_number"),
    (dict(price=-1), "check.bad_number"),
    (dict(trades=-3), "check.bad_number"),
    (dict(trades=2.5), "check.bad_number"),
    (dict(account_age_days=99999), "check.bad_number"),
    (dict(category="car"), "check.bad_category"),
    (dict(credit="superb"), "check.bad_credit"),
    (dict(asks=["teleport"]), "check.bad_ask"),
    (dict(trades=0, same_category_share=0.8), "check.contradiction"),
])
def test_bad_facts_are_refused(kw, key):
    with pytest.raises(UsageError) as e:
        evaluate(Facts(role="seller", **kw))
    assert e.value.key == key


def test_buyer_cannot_be_asked_to_ship_before_paying():
    with pytest.raises(UsageError) as e:
        evaluate(Facts(role="buyer", asks=["ship-before-pay"]))
    assert e.value.key == "check.ask_role"


def test_rules_file_is_data(tmp_path):
    text = (Path(__file__).parent.parent / "tradeshield" / "data" / "check_rules.toml").read_text(encoding="utf-8")
    edited = tmp_path / "rules.toml"
    edited.write_text(text.replace('id = "new-account"\ndetector = "new-account"\nweight = 20',
                                   'id = "new-account"\ndetector = "new-account"\nweight = 70'), encoding="utf-8")
    facts = {"role": "seller", "account_age_days": 2}
    assert run_check(facts, use_watchlist=False)["level"] == "low"
    assert run_check(facts, rules_path=edited, use_watchlist=False)["level"] == "high"
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace("patterns = [", "patterns = ['(unclosed',", 1), encoding="utf-8")
    with pytest.raises(InputError) as e:
        run_check(facts, rules_path=broken)
    assert e.value.key == "check.rules_bad"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_safe_and_own_words_never_count(text):
    f = Facts(role="seller", category="phone")
    evaluate(f, [Msg(text)])
    assert evaluate(f, [Msg(text, role="me")])["reasons"] == []


# ---------------------------------------------------------------- CLI

STORY = ["check", "--role", "seller", "--category", "phone", "--price", "1100", "--listed", "1150", "--credit", "极好",
         "--trades", "312", "--same-category-share", "0.9", "--account-age-days", "900"]


def test_cli_story_json_and_text(cli):
    r = cli(*STORY, "--json")
    assert r.code == 0, r
    data = r.json
    assert data["level"] == "elevated" and data["score"] == 30 and ids(data) == ["dealer-pattern"]
    r = cli(*STORY)
    assert r.code == 0
    assert "risk: elevated (score 30" in r.stdout
    assert "312 trades, about 90%" in r.stdout and "(tradeshield photo)" in r.stdout
    assert "(tradeshield frames)" in r.stdout and "(tradeshield seal)" in r.stdout
    r = cli("--lang", "zh", *STORY)
    assert "风险：偏高" in r.stdout and "约 90%" in r.stdout


def test_cli_profile_gives_the_same_facts(cli, tmp_path):
    prof = tmp_path / "counterparty.toml"
    prof.write_text('role = "seller"\ncategory = "phone"\nprice = 1100\nlisted = 1150\ncredit = "极好"\n'
                    'trades = 312\nsame_category_share = 0.9\naccount_age_days = 900\n'
                    'messages = [{role = "them", text = "便宜50就确认收货"}]\n', encoding="utf-8")
    r = cli("check", "--profile", prof, "--json")
    assert r.code == 0, r
    assert ids(r.json) == ["dealer-pattern", "refund-extortion"] and r.json["level"] == "high"
    r2 = cli("check", "--profile", prof, "--trades", "10", "--json")      # the command line wins
    assert ids(r2.json) == ["refund-extortion"]


@pytest.mark.parametrize("args,message", [
    (["--role", "seller", "--same-category-share", "1.5"], "same_category_share is out of range: 1.5 (expected 0–1)"),
    (["--role", "seller", "--trades", "0", "--same-category-share", "0.5"], "contradictory facts: a same-category share of 0.5 with 0 trades"),
    (["--role", "buyer", "--ask", "ship-before-pay"], "request ship-before-pay does not fit role buyer (the other side is the seller)"),
    (["--category", "phone"], "no role: pass --role seller|buyer (or run inside a case)"),
    (["--role", "seller", "--chat", "missing.txt"], "file not found: missing.txt"),
])
def test_cli_bad_facts_exit_2(cli, args, message):
    r = cli("check", *args)
    assert r.code == 2 and r.stderr.strip() == f"tradeshield: {message}", r


def test_cli_bad_profile(cli, tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('role = "seller"\ntrade = 5\n', encoding="utf-8")
    r = cli("check", "--profile", p)
    assert r.code == 2 and r.stderr.startswith("tradeshield: unknown key in the profile: trade")
    p.write_text('role = "seller\n', encoding="utf-8")
    r = cli("check", "--profile", p)
    assert r.code == 2 and r.stderr.startswith(f"tradeshield: cannot read the profile {p}")


def test_cli_in_case_stores_result_and_uses_case_role(cli, case):
    r = cli("check", "--category", "phone", "--account-age-days", "2", "--credit", "暂无", "--json", cwd=case.root)
    assert r.code == 0, r
    assert r.json["role"] == "seller" and r.json["facts"]["price"] == 1100      # from case.toml
    stored = json.loads((case.root / "facts" / "check.json").read_text(encoding="utf-8"))
    assert stored["level"] == "elevated" and ids(stored) == ["new-account", "unknown-credit"]
    assert any(e["action"] == "facts:check" for e in case.custody.entries())


def test_chat_without_parser_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tradeshield.chat", None)
    chat = tmp_path / "chat.txt"
    chat.write_text("2024-03-02 14:05:11 李四\n加我微信\n\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        run_check({"role": "seller", "chat": str(chat)})
    assert e.value.key == "check.no_chat_parser"


def test_cli_chat_file(cli, tmp_path):
    pytest.importorskip("tradeshield.chat")
    chat = tmp_path / "chat.txt"
    chat.write_text("2024-03-02 14:05:11 李四(闲鱼买家)\n你好，手机还在吗？\n\n"
                    "2024-03-02 14:06:40 我\n在的，我明天发货\n\n"
                    "2024-03-02 14:07:02 李四(闲鱼买家)\n闲鱼太麻烦了，加我微信直接转账给你\n\n", encoding="utf-8")
    r = cli("check", "--role", "seller", "--category", "phone", "--chat", chat, "--me", "我", "--json")
    assert r.code == 0, r
    assert {"off-platform-contact", "off-platform-payment"} <= set(ids(r.json))
    ev = next(x for x in r.json["reasons"] if x["id"] == "off-platform-contact")["evidence"][0]
    assert ev["line"] in (7, 8) and "加我微信" in ev["text"] and len(ev["source"]) == 64   # header or text line


@pytest.mark.parametrize("cmd", [["check"], ["watch", "add"], ["watch", "list"], ["watch", "remove"],
                                 ["watch", "export"], ["watch", "import"], ["cardkey", "seal"], ["cardkey", "split"],
                                 ["cardkey", "prove"], ["cardkey", "verify"]])
def test_help_has_example(cli, cmd):
    r = cli(*cmd, "--help")
    assert r.code == 0 and "Example: tradeshield " + cmd[0] in r.stdout
