"""The learned finder of events the rules miss (tradeshield/conversation/finder.py, data/event_finder.json; issue 19).

It is measured batch-out by ``bench/events_finder.py cv`` (rules alone vs rules with it, on blind batches neither
saw); here: it is the model the training script makes, its fast scoring is its weights summed, it only adds (never
takes a rule's event away, never changes what the rules find after it), its events are marked and keep their side,
it stays out of talk about nothing for sale, the chat writer stores what it finds, and it is off with
``TRADESHIELD_EVENT_FINDER=0`` and with a user's own rules file. The rules' own tables of constructions
(tests/test_conversation.py, tests/test_session5_constructions.py) run here once more with it on.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tradeshield.conversation import finder  # noqa: E402
from tradeshield.conversation.model import gram_set, norm  # noqa: E402
from tradeshield.conversation.reader import read_conversation  # noqa: E402


def _msgs(pairs):
    return [{"role": r, "text": t, "lines": [i + 1, i + 1], "time": None, "sender": r, "source": "chat"}
            for i, (r, t) in enumerate(pairs)]


def _read(msgs, role, on=True, **kw):
    old = os.environ.get("TRADESHIELD_EVENT_FINDER")
    os.environ["TRADESHIELD_EVENT_FINDER"] = "1" if on else "0"
    try:
        return read_conversation(msgs, role=role, **kw)
    finally:
        if old is None:
            del os.environ["TRADESHIELD_EVENT_FINDER"]
        else:
            os.environ["TRADESHIELD_EVENT_FINDER"] = old


def test_packaged_model_is_what_the_training_script_makes(tmp_path):
    pytest.importorskip("sklearn", reason="scikit-learn (a test extra) trains the finder")
    out = tmp_path / "finder.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "events_finder.py"), "train", "--out", str(out)], check=True,
                   capture_output=True, cwd=ROOT)
    assert out.read_bytes() == finder.DATA.read_bytes()


def test_model_covers_the_kinds_and_sides_of_the_rules():
    from tradeshield.conversation.reader import load_rules

    f = finder.load_finder()
    R = load_rules(None)
    assert set(f.kinds) == {r.kind for r in R.kinds}
    for kind in f.kinds:
        bys = {r.by for r in R.kinds if r.kind == kind}
        assert (kind not in f.sides) == ("any" in bys), kind
        if kind in f.sides:
            assert set(f.sides[kind]) == bys
    assert 0 < f.threshold < 1


def test_fast_score_is_the_sum_of_the_weights():
    """``Finder.logits`` equals bias + side weight + the weights of the message's grams, read from the JSON."""
    data = json.loads(finder.DATA.read_text(encoding="utf-8"))
    f = finder.Finder(data)
    for side, text in [("buyer", "收到的耳机左边没声音"), ("seller", "明天一早给你发顺丰"), ("buyer", "can you do 50 less?"),
                       ("seller", "不行，价格之前已经谈好了"), (None, "hello")]:
        want = list(data["bias"])
        for k, w in enumerate(data["side"].get(str(side), [0.0] * len(want))):
            want[k] += w
        for p in finder.pieces(text):
            for g in gram_set(norm(p), 3):
                for k, w in data["grams"].get(g, []):
                    want[k] += w
        assert all(math.isclose(a, b, abs_tol=1e-9) for a, b in zip(f.logits(text, side), want)), text
        # its place in the talk adds the weights of its features (``talk_features``), whatever the bits
        for bits in (finder.talk_bits(text, False, True, "150", "130吧"), finder.talk_bits(text, True, False, None, None)):
            more = list(want)
            for feat in finder.talk_features(bits, side):
                for k, w in data["dialogue"].get(feat, []):
                    more[k] += w
            assert all(math.isclose(a, b, abs_tol=1e-9) for a, b in zip(f.logits(text, side, bits), more)), (text, bits)


