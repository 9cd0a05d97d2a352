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
    assert evs[1]["place"] == "丰巢智能柜(花园小区)" and "signer" not in evs[1] and evs[1]["ref"]["lines"] == [3, 4]
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


def test_cli_courier_binary_is_refused_before_it_joins_the_case(cli, case, tmp_path):
    """A screenshot or PDF given as tracking text: one line naming the user's file (it named the case's copy and
    called it a chat export), and nothing is added to the case."""
    p = tmp_path / "trace.png"
    p.write_bytes(bytes(range(256)) * 40)
    before = sorted(x.name for x in (case.root / "evidence").rglob("*"))
    r = cli("courier", p, cwd=case.root)
    assert r.code == 2 and "not courier tracking text" in r.stderr and "trace.png" in r.stderr, r
    assert "evidence" not in r.stderr and "Traceback" not in r.stderr
    assert sorted(x.name for x in (case.root / "evidence").rglob("*")) == before


# ---------------------------------------------------------------- layouts as copied from carriers' pages and apps
# Phrasing follows public traces: YTO (LeeypOR/store-decoration-uniapp pagesA/shop/logisticData.js, a 快递100
# response), ZTO (CaniceZ/antd-vue3 examples/mock/api/tms2/king/waybill/trace/query.js), SF route remarks
# (honghua-kd/website logisticsRoutes.ts), STO's page printing the time after the text with one-digit seconds
# (terryhuangbo/placeorder logistic/detail.php), Yunda locker text (a public Kotlin preview data set). Names and
# numbers are replaced.

def statuses(text, **kw):
    return [(e["status"], e.get("signer"), e.get("place")) for e in parse_courier(text, "+08:00", **kw)]


def test_pickup_is_never_delivery_whoever_the_taker_is():
    text = ("2024-05-01 18:02:11 【杭州市】【浙江杭州西湖公司】 已揽收 取件人: 刘某 (138****1234)\n"
            "2024-05-02 07:40:00 【杭州市】 快件离开 【杭州中转部】 已发往 【上海中转部】\n")
    assert statuses(text) == [("picked-up", None, None), ("in-transit", None, None)]


def test_signer_is_a_name_not_a_status_word_yto_newest_first():
    text = ("2021-06-14 17:31:57 客户签收人: 已签收，签收人凭取货码签收。 已签收 感谢使用圆通速递，期待再次为您服务\n"
            "2021-06-14 13:53:38 快件已由济南历城区翡翠雅郡北区西门店代收，请及时取件，如有疑问请联系155****2271\n"
            "2021-06-14 12:13:56 【山东省济南市孙村公司】 已收入\n"
            "2021-06-13 20:01:02 【山东省临沂市公司】 已揽收\n")
    evs = parse_courier(text, "+08:00")
    assert [e["status"] for e in evs] == ["picked-up", "in-transit", "proxy-signed", "proxy-signed"]
    assert "signer" not in evs[-1]                      # 已签收 is not a person
    assert evs[2]["place"] == "济南历城区翡翠雅郡北区西门店"  # the station that took it in
    assert evs[0]["ref"]["lines"] == [4, 4]


def test_zto_locker_drop_and_collection_name_the_locker():
    text = ("【苏州市】 您的快递已签收, 签收人在【丰巢的索特传动设备西门丰巢柜2号柜(丰巢智能快递柜)】(索特传动设备西门丰巢柜2号柜)领取。\n"
            "2022-09-20 16:20:38\n"
            "【苏州市】 快件已被【丰巢的索特传动设备西门丰巢柜2号柜(丰巢智能快递柜)】代收，如有问题请电联（4000633333）\n"
            "2022-09-20 09:51:07\n"
            "【苏州市】 【常熟天下淘宝四】 的王翔（137****4974） 正在第1次派件, 请保持电话畅通\n"
            "2022-09-20 08:04:25\n")
    evs = parse_courier(text, "+08:00")  # the time below its text, newest first
    assert [e["status"] for e in evs] == ["out-for-delivery", "proxy-signed", "proxy-signed"]
    locker = "丰巢的索特传动设备西门丰巢柜2号柜(丰巢智能快递柜)"
    assert evs[1]["place"] == locker and evs[2]["place"] == locker
    assert evs[1]["time"] == "2022-09-20T09:51:07+08:00" and evs[1]["ref"]["lines"] == [3, 4]
    assert all("signer" not in e for e in evs)


