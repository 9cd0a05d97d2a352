"""The learned finder of events the rules miss (issue 19): measured batch-out, and trained.

    .venv/bin/python bench/events_finder.py cv        # rules alone vs rules ∪ finder on batches neither saw
    .venv/bin/python bench/events_finder.py train     # write tradeshield/data/event_finder.json (deterministic)

Data: ``bench/data/events/tune.txt`` only — this script never opens the held-out part. The model
(``tradeshield.conversation.finder``) is one logistic regression per kind over the char 1–3-grams of each of a
message's clauses as the reader cuts them (``model.gram_set(model.norm(clause), 3)``), its place in the talk
(``finder.talk_bits``: amounts against the other side's last ones, a bare acceptance …; session 12) and the
speaker's side; scikit-learn's liblinear fits it (a test extra: the tool itself only sums the packaged weights).

``cv``: the blind batches of ``events_model.FOLDS`` (78 since session 11; each written by someone who had not seen
the rules) go into 8 groups round robin; each group is scored by a finder trained on every other part of tune.txt,
and its rule events are those of the reader that scored each batch blind (``events_model.py hits``), so neither side
of the union has seen the batch. A kind counts as ``bench_events.py`` counts it (per message). Thresholds are
printed side by side; the packaged one was chosen on this table (README.md "Session 9").
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import events_model as em  # noqa: E402
from tradeshield.conversation.finder import QUIET  # noqa: E402
from tradeshield.conversation.model import gram_set  # noqa: E402  (the finder's own features)

C, PRUNE, THRESHOLD, BESIDE, GROUPS = 1.0, 0.1, 0.5, 0.7, 8


def features(clauses: list, side, talk: int = 0) -> list[str]:
    """The features of a message of ``clauses`` (as the reader cuts the text it reads) said on ``side``, as the reader
    has ``finder.Finder`` read them: its side, the char 1–3-grams of each clause (a gram in two clauses counts twice),
    and ``talk``, its place in the talk (``finder.talk_bits``)."""
    from tradeshield.conversation.finder import talk_features
    from tradeshield.conversation.model import norm

    return (["s=" + str(side)] + sorted("m:" + g for c in clauses for g in gram_set(norm(c), 3))
            + ["d:" + f for f in talk_features(talk, side)])


def rows_of(chats):
    """(batch, chat id, index, features, kinds, side) of every message; each text read once as the reader reads it
    (``reader._analyse``), its place in the talk as the reader gives it."""
    from tradeshield.conversation.finder import talk_bits
    from tradeshield.conversation.reader import _analyse, load_rules

    R = load_rules(None)
    rows = []
    for c in chats:
        last, turn = {}, None
        for i, m in enumerate(c["messages"]):
            info = _analyse(R, m["text"], True)
            read, clauses = info[0], [x[0] for x in info[1]]
            other = "them" if m["role"] == "me" else "me"
            talk = talk_bits(read, i == 0, turn == m["role"], last.get(m["role"]), last.get(other), clauses)
            last[m["role"]], turn = read, m["role"]
            side = em.side_of(c["role"], m["role"])
            rows.append((em.group(c["id"]), c["id"], i, features(clauses, side, talk), m["kinds"], side))
    return rows


def matrix(rows, vocab=None):
    import numpy as np
    from scipy.sparse import csr_matrix

    S = em.Sparse([r[3] for r in rows], vocab)     # (a feature said twice is indexed twice: summed below)
    X = csr_matrix((np.ones(len(S.ind)), S.ind, S.ptr), shape=(len(rows), len(S.vocab)))
    X.sum_duplicates()
    return X, S.vocab


def fit(X, y):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, solver="liblinear", random_state=0, max_iter=300)
    clf.fit(X, y)
    return clf


def kind_sides() -> dict:
    """kind → the sides it may be said on, from the packaged rules (a kind one of whose rules any side may say is
    left out: any side)."""
    from tradeshield.conversation.reader import load_rules

    by: dict = {}
    for r in load_rules(None).kinds:
        by.setdefault(r.kind, set()).add(r.by)
    return {k: sorted(v) for k, v in sorted(by.items()) if "any" not in v}


def cmd_cv(a) -> int:
    import numpy as np

    chats = em.load_tune()
    hits = em.read_hits()["blind"]
    rule_kinds = {(c["id"], int(i)): {e[0] for e in evs} for c in chats for i, evs in hits.get(c["id"], {}).items()}
    kinds = sorted(set().union(*(m["kinds"] for c in chats for m in c["messages"])))
    sides = kind_sides()
    rows = rows_of(chats)
    G = np.array([r[0] for r in rows])
    Y = np.array([[k in r[4] for k in kinds] for r in rows])
    P = np.zeros(Y.shape)
    groups = [em.BLIND[k::GROUPS] for k in range(GROUPS)]
    t0 = time.perf_counter()
    for gs in groups:
        te = np.isin(G, gs)
        tr_rows = [r for r, t in zip(rows, te) if not t]
        X, vocab = matrix(tr_rows)
        Xt, _ = matrix([r for r, t in zip(rows, te) if t], vocab)
        for j in range(len(kinds)):
            clf = fit(X, Y[~te, j])
            clf.coef_[np.abs(clf.coef_) < a.prune] = 0.0
            P[te, j] = clf.predict_proba(Xt)[:, 1]
        print(f"  group {gs[0]}…: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    test = [k for k, g in enumerate(G) if g in em.BLIND]
    ths = [float(x) for x in a.th.split(",")]

    def table(pred):
        counts = Counter(), Counter(), Counter()
        for k in test:
            em.tally(counts, pred(k), rows[k][4])
        return counts

    def rules(k):
        return rule_kinds.get((rows[k][1], rows[k][2]), set())

    # where the reader lets the finder read (``finder.QUIET``): the chat's first messages and those soon after a
    # message where the (blind) rules found an event; and no message longer than the longest it learnt from
    quiet, reads = {}, []
    for k, r in enumerate(rows):
        q = 0 if r[2] == 0 else quiet[r[1]]
        has = bool(rules(k))
        reads.append(has or q < QUIET)
        quiet[r[1]] = 0 if has else min(q + 1, QUIET)
    longest = max(len(m["text"]) for c in chats for m in c["messages"])
    text_of = {(c["id"], i): m["text"] for c in chats for i, m in enumerate(c["messages"])}

    def model(k, th):
        if not reads[k] or len(text_of[rows[k][1], rows[k][2]]) > longest:
            return set()
        if rules(k):        # beside the rules' own events it must be surer (``BESIDE``)
            th = max(th, BESIDE)
        return {x for j, x in enumerate(kinds) if P[k, j] >= th and (x not in sides or rows[k][5] in sides[x])}

    res = {"rules": table(rules)}
    for th in ths:
        res[f"finder@{th}"] = table(lambda k, th=th: model(k, th))
        res[f"union@{th}"] = table(lambda k, th=th: rules(k) | model(k, th))
    print(f"{len(em.BLIND)} blind batches in {GROUPS} groups, {len(test)} messages; C={C} prune={a.prune}, beside a rule "
          f"event >= {BESIDE}: P / R")
    print(f"{'kind':19s} {'n':>4s} " + " ".join(f"{n:>12s}" for n in res))
    for x in kinds + ["all (micro)"]:
        cells = []
        for tp, fp, fn in res.values():
            if x == "all (micro)":
                p, r = em.prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
            else:
                p, r = em.prf(tp[x], fp[x], fn[x])
            cells.append(f"{p:.2f} / {r:.2f}")
        tp, _fp, fn = res["rules"]
        n = sum(tp.values()) + sum(fn.values()) if x == "all (micro)" else tp[x] + fn[x]
        print(f"{x:19s} {n:4d} " + " ".join(f"{c:>12s}" for c in cells))
    return 0


def cmd_train(a) -> int:
    import numpy as np

    from tradeshield.conversation import finder

    chats = em.load_tune()
    kinds = sorted(set().union(*(m["kinds"] for c in chats for m in c["messages"])))
    rows = rows_of(chats)
    X, vocab = matrix(rows)
    inv = sorted(vocab, key=vocab.get)
    bias, side, grams, talk = [], {}, {}, {}
    for j, kind in enumerate(kinds):
        clf = fit(X, np.array([kind in r[4] for r in rows]))
        bias.append(round(float(clf.intercept_[0]), 3))
        for f, w in zip(inv, clf.coef_[0]):
            w = round(float(w), 3)
            if abs(w) < a.prune or w == 0:
                continue
            if f.startswith("s="):
                side.setdefault(f[2:], [0.0] * len(kinds))[j] = w
            elif f.startswith("d:"):
                talk.setdefault(f[2:], []).append([j, w])
            else:
                grams.setdefault(f[2:], []).append([j, w])
    data = {"about": "events the rules missed: one logistic regression per kind over a message's char 1-3-grams, "
                     "its place in the talk (dialogue) and the speaker's side (tradeshield.conversation.finder); "
                     "made by bench/events_finder.py train",
            "trained_on": {"messages": len(rows), "events": sum(len(r[4]) for r in rows), "C": C, "prune": a.prune},
            "threshold": THRESHOLD, "threshold_beside": BESIDE, "max_chars": max(len(m["text"]) for c in chats for m in c["messages"]),
            "kinds": kinds, "sides": kind_sides(), "bias": bias,
            "side": dict(sorted(side.items())), "dialogue": dict(sorted(talk.items())), "grams": dict(sorted(grams.items()))}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    out = Path(a.out) if a.out else finder.DATA
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text) // 1024} KB): {len(grams)} grams with a weight, "
          f"{sum(len(v) for v in grams.values())} weights, of {len(vocab)} features × {len(kinds)} kinds")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    cv = sub.add_parser("cv")
    cv.add_argument("--th", default="0.4,0.5,0.6")
    cv.add_argument("--prune", type=float, default=PRUNE)
    tr = sub.add_parser("train")
    tr.add_argument("--prune", type=float, default=PRUNE)
    tr.add_argument("--out", default="")
    a = ap.parse_args(argv)
    return {"cv": cmd_cv, "train": cmd_train}[a.cmd](a)


if __name__ == "__main__":
    raise SystemExit(main())