@pytest.mark.parametrize("text,first,again,mine,theirs,want", [
    # an amount against the other side's last one (lower, equal, higher; one of theirs) and against one's own last one
    ("行 130", False, False, "150", "130吧", {"amt", "oamt", "eq", "inoa", "mylt", "oprop", "acc", "short"}),
    ("2400行不", False, False, None, "2600 包邮", {"amt", "oamt", "lt", "short"}),
    ("2550吧 顺丰包邮", False, False, "2650", "2500出吗", {"amt", "oamt", "gt", "mylt", "oprop"}),
    ("那就1100", False, False, None, "1050不行 1100给你包顺丰", {"amt", "oamt", "eq", "inoa", "acc", "short"}),
    # numbers that are not money (an order number, a quantity) are no amount; a question ends with a proposal
    ("订单号12345678901 麻烦查一下", False, True, "发了吗", "发了 单号给你", {"cont"}),
    ("要3件", True, False, None, None, {"short", "first"}),
    ("sure, bulb included", False, False, None, "22 if you throw in the bulb?", {"oamt", "oprop", "acc"}),
    # an empty last message puts nothing up; a question mark after spaces still does
    ("好", False, False, None, "", {"acc", "short"}),
    ("好", False, False, None, "周六能送过来吗？  ", {"oprop", "acc", "short"}),
])
def test_the_place_in_the_talk(text, first, again, mine, theirs, want):
    bits = finder.talk_bits(text, first, again, mine, theirs)
    feats = finder.talk_features(bits, "buyer")
    assert {x for x in feats if x in finder._TALK} == want
    assert {x for x in feats if x.startswith("b") and "&" not in x} == {"b" + x for x in want}
    assert sum("&" in x for x in feats) == len(want) * (len(want) - 1) // 2


def test_the_quick_checks_before_each_pattern_change_nothing():
    """``finder._clause_own`` looks at a clause's first and last characters, and for a numeral, before it runs the
    patterns: on every clause of the labelled chats (and edge cases) it says what the bare patterns say."""
    from bench import events_model as em
    from tradeshield.conversation.money import amount_values

    clauses = {c for ch in em.load_tune() for m in ch["messages"] for c in finder.pieces(m["text"])}
    clauses |= {" 好的", "OK", "ok", "Ok?", "okay", "DEAL", "sure", "\u017fure", "o\u212a", "行不行", "可以不", "１２０吧",
                "便宜二十吧", "二十", "那就这样 ", "fine by me", "吧", ""}
    assert len(clauses) > 10_000
    for c in clauses:
        want = (amount_values(c), (finder._ACC if finder._ACCEPTS.match(c) else 0)
                | (finder._PUTS_UP if finder._PROPOSES.search(c) else 0))
        finder._CLAUSE_OWN.pop(c, None)
        assert finder._clause_own(c) == want, c


@pytest.mark.parametrize("quote,found", [("三个页面1500 两周交", True), ("三个页面 两周交", False)])
def test_the_talk_decides_a_bare_yes(quote, found):
    """A bare 「行」 after the seller's quote for custom work accepts the price (``agreement``, the data's conventions);
    after a plain promise it only acknowledges. The words are the same: the finder tells them apart by the amount in
    the message it answers (``talk_bits``), and the rules alone find neither."""
    msgs = _msgs([("me", "能做三个页面的官网吗 企业展示用"), ("them", quote), ("me", "行")])
    got = [e for e in _read(msgs, "buyer") if e["ref"]["lines"][0] == 3]
    assert [(e["kind"], e["found"]) for e in got] == ([("agreement", "model")] if found else [])
    assert not [e for e in _read(msgs, "buyer", on=False) if e["ref"]["lines"][0] == 3]
    assert "agreement" not in finder.load_finder().found("行", "buyer")     # the words alone say nothing


def test_the_weights_have_three_decimals():
    """The finder adds thousandths (exact, in any order): the packaged weights must be exactly that."""
    data = json.loads(finder.DATA.read_text(encoding="utf-8"))
    ws = [w for row in data["grams"].values() for _k, w in row] + data["bias"] + [x for v in data["side"].values() for x in v]
    ws += [w for row in data["dialogue"].values() for _k, w in row]
    assert len(ws) > 10_000
    assert all(abs(w * 1000 - round(w * 1000)) < 1e-9 for w in ws)


