"""chat columnar engine: ``columnar.run`` / ``Columns.chunk`` give byte for byte what ``fastpath`` (the
per-message Python path) and a plain json.dumps loop over the engine's records give, chunk by chunk,
whatever the text, the chunking or the thread count; and it declines what it cannot read alike."""
from __future__ import annotations

import json
import re

import pytest

pl = pytest.importorskip("polars", reason="the columnar chat engine needs Polars (a dependency in pyproject.toml)")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeshield.chat import columnar, fastpath
from tradeshield.chat.columnar import Columns
from tradeshield.chat.engine import Context, parse_chunks
from tradeshield.chat.events import BUILTIN, amount_in, load_rules
from tradeshield.chat.taobao import FORMAT

try:
    from tests.test_chat_fastpath import CFG, reference
except ImportError:      # tests/ itself on sys.path (pytest's rootdir import mode)
    from test_chat_fastpath import CFG, reference

ROLES = ("买家", "卖家", "自己", "客服")
NICKS = ("小熊", "tb_星星", "数码店:小美", "shop_abc旺旺在线")
STATS = ("n", "kinds", "head", "tail", "lo", "hi", "up", "down", "bad", "bad_count")


# ---------------------------------------------------------------- running the three paths

def stats(out: fastpath.Out) -> dict:
    return {k: getattr(out, k) for k in STATS}


def piece(out: fastpath.Out) -> tuple:
    return out.messages, out.events, stats(out)


def run_columnar(path, size: int, threads: int = 1) -> tuple[fastpath.Out, list]:
    outs: list = []
    old = columnar.CHUNK
    columnar.CHUNK = size
    try:
        total = columnar.run(path, dict(CFG), outs.append, threads=threads)
    finally:
        columnar.CHUNK = old
    return total, outs


def run_fast_same_cuts(path, size: int) -> tuple[fastpath.Out, list]:
    """The Python path over the very chunks ``columnar.run`` cuts (what it falls back to per chunk)."""
    fastpath._init(dict(CFG), quiet=False)
    total, outs = fastpath.Out(), []
    with open(path, "rb") as f:
        for raw, line, first in fastpath.raw_chunks(f, size):
            out = fastpath._work(raw, line, first)
            fastpath.merge(total, out, CFG["max_bad"])
            outs.append(out)
    return total, outs


def run_fast(path) -> tuple[fastpath.Out, list]:
    outs: list = []
    total = fastpath.run_raw(path, dict(CFG), outs.append, workers=0)
    return total, outs


def joined(outs) -> tuple[bytes, bytes]:
    return b"".join(o.messages for o in outs), b"".join(o.events for o in outs)


def engine_view(raw: bytes) -> tuple[str, str, Context]:
    """What the header-regex engine and a json.dumps loop make of the whole file."""
    text = raw.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    ctx = Context(CFG["tz"], CFG["me"], CFG["side"])
    msgs, evs = reference(list(parse_chunks(FORMAT, [text], ctx)))
    return msgs, evs, ctx


