"""Bench: `tradeshield invoice` against `pdftoppm -jpeg -r 200` on the same 20-page PDF, whole processes.

    /work/venv/bin/python bench/bench_invoice.py [/tmp/ts-bench/invoice-20p.pdf] [--rounds 5]

Both run as fresh processes, interleaved round by round in one run so the shared machine's load hits both
alike; each round tradeshield gets a new case (made before the clock starts), so every run copies the PDF in,
hashes it, renders, trims, captions, encodes, parses the text and logs it. Prints the medians, the
ratio (target ≤ 0.8) and the CPU seconds of both (on a loaded machine the cores the parallel renderer
needs are busy, and the CPU figures say where the time went). Not a test: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """(wall, CPU user+sys of the process and its children) for one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
    ts, pp, ts_cpu, pp_cpu = [], [], [], []
    try:
        for r in range(args.rounds):
            case = work / f"case{r}"
            subprocess.run([sys.executable, "-m", "tradeshield", "init", str(case)], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            out = work / f"pp{r}"
            out.mkdir()
            wall, cpu = timed(["pdftoppm", "-jpeg", "-r", str(args.dpi), str(pdf), str(out / "p")])
            pp.append(wall)
            pp_cpu.append(cpu)
            wall, cpu = timed([sys.executable, "-m", "tradeshield", "invoice", str(pdf), "--dpi", str(args.dpi),
                               "--case", str(case), "--json", "--quiet"], env=env)
            ts.append(wall)
            ts_cpu.append(cpu)
            pages = len(list((case / "derived" / "invoice").glob("*/p*.jpg")))
            print(f"round {r + 1}: pdftoppm {pp[-1]:.3f} s (cpu {pp_cpu[-1]:.2f}), tradeshield {ts[-1]:.3f} s "
                  f"(cpu {ts_cpu[-1]:.2f}, {pages} pages)", flush=True)
            shutil.rmtree(out)
            shutil.rmtree(case)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    t, p = statistics.median(ts), statistics.median(pp)
    print(f"pdftoppm -jpeg -r {args.dpi}: median {p:.3f} s  (min {min(pp):.3f})")
    print(f"tradeshield invoice --dpi {args.dpi}: median {t:.3f} s  (min {min(ts):.3f})")
    print(f"ratio tradeshield/pdftoppm: {t / p:.2f} (median), {min(ts) / min(pp):.2f} (best)  target <= 0.80")
    print(f"CPU seconds (user+sys, all processes): pdftoppm {statistics.median(pp_cpu):.2f}, "
          f"tradeshield {statistics.median(ts_cpu):.2f}  (parallel rendering needs idle cores to turn into wall time;"
          f" load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
