"""Benchmark: `tradeshield split` vs the splitter a user writes in 5 minutes (textwrap), same input, one run.

    /work/venv/bin/python bench/bench_split.py [CHARS] [--single-line]

``--single-line`` removes every newline (issue 16 item 13: a 50 MB one-line file must split in linear time);
try ``50000000 --single-line``.

The anchor is `python -c 'textwrap.wrap(text, 194)'`: fixed-width chunks, no token protection, no optimality.
Both run as whole processes on the same generated zh/en/emoji text; prints wall time, peak RSS and the ratio.
"""
from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIECES = ["买家于", "2021-05-29 20:01", "要求优惠", "¥50", "，被拒后", "申请退款。", "订单号 1234567890，",
          "顺丰 SF1234567890。", "The buyer asked for a discount, ", "then requested a refund. ",
          "「手机无法开机」", "https://m.tb.cn/h.abc?x=1 ", "😀", "TS1-7K3M-Q9PX-2ABC。", "\n\n"]


def make_text(chars: int) -> str:
    rng = random.Random(7)
    out, n = [], 0
    while n < chars:
        p = rng.choice(PIECES)
        out.append(p)
        n += len(p)
    return "".join(out)


def run(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - t0
    return wall, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    chars = int(args[0]) if args else 100_000
    single = "--single-line" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "draft.txt"
        text = make_text(chars)
        path.write_text(text.replace("\n", "") if single else text, encoding="utf-8")
        anchor = [sys.executable, "-c", "import sys,textwrap,json;"
                  "t=open(sys.argv[1],encoding='utf-8').read();print(json.dumps(textwrap.wrap(t,194)))", str(path)]
        ours = [sys.executable, "-m", "tradeshield", "split", str(path), "--json"]
        a_wall, a_rss = run(anchor)
        o_wall, o_rss = run(ours)
    print(f"input: {chars} chars (zh/en/emoji/tokens{', one line' if single else ''}), limit 200 utf16")
    print(f"anchor textwrap.wrap   wall {a_wall:.2f} s  peak RSS {a_rss:.0f} MiB")
    print(f"tradeshield split      wall {o_wall:.2f} s  peak RSS {o_rss:.0f} MiB")
    print(f"ratio tradeshield/anchor: {o_wall / a_wall:.2f}x wall")


if __name__ == "__main__":
    main()
