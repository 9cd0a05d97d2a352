#!/usr/bin/env python3
"""Precision and recall of ``tradeshield check`` on the labelled scenarios, and rule-engine speed.

    python bench/bench_check.py                 # precision / recall for "elevated or high"
    python bench/bench_check.py --chat /tmp/ts-bench/chat-1M.txt --limit 200000   # + speed beside the anchor

A scenario (tests/data/check_scenarios/*.toml) is a counterparty profile with an inline chat and an
``[expect]`` table: ``label`` risky / ordinary and the rule ids that must fire. "Positive" means
the check said elevated or high. The speed part runs the rule engine over the Wangwang messages of
the benchmark chat and, in the same run, the anchor parser (shared/bench/chat_naive.py logic) over
the same lines, and prints messages/s of both and their ratio.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tradeshield.check import Msg, evaluate, facts_from, load_profile, load_rules  # noqa: E402

SCENARIOS = ROOT / "tests" / "data" / "check_scenarios"


def run_scenarios(folder: Path = SCENARIOS) -> dict:
    rules = load_rules()
    tp = fp = fn = tn = 0
    missing_rules, wrong = [], []
    for path in sorted(folder.glob("*.toml")):
        data = load_profile(path, extra_keys=("expect", "watchlist"))
        expect = data["expect"]
        result = evaluate(facts_from(data), data.get("messages", []), rules=rules, watch_hits=data.get("watchlist"))
        positive = result["level"] in ("elevated", "high")
        risky = expect["label"] == "risky"
        tp += positive and risky
        fp += positive and not risky
        fn += (not positive) and risky
        tn += (not positive) and not risky
        if positive != risky:
            wrong.append((path.stem, result["level"], result["score"], [r["id"] for r in result["reasons"]]))
        fired = {r["id"] for r in result["reasons"]}
        for rid in expect.get("rules", []):
            if rid not in fired:
                missing_rules.append((path.stem, rid))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"n": tp + fp + fn + tn, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision,
            "recall": recall, "wrong": wrong, "missing_rules": missing_rules}


HEADER = re.compile(r"^(.*\S)\s+(\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?)$")


def wangwang_messages(path: Path, limit: int):
    """The anchor's parsing logic, yielding Msg objects (buyer lines = the counterparty)."""
    state, cur, text, line_no = "role", None, [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line_no += 1
            line = line.rstrip("\n")
            if state == "role":
                if line in ("买家", "卖家"):
                    cur, state = {"role": "them" if line == "买家" else "me", "line": line_no}, "header"
            elif state == "header":
                state = "text" if HEADER.match(line) else "role"
                text = []
            elif line == "":
                yield Msg("\n".join(text), role=cur["role"], line_start=cur["line"], line_end=line_no - 1)
                limit -= 1
                if limit <= 0:
                    return
                state = "role"
            else:
                text.append(line)


def bench_speed(chat: Path, limit: int) -> None:
    from tradeshield.check import Facts

    t0 = time.process_time()
    msgs = list(wangwang_messages(chat, limit))
    t_parse = time.process_time() - t0
    t0 = time.process_time()
    result = evaluate(Facts(role="seller", category="phone"), msgs)
    t_rules = time.process_time() - t0
    n = len(msgs)
    print(f"speed: {n} messages; anchor-style parse {n / t_parse:,.0f} msg/s ({t_parse:.2f} s); "
          f"rule engine {n / t_rules:,.0f} msg/s ({t_rules:.2f} s); "
          f"rules/parse time ratio {t_rules / t_parse:.2f}; reasons fired: {[r['id'] for r in result['reasons']]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chat", type=Path, help="a Wangwang-style chat (bench corpus chat-1M.txt) for the speed part")
    ap.add_argument("--limit", type=int, default=200_000, help="messages to read from --chat")
    args = ap.parse_args()
    r = run_scenarios()
    print(f"scenarios: {r['n']} (risky {r['tp'] + r['fn']}, ordinary {r['fp'] + r['tn']})")
    print(f"elevated-or-high: TP {r['tp']}  FP {r['fp']}  FN {r['fn']}  TN {r['tn']}")
    print(f"precision {r['precision']:.3f}  recall {r['recall']:.3f}")
    for name, level, score, ids in r["wrong"]:
        print(f"  misclassified: {name}: {level} ({score}) {ids}")
    for name, rid in r["missing_rules"]:
        print(f"  expected rule did not fire: {name}: {rid}")
    if args.chat:
        if args.chat.exists():
            bench_speed(args.chat, args.limit)
        else:
            print(f"speed: skipped, {args.chat} not found (run shared/bench/make_corpus.sh)")


if __name__ == "__main__":
    main()
