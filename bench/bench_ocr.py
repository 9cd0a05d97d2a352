"""Bench: the chat-screenshot reader against RapidOCR's own call on the same images, plus accuracy and cache.

    .venv/bin/python bench/bench_ocr.py [--count 30] [--dir /tmp/ts-bench/shots]

Generates ``--count`` app-like screenshots (tests/chatshots.py: 微信, QQ, 闲鱼, 淘宝, 转转; light and dark;
1080×2400 and 1170×2532; groups, keyboards, 12-hour separators) with their truth, then in ONE worker process
with the engine loaded once, image by image, alternating which goes first:
- the anchor: ``RapidOCR()(path)`` — what a user with RapidOCR alone would run (decode + detect + recognise);
- tradeshield: ``read_screenshots([path])`` with an empty cache — hash, decode, OCR, layout, separators.
It prints per-image times, the median and total ratio (target ≤ 1.2 on the 1080×2400 shots), the accuracy
against the truth (targets: ≥ 98 % right side, ≥ 95 % exact text, 100 % separator times), the worker's
peak RSS, and each side's own peak RSS in fresh processes over ``--rss-count`` shots (target < 800 MB); then
imports three overlapping screenshots into a case twice in fresh processes and times the second, which reads
the OCR cache (target < 0.5 s for the screenshot reading; the whole import also runs the event matcher and
writes the outputs); and a 1080×~10000 long capture.
Not a test: nothing here asserts; the machine is shared, run it more than once.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIGS = []
for _i in range(40):
    _app = ["wechat", "qq", "xianyu", "taobao", "zhuanzhuan"][_i % 5]
    _mode = "dark" if (_i // 5) % 2 else "light"
    _size = (1080, 2400) if _i % 3 != 2 else (1170, 2532)
    CONFIGS.append(dict(seed=100 + _i, app=_app, mode=_mode, size=_size, group=_app in ("wechat", "qq") and _i % 4 == 0,
                        keyboard=_i % 7 == 3, twelve=_i % 6 == 5, at="top" if _i % 4 == 1 else "end"))


def generate(out: Path, count: int) -> list[Path]:
    from tests.chatshots import make_set, shot_name
    import datetime as dt

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, c in enumerate(CONFIGS[:count]):
        img, truth = make_set(c["seed"], c["app"], c["mode"], size=c["size"], group=c["group"],
                              keyboard=c["keyboard"], twelve=c["twelve"], at=c["at"])
        p = out / f"{k:02d}-{c['app']}-{c['mode']}-{shot_name(dt.datetime.fromisoformat(truth['ref']), k)}"
        img.save(p)
        (out / (p.name + ".json")).write_text(json.dumps(truth, ensure_ascii=False), "utf-8")
        paths.append(p)
    return paths


def worker(dirname: str) -> None:
    from tests.shotcheck import score
    from tradeshield.ocr import OcrCache, engine
    from tradeshield.ocr.chatshot import read_screenshots

    class DirCache(OcrCache):         # an empty cache per run, in a temp folder (no case needed)
        def __init__(self, root):
            super().__init__(None)
            self.root = Path(root)

        def _path(self, sha):
            return self.root / f"{sha}.json"

    d = Path(dirname)
    cache_dir = d / "_cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache_dir.mkdir()
    t0 = time.perf_counter()
    eng = engine()
    paths = sorted(p for p in d.glob("*.png"))
    eng(str(paths[0]), use_det=True, use_cls=True, use_rec=True)   # first call warms the sessions; not counted for either side
    warm = time.perf_counter() - t0
    rows = []
    for k, p in enumerate(paths):
        truth = json.loads((d / (p.name + ".json")).read_text("utf-8"))

        def anchor():
            t = time.perf_counter()
            res = eng(str(p), use_det=True, use_cls=True, use_rec=True)
            return time.perf_counter() - t, len(res.txts or ())

        def ours():
            t = time.perf_counter()
            conv = read_screenshots([p], cache=DirCache(cache_dir))
            return time.perf_counter() - t, conv

        if k % 2:
            (ta, na), (to, conv) = anchor(), ours()
        else:
            (to, conv), (ta, na) = ours(), anchor()
        r = score(conv, truth)
        r.update(file=p.name, size=truth["size"], anchor=ta, ours=to, anchor_lines=na)
        rows.append(r)
        print(json.dumps({"progress": k + 1, "of": len(paths), "file": p.name, "anchor": round(ta, 2),
                          "ours": round(to, 2)}), file=sys.stderr, flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "rss": rss, "warm": warm}, ensure_ascii=False))


def import_worker(case_dir: str, shots: list[str]) -> None:
    from tradeshield.evidence.case import Case
    from tradeshield.ocr import OcrCache
    from tradeshield.ocr.chatshot import read_screenshots
    from tradeshield.ocr.chatstore import import_screenshots

    case = Case.find(case_dir)
    t = time.perf_counter()
    conv = read_screenshots(shots, me="木白术", cache=OcrCache(case))      # the screenshot reading alone
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    res = import_screenshots(case, shots, me="木白术")
    print(json.dumps({"seconds": time.perf_counter() - t, "read": t_read, "messages": res["messages"],
                      "read_messages": len(conv.messages),
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rapidocr_loaded": "rapidocr" in sys.modules}))


def rss_worker(side: str, dirname: str, n: int) -> None:
    """Peak RSS of one side alone over the first ``n`` screenshots, in a fresh process."""
    paths = sorted(Path(dirname).glob("*.png"))[:n]
    if side == "ours":
        from tradeshield.ocr.chatshot import read_screenshots

        for p in paths:
            read_screenshots([p])
    else:
        from rapidocr import RapidOCR

        eng = RapidOCR(params={"Global.log_level": "warning"})
        for p in paths:
            eng(str(p))
    print(json.dumps({"rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _py(*args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, __file__, *map(str, args)], check=True, capture_output=True, text=True,
                         env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=30)
    ap.add_argument("--dir", default="/tmp/ts-bench/shots")
    ap.add_argument("--worker")
    ap.add_argument("--import-case", nargs="+")
    ap.add_argument("--rss", nargs=3, metavar=("SIDE", "DIR", "N"))
    ap.add_argument("--rss-count", type=int, default=10, help="screenshots for the separate peak-RSS runs")
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker)
    if args.rss:
        return rss_worker(args.rss[0], args.rss[1], int(args.rss[2]))
    if args.import_case:
        return import_worker(args.import_case[0], args.import_case[1:])

    d = Path(args.dir)
    shutil.rmtree(d, ignore_errors=True)
    t = time.perf_counter()
    generate(d, args.count)
    print(f"generated {args.count} screenshots in {time.perf_counter() - t:.1f} s → {d}")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, __file__, "--worker", str(d)], capture_output=True, text=True, env=env)
    if proc.returncode:
        print(proc.stderr[-3000:])
        raise SystemExit(1)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = res["rows"]
    print(f"\n{'file':44} {'size':>10} {'RapidOCR':>9} {'ours':>7} {'ratio':>6} {'msgs':>5} {'side':>5} {'text':>5} {'seps':>5}")
    for r in rows:
        print(f"{r['file'][:44]:44} {r['size'][0]}x{r['size'][1]:<5} {r['anchor']:8.2f}s {r['ours']:6.2f}s "
              f"{r['ours'] / r['anchor']:6.2f} {r['matched']:>2}/{r['want']:<2} {r['side']:>5} {r['text']:>5} "
              f"{r['seps_ok']:>2}/{r['seps_want']:<2}")
        for bad in r["bad"]:
            print(f"    ✗ got {bad[0]} {bad[1]!r} want {bad[2]} {bad[3]!r}")
        for m in r["missing"]:
            print(f"    ✗ missing {m!r}")
        for m in r["extra"]:
            print(f"    ✗ extra {m!r}")
    want = sum(r["want"] for r in rows)
    side = sum(r["side"] for r in rows)
    text = sum(r["text"] for r in rows)
    times = sum(r["times"] for r in rows)
    seps_w = sum(r["seps_want"] for r in rows)
    seps_ok = sum(r["seps_ok"] for r in rows)
    extra = sum(len(r["extra"]) for r in rows)
    snd_w = sum(r["senders_want"] for r in rows)
    snd = sum(r["senders"] for r in rows)
    cw, cg = sum(r["cards_want"] for r in rows), sum(r["cards_ok"] for r in rows)
    base = [r for r in rows if r["size"] == [1080, 2400]]
    ratios = [r["ours"] / r["anchor"] for r in base]
    print(f"\n{len(rows)} screenshots, {want} messages in the truth, {extra} extra read")
    print(f"right sender side     {side}/{want} = {side / want:.1%}   (target ≥ 98 %)")
    print(f"exact text            {text}/{want} = {text / want:.1%}   (target ≥ 95 %)")
    print(f"separator times       {seps_ok}/{seps_w} = {seps_ok / max(1, seps_w):.1%}   (target 100 %)")
    print(f"message times         {times}/{want} = {times / want:.1%}")
    print(f"group nicknames       {snd}/{snd_w}    order cards read right (title, price, status) {cg}/{cw}")
    print(f"time per 1080×2400 shot: RapidOCR median {statistics.median(r['anchor'] for r in base):.2f} s, "
          f"tradeshield median {statistics.median(r['ours'] for r in base):.2f} s; ratio median "
          f"{statistics.median(ratios):.2f}, total {sum(r['ours'] for r in base) / sum(r['anchor'] for r in base):.2f}"
          f"  (target ≤ 1.2)")
    print(f"engine load + first call {res['warm']:.2f} s; peak RSS of the worker running both sides "
          f"{res['rss']:.0f} MB")
    ours_rss = _py("--rss", "ours", d, args.rss_count)["rss"]
    anchor_rss = _py("--rss", "anchor", d, args.rss_count)["rss"]
    print(f"peak RSS alone over {args.rss_count} screenshots (fresh processes): tradeshield {ours_rss:.0f} MB "
          f"(target < 800 MB), RapidOCR alone {anchor_rss:.0f} MB")

    # a re-import of three overlapping screenshots reads the cache
    from tests.chatshots import conversation, render_content, scroll_shots, shot_name
    from tradeshield.evidence.case import Case

    sd = d / "stitch"
    sd.mkdir()
    conv = conversation(seed=7, n=18, app="xianyu")
    content = render_content(conv, "xianyu", "light", 1080, seed=7)
    shots = []
    for k, (img, _truth) in enumerate(scroll_shots(content, 3, (1080, 2400))):
        p = sd / shot_name(conv[1], k)
        img.save(p)
        shots.append(p)
    Case.init(d / "case", role="seller", platform="xianyu")
    first = _py("--import-case", d / "case", *shots)
    second = _py("--import-case", d / "case", *shots)
    truth_n = sum(1 for it in content.items if it.kind in ("text", "image", "sticker", "system"))
    print(f"3 overlapping screenshots: {first['messages']} messages of the {truth_n} in the chat (the three windows "
          f"do not cover all of it); first run with OCR {first['read'] + first['seconds']:.2f} s; again from the cache: screenshots read in {second['read']:.3f} s "
          f"(target < 0.5 s), whole import {second['seconds']:.3f} s (events, outputs, custody log); "
          f"engine loaded: {second['rapidocr_loaded']}")

    # one long capture (the whole chat in one image)
    from tests.chatshots import screenshot
    from tests.shotcheck import score
    from tradeshield.ocr.chatshot import read_screenshots

    conv = conversation(seed=9, n=60, app="wechat")
    content = render_content(conv, "wechat", "light", 1080, seed=9)
    img, truth = screenshot(content, 0, (1080, 2400), long=True)
    lp = d / "long" / shot_name(conv[1])
    lp.parent.mkdir()
    img.save(lp)
    t = time.perf_counter()
    got = read_screenshots([lp])
    el = time.perf_counter() - t
    r = score(got, truth)
    print(f"long capture {img.width}×{img.height}: {r['matched']}/{r['want']} messages, side {r['side']}, "
          f"text {r['text']}, separators {r['seps_ok']}/{r['seps_want']}, {el:.1f} s (in this process, engine load included)")


if __name__ == "__main__":
    main()