def _toy(grams: dict, bias=0.0) -> finder.Finder:
    return finder.Finder({"kinds": ["a", "b"], "threshold": 0.5, "threshold_beside": 0.7, "max_chars": 400,
                          "sides": {"b": ["seller"]}, "bias": [bias, bias], "side": {"buyer": [0.0, 0.0], "seller": [0.0, 0.0]},
                          "grams": grams})


def test_the_score_is_exact_whatever_the_order():
    """0.1 + 0.2 - 0.3 is 5.6e-17 in floating point one way round and -2.8e-17 the other; in thousandths it is 0,
    so p is exactly 0.5 and the kind is found at the threshold, whichever clause comes first."""
    f = _toy({"x": [[0, 0.1]], "y": [[0, 0.2]], "z": [[0, -0.3]]})
    for clauses in (["x", "y", "z"], ["z", "y", "x"], ["y", "z", "x"]):
        assert f.found_in(clauses, "buyer", 3) == (("a", 0.0),)
    f = _toy({"x": [[0, 0.1]], "y": [[0, 0.2]], "z": [[0, -0.301]]})
    assert f.found_in(["x", "y", "z"], "buyer", 3) == ()


def test_the_packed_score_never_carries_between_kinds():
    """All kinds are added at once in one integer: a long message of many strongly negative and positive clauses
    still gives each kind its own sum (checked against plain arithmetic), and a kind its side may not say is never
    found."""
    f = _toy({"p": [[0, 4.999], [1, -4.999]], "n": [[0, -4.999], [1, 4.999]], "^": [[0, -0.001]]}, bias=-1.0)
    for clauses in (["pppppppppp"] * 150, ["nnnnnnnnnn"] * 150, ["p", "n"] * 80):
        want = [-1.0, -1.0]
        for c in clauses:
            for g in gram_set(norm(c), 3):
                for k, w in {"p": [[0, 4.999], [1, -4.999]], "n": [[0, -4.999], [1, 4.999]], "^": [[0, -0.001]]}.get(g, []):
                    want[k] += w
        got = f.logits_of(clauses, "seller")
        assert all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(got, want)), (clauses[0], got, want)
        for side in ("buyer", "seller"):
            found = dict(f.found_in(clauses, side, 10))
            assert set(found) == {k for k, v in zip("ab", want) if v >= 0 and (k == "a" or side == "seller")}
            assert all(math.isclose(found[k], want["ab".index(k)], abs_tol=1e-6) for k in found)


@pytest.mark.parametrize("role,pairs,line,kind", [
    # forms no rule word covers, which the rules miss and the finder finds (each checked with the rules alone)
    ("seller", [("them", "在吗 这个耳机还有吗"), ("them", "收到了，但是左边耳机一直滋滋响")], 2, "defect-claim"),
    ("seller", [("them", "这个相机还在吗"), ("them", "那你给我退20块吧")], 2, "refund-request"),
])
def test_finder_finds_what_the_rules_miss(role, pairs, line, kind):
    msgs = _msgs(pairs)
    alone = [e for e in _read(msgs, role, on=False) if e["ref"]["lines"][0] == line]
    found = [e for e in _read(msgs, role) if e["ref"]["lines"][0] == line and e["kind"] == kind]
    assert kind not in {e["kind"] for e in alone}
    assert len(found) == 1
    ev = found[0]
    assert ev["found"] == "model" and ev["matched"] is None and ev["status"] == "suggested"
    assert ev["clause"] and ev["clause"] in ev["text"]


@pytest.mark.parametrize("text", ["不用加我微信", "你就别加我微信了", "don't add me on WhatsApp"])
def test_a_negator_opening_the_clause_cancels_what_it_finds(text):
    """Issue 19, negation: 「不用加我微信」 has every gram of 「加我微信」, and the model scores them as an off-platform
    ask; a clause opened by a prohibitive or no-need negator says no such thing (``finder.negated``). The rules say
    the same: 「加我微信」 is their event, the negated forms are not."""
    msgs = _msgs([("me", "iPhone 13 还在的"), ("them", text)])
    assert "off-platform" in finder.load_finder().found(text, "buyer")      # the model alone would say it
    assert [e for e in _read(msgs, "seller") if e["ref"]["lines"][0] == 2] == []
    assert [e["kind"] for e in _read(_msgs([("me", "iPhone 13 还在的"), ("them", "加我微信")]), "seller")
            if e["ref"]["lines"][0] == 2] == ["off-platform"]


