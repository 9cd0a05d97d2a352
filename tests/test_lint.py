"""lint: masked words, insults, threats, absolute claims with alternatives; first-message checks; CLI."""
from __future__ import annotations

import pytest

from tradeshield.lint import KINDS, find_words, lint_text, load_words


def test_word_list_is_complete_and_bilingual():
    words = load_words()
    assert {w.lang for w in words} == {"zh", "en"}
    assert {w.kind for w in words} == set(KINDS)
    for w in words:
        assert w.alt.strip() and w.kind in KINDS
    assert {"无耻", "贩子", "骗子"} <= {w.text for w in words}


def test_flags_masked_words_with_alternatives():
    found = find_words("这个贩子太无耻了，是个骗子，你等着！我绝对没错。", lang="zh")
    assert [(f.word, f.kind) for f in found] == [("贩子", "masked"), ("无耻", "masked"), ("骗子", "insult"),
                                                 ("你等着", "threat"), ("绝对", "absolute")]
    assert all(f.alt for f in found)
    assert (found[0].line, found[0].col) == (1, 3)


def test_english_whole_words_only():
    found = find_words("You SCAMMER. Scampi is food; a scam? You will regret this.\nNever again.", lang="en")
    assert [f.word for f in found] == ["SCAMMER", "scam", "You will regret", "Never"]
    assert found[-1].line == 2 and found[-1].col == 1


def test_quoted_words_are_marked():
    found = find_words("对方说：「你这个骗子」。我没有回应。")
    assert len(found) == 1 and found[0].quoted


def test_first_message_checks():
    r = lint_text("这个人收到货以后一直找理由退款。")
    assert [w.code for w in r.warnings] == ["first-no-date", "first-no-fact"]
    r = lint_text("订单 1234567890：买家 2021-05-29 20:01 要求优惠 ¥50，8 分钟后申请退款。")
    assert r.clean
    # only the first message counts: a date in the second message does not help
    long = "买家在签收后要求降价，被拒后申请退款" + "，理由不成立" * 40 + "。2021-05-29 20:01 ¥50"
    r = lint_text(long, limit=100)
    assert "first-no-date" in [w.code for w in r.warnings]


@pytest.mark.parametrize("lang,expected", [("en", "word platforms mask"), ("zh", "平台会屏蔽的词")])
def test_cli_lint(tmp_path, cli, lang, expected):
    draft = tmp_path / "draft.txt"
    draft.write_text("这个贩子太无耻了！", encoding="utf-8")
    r = cli("lint", draft, "--lang", lang)
    assert r.code == 1 and "贩子" in r.stdout and expected in r.stdout
    r = cli("lint", draft, "--json")
    assert r.code == 1 and [f["word"] for f in r.json["findings"]] == ["贩子", "无耻"]
    clean = tmp_path / "clean.txt"
    clean.write_text("订单 1234567890：买家 2021-05-29 20:01 要求优惠 ¥50。", encoding="utf-8")
    r = cli("lint", clean, "--json")
    assert r.code == 0 and r.json["clean"]
    r = cli("lint", tmp_path / "missing.txt", "--lang", "en")
    assert r.code == 2 and r.stderr.strip() == f"tradeshield: file not found: {tmp_path / 'missing.txt'}"


def test_cli_split(tmp_path, cli):
    draft = tmp_path / "draft.txt"
    draft.write_text("第一句。第二句，很长的补充说明。", encoding="utf-8")
    r = cli("split", draft, "--limit", "15", "--json")
    assert r.code == 0 and [m["text"] for m in r.json["messages"]] == ["（1/2）第一句。第二句，", "（2/2）很长的补充说明。"]
    out = tmp_path / "out.txt"
    r = cli("split", draft, "--limit", "15", "--out", out)
    assert r.code == 0 and "2/2 · 13/15" in r.stdout
    assert out.read_text(encoding="utf-8") == "（1/2）第一句。第二句，\n\n（2/2）很长的补充说明。\n"
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("第一句。第二句。".encode("gb18030"))
    assert cli("split", gbk, "--json").json["messages"][0]["text"] == "第一句。第二句。"
    bad = tmp_path / "bad.txt"
    bad.write_text("开头。" + "x" * 300, encoding="utf-8")
    r = cli("split", bad, "--lang", "en")
    assert r.code == 2 and "unbreakable run of 300" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli("split", draft, "--count", "words", "--lang", "en")
    assert r.code == 2 and "unknown counting mode: words" in r.stderr


def test_help_has_examples(cli):
    for cmd, example in (("statement", "Example: tradeshield statement"), ("split", "Example: tradeshield split"),
                         ("lint", "Example: tradeshield lint")):
        r = cli(cmd, "--help")
        assert r.code == 0 and example in r.stdout


