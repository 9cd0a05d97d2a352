"""Input as people type it (issue 20): role, platform and category in Chinese or English; an unknown category is
checked as other with a note; init refuses to nest inside a case unless asked."""
from __future__ import annotations

import pytest

from tradeshield.errors import CaseError, UsageError
from tradeshield.evidence.case import Case
from tradeshield.labels import normalize


@pytest.mark.parametrize("kind,text,code", [
    ("role", "卖家", "seller"), ("role", "Buyer", "buyer"), ("role", "买家", "buyer"),
    ("platform", "闲鱼", "xianyu"), ("platform", "淘宝", "taobao"), ("platform", "转转", "zhuanzhuan"),
    ("platform", "Xianyu", "xianyu"), ("category", "手机", "phone"), ("category", "卡密", "cardkey"),
    ("category", "phone", "phone"), ("category", "书", None), ("category", "book", None)])
def test_aliases(kind, text, code):
    assert normalize(kind, text) == code


def test_init_takes_chinese_role_and_platform(tmp_path):
    case = Case.init(tmp_path / "c", role="卖家", platform="闲鱼")
    assert case.info["role"] == "seller" and case.info["platform"] == "xianyu"
    with pytest.raises(UsageError):
        Case.init(tmp_path / "d", role="路人")


def test_init_refuses_to_nest_unless_asked(tmp_path):
    outer = Case.init(tmp_path / "outer", role="seller")
    with pytest.raises(CaseError) as e:
        Case.init(outer.root / "evidence" / "inner", role="buyer")
    assert e.value.key == "case.nested"
    inner = Case.init(outer.root / "sub", role="buyer", allow_nested=True)
    assert inner.info["role"] == "buyer"


def test_unknown_category_is_other_with_a_note():
    from tradeshield.check import run_check

    for cat in ("书", "book"):
        res = run_check({"role": "卖家", "category": cat, "price": 30}, use_watchlist=False)
        assert res["category"] == "other" and res["notes"][0]["code"] == "category-other"
        assert cat in res["notes"][0]["zh"]
    res = run_check({"role": "seller", "category": "手机", "price": 1100}, use_watchlist=False)
    assert res["category"] == "phone" and "notes" not in res


def test_cli_init_nested_is_one_line_exit_2(cli, tmp_path):
    r = cli("init", str(tmp_path / "c"), "--role", "卖家", "--platform", "闲鱼")
    assert r.code == 0, r
    r = cli("init", "inner", cwd=tmp_path / "c", env={"TRADESHIELD_LANG": "zh"})
    assert r.code == 2 and "嵌套" in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
