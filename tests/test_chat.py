"""chat: every format from DOMAIN.md layouts and the real corpus fixtures, encodings, order, provenance, CLI."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeshield.chat import find_events, read_chat
from tradeshield.chat.detect import detect
from tradeshield.errors import InputError

TAOBAO_NEWEST = """卖家
shop_abc旺旺离线
2023-03-02 21:40
好的，明天给您改
自己
2023-03-02 21:10
首页的栏目还没有改。
数据采集也没有做。
"""
QIANNIU = ("tb_buyer_0012024-05-06 10:01:33\r\n这个是国行吗\r\n已读\r\n"
           "某某数码旗舰店:小美 2024-05-06 10:02:10\r\n亲，是国行正品哦，支持官方验机\r\n已读\r\n")
WANGWANG = "买家\ntb_星星 2012-09-26 22:35:07\n亲，在吗？\n能便宜50吗\n\n卖家\n数码店:小美 2012-09-26 22:36:00\n不议价哦\n\n"
QQ = """消息记录（此消息记录为文本格式，不支持重新导入）

================================================================
消息分组:我的好友
================================================================
消息对象:王五
================================================================

2023-07-01 9:15:02 王五(123456789)
耳机收到了，右耳没声音

2023-07-01 9:20:45 我的昵称(987654321)
发货前测试过是好的，麻烦拍个视频

2019-09-23 8:43:38 PM 骰娘(87200175)
[图片]
"""
WECHAT_TXT = """2024-03-02 14:05:11 李四(闲鱼买家)
你好，手机还在吗？

2024-03-02 14:06:40 我
在的，成色95新，电池87%

2024-03-02 14:07:02 李四(闲鱼买家)
[图片]

2024-03-02 14:09:30 "李四(闲鱼买家)" 撤回了一条消息