def check_same(path, content, sizes=None, with_engine=True) -> dict:
    """columnar.run == fastpath (same cuts, per chunk) == fastpath.run_raw == engine + json.dumps."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(raw)
    fast_total, fast_outs = run_fast(path)
    want_m, want_e = joined(fast_outs)
    if sizes is None:
        sizes = (1 << 20, max(32, len(raw) // 3))
    runs = {}
    for size in sizes:
        col_total, col_outs = run_columnar(path, size)
        same_total, same_outs = run_fast_same_cuts(path, size)
        assert len(col_outs) == len(same_outs)
        for i, (c, f) in enumerate(zip(col_outs, same_outs)):
            assert piece(c) == piece(f), f"chunk {i} of {len(col_outs)} (size {size})"
        assert stats(col_total) == stats(same_total)
        assert joined(col_outs) == (want_m, want_e)
        assert stats(col_total) == stats(fast_total)
        runs[size] = col_outs
    if with_engine:
        ref_m, ref_e, ctx = engine_view(raw)
        assert want_m.decode("utf-8") == ref_m
        assert want_e.decode("utf-8") == ref_e
        assert (fast_total.bad_count, fast_total.bad) == (ctx.bad_count, ctx.bad_lines[:CFG["max_bad"]])
        assert fast_total.n == ref_m.count("\n")     # one JSON line a message (newlines inside are escaped)
    return runs


def direct(body: str, **kw) -> tuple:
    """One message through ``Columns.chunk`` and through ``fastpath._work``."""
    raw = block(body, 0, **kw).encode("utf-8")
    col = Columns(dict(CFG)).chunk(raw, 1, True)
    fastpath._init(dict(CFG), quiet=False)
    fast = fastpath._work(raw, 1, True)
    return col, fast, raw


# ---------------------------------------------------------------- Taobao text

def when(i: int) -> str:
    return f"2024-03-{1 + i // 1440 % 28:02d} {i // 60 % 24:02d}:{i % 60:02d}:{i * 7 % 60:02d}"


def block(body: str, i: int, role: str | None = None, nick: str | None = None, at: str | None = None,
          sep: str = "\n\n") -> str:
    role = ROLES[i % 4] if role is None else role
    nick = NICKS[i % len(NICKS)] if nick is None else nick
    return f"{role}\n{nick} {when(i) if at is None else at}\n{body}{sep}"


def chat(*bodies: str, order: int = 1, **kw) -> str:
    n = len(bodies)
    return "".join(block(b, i if order > 0 else n - i, **kw) for i, b in enumerate(bodies))


ENGLISH = chat("DISCOUNT please", "Send It Back", "REFUND 退款 ¥30", "best PRICE? cheaper", "Got It, thanks", "SCAMMER",
               "you IDIOT", "Broken screen 50元", "Exchange?", "call the Police", "i'll take it", "DeAl", "refund50",
               "ADD ME ON wechat", "must be new", "a discount 20 off", "Knock Off 30", "vx 123", "VX123 加我")
KELVIN = chat("\u212a DISCOUNT please", "İstanbul REFUND 50元", "\u212aeep Send It Back 退货", "İ 便宜50 ok", "\u212a便宜点",
              "[İmage] [\u212a] [Image\u212a]", "MUST BE \u212a new", "\u212a", "İ", "İİ must be ok 保证金",
              "\u212aNOCK OFF ¥12", "Ω ȺDISCOUNT İ", "hello \u212a http://\u212a.cn/x，好 [图片]")
CONFIRM = chat("便宜50", "便宜点", "能便宜吗", "这个东西还能不能再便宜一些呢", "便宜", "便宜 好不好呀 说实话吧 点", "便宜了，点",
               "最低多少？便宜100", "优惠20可以吗", "少点吧", "abc便宜", "便宜xyz", "X便宜", "ABCDEFG便宜", "打个折", "砍价砍价",
               "说好的价格已经很便宜了吗", "便宜\n50吗", "你好你好你好便宜", "优惠", "优惠呗", "能不能便宜一点点再")
UNLESS = chat("不议价", "不议价哦，便宜点不行", "没有划痕，屏幕碎了", "划痕", "有划痕", "退款已到账", "不同意，不能便宜", "退款 不支持退款",
              "不会投诉 投诉", "没收到 收到了", "收到了", "同意", "不同意", "无拆修 原装")
REQUIREMENT = chat("我保证是正品", "保证金", "保证", "保证金 保证", "必须国行", "一定要原装", "要求\n必须", "保证\n金", "保证金保证金保证",
                   "必须 must be", "you must be kidding", "原装原装", "承", "要求")
AMOUNTS = chat("便宜 ¥ 50", "50元 能便宜吗", "便宜20", "RMB  50 便宜点", "退款1.234", "退款12345678", "退款12345678元",
               "退款 ￥12.5", "便宜个20", "便宜了 30", "便宜５０", "退款 ¥\u300050", "退款50\u00a0元", "退款 rmb30", "退款 30yuan",
               "退款 CNY 20", "便宜1234567 便宜88", "退款\x0050元", "退款 ¥1\x00", "退款 ٣٤ 元", "加微信 转账 200", "便宜点 1.5元",
               "退款 5块", "付100.99", "便宜 12.345", "1234567 退款 8元", "退款¥1¥2")
ATTACH = chat("[图片]", "[Image] look", "<Media omitted>", "http://x.cn/a，好的", "https://a.b/c?d=1。再说", "[不是占位符]",
              "[IMAGE] [Photo123] [视频通话]", "<attached: 00000012-PHOTO.jpg>", "看这个 http://t.cn/abc）", "[[图片]]",
              "[" + "图" * 41 + "]", "https://a.b/\u3000x", "http://x.y/\x1cz", "[链接] <b> http", "[sticker][GIF]",
              "[图片\n]", "httpS://a.b", "[]", "<Media omitted", "http://x.cn/\u2028y")
MULTILINE = chat("第一行\n第二行\n第三行", "行尾空格   \n下一行  ", "x\n   ", "a\n\t\n b", "好\n \n的",
                 "能便宜\n50吗", "卖家\n你好", "  前导空格", "ok\n\u3000", "好的\x1c", "好的\n\x85", "好的\u3000",
                 "好的\u200b", "\ufeff开头", "a\x0bb\x0cc")
ESCAPES = chat('he said "ok" \\ fine\ttab', "ctrl \x01\x1f\x7f\x08\x0c", "\u2028 sep \u2029", "emoji 😀🇨🇳 👩‍💻",
               "nul\x00byte", "\\u0041 \\n", "</script>", "\ufffe\uffff", "\x1b[31m", 'a"', "\\")


CASES = {
    "english_mixed_case": (ENGLISH, True),
    "kelvin_and_dotted_i": (KELVIN, True),
    "discount_confirm_window": (CONFIRM, True),
    "unless_phrases": (UNLESS, True),
    "requirement_look_ahead": (REQUIREMENT, True),
    "amounts": (AMOUNTS, True),
    "attachments": (ATTACH, True),
    "multi_line_and_trailing_space": (MULTILINE, True),
    "json_escaping": (ESCAPES, True),
    "json_escaping_in_nicks": (chat("好", "好", "好", nick='a"b\\c\t\x01'), True),
    "extra_blank_lines": (chat("好的", "在吗", "退款", "便宜50", sep="\n\n\n") + chat("最后", sep="\n\n\n\n"), True),
    "leading_blank_lines": ("\n\n\n" + chat("好的", "退款吗"), True),
    "no_final_newline": (chat("好的", "便宜50")[:-2] + "\n最后一句 ", True),
    "final_single_newline": (chat("好的", "便宜50")[:-1], True),
    "final_whitespace_line": (chat("好的", "便宜50")[:-2] + "\n   ", True),
    "bom": ("\ufeff" + chat("好的", "能便宜50吗", "[图片]"), True),
    "crlf": (chat("好的", "能便宜50吗", "DISCOUNT 20").replace("\n", "\r\n"), False),
    "status_suffix_nicks": ("".join(block(b, i, nick=n) for i, (b, n) in enumerate(
        [("好", "shop_abc旺旺在线"), ("退款", "小熊 手机在线"), ("在", "tb旺旺离线"), ("嗯", "千牛忙碌"), ("行", "在线"),
         ("收到了", "线"), ("ok", "旺")])), True),
    "self_role": ("".join(block(b, i, role="自己", nick=n) for i, (b, n) in enumerate(
        [("好", ""), ("便宜不了", "我自己"), ("[图片]", ""), ("必须走平台", "卖家店")])), True),
    "all_roles_same_nick": (chat("一", "二", "三", "四", nick="同一个"), True),
    "tab_before_date": ("".join(f"买家\n小熊\t{when(i)}\n第{i}条\n\n" for i in range(3)), True),
    "newest_first": (chat(*[f"第{i}条 便宜{10 + i}元" for i in range(12)], order=-1), True),
    "equal_times": (chat("一", "二", "三", at="2024-01-02 10:00:00"), True),
    "clock_edges": (chat("一", at="2024-01-02 00:00:00") + chat("二", at="2024-02-29 23:59:59"), True),
    "fullwidth_date": (chat("好的") + block("便宜50", 1, at="２０２４-０１-０２ １０:００:００") + chat("收到了"), None),
    "fullwidth_clock": (chat("好的") + block("便宜50", 1, at="2024-01-02 １０:００:００"), None),
    "invalid_date": (chat("好的") + block("便宜50", 1, at="2024-02-30 10:00:00") + block("退款", 2), False),
    "invalid_leap_day": (block("好的", 1, at="2023-02-29 10:00:00") + chat("再来", "再来"), False),
    "invalid_clock": (chat("好的") + block("便宜50", 1, at="2024-01-02 24:00:00"), False),
    "body_line_like_header": (chat("好的", "抄送 2012-09-26 22:35:07\n继续", "退款"), False),
    "body_line_like_header_fullwidth": (chat("好的", "抄送 ２０１２-０９-２６ ２２:３５:０７"), False),
    "body_colon_not_header": (chat("时间 2012-09-26 22:35 左右", "12:30:00 见", "2012-09-26 22:35:07x"), None),
    "noise_lines": (chat("好的\n已读", "未读", "在吗", "已读了吗", "发送中"), False),
    "noise_in_nick": (chat("好的", nick="已读小熊"), None),
    "blank_line_inside_message": (chat("好的\n\n继续说：屏幕坏了", "退款"), False),
    "header_only_block": ("买家\n小熊 2024-01-02 10:00:00\n\n" + chat("好的"), False),
    "preamble": ("聊天记录导出\n\n" + chat("好的", "退款"), False),
    "system_role": (chat("好的") + block("交易关闭", 1, role="系统消息") + chat("退款"), False),
    "trailing_space_header": (chat("好的") + "买家\n小熊 2024-01-02 10:00:00 \n在吗\n\n", False),
    "two_spaces_before_date": (chat("好的", nick="小熊 "), True),
    "short_date": (chat("好的") + block("在吗", 1, at="2024-1-2 10:00:00"), False),
    "whitespace_only_body": (chat("好的", "\t", " \u3000", "退款"), False),
    "invalid_utf8": (chat("好的").encode() + block("坏X字节", 1).encode().replace(b"X", b"\xff") + chat("退款").encode(),
                     None),
    "lone_byte": (chat("好的").encode() + b"\xe5\xa5\n\n" + chat("退款").encode(), False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hand_written_chats_equal_fastpath_and_reference(tmp_path, name):
    content, taken = CASES[name]
    raw = content.encode("utf-8") if isinstance(content, str) else content
    check_same(tmp_path / "ww.txt", raw)
    got = Columns(dict(CFG)).chunk(raw, 1, True)
    if taken is True:       # the columnar path itself ran (else the comparison would prove nothing)
        assert got is not None
    elif taken is False:    # outside the contract: the chunk is fastpath's
        assert got is None


def test_a_mixed_file_in_many_chunks(tmp_path):
    """All the cases above in one file, cut into many chunks: some columnar, some declined."""
    parts = [c if isinstance(c, str) else c.decode("utf-8", "replace") for c, _ in CASES.values()]
    text = "".join(p if p.endswith("\n\n") else p + "\n\n" for p in parts if "\r" not in p and not p.startswith(
        ("\ufeff", "\n", "聊天")))
    raw = text.encode("utf-8")
    runs = check_same(tmp_path / "mixed.txt", raw, sizes=(700, 5000))
    assert len(runs[700]) > 10
    cols = Columns(dict(CFG))
    with open(tmp_path / "mixed.txt", "rb") as f:
        taken = [cols.chunk(r, line, first) is not None for r, line, first in fastpath.raw_chunks(f, 5000)]
    assert any(taken) and not all(taken)


# ---------------------------------------------------------------- known-risk inputs, one message each

# ASCII trigger words that are not all letters ("send it back", "won't boot", "+V") are in events'
# zh trie too (load_rules: ``not w.isascii() or not w.isalpha()``): Matcher.resolve meets them,
# case-sensitively, in the first pass, so a rule can be decided there before a CJK trigger of the same
# rule that comes later in the text.
@pytest.mark.parametrize("body", ["send it back 退货", "won't boot 坏了", "+V 加我", "+V信", "lower price, 便宜",
                                  "must be 必须", "got it 收到了", "call the police 报警"])
def test_punctuated_ascii_triggers_decide_like_the_matcher(body):
    col, fast, raw = direct(body)
    assert col is not None
    assert (bytes(col.events).decode(), col.kinds) == (fast.events.decode(), fast.kinds)
    assert bytes(col.events).decode() == reference(list(parse_chunks(FORMAT, [raw.decode()], Context("+08:00", None,
                                                                                                     "seller"))))[1]


# A confirm rule decided in the English pass shows text[s:e], or text[min(s, m.start()):max(e, m.end())]
# when the confirmation overlaps: the original text, not the lower-cased copy the pass searched (whose
# UTF-8 can be longer or shorter: Ⱥ → ⱥ takes 3 bytes, Ɐ → ɐ 2, so offsets in one are not offsets in the other).
@pytest.mark.parametrize("body", ["Unopened", "GUARANTEE", "XDISCOUNT", "MUST BE new", "X must be new", "Ω must be new",
                                  "AB\nMust Have box", "ȺKNOCK OFF", "ⱯxDISCOUNT"])
def test_english_confirm_rules_show_the_original_case(body):
    col, fast, raw = direct(body)
    assert col is not None
    assert bytes(col.events).decode() == fast.events.decode()
    assert bytes(col.events).decode() == reference(list(parse_chunks(FORMAT, [raw.decode()], Context("+08:00", None,
                                                                                                     "seller"))))[1]


def test_each_trigger_word_alone_and_in_upper_case():
    """Every trigger of rules.toml as a message of its own, as is, upper-cased and title-cased."""
    _, triggers, _, _ = load_rules(None)
    bodies = []
    for w in sorted(triggers):
        bodies += [w, w.upper(), w.title(), "前缀" + w + "50元", w + " 12 ok"]
    raw = chat(*bodies).encode()
    col = Columns(dict(CFG)).chunk(raw, 1, True)
    fastpath._init(dict(CFG), quiet=False)
    fast = fastpath._work(raw, 1, True)
    assert col is not None
    assert col.messages == fast.messages
    col_lines, fast_lines = bytes(col.events).decode().splitlines(), fast.events.decode().splitlines()
    assert [ln for ln in col_lines if ln not in fast_lines] == [] and col_lines == fast_lines
    assert stats(col) == stats(fast)


# ---------------------------------------------------------------- random chats

_RULE_WORDS = sorted(load_rules(str(BUILTIN))[1])
_CJK_TRIGGERS = [w for w in _RULE_WORDS if not w.isascii()]
_EN_PLAIN = [w for w in _RULE_WORDS if w.isascii() and w.isalpha()]            # only in the English pass
_EN_PUNCT = [w for w in _RULE_WORDS if w.isascii() and not w.isalpha()]        # "send it back", "+v", "won't boot"
_UNLESS = ["不议价", "没有划痕", "不支持退款", "没收到", "不同意", "不投诉", "请勿私下"]
_CONFIRM_EN = {"discount", "cheaper", "requirement", "required", "guarantee", "unopened"}   # rules with confirm
_SPECIAL = ["¥", "￥", "元", "块", "RMB", "rmb", "[图片]", "[Image]", "<Media omitted>", "http://t.cn/a", "，", "。", "）",
            "[不是占位符]", "[", "]", "<", ">", '"', "\\", "\t", "\x01", "\x00", "\u2028", "\u3000", "\xa0", "\x1c", " ",
            "  ", ".", "5", "50", "1.234", "12345678", "０", "٣", "\u212a", "İ", "😀", "已读", "2024-01-02 10:00:00", ":"]


def _tokens(upper: bool, punct: bool):
    letters = "abkxzABKXZ" if upper else "abkxz"
    en = [w for w in _EN_PLAIN if punct or w not in _CONFIRM_EN]
    if upper:
        en = en + [w.upper() for w in en] + [w.title() for w in en]
    words = _CJK_TRIGGERS + _UNLESS + en + (_EN_PUNCT + [w.upper() for w in _EN_PUNCT] if punct else [])
    return st.one_of(st.sampled_from(words), st.sampled_from(_SPECIAL), st.sampled_from(list(letters)),
                     st.sampled_from(["Ω", "Ⱥ", "Σ", "ẞ"] if punct else ["ß", "é"]),
                     st.characters(codec="utf-8", exclude_characters="" if punct else "+'-"))


def _message(tokens):
    line = st.lists(tokens, min_size=1, max_size=8).map("".join)
    text = st.lists(line, min_size=1, max_size=3).map("\n".join)
    header = st.tuples(st.integers(0, 40), st.integers(0, 5000)).map(
        lambda p: "2024-02-30 10:00:00" if p[0] == 0 else "２０２４-０１-０２ １０:００:００" if p[0] == 1 else when(p[1]))
    return st.tuples(st.sampled_from(ROLES), st.sampled_from(NICKS + ("", "Bob 旺旺在线", 'q"\\')), header, text,
                     st.sampled_from(["\n\n"] * 8 + ["\n\n\n", "\n \n\n"]))


def _render(msgs) -> str:
    return "".join(f"{r}\n{n} {h}\n{t}{sep}" for r, n, h, t, sep in msgs)


def _property(tmp_path_factory, msgs, size):
    text = _render(msgs)
    if not text:
        return
    path = tmp_path_factory.getbasetemp() / "random-columnar.txt"
    check_same(path, text, sizes=(size,), with_engine=False)


_PROP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])


@_PROP
@given(st.lists(_message(_tokens(upper=True, punct=True)), min_size=1, max_size=8), st.integers(40, 1500))
def test_random_chats_match_fastpath(tmp_path_factory, msgs, size):
    """Everything mixed: CJK and English triggers in any case, punctuated ones, special characters."""
    _property(tmp_path_factory, msgs, size)


@_PROP
@given(st.lists(_message(_tokens(upper=False, punct=False)), min_size=1, max_size=8), st.integers(40, 1500))
def test_random_chats_without_cased_english_confirm_match_fastpath(tmp_path_factory, msgs, size):
    """The same without the two inputs the tests above single out (punctuated ASCII triggers, upper case
    around the English triggers of confirm rules), so that anything else still shows up here."""
    _property(tmp_path_factory, msgs, size)


_MONEY = ["¥", "￥", "元", "块", "RMB", "rmb", "CNY", "yuan", "便宜", "少", "退", "价", "出价", "off", "个", "了", "点", "我",
          " ", "\u3000", "\xa0", "\t", "\x00", ".", "1", "23", "4567", "12345678", "０", "٣", "a", "差价", "优惠", "\n", "x"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_MONEY), max_size=14).map("".join), min_size=1, max_size=30))
def test_amounts_equal_amount_in(texts):
    got = columnar.amounts(pl.DataFrame({"k": range(len(texts)), "text": texts},
                                        schema={"k": pl.UInt32, "text": pl.String}))
    found = dict(got.iter_rows())
    assert len(found) == got.height
    assert {k: found.get(k) for k in range(len(texts))} == {k: amount_in(t) for k, t in enumerate(texts)}


# ---------------------------------------------------------------- tables spelled out for Rust

_EVERY = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))


def _runs(cps) -> list:
    out: list = []
    for c in sorted(cps):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return [tuple(r) for r in out]


def test_hard_lists_what_python_lowercases_into_ascii_or_two_characters():
    want = {c for c in _EVERY if not c.isascii() and (len(c.lower()) != 1 or re.search("[A-Za-z]", c.lower()))}
    assert all(chr(c).lower() == chr(c) for c in range(0xD800, 0xE000))     # (Polars holds no surrogates)
    assert set(columnar._HARD.split("|")) == want
    # and the pattern, as Polars reads it, finds exactly those
    found = pl.Series([_EVERY]).str.extract_all(columnar._HARD).explode().to_list()
    assert set(found) == want and len(found) == len(want)


def test_python_tables_are_what_re_reads_as_digit_and_space():
    digits, spaces = columnar.py_tables()
    d = [ord(c) for c in re.findall(r"\d", _EVERY)]
    s = re.findall(r"\s", _EVERY)
    assert list(map(tuple, digits)) == _runs(d)
    assert spaces == "".join(s)
    assert set(spaces) == {c for c in _EVERY if c.isspace()}
    assert all(("x" + c).rstrip() == "x" for c in spaces)
    # the classes built from them match, in Rust, the same characters
    every = pl.Series([_EVERY])
    assert "".join(every.str.extract_all(columnar._DIGIT).explode().to_list()) == "".join(map(chr, d))
    assert "".join(every.str.extract_all(columnar._SPACE).explode().to_list()) == "".join(s)
    stripped = pl.Series(["x" + c for c in s] + ["x\u200b", "x\ufeff"]).str.strip_chars_end(columnar._PY_SPACE)
    assert stripped.to_list() == ["x"] * len(s) + ["x\u200b", "x\ufeff"]


# ---------------------------------------------------------------- declines

def test_declines_a_chunk_that_is_not_utf8(tmp_path):
    raw = chat("好的").encode() + block("坏X", 1).encode().replace(b"X", b"\xff\xfe") + block("退款", 2).encode()
    assert Columns(dict(CFG)).chunk(raw, 1, True) is None
    assert Columns(dict(CFG)).chunk(chat("好的", "退款").encode("utf-16"), 1, True) is None
    check_same(tmp_path / "bad.txt", raw)


@pytest.mark.parametrize("text", [
    "tb_buyer_0012024-05-06 10:01:33\n这个是国行吗\n\n",                             # 千牛: no role line
    "卖家\nshop_abc旺旺离线\n2023-03-02 21:40\n好的，明天给您改\n\n",                  # nick and time on two lines
    "[2024-01-02 10:00:00] 小熊: 在吗\n[2024-01-02 10:00:05] 小熊: 退款\n",          # another app's layout
    "2024/1/2 10:00 - 小熊: 便宜50\n",
    "买家\n小熊 2024-01-02 10:00\n短时间\n\n",                                        # no seconds
    "买家\n\n小熊 2024-01-02 10:00:00\n在吗\n\n",
])
def test_declines_other_layouts_and_run_still_gives_fastpath(tmp_path, text):
    text = text + chat("好的", "便宜50")
    assert Columns(dict(CFG)).chunk(text.encode(), 1, True) is None
    assert Columns(dict(CFG)).chunk(text.replace("\n", "\r\n").encode(), 1, True) is None
    check_same(tmp_path / "other.txt", text)


# ---------------------------------------------------------------- threads

def _big(n: int) -> str:
    bodies = ["能便宜50吗", "DISCOUNT please", "好的 ", "收到货了，屏幕碎了\n我要退款￥1200", "[图片]", "加我微信 vx123 私下交易",
              'he said "ok" \\ fine\ttab', "\u212a Send It Back", "不议价哦", "我保证是正品", "http://x.cn/a?b=1，链接",
              "ctrl \x01\x1f char", "emoji 😀 \u2028 sep", "没有划痕"]
    out = []
    for i in range(n):
        b = bodies[i * 5 % len(bodies)]
        if i % 300 == 13:
            out.append(block(b, i, at="2024-02-30 10:00:00"))   # a declined chunk now and then
        elif i % 450 == 5:
            out.append(block(b + "\n已读", i))
        else:
            out.append(block(b, i if i % 50 else 5000 - i))
    return "".join(out)


def test_two_threads_give_the_bytes_of_one(tmp_path):
    path = tmp_path / "big.txt"
    raw = _big(900).encode()
    path.write_bytes(raw)
    one_total, one = run_columnar(path, 3000, threads=1)
    two_total, two = run_columnar(path, 3000, threads=2)
    assert len(one) > 8
    assert [piece(o) for o in one] == [piece(o) for o in two]
    assert stats(one_total) == stats(two_total)
    same_total, same = run_fast_same_cuts(path, 3000)
    assert [piece(o) for o in two] == [piece(o) for o in same]
    fast_total, fast = run_fast(path)
    assert joined(two) == joined(fast) and stats(two_total) == stats(fast_total)
    assert one_total.bad_count > 0 and one_total.up and one_total.down
    cols = Columns(dict(CFG))
    with open(path, "rb") as f:
        taken = [cols.chunk(r, line, first) is not None for r, line, first in fastpath.raw_chunks(f, 3000)]
    assert sum(taken) > len(taken) // 2 and not all(taken)      # mostly columnar, some declined


def _bounded(fn, seconds: float = 60.0):
    """fn() in a thread: its result or exception, and a failure (not a hang) if it never returns."""
    import threading

    got: dict = {}

    def target():
        try:
            got["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - compared by the caller
            got["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "columnar.run hung"
    return got


def test_results_reach_the_sink_in_file_order_whichever_thread_finishes_first(tmp_path, monkeypatch):
    import time

    path = tmp_path / "big.txt"
    path.write_bytes(_big(600).encode())
    want_total, want = run_columnar(path, 3000, threads=1)
    real, seen = Columns.chunk, []

    def uneven(self, raw, line0, first, counted=None):    # every third chunk is slow: later ones finish first
        seen.append(raw)
        time.sleep(0.02 if len(seen) % 3 == 1 else 0)
        return real(self, raw, line0, first, counted)

    monkeypatch.setattr(Columns, "chunk", uneven)
    got = _bounded(lambda: run_columnar(path, 3000, threads=3))
    total, outs = got["value"]
    assert len(outs) == len(want) > 8
    assert [piece(o) for o in outs] == [piece(o) for o in want] and stats(total) == stats(want_total)


def test_a_failing_sink_stops_the_run_and_is_raised(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(_big(600).encode())
    calls = []

    def sink(out):
        calls.append(out)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")

    old = columnar.CHUNK
    columnar.CHUNK = 3000
    try:
        got = _bounded(lambda: columnar.run(path, dict(CFG), sink, threads=2))
    finally:
        columnar.CHUNK = old
    assert isinstance(got.get("error"), OSError) and got["error"].errno == 28
    assert len(calls) == 3                  # nothing is written after the failure


def test_a_chunk_that_fails_is_raised_and_nothing_after_it_is_written(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_bytes(_big(600).encode())
    real, seen = Columns.chunk, []

    def broken(self, raw, line0, first, counted=None):
        seen.append(raw)
        if len(seen) == 4:
            raise MemoryError("chunk")
        return real(self, raw, line0, first, counted)

    monkeypatch.setattr(Columns, "chunk", broken)
    outs: list = []
    old = columnar.CHUNK
    columnar.CHUNK = 3000
    try:
        got = _bounded(lambda: columnar.run(path, dict(CFG), outs.append, threads=2))
    finally:
        columnar.CHUNK = old
    assert isinstance(got.get("error"), MemoryError)
    failed = seen[3]
    with open(path, "rb") as f:       # the first line of the chunk that failed
        whole = f.read()
    line = whole[:whole.index(failed)].count(b"\n") + 1
    first_line = [json.loads(bytes(o.messages).split(b"\n", 1)[0])["lines"][0] for o in outs if o.messages]
    assert all(n < line for n in first_line)   # the failed chunk and those after it never reach the sink


def _cuts_of_raw_chunks(data: bytes, size: int) -> list:
    """The cuts as they were made before ``fastpath.pieces``: read ``size`` more, join to the rest, cut at
    the last regex match (in the last 64 KB first), keep the rest."""
    import io

    def last_cut(buf: bytes) -> int:
        for start in (max(0, len(buf) - 65536), 0):
            last = None
            for last in fastpath._CUT.finditer(buf, start):
                pass
            if last is not None:
                return last.start() + 2
            if start == 0:
                break
        return -1

    f, out, rest, first = io.BytesIO(data), [], b"", True
    while True:
        chunk = f.read(size)
        buf = rest + chunk
        if not chunk:
            if buf:
                out.append((buf, first))
            return out
        cut = last_cut(buf)
        if cut <= 0:
            rest = buf
            continue
        out.append((buf[:cut], first))
        rest, first = buf[cut:], False


@pytest.mark.parametrize("size", [64, 500, 3000, 70000, 10**6])
def test_pieces_are_cut_where_raw_chunks_cuts(tmp_path, size):
    """``pieces`` reads each chunk once; the chunks must be the very ones ``raw_chunks`` made before."""
    path = tmp_path / "big.txt"
    data = _big(900).encode()
    path.write_bytes(data)
    with open(path, "rb") as f:
        got = list(fastpath.pieces(f, size))
    assert got == _cuts_of_raw_chunks(data, size)
    assert b"".join(p for p, _ in got) == data and [first for _, first in got][:1] == [True]


def test_pieces_of_a_message_longer_than_the_window_and_of_odd_files(tmp_path):
    long_text = "很长的一条消息" * 20000                      # ~420 KB: no cut in any 64 KB window inside it
    text = ("买家\n小熊 2024-01-02 10:00:00\n你好\n\n卖家\n木白术 2024-01-02 10:01:00\n" + long_text
            + "\n\n买家\n小熊 2024-01-02 10:02:00\n好的\n")
    for data in (text.encode(), b"", b"\n\n\n", "买家\n".encode() * 3, text.encode()[:-1]):
        path = tmp_path / "x.txt"
        path.write_bytes(data)
        for size in ((1, 5) if len(data) < 100 else ()) + (30000, 65536, 70000, 10**6):
            with open(path, "rb") as f:
                assert list(fastpath.pieces(f, size)) == _cuts_of_raw_chunks(data, size), (data[:20], size)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["买家\n", "卖家\n", "小熊 2024-01-02 10:00:00\n", "你好\n", "\n", "\n\n", "x" * 40]),
                max_size=60),
       st.integers(min_value=1, max_value=300))
def test_pieces_match_raw_chunks_on_random_files(tmp_path, parts, size):
    data = "".join(parts).encode()
    path = tmp_path / "r.txt"
    path.write_bytes(data)
    old = fastpath.WINDOW
    fastpath.WINDOW = 32              # a small window, so both ways of finding the cut are taken
    try:
        with open(path, "rb") as f:
            assert list(fastpath.pieces(f, size)) == _cuts_of_raw_chunks(data, size)
    finally:
        fastpath.WINDOW = old


def test_joined_output_is_a_view_of_polars_memory_released_with_its_last_view():
    import gc
    import weakref

    import polars as pl

    value = pl.Series(["line\n" * 5000]).cast(pl.Binary)
    view = columnar._view(value)
    assert isinstance(view, memoryview) and view.readonly and view == value.item()
    export = weakref.ref(view.obj.owner)
    part = view[:10]
    del view
    gc.collect()
    assert export() is not None and bytes(part) == b"line\nline\n"     # a slice still holds the memory
    del part
    gc.collect()
    assert export() is None                                            # released with the last view
    assert columnar._view(pl.Series(["short\n"]).cast(pl.Binary)) == b"short\n"   # kept inline: copied


def test_joined_output_falls_back_to_bytes_when_the_export_is_not_as_expected(monkeypatch):
    import polars as pl

    def refuse(self, value):
        raise ValueError("no export here")

    monkeypatch.setattr(columnar._Export, "__init__", refuse)
    monkeypatch.setattr(columnar._Export, "__del__", lambda self: None)
    got = columnar._view(pl.Series(["line\n" * 5000]).cast(pl.Binary))
    assert isinstance(got, bytes) and got == b"line\n" * 5000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["买家\n", "卖家\n", "小熊 2024-01-02 10:00:00\n", "你好\n", "\n", "\n\n", "a"]),
                max_size=40))
def test_the_cut_found_from_the_end_is_the_regex_scan_s(parts):
    buf = "".join(parts).encode()
    last = None
    for last in fastpath._CUT.finditer(buf):
        pass
    assert fastpath._last_cut(buf) == (last.start() + 2 if last else -1)
