"""Benchmark `tradeshield frames` against ffmpeg's `fps=1/2` extraction on the same file, in the same run.

    python bench/bench_frames.py [/tmp/ts-bench] [--runs N]

Inputs come from ../shared/bench/make_corpus.sh (v.mp4: 5 min 1080p portrait phone-style; v4k.mp4: 60 s 4K).
Each tool runs as a whole process; tradeshield with default settings in a fresh temporary case (so its time
includes copying and hashing the video into the case). Wall time and peak RSS (per child, from wait4) are
printed with the ratio tradeshield / ffmpeg. Targets (issue 3): ratio ≤ 0.5, peak RSS < 500 MB on the 4K clip.
A benchmark, not a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("v.mp4", "v4k.mp4")


def run(cmd: list[str], env=None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode:
        print(f"  ! {' '.join(cmd[:4])} … exited {proc.returncode}: {err.strip()[-300:]}", file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def warm(path: Path) -> None:
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 24):
            pass


def bench_one(video: Path, runs: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRADESHIELD_LANG="en")
    py = sys.executable
    rows = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="ts-bench-frames-") as tmp:
            tmp = Path(tmp)
            case = tmp / "case"
            subprocess.run([py, "-m", "tradeshield", "init", str(case)], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            (tmp / "ff").mkdir()
            warm(video)
            ff = run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(video), "-vf", "fps=1/2",
                      "-q:v", "3", str(tmp / "ff" / "out%04d.jpg")])
            n_ff = len(list((tmp / "ff").glob("*.jpg")))
            shutil.rmtree(tmp / "ff")
            warm(video)
            ts = run([py, "-m", "tradeshield", "frames", str(video), "--case", str(case), "--quiet", "--json"], env=env)
            n_ts = len(list((case / "derived" / "frames").glob("*/f*.jpg")))
            rows.append((ts, ff, n_ts, n_ff))
    for (ts, ff, n_ts, n_ff) in rows:
        ratio = ts[0] / ff[0] if ff[0] else float("nan")
        print(f"{video.name:9s} tradeshield {ts[0]:7.2f} s {ts[1]:6.0f} MiB ({n_ts} frames + sheet)   "
              f"ffmpeg fps=1/2 {ff[0]:7.2f} s {ff[1]:6.0f} MiB ({n_ff} JPEG)   ratio {ratio:.2f} "
              f"[target ≤ 0.50{', RSS < 500 MiB' if '4k' in video.name else ''}]")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", default="/tmp/ts-bench", help="folder with v.mp4 and v4k.mp4")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--only", choices=FILES, help="just one of the files")
    a = ap.parse_args(argv)
    if not shutil.which("ffmpeg"):
        print("ffmpeg not found: install it (apt-get install ffmpeg) to run the anchor", file=sys.stderr)
        return 0
    corpus = Path(a.corpus)
    files = [corpus / f for f in FILES if not a.only or f == a.only]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"bench inputs missing: {', '.join(missing)}; generate them with "
              f"../shared/bench/make_corpus.sh {corpus}", file=sys.stderr)
        return 0
    print(f"# bench_frames  nproc={os.cpu_count()}  load={os.getloadavg()[0]:.1f}  python={sys.version.split()[0]}")
    for f in files:
        bench_one(f, a.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