"""
WECHAT_CSV = ("\ufefflocalId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender\n"
              "1,5,1,0,0,1709359511,2,你好，手机还在吗？,2024-03-02 14:05:11,李四,lisi,wxid_a\n"
              "2,5,1,0,1,1709359600,2,\"在的，\n成色95新\",2024-03-02 14:06:40,,,wxid_me\n"
              "3,5,3,0,0,1709359622,2,,2024-03-02 14:07:02,李四,lisi,wxid_a\n")
WECHAT_HTML = """<html><script>
const chatMessages = [
{ type:1, text:'你好，还在吗？', is_send:0, avatar_path:'a.png', timestamp:1709359511, is_chatroom:0, displayname:'李四'},
{ type:1, text:'在的，it\\'s fine', is_send:1, avatar_path:'b.png', timestamp:1709359600, is_chatroom:0, displayname:'我'},
];
</script></html>"""
CSV_GENERIC = "时间,发送者,内容\n2024-03-02 14:05,李四,能便宜100元吗\n2024-03-02 14:06,海孤独,不行\n"
PASTE = """2024-03-02 14:05
远方私人：在吗，能便宜点吗
海孤独：不议价
请勿线下交易，谨防诈骗
14:30
远方私人：那算了
"""


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def lines_of(path, enc="utf-8"):
    return path.read_bytes().decode(enc).replace("\r\n", "\n").split("\n")


# ---------------------------------------------------------------- formats

def test_taobao_newest_first_comes_out_oldest_first(tmp_path):
    p = write(tmp_path, "tb.txt", TAOBAO_NEWEST)
    conv = read_chat(p, me="木白术")
    assert conv.format == "taobao" and conv.order == "newest-first"
    assert [m.text for m in conv.messages] == ["首页的栏目还没有改。\n数据采集也没有做。", "好的，明天给您改"]
    assert [(m.sender, m.role) for m in conv.messages] == [("木白术", "me"), ("shop_abc", "them")]
    assert [(m.line_start, m.line_end) for m in conv.messages] == [(5, 8), (1, 4)]
    assert conv.messages[0].time.isoformat() == "2023-03-02T21:10:00+08:00"
    assert any(w["code"] == "newest_first" for w in conv.warnings)


def test_qianniu_concatenated_name_and_crlf(tmp_path):
    conv = read_chat(write(tmp_path, "qn.txt", QIANNIU))
    assert conv.format == "taobao"
    assert [m.sender for m in conv.messages] == ["tb_buyer_001", "某某数码旗舰店:小美"]
    assert [m.text for m in conv.messages] == ["这个是国行吗", "亲，是国行正品哦，支持官方验机"]  # 已读 dropped
    assert [(m.line_start, m.line_end) for m in conv.messages] == [(1, 3), (4, 6)]


def test_wangwang_blocks_multiline_and_side(tmp_path):
    conv = read_chat(write(tmp_path, "ww.txt", WANGWANG), side="seller")
    assert [m.role for m in conv.messages] == ["them", "me"]
    assert conv.messages[0].text == "亲，在吗？\n能便宜50吗"
    assert (conv.messages[0].line_start, conv.messages[0].line_end) == (1, 4)


def test_qq_variants(tmp_path):
    conv = read_chat(write(tmp_path, "qq.txt", QQ), me="987654321")
    assert conv.format == "qq"
    assert [m.sender for m in conv.messages] == ["骰娘", "王五", "我的昵称"]
    assert [m.role for m in conv.messages] == ["them", "them", "me"]
    assert conv.messages[0].time.isoformat() == "2019-09-23T20:43:38+08:00"
    assert conv.messages[1].time.hour == 9 and conv.messages[1].attachments == []
    assert conv.messages[0].attachments == ["[图片]"]
    assert "=" not in conv.messages[2].text


def test_wechat_txt_system_line_and_attachment(tmp_path):
    p = write(tmp_path, "wx.txt", WECHAT_TXT)
    conv = read_chat(p)
    assert conv.format == "wechat-txt"
    assert [m.role for m in conv.messages] == ["them", "me", "them", "system"]
    assert conv.messages[2].attachments == ["[图片]"]
    assert conv.messages[3].text.endswith("撤回了一条消息") and conv.messages[3].line_start == 10


def test_wechat_csv(tmp_path):
    conv = read_chat(write(tmp_path, "wx.csv", WECHAT_CSV), tz="+08:00")
    assert conv.format == "wechat-csv"
    assert [m.role for m in conv.messages] == ["them", "me", "them"]
    assert conv.messages[1].text == "在的，\n成色95新"
    assert (conv.messages[1].line_start, conv.messages[1].line_end) == (3, 4)
    assert conv.messages[2].text == "[图片]" and conv.messages[0].time.isoformat() == "2024-03-02T14:05:11+08:00"


def test_wechat_html(tmp_path):
    conv = read_chat(write(tmp_path, "wx.html", WECHAT_HTML))
    assert conv.format == "wechat-html"
    assert [(m.role, m.text) for m in conv.messages] == [("them", "你好，还在吗？"), ("me", "在的，it's fine")]
    assert conv.messages[0].line_start == 3


def test_generic_csv_and_gbk(tmp_path):
    p = write(tmp_path, "g.csv", CSV_GENERIC, "gbk")
    conv = read_chat(p, me="海孤独")
    assert conv.format == "csv" and conv.encoding == "gb18030"
    assert [(m.sender, m.role) for m in conv.messages] == [("李四", "them"), ("海孤独", "me")]
    assert find_events(conv.messages)[0]["amount"] == "100"


def test_paste(tmp_path):
    conv = read_chat(write(tmp_path, "p.txt", PASTE), fmt="paste", me="海孤独")
    assert [(m.sender, m.role) for m in conv.messages] == [("远方私人", "them"), ("海孤独", "me"), ("", "system"),
                                                            ("远方私人", "them")]
    assert conv.messages[3].time.isoformat() == "2024-03-02T14:30:00+08:00"


@pytest.mark.parametrize("enc", ["utf-16", "utf-16-le", "gb18030", "utf-8-sig"])
def test_encodings(tmp_path, enc):
    p = write(tmp_path, "e.txt", WECHAT_TXT.replace("\n", "\r\n"), enc)
    conv = read_chat(p)
    assert conv.format == "wechat-txt" and len(conv.messages) == 4
    assert conv.messages[1].text == "在的，成色95新，电池87%"


# ---------------------------------------------------------------- real corpus fixtures

def _target(path):
    return [(t["timestamp"], t["author"], " ".join(t["message"].split())) for t in json.loads(path.read_text())]


@pytest.mark.parametrize("name", ["test_ddmmyy_24hrs.txt", "test_mmddyy_24hrs.txt", "test_mmddyyyy_12hrs.txt",
                                  "test_yyyymmdd_24hrs.txt", "test_bracketed_mmddyy_24hrs.txt"])
def test_whatsapp_corpus(corpus, name):
    conv = read_chat(corpus / "chats" / "whatsapp" / name, tz="+00:00")
    assert conv.format == "whatsapp", conv
    ours = [(m.time.strftime("%Y-%m-%dT%H:%M:%S"), m.sender, " ".join(m.text.split())) for m in conv.messages
            if m.role != "system" and m.text != "."]
    assert sorted(ours) == sorted(_target(corpus / "chats" / "whatsapp" / "target.json"))
    assert sum(m.role == "system" for m in conv.messages) == 2
    src = lines_of(corpus / "chats" / "whatsapp" / name)
    for m in conv.messages:   # provenance: the first line of the range holds the message's first words
        assert m.text.split("\n")[0][:10] in src[m.line_start - 1]


@pytest.mark.parametrize("name", ["test_single_export.json", "test_batch_export.json"])
def test_telegram_corpus(corpus, name):
    conv = read_chat(corpus / "chats" / "telegram" / name, tz="+00:00")
    assert conv.format == "telegram"
    ours = [(m.time.strftime("%Y-%m-%dT%H:%M:%S"), m.sender, m.text) for m in conv.messages]
    assert sorted(ours) == sorted(_target(corpus / "chats" / "telegram" / "target.json"))
    src = lines_of(corpus / "chats" / "telegram" / name)
    assert all("{" in src[m.line_start - 1] and "}" in src[m.line_end - 1] for m in conv.messages)


def test_signal_and_instagram_corpus(corpus):
    sig = read_chat(corpus / "chats" / "signal" / "test_export.txt", tz="+00:00")
    ours = [(m.time.strftime("%Y-%m-%dT%H:%M:%S"), m.sender, " ".join(m.text.split())) for m in sig.messages]
    assert sorted(ours) == sorted(_target(corpus / "chats" / "signal" / "target.json"))
    ig = read_chat(corpus / "chats" / "instagram" / "test_export.json", tz="+00:00")
    assert ig.format == "instagram" and [m.text for m in ig.messages] == ["Hello John!", "Hello Jane!"]


def test_qq_corpus(corpus):
    conv = read_chat(corpus / "chats" / "qq" / "qq_chat_history_file.txt")
    assert conv.format == "qq"
    assert [(m.sender, m.text, m.line_start) for m in conv.messages] == [("A", "A", 5), ("B", "B", 8)]


# ---------------------------------------------------------------- detection, bad input, events

def test_detect_confidence_and_unknown(tmp_path):
    assert detect(WECHAT_TXT).format == "wechat-txt"
    assert detect(QQ).format == "qq"
    p = write(tmp_path, "x.txt", "just some words\nwith no times at all\n" * 5)
    with pytest.raises(InputError) as e:
        read_chat(p)
    assert e.value.key == "chat.unknown_format" and "--format" in str(e.value)


def test_invalid_dates_skipped_with_line_numbers(tmp_path):
    bad = WECHAT_TXT.replace("2024-03-02 14:06:40", "2024-13-40 14:06:40")
    conv = read_chat(write(tmp_path, "bad.txt", bad), fmt="wechat-txt")
    assert len(conv.messages) == 3
    w = [w for w in conv.warnings if w["code"] == "skipped"]
    assert w and "1" in w[0]["en"] and "lines 4" in w[0]["en"]


def test_binary_and_empty(tmp_path):
    b = tmp_path / "b.bin"
    b.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(InputError) as e:
        read_chat(b)
    assert e.value.key == "chat.binary"
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(InputError) as e:
        read_chat(tmp_path / "empty.txt")
    assert e.value.key == "file.empty"


def test_events_kinds():
    from tradeshield.chat.model import Message

    texts = {"能便宜50吗": "discount-request", "我要退款": "refund-request", "手机开不了机": "defect-claim",
             "麻烦确认收货": "confirm-request", "加我微信，支付宝转账给你": "off-platform",
             "你的账户被冻结了，需要交保证金解冻": "fake-service", "我要投诉你": "threat", "骗子": "insult",
             "好的，就这么定了": "agreement", "必须是国行": "requirement", "退货吧": "return-request",
             "已经收到了": "receipt-ack", "I want a refund": "refund-request"}
    for text, kind in texts.items():
        kinds = [e["kind"] for e in find_events([Message(None, "x", "them", text, line_start=1, line_end=1)])]
        assert kind in kinds, (text, kinds)
    assert find_events([Message(None, "x", "them", "没有划痕，发货前测试过")]) == []


def test_chunk_boundaries_do_not_change_results(tmp_path):
    from tradeshield.chat.engine import Context, parse_chunks
    from tradeshield.chat.taobao import FORMAT

    text = (WANGWANG * 30) + TAOBAO_NEWEST
    whole = list(parse_chunks(FORMAT, [text], Context()))
    for size in (7, 50, 333):
        parts = [text[i:i + size] for i in range(0, len(text), size)]
        assert list(parse_chunks(FORMAT, parts, Context())) == whole


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list("买家卖自己\n 2024-0513:.:()[]图片abc旺离线,/PMam-\r\t")), max_size=400))
def test_parser_never_crashes_on_random_text(tmp_path, text):
    p = tmp_path / "r.txt"
    p.write_text(text, encoding="utf-8")
    for fmt in ("auto", "taobao", "qq", "qq-window", "wechat-txt", "whatsapp", "signal", "paste", "csv"):
        try:
            conv = read_chat(p, fmt=fmt)
        except InputError:
            continue
        n = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
        assert all(1 <= m.line_start <= m.line_end <= n for m in conv.messages)


# ---------------------------------------------------------------- CLI and case output

def test_cli_chat_into_case(cli, case, tmp_path):
    p = write(tmp_path, "ww.txt", TAOBAO_NEWEST + "\n" + WANGWANG.replace("2012", "2023"))
    r = cli("chat", p, "--me", "shop_abc", "--json", cwd=case.root)
    assert r.code == 0, r
    data = r.json
    assert data["messages"] == 4 and data["format"] == "taobao"
    lines = (case.root / "derived" / "chat.jsonl").read_text(encoding="utf-8").splitlines()
    msgs = [json.loads(x) for x in lines]
    assert [m["time"] for m in msgs] == sorted(m["time"] for m in msgs)
    src = lines_of(p)
    for m in msgs:
        assert m["source"] == data["sha256"]
        assert m["text"].split("\n")[0] in "\n".join(src[m["lines"][0] - 1:m["lines"][1]])
    facts = json.loads((case.root / "facts" / "chat.json").read_text(encoding="utf-8"))
    assert facts["sources"][0]["messages"] == 4
    assert "discount-request" in [e["kind"] for e in facts["events"]]
    assert p.read_text(encoding="utf-8").startswith("卖家")   # original untouched


def test_cli_errors_exit_2(cli, case, tmp_path):
    b = tmp_path / "b.txt"
    b.write_bytes(b"\x00\x01\x02\x03" * 1000)
    r = cli("chat", b, cwd=case.root)
    assert r.code == 2 and r.stderr.count("\n") == 1 and "binary" in r.stderr
    assert str(b) in r.stderr and ".incoming" not in r.stderr    # the user's file, not the case's copy of it
    u = write(tmp_path, "u.txt", "hello world\n" * 10)
    r = cli("chat", u, cwd=case.root)
    assert r.code == 2 and "unknown chat format" in r.stderr and "--format" in r.stderr
    assert str(u) in r.stderr and ".incoming" not in r.stderr
    r = cli("chat", tmp_path / "missing.txt", cwd=case.root)
    assert r.code == 2 and "not found" in r.stderr
    assert not (case.root / "derived" / "chat.jsonl").exists()
