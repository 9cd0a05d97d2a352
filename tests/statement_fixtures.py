"""Fixture cases for statement tests: facts files written exactly as docs/ARCHITECTURE.md's contract says."""
from __future__ import annotations

from pathlib import Path

from tradeshield.evidence.case import Case

ME = {"seller": "木白术", "buyer": "海孤独"}
THEM = {"seller": "远方私人", "buyer": "木白术"}


def _file(tmp: Path, name: str, body: str) -> Path:
    p = tmp / name
    p.write_text(body, encoding="utf-8")
    return p


def _chat_event(kind, time, role, role_name, text, sha, lines, amount=None):
    ev = {"kind": kind, "time": time, "sender": role_name, "role": role, "text": text, "matched": text[:4],
          "ref": {"source": sha, "lines": lines}}
    if amount is not None:
        ev["amount"] = amount
    return ev


def full_case(tmp: Path, role: str = "seller") -> Case:
    """A case holding every fact any scenario needs."""
    case = Case.init(tmp / f"case-{role}", role=role, platform="xianyu", item="海信A5Pro", price=1100,
                     order="1234567890", counterparty=THEM[role])
    src = tmp / f"src-{role}"
    src.mkdir()
    files = {n: _file(src, n, f"{n} original content\n") for n in
             ("chat.txt", "courier.txt", "packing.mp4.txt", "IMG_0012.txt", "returned.txt", "invoice.txt")}
    items = {r.item.path.split("/")[-1]: r.item.sha256 for r in case.add(list(files.values()))}
    chat, courier, video = items["chat.txt"], items["courier.txt"], items["packing.mp4.txt"]
    photo, back, inv = items["IMG_0012.txt"], items["returned.txt"], items["invoice.txt"]
    buyer, seller = ("them", "me") if role == "seller" else ("me", "them")
    bname, sname = (THEM[role], ME[role]) if role == "seller" else (ME[role], THEM[role])
    events = [
        _chat_event("agreement", "2021-05-20T21:00:00+08:00", seller, sname, "二手手机，无拆修，售出不退", chat, [3, 4]),
        _chat_event("requirement", "2021-05-20T21:05:00+08:00", buyer, bname, "首页按模板改版", chat, [5, 5]),
        _chat_event("requirement", "2021-05-20T21:06:00+08:00", buyer, bname, "采集全部商品数据", chat, [6, 6]),
        _chat_event("receipt-ack", "2021-05-25T19:02:00+08:00", buyer, bname, "收到了，挺新的", chat, [10, 11]),
        _chat_event("discount-request", "2021-05-29T20:01:00+08:00", buyer, bname, "便宜50吧，不然我退了", chat,
                    [21, 22], amount="50"),
        _chat_event("refund-request", "2021-05-29T20:09:00+08:00", buyer, bname, "已申请退款", chat, [25, 25]),
        _chat_event("defect-claim", "2021-05-29T20:09:30+08:00", buyer, bname, "手机开不了机", chat, [26, 26]),
        _chat_event("threat", "2021-05-29T20:30:00+08:00", "them", THEM[role], "你等着，我投诉你", chat, [30, 30]),
        _chat_event("off-platform", "2021-05-20T20:00:00+08:00", "them", THEM[role], "加微信转账便宜点", chat, [1, 2]),
    ]
    case.write_facts("chat", {"sources": [{"sha256": chat, "path": "evidence/chat.txt", "format": "wangwang",
                                           "messages": 40}],
                              "messages_path": "derived/chat.jsonl", "me": ME[role], "events": events}, sources=[chat])
    # agreed terms count only when the user confirmed them (issue 19): confirm the agreement and requirements
    from tradeshield.conversation.facts import decide, suggested_events

    for ev in suggested_events(case):
        if ev["kind"] in ("agreement", "requirement"):
            decide(case, ev["id"], "confirmed")
    case.write_facts("courier", {"sources": [{"sha256": courier, "path": "evidence/courier.txt"}], "events": [
        {"time": "2021-05-23T10:12:00+08:00", "status": "picked-up", "text": "顺丰速运 已收取快件",
         "ref": {"source": courier, "lines": [1, 1]}},
        {"time": "2021-05-24T08:00:00+08:00", "status": "in-transit", "text": "快件到达 杭州中转场",
         "ref": {"source": courier, "lines": [2, 2]}},
        {"time": "2021-05-25T14:30:00+08:00", "status": "signed", "text": "已签收，签收人：快递柜", "signer": "快递柜",
         "ref": {"source": courier, "lines": [3, 3]}}]}, sources=[courier])
    case.write_facts("frames", {"videos": [{
        "sha256": video, "path": "evidence/packing.mp4.txt", "duration": 95.4, "width": 1080, "height": 1920,
        "time_source": "creation_time", "start": "2021-05-23T09:40:00+08:00", "sheet": "derived/frames/x/sheet.jpg",
        "frames": [{"path": "derived/frames/x/f0001.jpg", "pts": 0.0, "wall_time": "2021-05-23T09:40:00+08:00",
                    "position": 0, "reason": "interval", "barcodes": []}],
        "continuity": {"verdict": "clean", "warnings": []}}]}, sources=[video])
    case.write_facts("photos", {"photos": [
        {"path": "evidence/IMG_0012.txt", "sha256": photo, "label": "serial", "capture_time": "2021-05-22T18:00:00+08:00",
         "capture_source": "exif", "make": "HUAWEI", "model": "P30", "upload_copy": "derived/upload/IMG_0012.jpg",
         "barcodes": [], "serials": [{"type": "imei", "value": "352099001761481", "valid": True, "tac": "35209900",
                                      "source": "barcode"}]},
        {"path": "evidence/returned.txt", "sha256": back, "label": "returned", "capture_time": "2021-06-05T12:00:00+08:00",
         "capture_source": "exif", "make": "HUAWEI", "model": "P30", "upload_copy": "derived/upload/returned.jpg",
         "barcodes": [], "serials": [{"type": "imei", "value": "356938035643809", "valid": True, "source": "ocr"}]}]},
        sources=[photo, back])
    case.write_facts("compare", {"comparisons": [{"before": [photo], "after": [back], "verdict": "different",
                                                  "reasons": ["IMEI 不同"], "image": "derived/compare/1.jpg"}]},
                     sources=[photo, back])
    case.write_facts("invoice", {"documents": [{"sha256": inv, "path": "evidence/invoice.txt", "type": "e-invoice",
                                                "pages": ["derived/invoice/p1.jpg"], "fields": {
        "invoice_number": {"value": "23112000000012345678", "source_text": "发票号码：23112000000012345678"},
        "date": {"value": "2020-11-02", "source_text": "开票日期：2020年11月02日"},
        "seller_name": {"value": "某某电子商务有限公司", "source_text": "名称：某某电子商务有限公司"},
        "total": {"value": "1200.00", "source_text": "（小写）¥1200.00"},
        "items": {"value": [{"name": "海信A5Pro", "spec": "4+64G", "amount": "1200.00"}]}}}]}, sources=[inv])
    case.write_facts("seal", {"code": "TS1-7K3M-Q9PX-2ABC", "root": "ab" * 32, "time": "2021-05-23T09:55:00+08:00",
                              "bundle": None})
    case.write_facts("cardkey", {"commitment": "c0ffee" * 10 + "abcd", "algorithm": "sha256", "count": 3,
                                 "sealed_at": "2021-05-20T22:00:00+08:00",
                                 "segments": [{"n": 1, "produced_at": "2021-05-20T22:01:00+08:00"}]})
    for when, kind, note in (("2021-05-20 22:30", "paid", None), ("2021-05-29 20:03", "discount-refused", None),
                             ("2021-05-21 10:00", "card-key-delivered", None),
                             ("2021-05-26 10:00", "received", "首页模板文件（未改版）"),
                             ("2021-06-05 11:00", "return-received", "退货 SF9876543210"),
                             ("2021-06-10 09:00", "ruling", "支持买家退款")):
        case.add_event(when, kind, note=note)
    return case
