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
