#!/usr/bin/env python3
"""Benchmark `tradeshield chat` against whatstk and chat-miner on the same WhatsApp export, and tradeshield across
formats, in one run.

    .venv/bin/python bench/bench_chat.py [--messages 200000] [--big 1000000] [--runs 2] [--dir /tmp/ts-bench-chat]

Inputs (made once in --dir): ../shared/bench/gen_chat.py writes a Taobao-block export; bench/gen_formats.py rewrites
the same messages as a WhatsApp (Android), WeChat-txt (WeChatMsg) and QQ (消息管理器) export, so every format carries
the same senders, times and texts. The anchors, whatstk 0.9.1 (``df_from_whatsapp``) and chat-miner 0.6.0
(``WhatsAppParser``), are installed in the bench's own virtual environment (``--dir``/anchors-venv), never as
tradeshield dependencies; each must return every message, or the run stops.

Each run measures, in alternating order: whatstk, chat-miner and tradeshield on the WhatsApp export; tradeshield on
the Taobao, WeChat-txt and QQ exports (fresh case each); a second import (the WeChat-txt export into the case that
already holds the Taobao chat: every line merged by time); and tradeshield on a --big WhatsApp export (peak memory
must not grow with the file). Both tools run from byte code: tradeshield's modules are compiled first (``compileall``),
as pip compiled the anchors'. tradeshield's time is the whole ``tradeshield chat`` process: evidence copy and hash,
read-back check, parse, events, chat.jsonl and chat-events.jsonl, provenance, facts. Wall time and CPU time
(user + sys) and peak RSS come from ``/usr/bin/time``; medians over --runs are printed with the targets:
speed >= 1.5x whatstk, every format and the second import within 1.5x of the fastest format, peak RSS <= 0.5x
whatstk's, and RSS at --big within 10 % of RSS at --messages.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if (p / "bench" / "gen_chat.py").exists()),
              ROOT.parent / "shared")
GEN = SHARED / "bench" / "gen_chat.py"
PY = sys.executable
ANCHORS = {"whatstk": "whatstk==0.9.1", "chat-miner": "chat-miner==0.6.0"}
ANCHOR_CODE = r"""
import sys
tool, path = sys.argv[1], sys.argv[2]
if tool == "whatstk":
    from whatstk import df_from_whatsapp
    df = df_from_whatsapp(path)
else:
    from chatminer.chatparsers import WhatsAppParser
    p = WhatsAppParser(path)
    p.parse_file()
    df = p.parsed_messages.get_df()
print(len(df))
"""


def steal() -> tuple[int, int]:
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0, 0
    return ticks[7], sum(ticks)


def measure(cmd: list[str], env=None) -> dict:
    """wall and CPU seconds, peak RSS MiB, stdout and the hypervisor's steal share of one process."""
    timer = shutil.which("time") or "/usr/bin/time"
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        s0, t0 = steal()
        proc = subprocess.run([timer, "-f", "%e %U %S %M", "-o", tf.name, *cmd], capture_output=True, text=True,
                              env=env)
        s1, t1 = steal()
        if proc.returncode != 0:
            sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
        wall, user, sys_, rss = tf.read().split("\n")[-2].split()
    return {"wall": float(wall), "cpu": float(user) + float(sys_), "rss": int(rss) / 1024, "out": proc.stdout,
            "steal": (s1 - s0) / max(1, t1 - t0)}


def anchors_python(work: Path) -> str:
    venv = work / "anchors-venv"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    ok = subprocess.run([str(py), "-c", "import whatstk, chatminer"], capture_output=True).returncode == 0
    if not ok:
        print("installing whatstk 0.9.1 and chat-miner 0.6.0 into", venv, file=sys.stderr)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *ANCHORS.values()],
                       check=True)
    return str(py)


