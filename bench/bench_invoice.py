"""Bench: `tradeshield invoice` against `pdftoppm -jpeg -r 200` on the same 20-page PDF, whole processes.

    /work/venv/bin/python bench/bench_invoice.py [/tmp/ts-bench/invoice-20p.pdf] [--rounds 5]

Both run as fresh processes, interleaved round by round in one run so the shared machine's load hits both
alike; each round tradeshield gets a new case (made before the clock starts), so every run copies the PDF in,
hashes it, renders, trims, captions, encodes, parses the text and logs it. Prints the medians and the
ratio (target ≤ 0.8). Not a test: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict | None = None, cwd: str | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pdf", nargs="?", default="/tmp/ts-bench/invoice-20p.pdf")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--dpi", type=int, default=200)
    args = ap.parse_args()
    pdf = Path(args.pdf).resolve()
    if not pdf.is_file():
        sys.exit(f"missing {pdf}: run ../shared/bench/make_corpus.sh /tmp/ts-bench first")
    if not shutil.which("pdftoppm"):
        sys.exit("pdftoppm not found (apt-get install poppler-utils)")
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRADESHIELD_LANG="en")
    work = Path(tempfile.mkdtemp(prefix="bench-invoice-"))
    ts, pp = [], []
    try:
        for r in range(args.rounds):
            case = work / f"case{r}"
            subprocess.run([sys.executable, "-m", "tradeshield", "init", str(case)], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            out = work / f"pp{r}"
            out.mkdir()
            pp.append(timed(["pdftoppm", "-jpeg", "-r", str(args.dpi), str(pdf), str(out / "p")]))
            ts.append(timed([sys.executable, "-m", "tradeshield", "invoice", str(pdf), "--dpi", str(args.dpi),
                             "--case", str(case), "--json", "--quiet"], env=env))
            pages = len(list((case / "derived" / "invoice").glob("*/p*.jpg")))
            print(f"round {r + 1}: pdftoppm {pp[-1]:.3f} s, tradeshield {ts[-1]:.3f} s ({pages} pages)", flush=True)
            shutil.rmtree(out)
            shutil.rmtree(case)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    t, p = statistics.median(ts), statistics.median(pp)
    print(f"pdftoppm -jpeg -r {args.dpi}: median {p:.3f} s  (min {min(pp):.3f})")
    print(f"tradeshield invoice --dpi {args.dpi}: median {t:.3f} s  (min {min(ts):.3f})")
    print(f"ratio tradeshield/pdftoppm: {t / p:.2f} (median), {min(ts) / min(pp):.2f} (best)  target <= 0.80")


if __name__ == "__main__":
    main()
