"""How far two careful people agree on the held-out part's events: the second annotator's labels
(``bench/data/events/heldout-second.txt``, written blind on the same text) scored against the writers' labels
(``heldout.txt``) per kind, exactly as ``bench_events.py`` scores the reader — the ceiling its bar is measured
against. Prints the table only (never a message: the text is held out).

    .venv/bin/python bench/events_agreement.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_events import DATA, load, score, table  # noqa: E402


def main() -> int:
    writer, second = load("heldout"), load("heldout", DATA / "heldout-second.txt")
    if [c["id"] for c in writer] != [c["id"] for c in second]:
        print("heldout-second.txt does not hold heldout.txt's chats", file=sys.stderr)
        return 2
    for cw, cs in zip(writer, second):
        if [m["text"] for m in cw["messages"]] != [m["text"] for m in cs["messages"]]:
            print(f"chat {cw['id']}: heldout-second.txt's text differs", file=sys.stderr)
            return 2
    # the second labels as the prediction, scored as bench_events scores the reader
    by_id = {c["id"]: c for c in second}
    tp, fp, fn, _wrong, _errors = score(writer, lambda c: {i: m["kinds"] for i, m in enumerate(by_id[c["id"]]["messages"])})
    n = sum(len(c["messages"]) for c in writer)
    print(f"second annotator vs the writers' labels: chats={len(writer)}  messages={n}")
    print(f"{'kind':20s} {'n':>4s} {'precision':>9s} {'recall':>7s}")
    for k, cnt, p, r in table(tp, fp, fn, sorted(tp.keys() | fp.keys() | fn.keys())):
        print(f"{k:20s} {cnt:4d} {p:9.2f} {r:7.2f}" + ("" if p >= 0.9 and r >= 0.85 else "  <-- below 0.9/0.85"))
    t, f, m = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(f"{'all (micro)':20s} {t + m:4d} {t / max(1, t + f):9.2f} {t / max(1, t + m):7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
