#!/usr/bin/env python3
"""CPU the learned event veto adds to the conversation reader on a chat export (issue 19 / issue 15).

    .venv/bin/python bench/events_veto_cost.py /tmp/ts-bench-chat/whatsapp-small.txt --me 手机专营店-晓晓 [--runs 5]

1. The reader (``reader.read_lines``, the chat import's call, 4,096-message batches, role seller; ``--me`` marks that
   sender's messages as the user's) with the veto on and off, interleaved, CPU time per run, medians — on a shared
   2-core machine these differ by more than the veto costs, so:
2. the veto's own work, measured apart: every call the reader made to ``Veto.keeps`` recorded, then replayed on a
   freshly loaded model (its load and its caches count), median of 5; plus the check the reader makes on every
   message with an event (``isdisjoint`` of its kinds with the judged ones) timed on as many such messages.
The events the two readers write are compared kind by kind (the veto only drops).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("export")
    ap.add_argument("--me", default="")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args(argv)
    from tradeshield.chat import read_chat
    from tradeshield.conversation import model, reader

    conv = read_chat(a.export)
    msgs = [{"time": m.time, "sender": m.sender, "role": "me" if a.me and m.sender == a.me else "them", "text": m.text,
             "lines": [m.line_start, m.line_end], "source": "x"} for m in conv.messages]

    def read(veto: bool):
        os.environ["TRADESHIELD_EVENT_VETO"] = "1" if veto else "0"
        reader.clear_caches()
        model._LOADED.clear()
        state, counts, with_events = {}, {}, 0
        t0 = time.process_time()
        for k in range(0, len(msgs), 4096):
            _lines, c = reader.read_lines(msgs[k:k + 4096], role="seller", state=state)
            for kind, n in c.items():
                counts[kind] = counts.get(kind, 0) + n
        return time.process_time() - t0, counts

    res = {True: [], False: []}
    counts = {}
    for r in range(a.runs):
        for veto in ((True, False) if r % 2 == 0 else (False, True)):
            t, counts[veto] = read(veto)
            res[veto].append(t)
    on, off = statistics.median(res[True]), statistics.median(res[False])
    print(f"{len(msgs):,} messages; reader CPU, median of {a.runs} (interleaved): veto on {on:.2f} s "
          f"{['%.2f' % x for x in res[True]]}, off {off:.2f} s {['%.2f' % x for x in res[False]]} ({(on / off - 1) * 100:+.1f} %)")
    print(f"events: {sum(counts[False].values()):,} without the veto, {sum(counts[True].values()):,} with; dropped: "
          + ", ".join(f"{k} {counts[False][k] - counts[True].get(k, 0)}" for k in counts[False]
                      if counts[False][k] != counts[True].get(k, 0)))
    calls = []
    orig = model.Veto.keeps

    def record(self, *args):
        calls.append(args)
        return orig(self, *args)

    model.Veto.keeps = record
    read(True)
    model.Veto.keeps = orig
    with_event = sum(counts[False].values())
    times = []
    for _ in range(5):
        model._LOADED.clear()
        t0 = time.process_time()
        v = model.load_veto()
        for args in calls:
            v.keeps(*args)
        times.append(time.process_time() - t0)
    own = statistics.median(times)
    kinds = [frozenset({"defect-claim"}), frozenset({"delivery-promise", "receipt-ack"})] * (with_event // 2)
    judged = reader._VETO_KINDS
    t0 = time.process_time()
    for ks in kinds:
        if ks and not judged.isdisjoint(ks):
            pass
    t_loop = time.process_time() - t0
    t0 = time.process_time()
    for ks in kinds:
        if ks:
            pass
    check = max(0.0, t_loop - (time.process_time() - t0))
    print(f"the veto's own work: load + {len(calls):,} calls {own * 1000:.1f} ms (median of 5 on a fresh model) + the "
          f"per-message check on {with_event:,} events {check * 1000:.1f} ms = {(own + check) * 1000:.1f} ms = "
          f"{(own + check) / off * 100:.2f} % of the reader's {off:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