def test_kinds_said_in_negative_words_keep_them():
    """A refusal, a defect, a requirement, an insult are said in negative words: the gate leaves them (「不要了」, no
    longer wanted, is not a prohibition either)."""
    for kind, clause in [("defect-claim", "不能开机了"), ("requirement", "别太花哨"), ("refund-refused", "不退"),
                         ("insult", "别装了 骗子"), ("return-request", "我不要了")]:
        assert not finder.negated(kind, clause), (kind, clause)
    assert finder.negated("off-platform", "别加我微信") and finder.negated("agreement", "不用了")


def test_its_events_keep_their_side():
    """A buyer's kind said by the seller is not found (「你先发货吧，到了我再付」 is the buyer's ship-before-pay)."""
    f = finder.load_finder()
    assert f.found("你先发货吧，到了我再付", "buyer") == ("ship-before-pay",)
    assert "ship-before-pay" not in f.found("你先发货吧，到了我再付", "seller")
    for kind, sides in f.sides.items():
        other = {"buyer": "seller", "seller": "buyer"}[sides[0]]
        assert kind not in f.found("能便宜点吗 你先发货 我收到就付 退款 确认收货", other)


def test_it_stays_out_of_talk_about_nothing_for_sale():
    """The finder counts only where the talk is about a trade (a trade word in the message or the five before it,
    or a chat's first message): the same words deep in a chat about a party are no event."""
    party = [("them", "周六几点到"), ("me", "七点吧"), ("them", "好的"), ("me", "记得带伞"), ("them", "嗯嗯"),
             ("me", "路上小心"), ("them", "快到了")]
    assert "receipt-ack" in finder.load_finder().found("快到了", "buyer")
    evs = _read(_msgs(party), "seller")
    assert [e for e in evs if e.get("found") == "model"] == []


def test_it_only_adds_and_the_chat_writer_stores_what_it_finds():
    """On every chat of the tuning part: each event of the rules alone is there with the finder on, key for key;
    each extra one is the finder's, of a kind the rules did not give that message; the JSON lines the chat writer
    stores are the events; the finder adds events on this part (it was trained on it)."""
    from bench.bench_events import load
    from tradeshield.chat.events import find_event_lines

    added = 0
    for chat in load("tune", ROOT / "bench" / "data" / "events" / "tune.txt"):
        off = _read(chat["messages"], chat["role"], on=False)
        on = _read(chat["messages"], chat["role"])
        ids = {e["id"]: e for e in on}
        assert all(ids.get(e["id"]) == e for e in off)
        extra = [e for e in on if e not in off]
        for e in extra:
            assert e["found"] == "model" and e["matched"] is None
            same = [x for x in off if x["ref"] == e["ref"]]
            assert e["kind"] not in {x["kind"] for x in same}
        added += len(extra)
        lines, _counts = find_event_lines(chat["messages"], role=chat["role"])
        want = "".join(json.dumps({"time": e["time"], **e}, ensure_ascii=False, separators=(",", ":")) + "\n" for e in on)
        assert lines.decode("utf-8") == want
    assert added > 300


def test_off_by_environment_and_with_a_users_rules_file(tmp_path):
    from tradeshield.conversation.reader import rules_path

    msgs = _msgs([("them", "这个相机还在吗"), ("them", "那你给我退20块吧")])
    assert any(e.get("found") == "model" for e in _read(msgs, "seller"))
    assert not any(e.get("found") == "model" for e in _read(msgs, "seller", on=False))
    own = tmp_path / "rules.toml"
    own.write_bytes(Path(rules_path()).read_bytes())
    assert not any(e.get("found") == "model" for e in _read(msgs, "seller", rules=str(own)))


