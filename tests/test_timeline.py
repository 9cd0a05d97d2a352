"""timeline: case + chat + courier + evidence merged in order, the four patterns flagged with their evidence."""
from __future__ import annotations

from tradeshield.chat.store import import_chat
from tradeshield.courier import import_courier
from tradeshield.timeline import build_timeline

CHAT = """买家
buyer1 2024-05-01 10:00:00
能便宜50吗

卖家
shop 2024-05-01 10:05:00
不行，已经最低了

买家
buyer1 2024-05-01 10:20:00
手机开不了机，我要退款

买家
buyer1 2024-05-01 11:00:00
加我微信，支付宝转账

"""
SF = "2024-04-28 09:00:00 已签收,签收人：本人\n2024-04-27 18:12:45 顺丰速运 已收取快件\n"


def _setup(case, tmp_path, chat=CHAT):
    (tmp_path / "c.txt").write_text(chat, encoding="utf-8")
    (tmp_path / "sf.txt").write_text(SF, encoding="utf-8")
    import_chat(case, tmp_path / "c.txt", me="shop")
    import_courier(case, tmp_path / "sf.txt")


def test_patterns_flagged_with_evidence(case, tmp_path):
    _setup(case, tmp_path)
    case.add_event("2024-05-10 09:00", "evidence-submitted", note="buyer uploaded a video")
    tl = build_timeline(case, refund_hours=24, late_days=3)
    times = [e["time"] for e in tl["entries"]]
    assert times == sorted(times)
    origins = {e["origin"] for e in tl["entries"]}
    assert {"chat", "courier", "case"} <= origins
    codes = [p["code"] for p in tl["patterns"]]
    assert codes.count("refund-after-refused-discount") == 1
    assert "late-defect-claim" in codes and "off-platform" in codes and "late-evidence" in codes
    p = tl["patterns"][codes.index("refund-after-refused-discount")]
    assert [e["kind"] for e in p["evidence"]] == ["discount-request", "discount-refused", "refund-request"]
    assert "15 minutes" in p["en"] and "15分钟" in p["zh"] and "小时" not in p["zh"]   # natural units, not "0.2 h"


def test_times_shown_in_the_case_zone(case, tmp_path):
    """A UTC time (a video's container time) is shown in the case's zone, not as 01:40."""
    from tradeshield.timeline import collect

    case.add_event("2021-05-23T01:40:00+00:00", "shipped")
    e = [e for e in collect(case) if e["kind"] == "shipped"][0]
    assert e["time"].startswith("2021-05-23T09:40:00+08:00")


def test_kind_labels_are_chinese():
    from tradeshield.timeline import kind_label

    for kind in ("captured:photo", "courier:signed", "discount-request", "interval-unknown", "evidence-submitted"):
        assert kind_label(kind, "zh").isascii() is False


def test_no_pattern_when_refund_comes_late(case, tmp_path):
    chat = CHAT.replace("2024-05-01 10:20:00", "2024-05-03 10:20:00").replace("11:00:00", "12:00:00")
    _setup(case, tmp_path, chat)
    codes = [p["code"] for p in build_timeline(case, refund_hours=24)["patterns"]]
    assert "refund-after-refused-discount" not in codes


def test_cli_timeline_json_and_image(cli, case, tmp_path):
    _setup(case, tmp_path)
    r = cli("timeline", "--json", cwd=case.root)
    assert r.code == 0, r
    assert r.json["patterns"] and (case.root / r.json["image"]["path"]).is_file()
    r = cli("timeline", cwd=case.root, env={"TRADESHIELD_LANG": "zh"})
    assert r.code == 0 and "⚑" in r.stdout
