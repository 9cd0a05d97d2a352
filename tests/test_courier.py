"""courier: SF and other couriers' tracking text → events, both orders, who signed, proxy signing."""
from __future__ import annotations

import json

from tradeshield.courier import carrier_of, parse_courier

SF = """2024-04-12 16:20:03 已签收,感谢使用顺丰,期待再次为您服务
2024-04-12 09:03:51 [上海市]快件交给张师傅,正在派送途中（联系电话：138****0000）
2024-04-11 22:40:17 快件到达 【上海浦东集散中心】
2024-04-10 18:12:45 顺丰速运 已收取快件
"""
ZTO = """2024-04-10 18:12:45
【苏州市】 快件已经到达 【网点】
2024-04-11 10:00:00
快件已被【丰巢智能柜(花园小区)】代收，请及时取件
2024-04-12 09:00:00 客户签收人: 张三 已签收
2024-04-13 09:00:00 快件派送不成功(因电话无人接听),正在处理中
2024-04-14 09:00:00 买家拒收，快件退回
"""


def test_sf_newest_first_becomes_oldest_first():
    evs = parse_courier(SF, "+08:00", "abc")
    assert [e["status"] for e in evs] == ["picked-up", "in-transit", "out-for-delivery", "signed"]
    assert [e["ref"]["lines"] for e in evs] == [[4, 4], [3, 3], [2, 2], [1, 1]]
    assert evs[-1]["time"] == "2024-04-12T16:20:03+08:00" and evs[0]["ref"]["source"] == "abc"
    assert carrier_of(SF) == "SF Express"


def test_time_on_its_own_line_proxy_and_problems():
    evs = parse_courier(ZTO)
    assert [e["status"] for e in evs] == ["in-transit", "proxy-signed", "signed", "problem", "returned"]
    assert evs[1]["signer"] == "丰巢智能柜(花园小区)" and evs[1]["ref"]["lines"] == [3, 4]
    assert evs[2]["signer"] == "张三"


def test_cli_courier(cli, case, tmp_path):
    p = tmp_path / "sf.txt"
    p.write_text(SF, encoding="utf-8")
    r = cli("courier", p, "--json", cwd=case.root)
    assert r.code == 0, r
    assert r.json["carrier"] == "SF Express" and len(r.json["events"]) == 4
    facts = json.loads((case.root / "facts" / "courier.json").read_text(encoding="utf-8"))
    assert facts["events"][-1]["status"] == "signed" and facts["sources"][0]["events"] == 4
    bad = tmp_path / "none.txt"
    bad.write_text("no times here\n", encoding="utf-8")
    r = cli("courier", bad, cwd=case.root)
    assert r.code == 2 and "no courier events" in r.stderr