def _tables():
    """Every case of the rules' tables of constructions: (role, [(who, text)])."""
    import importlib

    out = []
    for modname in ("tests.test_conversation", "tests.test_session5_constructions"):
        mod = importlib.import_module(modname)
        for name in dir(mod):
            fn = getattr(mod, name)
            for mark in getattr(fn, "pytestmark", []):
                if mark.name != "parametrize":
                    continue
                names = [x.strip() for x in mark.args[0].split(",")]
                for case in mark.args[1]:
                    d = dict(zip(names, case.values if hasattr(case, "values") else case))
                    if "msgs" in d and "role" in d:
                        out.append((d["role"], list(d["msgs"])))
                    elif {"role", "who", "text"} <= set(d):
                        out.append((d["role"], [(d["who"], d["text"])]))
    return out


def test_rules_tables_with_the_finder_on():
    """The rules' constructions and hard negatives (~700 cases) read with the finder on: every rule event stays,
    the extras are marked as the finder's, and few cases change at all (each is a form the rules were taught on
    purpose — a refusal with no request before it, 「快到了」 of a delivery — and the model reads text alone)."""
    cases = _tables()
    assert len(cases) > 500
    changed = 0
    for role, pairs in cases:
        msgs = _msgs(pairs)
        off = _read(msgs, role, on=False)
        on = _read(msgs, role)
        assert all(e in on for e in off)
        extra = [e for e in on if e not in off]
        assert all(e["found"] == "model" for e in extra)
        changed += bool(extra)
    assert changed < 0.1 * len(cases), changed


def test_it_reads_only_near_what_the_rules_found():
    """The finder reads a chat's first ``QUIET`` messages and the ``QUIET`` after one where the rules found an event:
    the same ask deep in talk where the rules find nothing is no event (a chat of a dozen messages about a trip,
    then 「那你给我退20块吧」), and right after a rule event it is."""
    from tradeshield.conversation import reader

    assert reader._QUIET == finder.QUIET
    ask = "那你给我退20块吧"
    assert "refund-request" in finder.load_finder().found(ask, "buyer")
    chat = ["这个相机还在吗"] + ["周六几点出发", "七点吧", "好的", "记得带伞", "嗯嗯", "路上小心", "到了说一声",
                                "收到", "晚安", "早", "出发了", "路上堵车"][:finder.QUIET]
    quiet = _read(_msgs([("them", t) for t in chat] + [("them", ask)]), "seller")
    assert [e for e in quiet if e.get("found") == "model"] == []
    near = _read(_msgs([("them", t) for t in chat] + [("them", "能便宜点吗"), ("them", ask)]), "seller")
    assert [e["kind"] for e in near if e.get("found") == "model"] == ["refund-request"]


def test_it_reads_no_message_longer_than_it_learnt_from():
    f = finder.load_finder()
    long = "收到的耳机左边没声音" + "。" * f.max_chars
    assert "defect-claim" in f.found("收到的耳机左边没声音", "buyer")
    assert f.found(long, "buyer") == ()


def test_no_side_no_reading():
    """Without the case's role (no side) the finder reads nothing: it learnt every message with its side."""
    f = finder.load_finder()
    assert f.found("那你给我退20块吧", "buyer") and f.found("那你给我退20块吧", None) == ()
    msgs = _msgs([("them", "这个相机还在吗"), ("them", "那你给我退20块吧")])
    assert not any(e.get("found") == "model" for e in _read(msgs, None))


def test_what_the_talk_read_is_a_cache():
    """What ``talk_bits`` read of each text is a cache: ``reader.clear_caches`` empties it, and a chat reads the same
    with it cold as with it warm."""
    from tradeshield.conversation import reader

    msgs = _msgs([("me", "能做三个页面的官网吗 企业展示用"), ("them", "三个页面1500 两周交"), ("me", "1200行不"),
                  ("them", "最低1400"), ("me", "行")])
    warm = _read(msgs, "buyer")
    assert finder._OWN and finder._CLAUSE_OWN
    reader.clear_caches()
    assert not finder._OWN and not finder._CLAUSE_OWN
    assert _read(msgs, "buyer") == warm
    assert [e["kind"] for e in warm if e["ref"]["lines"][0] >= 3] == ["discount-request", "discount-refused", "agreement"]
