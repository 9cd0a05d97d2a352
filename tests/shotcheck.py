"""Compare what the screenshot reader found with a generated screenshot's truth (tests and bench)."""
from __future__ import annotations


def norm(t: str) -> str:
    return (t or "").replace(" ", "").strip()


def score(conv, truth: dict) -> dict:
    """Counts of messages matched in order (by role + text), right side, exact text, separator times."""
    from difflib import SequenceMatcher

    got = [m for m in conv.messages]
    want = truth["messages"]
    # align by text similarity in order (a missed or extra message must not shift every later one)
    a = [("S:" if m.role == "system" else "") + norm(m.text) for m in got]
    b = [("S:" if m["kind"] == "system" else "") + norm(m["text"]) for m in want]
    pairs = []
    j0 = 0
    for i, x in enumerate(a):
        best, bj = 0.0, None
        for j in range(j0, min(len(b), j0 + 4)):
            r = SequenceMatcher(None, x, b[j]).ratio()
            if r > best:
                best, bj = r, j
        if bj is not None and best >= 0.5:
            pairs.append((i, bj))
            j0 = bj + 1
    side = sum(got[i].role == want[j]["role"] for i, j in pairs)
    text = sum(norm(got[i].text) == norm(want[j]["text"]) for i, j in pairs)
    times = sum((got[i].time.isoformat(timespec="minutes")[:16] if got[i].time else None) ==
                (want[j]["time"][:16] if want[j]["time"] else None) for i, j in pairs)
    sender = sum(got[i].sender == want[j]["sender"] for i, j in pairs if want[j]["sender"])
    gs = [(s["label"], (s["time"] or "")[:16]) for s in conv.separators]
    ws = [(s["label"], s["time"][:16]) for s in truth["separators"]]
    # separators in order: each wanted one matched to the next read one with the same time (a missed or an
    # extra one costs itself, not every later one)
    sep_ok, k = 0, 0
    for lab, t in ws:
        j = next((j for j in range(k, len(gs)) if gs[j][1] == t), None)
        if j is not None:
            sep_ok, k = sep_ok + 1, j + 1
    bad = [(got[i].role, got[i].text, want[j]["role"], want[j]["text"]) for i, j in pairs
           if got[i].role != want[j]["role"] or norm(got[i].text) != norm(want[j]["text"])]
    missing = [want[j]["text"] for j in range(len(want)) if j not in {p[1] for p in pairs}]
    extra = [got[i].text for i in range(len(got)) if i not in {p[0] for p in pairs}]
    return {"want": len(want), "got": len(got), "matched": len(pairs), "side": side, "text": text, "times": times,
            "senders": sender, "senders_want": sum(1 for m in want if m["sender"]),
            "seps_want": len(ws), "seps_got": len(gs), "seps_ok": sep_ok, "bad": bad, "missing": missing,
            "extra": extra, "cards_want": len(truth.get("cards", [])), "cards_got": len(conv.cards),
            "cards_ok": sum(1 for c in truth.get("cards", []) if any(
                g["card"].get("price") == c["price"] and norm(g["card"].get("title") or "") == norm(c["title"])
                and g["card"].get("status") == c["status"] for g in conv.cards))}