# ---------------------------------------------------------------- issue 20: what the first version missed

ISSUE_PHRASES = {"全是假的": "absolute", "我就要报警": "threat", "为虎作伥": "attack", "助纣为虐": "attack",
                 "加我微信": "off-platform", "私下解决": "off-platform", "恶意讹诈": "attack", "勒索": "attack",
                 "来路不明": "attack", "起诉": "threat", "曝光": "threat"}

# A seller's draft written the way the published 2021 account reads (paraphrased, 900+ characters): angry,
# long, and with the words the platform masked or that turn a reviewer against the writer.
SELLER_DRAFT = (
    "我是卖家，5月20日买家拍下这台海信A5Pro，成交价1100元，我5月23日用顺丰发货，25日签收。"
    "这个买家是个贩子，信用极好、几百笔交易几乎全是手机，专门低价收二手机。签收后一直不确认收货，"
    "26日晚上8点11分突然要我便宜50，我说已经是最低价不议价，结果8分钟后他就申请退款，说手机开不了机，"
    "只拍了一张模糊的照片。这明明就是恶意讹诈，降价不成就退款，跟勒索有什么区别？"
    "客服让我三天内提供原始发票，我找原机主要来了电子发票，还专门去电脑上转成图片上传，"
    "结果买家反过来说我的手机来路不明，发票是假的。我发货前拍了完整的打包视频，IMEI标签清清楚楚，"
    "和发票上的型号一致，这些证据都在。小法庭开了不到一天，投票明明是六比一支持我，"
    "却因为人数不够关闭了，转人工以后一拖再拖，截止日期改了两次。12天以后买家又上传了一段视频，"
    "手机插着电不开机，谁知道他在视频之前做了什么，签收12天以后才拍的视频能说明什么？"
    "我卖了这么多年东西从来没有遇到过这种事，平台如果支持这种人，就是在鼓励他们继续这样干。"
    "我要求平台认真看看时间线：签收、要求降价、被拒、八分钟后退款，这不是质量问题，这是报复。"
    "如果平台判给他，我会把整个过程发到网上，让大家看看这种买家的嘴脸。"
    "我把所有聊天记录、物流记录、发票、打包视频都保留了原件，随时可以提供。"
    "希望客服能主持公道，驳回他的退款申请，不要让老实卖家寒心。"
    "另外说明一下，这台手机是我自己用了一年多的，换了新手机才拿出来卖，"
    "卖之前恢复了出厂设置，开机、通话、拍照、充电都测试过，都在视频里。"
    "买家收到货后第一天还说挺新的，第二天要降价，第三天就说开不了机，前后矛盾。"
    "请平台看看他的交易记录，是不是经常这样退款。"
    "我再补充几点：第一，发货时包装完好，快递员当面验过外包装，顺丰的签收记录上没有任何异常备注；"
    "第二，买家所谓开不了机的照片只拍到黑屏，看不出是不是同一台手机，也没有拍到IMEI；"
    "第三，买家在聊天里说“不然就退了”，这句话就是在用退款威胁我降价；"
    "第四，小法庭的评审里大多数人都支持我，说明普通人一看时间线就明白是怎么回事。"
    "我只希望平台按事实判，不要因为对方是所谓信用极好的老用户就偏向他。"
)


@pytest.mark.parametrize("phrase,kind", sorted(ISSUE_PHRASES.items()))
def test_issue_phrases_are_flagged_with_an_alternative(phrase, kind):
    rep = lint_text(f"签收后买家申请退款。{phrase}，请处理。", lang="zh")
    hits = [f for f in rep.findings if f.word in phrase or phrase in f.word]
    assert hits and hits[0].kind == kind and hits[0].alt, rep.findings


def test_real_length_seller_draft_flags_every_attack():
    assert len(SELLER_DRAFT) > 900
    words = {f.word for f in lint_text(SELLER_DRAFT, lang="zh").findings}
    assert {"贩子", "恶意讹诈", "勒索", "来路不明"} <= words, words
    assert "从来没有" in words     # an absolute claim too


def test_lint_cli_flags_each_issue_phrase(tmp_path, cli):
    draft = tmp_path / "draft.txt"
    draft.write_text("全是假的。我就要报警。平台为虎作伥助纣为虐。加我微信私下解决。", encoding="utf-8")
    r = cli("lint", str(draft), "--json")
    assert r.code == 1
    found = {f["word"] for f in r.json["findings"]}
    assert {"全是假的", "报警", "为虎作伥", "助纣为虐", "加我微信", "私下解决"} <= found
    assert all(f["alt"] for f in r.json["findings"])
