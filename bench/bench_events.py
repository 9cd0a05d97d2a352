"""Precision and recall of the conversation reader per event kind, on labelled dispute chats.

    .venv/bin/python bench/bench_events.py                    # the held-out part (the numbers that count)
    .venv/bin/python bench/bench_events.py --split tune --errors   # the tuning part, with each miss
    TRADESHIELD_EVENT_VETO=0 .venv/bin/python bench/bench_events.py   # the rules alone, without the learned veto

Data: ``bench/data/events/{heldout,tune}.txt`` (format and kinds in its README). Scoring is per message: a
predicted kind counts as a true positive when the message's label has it. "Wrong side" counts events whose
speaker is not on the side the kind belongs to (the table below, written from the README, not read from the
rules file) — e.g. a discount request attributed to the seller. Money terms are scored on the messages that
carry `$role=amount` labels: each labelled term must be found with that role (and refundability).
The anchor a user would otherwise have is the old trigger-word matcher (``bench/old_matcher.py``, the first
version's ``events.Matcher``); it runs on the same messages in the same run and its scores are printed beside
(kinds it does not know count as misses).
``--errors`` is refused on the held-out part: its misses are never shown, so they cannot be tuned on. The reader is
scored as it runs: the rules, then the learned veto (``tradeshield/conversation/model.py``) that drops some of their
events; ``--errors`` lists those as VETO lines (whether the label had the kind).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "data" / "events"
SIDE = {"discount-request": "buyer", "discount-refused": "seller", "delivery-promise": "seller", "ship-before-pay": "buyer",
        "cardkey-before-pay": "buyer", "requirement": "buyer", "receipt-ack": "buyer", "confirm-request": "seller",
        "defect-claim": "buyer", "refund-request": "buyer", "refund-refused": "seller", "return-request": "buyer"}
LINE = re.compile(r"^(me|them): (.*?) \|\|(.*)$")


def load(split: str, path: Path | None = None):
    chats, cur = [], None
    for n, ln in enumerate((path or DATA / f"{split}.txt").read_text(encoding="utf-8").splitlines(), 1):
        if ln.startswith("== "):
            head = ln[3:].split()
            role = dict(x.split("=", 1) for x in head[1:] if "=" in x).get("role")
            cur = {"id": head[0], "role": role, "messages": []}
            chats.append(cur)
            continue
        m = LINE.match(ln)
        if not m:
            continue
        lab = m[3]
        money = re.findall(r"\$(\w+)=(\S+)", lab)
        kinds = {k.strip() for k in re.sub(r"\$\S+", "", lab).split(",") if k.strip()}
        cur["messages"].append({"role": m[1], "text": m[2], "kinds": kinds, "money": money, "lines": [n, n],
                                "source": split, "sender": m[1], "time": None})
    return chats


def other(side):
    return {"buyer": "seller", "seller": "buyer"}.get(side)


def score(chats, predict):
    tp, fp, fn = Counter(), Counter(), Counter()
    wrong, errors = 0, []
    for chat in chats:
        preds = predict(chat)
        for i, msg in enumerate(chat["messages"]):
            got = preds.get(i, set())
            side = chat["role"] if msg["role"] == "me" else other(chat["role"])
            for k in got:
                if k in SIDE and SIDE[k] != side:
                    wrong += 1
            for k in got | msg["kinds"]:
                if k in got and k in msg["kinds"]:
                    tp[k] += 1
                elif k in got:
                    fp[k] += 1
                    errors.append(("FP", k, chat["id"], msg["role"], msg["text"]))
                else:
                    fn[k] += 1
                    errors.append(("FN", k, chat["id"], msg["role"], msg["text"]))
    return tp, fp, fn, wrong, errors


def new_reader(chat):
    from tradeshield.conversation.reader import read_conversation

    out = defaultdict(set)
    evs = read_conversation(chat["messages"], role=chat["role"])
    index = {m["lines"][0]: i for i, m in enumerate(chat["messages"])}
    for e in evs:
        out[index[e["ref"]["lines"][0]]].add(e["kind"])
    return out


def vetoed(chats):
    """The events the rules found and the learned veto (``tradeshield.conversation.model``) dropped: (kind, chat id,
    role, text, whether the message's label has the kind)."""
    from tradeshield.conversation.reader import read_conversation

    out = []
    for chat in chats:
        with _env("TRADESHIELD_EVENT_VETO", "0"):
            off = read_conversation(chat["messages"], role=chat["role"])
        with _env("TRADESHIELD_EVENT_VETO", "1"):
            kept = {e["id"] for e in read_conversation(chat["messages"], role=chat["role"])}
        index = {m["lines"][0]: m for m in chat["messages"]}
        for e in off:
            if e["id"] not in kept:
                m = index[e["ref"]["lines"][0]]
                out.append((e["kind"], chat["id"], m["role"], m["text"], e["kind"] in m["kinds"]))
    return out


@contextmanager
def _env(name: str, value: str):
    """``os.environ[name] = value`` for the block, then as it was."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def rules_alone(chat):
    """``new_reader`` with the learned finder (``tradeshield.conversation.finder``) off."""
    with _env("TRADESHIELD_EVENT_FINDER", "0"):
        return new_reader(chat)


def prf_micro(tp, fp, fn):
    t, f, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    return t / max(1, t + f), t / max(1, t + n)


def old_matcher(chat):
    from bench.old_matcher import Matcher

    mt, out = Matcher(), defaultdict(set)
    for i, m in enumerate(chat["messages"]):
        out[i] = {k for k, _w, _a in mt.match(m["text"])}
    return out


def money_score(chats):
    from tradeshield.conversation.reader import read_messages

    ok = total = 0
    misses = []
    for chat in chats:
        for m, _evs, terms in read_messages(chat["messages"], role=chat["role"]):
            if not m["money"]:
                continue
            for role, val in m["money"]:
                total += 1
                amount, _, flag = val.partition("/")
                want_amount = None if amount in ("norefund", "refund") else float(amount)
                want_ref = {"norefund": False, "refund": True}.get(flag or (amount if want_amount is None else ""), None)
                hit = any(t["role"] == role and (want_amount is None or t.get("amount") == want_amount) and
                          (want_ref is None or t.get("refundable") == want_ref) for t in terms)
                ok += hit
                if not hit:
                    misses.append((chat["id"], m["text"], role, val, terms))
    return ok, total, misses


def table(tp, fp, fn, kinds):
    rows = []
    for k in kinds:
        p = tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else (1.0 if not fn[k] else 0.0)
        r = tp[k] / (tp[k] + fn[k]) if tp[k] + fn[k] else 1.0
        rows.append((k, tp[k] + fn[k], p, r))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("heldout", "tune"), default="heldout")
    ap.add_argument("--errors", action="store_true", help="list misses (tuning part only)")
    ap.add_argument("--file", type=Path, help="score another labelled file of the same format (a new batch, blind; "
                    "never the held-out part)")
    a = ap.parse_args(argv)
    if a.file is not None:
        if a.file.resolve() in ((DATA / "heldout.txt").resolve(), (DATA / "heldout-second.txt").resolve()):
            print("--file cannot name the held-out part (or its second labels); use --split heldout", file=sys.stderr)
            return 2
        a.split = a.file.stem
    if a.errors and a.split == "heldout":
        print("--errors is refused on the held-out part (its misses must not be tuned on)", file=sys.stderr)
        return 2
    chats = load(a.split, a.file)
    n = sum(len(c["messages"]) for c in chats)
    from bench.old_matcher import Matcher
    from tradeshield.conversation.reader import load_rules

    load_rules(None), Matcher()           # rules compiled before timing (both sides)
    t0 = time.perf_counter()
    tp, fp, fn, wrong, errors = score(chats, new_reader)
    t_new = time.perf_counter() - t0
    t0 = time.perf_counter()
    otp, ofp, ofn, owrong, _ = score(chats, old_matcher)
    t_old = time.perf_counter() - t0
    kinds = sorted(set(tp) | set(fp) | set(fn))
    old = {k: (p, r) for k, _n, p, r in table(otp, ofp, ofn, kinds)}
    print(f"split={a.split}  chats={len(chats)}  messages={n}  "
          f"(all parts: {sum(len(c['messages']) for s in ('heldout', 'tune') for c in load(s))} messages)")
    print(f"{'kind':20s} {'n':>4s} {'precision':>9s} {'recall':>7s}   {'old P':>6s} {'old R':>6s}")
    bad = []
    for k, cnt, p, r in table(tp, fp, fn, kinds):
        flag = "" if p >= 0.9 and r >= 0.85 else "  <-- below 0.9/0.85"
        if flag:
            bad.append(k)
        print(f"{k:20s} {cnt:4d} {p:9.2f} {r:7.2f}   {old[k][0]:6.2f} {old[k][1]:6.2f}{flag}")
    P, R = prf_micro(tp, fp, fn)
    oP, oR = prf_micro(otp, ofp, ofn)
    print(f"{'all (micro)':20s} {sum(tp.values()) + sum(fn.values()):4d} {P:9.2f} {R:7.2f}   {oP:6.2f} {oR:6.2f}")
    print(f"events attributed to the wrong side: {wrong}   (old matcher: {owrong})")
    ftp, ffp, ffn, fwrong, _ = score(chats, rules_alone)
    fP, fR = prf_micro(ftp, ffp, ffn)
    print(f"the rules alone (the learned finder off): {fP:.2f} / {fR:.2f}, wrong side {fwrong}")
    ok, total, misses = money_score(chats)
    print(f"money terms: {ok}/{total} found with the labelled role")
    print(f"time: reader {t_new * 1000:.0f} ms, old matcher {t_old * 1000:.0f} ms for {n} messages (ratio {t_new / max(t_old, 1e-9):.1f})")
    if a.errors:
        for e in errors:
            print("  ", *e)
        for m in misses:
            print("   MONEY", *m)
        for kind, cid, role, text, labelled in vetoed(chats):
            print("   VETO", kind, cid, role, text, "(labelled: a miss)" if labelled else "(not labelled: a false alarm dropped)")
    return 0 if not bad and wrong == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