def test_sf_time_on_its_own_line_oldest_first_with_signer():
    text = ("2023-11-04 10:30:56\n顺丰速运 已收取快件\n2023-11-04 13:33:39\n快件离开 【上海浦东康桥店】，已在发往 【上海浦江中转场】 的路上\n"
            "2023-11-05 09:12:00\n快件交给张师傅，正在派送途中（联系电话：138****0000）\n"
            "2023-11-05 11:40:21\n已签收，签收人是：【李四】，感谢使用顺丰\n")
    assert statuses(text) == [("picked-up", None, None), ("in-transit", None, None), ("out-for-delivery", None, None),
                              ("signed", "李四", None)]


def test_sto_text_then_time_with_one_digit_seconds():
    text = ("由【浙江宁波望春公司】发往【浙江宁波中转部】 2016-5-12  16:45:5\n"
            "【浙江宁波望春公司】的收件员【王五】已收件 2016-5-12  14:02:33\n")
    evs = parse_courier(text, "+08:00")
    assert [(e["status"], e["time"]) for e in evs] == [("picked-up", "2016-05-12T14:02:33+08:00"),
                                                       ("in-transit", "2016-05-12T16:45:05+08:00")]


def test_yunda_cainiao_station_pickup_code_and_collection():
    text = ("2024-11-15 12:05:33 【杭州市】浙江杭州西湖区配送站 快递员 李师傅(138****5678) 正在为您派件\n"
            "2024-11-15 16:45:22 【代收点】您的快件已投递至星河湾小区南门智能快递柜（3号柜），取件码：7890，联系快递员：李师傅\n"
            "2024-11-16 09:10:00 您的包裹已从【星河湾小区菜鸟驿站】取出，如有疑问请联系驿站\n")
    evs = parse_courier(text, "+08:00")
    assert [e["status"] for e in evs] == ["out-for-delivery", "proxy-signed", "proxy-signed"]
    assert evs[1]["place"] == "星河湾小区南门智能快递柜（3号柜）"
    assert evs[2]["place"] == "星河湾小区菜鸟驿站"


def test_jd_and_ems_own_signature_and_reception_desk():
    jd = ("2024-03-02 08:00:01 您的快件已由京东快递揽收，运单号JDX000123456789\n"
          "2024-03-03 09:30:00 配送员【赵六】已出发，联系电话138****1111，感谢您的耐心等待\n"
          "2024-03-03 11:02:45 您的订单已由本人签收。感谢您在京东购物，欢迎再次光临\n")
    assert statuses(jd) == [("picked-up", None, None), ("out-for-delivery", None, None), ("signed", "本人", None)]
    ems = ("2024-03-05 10:11:12 【北京市】已投递并签收，签收人：单位收发章，投递员：钱七\n"
           "2024-03-05 08:11:12 【北京市】北京市海淀区邮政揽投部安排投递，投递员：钱七\n")
    evs = parse_courier(ems, "+08:00")
    assert [e["status"] for e in evs] == ["out-for-delivery", "proxy-signed"]
    assert evs[1]["signer"] == "单位收发章"


def test_date_line_then_clock_line():
    text = "2024-04-12\n16:20:03\n已签收，签收人：张三\n2024-04-11\n22:40:17\n快件到达 【上海浦东集散中心】\n"
    assert statuses(text) == [("in-transit", None, None), ("signed", "张三", None)]


def test_cainiao_station_arrival_and_collection_time_after_text():
    text = ("【菜鸟驿站】您的包裹已到达【星河湾小区菜鸟驿站】，请凭取件码 3-2-1001 前往领取\n2024-11-15 16:45:22\n"
            "您的包裹已被取件，签收人凭取件码签收，如有疑问请联系驿站\n2024-11-16 09:10:00\n")
    evs = parse_courier(text, "+08:00")
    assert [(e["status"], e.get("place"), e.get("signer")) for e in evs] == [
        ("proxy-signed", "星河湾小区菜鸟驿站", None), ("proxy-signed", None, None)]
    assert [e["ref"]["lines"] for e in evs] == [[1, 2], [3, 4]]