def inputs(work: Path, n: int, big: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from bench.gen_formats import convert

    def make(count: int, tag: str) -> Path:
        tb = work / f"taobao-{tag}.txt"
        if not tb.exists():
            print(f"generating {count:,} messages → {tb}", file=sys.stderr)
            subprocess.run([sys.executable, str(GEN), str(tb), str(count)], check=True)
        return tb

    tb = make(n, "small")
    files = {"taobao": tb}
    for layout in ("whatsapp", "wechat-txt", "qq"):
        dest = work / f"{layout}-small.txt"
        if not dest.exists():
            convert(str(tb), layout, str(dest))
        files[layout] = dest
    if big:
        tb_big = make(big, "big")
        dest = work / "whatsapp-big.txt"
        if not dest.exists():
            convert(str(tb_big), "whatsapp", str(dest))
        files["whatsapp-big"] = dest
    return files


def tradeshield(case: Path, export: Path, env: dict, fresh: bool = True) -> dict:
    if fresh:
        shutil.rmtree(case, ignore_errors=True)
        subprocess.run([PY, "-m", "tradeshield", "init", str(case), "--role", "seller"], env=env, check=True,
                       capture_output=True)
    r = measure([PY, "-m", "tradeshield", "chat", str(export), "--json", "--quiet", "--case", str(case)], env=env)
    res = json.loads(r["out"])
    r["messages"], r["format"] = res["messages"], res["format"]
    r["events"] = sum(res["event_counts"].values())
    return r


def one_run(files: dict, apy: str, env: dict, work: Path, flip: bool, n: int) -> dict:
    rows = {}
    wa = files["whatsapp"]

    def anchors():
        for tool in ("whatstk", "chat-miner"):
            r = measure([apy, "-c", ANCHOR_CODE, tool, str(wa)])
            r["messages"] = int(r["out"].split()[-1])
            if r["messages"] != n:
                sys.exit(f"{tool} returned {r['messages']} messages, not {n}: it did not do the work")
            rows[tool] = r

    def ours():
        case = work / "case"
        for fmt in ("whatsapp", "taobao", "wechat-txt", "qq"):
            rows[f"tradeshield {fmt}"] = r = tradeshield(case, files[fmt], env)
            if r["messages"] != n or r["format"] != fmt:
                sys.exit(f"tradeshield read {r['messages']} {r['format']} messages from {files[fmt]}")
            if fmt == "taobao":      # the case now holds a chat: import a second one into it
                rows["tradeshield 2nd import"] = r2 = tradeshield(case, files["wechat-txt"], env, fresh=False)
                if r2["messages"] != n:
                    sys.exit("second import read the wrong number of messages")
        if "whatsapp-big" in files:
            rows["tradeshield whatsapp big"] = tradeshield(case, files["whatsapp-big"], env)
        shutil.rmtree(case, ignore_errors=True)

    for step in ((ours, anchors) if flip else (anchors, ours)):
        step()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--big", type=int, default=1_000_000, help="messages of the large WhatsApp export (0: skip)")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--dir", default="/tmp/ts-bench-chat")
    args = ap.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    apy = anchors_python(work)
    files = inputs(work, args.messages, args.big)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRADESHIELD_LANG="en", TRADESHIELD_HOME=str(work / "home"))
    # the anchors run from byte code (pip compiles what it installs); tradeshield must too: a first run or an install
    # leaves its modules compiled, but with PYTHONDONTWRITEBYTECODE set (as on some CI machines and this bench's
    # own) every run of the checkout would compile ~1 MB of source again (~0.1 s, in both processes of an import)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "tradeshield")], check=True)
    args.load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    runs = [one_run(files, apy, env, work, flip=bool(i % 2), n=args.messages) for i in range(args.runs)]
    report(runs, files, args)


def report(runs: list, files: dict, args) -> None:
    def med(name, key):
        return statistics.median(r[name][key] for r in runs)

    n = args.messages
    print(f"inputs: {n:,} messages each — " + ", ".join(f"{k} {v.stat().st_size / 2**20:.0f} MiB"
                                                       for k, v in files.items() if k != "whatsapp-big")
          + (f"; whatsapp-big {args.big:,} messages {files['whatsapp-big'].stat().st_size / 2**20:.0f} MiB"
             if "whatsapp-big" in files else ""))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(runs)} run(s), medians; load average {getattr(args, 'load0', float('nan')):.1f} at the start, "
          f"{load:.1f} now, on {os.cpu_count()} cores (the machine is shared: compare the runs' walls)")
    print()
    print(f"{'tool / input':34} {'messages':>10} {'wall s':>8} {'cpu s':>7} {'peak RSS MiB':>13} {'steal':>6}  all wall s")
    names = ["whatstk", "chat-miner", "tradeshield whatsapp", "tradeshield taobao", "tradeshield wechat-txt",
             "tradeshield qq", "tradeshield 2nd import", "tradeshield whatsapp big"]
    for name in names:
        if name not in runs[0]:
            continue
        walls = " ".join(f"{r[name]['wall']:.2f}" for r in runs)
        label = name + (" (WhatsApp)" if name in ("whatstk", "chat-miner") else "")
        print(f"{label:34} {runs[0][name]['messages']:>10,} {med(name, 'wall'):8.2f} {med(name, 'cpu'):7.2f} "
              f"{med(name, 'rss'):13.0f} {med(name, 'steal'):6.0%}  {walls}")
    print()
    wk, ts = med("whatstk", "wall"), med("tradeshield whatsapp", "wall")
    wk_cpu, ts_cpu = med("whatstk", "cpu"), med("tradeshield whatsapp", "cpu")
    print(f"speed vs whatstk (WhatsApp):  {wk / ts:.2f}x wall, {wk_cpu / ts_cpu:.2f}x cpu   (target >= 1.5)")
    print(f"speed vs chat-miner:          {med('chat-miner', 'wall') / ts:.2f}x wall")
    fmts = ["tradeshield whatsapp", "tradeshield taobao", "tradeshield wechat-txt", "tradeshield qq"]
    fastest = min(med(f, "wall") for f in fmts)
    fastest_cpu = min(med(f, "cpu") for f in fmts)
    for f in fmts + ["tradeshield 2nd import"]:
        print(f"{f:30}{med(f, 'wall') / fastest:.2f}x the fastest format's wall, {med(f, 'cpu') / fastest_cpu:.2f}x cpu"
              "   (target <= 1.5)")
    print(f"peak RSS vs whatstk:          {med('tradeshield whatsapp', 'rss') / med('whatstk', 'rss'):.2f}x"
          "   (target <= 0.5)")
    if "tradeshield whatsapp big" in runs[0]:
        print(f"peak RSS {args.big:,} vs {n:,}:  "
              f"{med('tradeshield whatsapp big', 'rss') / med('tradeshield whatsapp', 'rss'):.2f}x   (target <= 1.10)")


if __name__ == "__main__":
    main()
