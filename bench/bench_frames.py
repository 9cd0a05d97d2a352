"""Benchmark `tradeshield frames` against ffmpeg's `fps=1/2` extraction on the same file, in the same run.

    python bench/bench_frames.py [--runs N] [--only NAME] [--corpus /tmp/ts-bench] [--load N]

Phone-style clips are generated once with the system ffmpeg and cached in bench/out/ (git-ignored):

| name | what |
|---|---|
| h264-1080p30-60s | 60 s 1080p30 H.264 ultrafast (CAVLC, no B-frames), 16 Mb/s, 2-s GOP, portrait (−90°) |
| hevc10-hlg-4k30-30s | 30 s 4K30 HEVC Main 10, HLG (arib-std-b67) BT.2020, 40 Mb/s, 1-s GOP, `hvc1` |
| hevc8-4k60-30s | 30 s 4K60 HEVC Main (8-bit), 50 Mb/s, 1-s GOP |
| h264-1080p30-120s-bframes | 120 s 1080p30 H.264 High veryfast (CABAC, 3 B-frames), 16 Mb/s, 1-s GOP |

All carry camera-like temporal noise, an AAC track and a creation_time. With ``--corpus DIR`` the
5-minute ``v.mp4`` and 60-s ``v4k.mp4`` of ../shared/bench/make_corpus.sh run too.

Each tool runs as a whole process; tradeshield with default settings in a fresh temporary case (so its time
includes copying and hashing the video into the case). Wall time and peak RSS (per child, from wait4) are
printed with the ratio tradeshield / ffmpeg, and the anchor's JPEG count is checked. Targets (issue 21):
ratio ≤ 0.5 on each clip, peak RSS < 500 MB on 4K. ``--load N`` runs N busy processes during the
measurements. A benchmark, not a test: it asserts nothing.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "frames"
CREATED = "2024-03-15T06:22:05.000000Z"
FF = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]


def _noisy(w: int, h: int, rate: int, secs: int, seed: int) -> str:
    """A moving test picture made at quarter size and scaled up, with per-frame noise at full size (what makes
    phone footage expensive to code)."""
    return (f"testsrc2=s={w // 4}x{h // 4}:r={rate}:d={secs},scale={w}:{h}:flags=bilinear,"
            f"noise=alls=9:allf=t+u:all_seed={seed},format=yuv420p")


def _audio(secs: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"anoisesrc=d={secs}:c=pink:r=48000:a=0.02:seed=5"]


def _rotation_args() -> list[str]:
    # ffmpeg 5.x writes the legacy tag's opposite sign; phones write -90 (see shared/TECH-NOTES.md)
    return ["-metadata:s:v:0", "rotate=270"]


CLIPS = {
    "h264-1080p30-60s": lambda out: [
        *FF, "-f", "lavfi", "-i", _noisy(1920, 1080, 30, 60, 1), *_audio(60),
        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "16M", "-g", "60", "-keyint_min", "60",
        "-sc_threshold", "0", "-threads", "2", "-c:a", "aac", "-b:a", "96k", "-shortest",
        "-metadata", f"creation_time={CREATED}", *_rotation_args(), str(out)],
    "hevc10-hlg-4k30-30s": lambda out: [
        *FF, "-f", "lavfi", "-i", _noisy(3840, 2160, 30, 30, 2)
        + ",zscale=tin=bt709:pin=bt709:min=bt709:rin=tv:t=arib-std-b67:p=bt2020:m=bt2020nc:r=tv:npl=203,"
          "format=yuv420p10le", *_audio(30),
        "-c:v", "libx265", "-preset", "ultrafast", "-b:v", "40M", "-tag:v", "hvc1",
        "-x265-params", "log-level=error:keyint=30:min-keyint=30:scenecut=0:colorprim=bt2020:"
                        "transfer=arib-std-b67:colormatrix=bt2020nc:range=limited",
        "-color_primaries", "bt2020", "-color_trc", "arib-std-b67", "-colorspace", "bt2020nc",
        "-c:a", "aac", "-b:a", "96k", "-shortest", "-metadata", f"creation_time={CREATED}", str(out)],
    "hevc8-4k60-30s": lambda out: [
        *FF, "-f", "lavfi", "-i", _noisy(3840, 2160, 60, 30, 3), *_audio(30),
        "-c:v", "libx265", "-preset", "ultrafast", "-b:v", "50M", "-tag:v", "hvc1",
        "-x265-params", "log-level=error:keyint=60:min-keyint=60:scenecut=0",
        "-c:a", "aac", "-b:a", "96k", "-shortest", "-metadata", f"creation_time={CREATED}", str(out)],
    "h264-1080p30-120s-bframes": lambda out: [
        *FF, "-f", "lavfi", "-i", _noisy(1920, 1080, 30, 120, 4), *_audio(120),
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-bf", "3", "-b:v", "16M",
        "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-threads", "2",
        "-c:a", "aac", "-b:a", "96k", "-shortest", "-metadata", f"creation_time={CREATED}", str(out)],
}


def clip(name: str) -> Path:
    """The cached clip, generated first when missing (written under a temporary name, then renamed)."""
    out = OUT / f"{name}.mp4"
    if out.is_file():
        return out
    OUT.mkdir(parents=True, exist_ok=True)
    part = out.with_suffix(".part.mp4")
    t0 = time.perf_counter()
    print(f"# generating {out.name} …", file=sys.stderr, flush=True)
    subprocess.run(CLIPS[name](part), check=True)
    os.replace(part, out)
    print(f"# generated {out.name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return out


def run(cmd: list[str], env=None) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS MiB, exit code, CPU seconds user+sys) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode:
        print(f"  ! {' '.join(cmd[:4])} … exited {proc.returncode}: {err.strip()[-300:]}", file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def warm(path: Path) -> None:
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 24):
            pass


def expected_jpegs(video: Path) -> int | None:
    """What fps=1/2 should write: one frame per started 2 s of the video stream (ffprobe), for the anchor check."""
    try:
        out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                              "stream=duration", "-of", "csv=p=0", str(video)], capture_output=True, text=True)
        return round(float(out.stdout.strip()) / 2)
    except (OSError, ValueError):
        return None


def bench_one(video: Path, runs: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRADESHIELD_LANG="en")
    py = sys.executable
    want = expected_jpegs(video)
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
            load = os.getloadavg()[0]
            ts = run([py, "-m", "tradeshield", "frames", str(video), "--case", str(case), "--quiet", "--json"], env=env)
            n_ts = len(list((case / "derived" / "frames").glob("*/f*.jpg")))
            sheet = any((case / "derived" / "frames").glob("*/sheet.jpg"))
        ratio = ts[0] / ff[0] if ff[0] else float("nan")
        check = "" if want is None or abs(n_ff - want) <= 1 else f"  ! anchor wrote {n_ff} JPEG, expected ~{want}"
        big = "4k" in video.name.lower()
        print(f"{video.stem:26s} tradeshield {ts[0]:6.2f} s (cpu {ts[3]:5.2f}) {ts[1]:4.0f} MiB ({n_ts} frames"
              f"{' + sheet' if sheet else ''})   ffmpeg fps=1/2 {ff[0]:6.2f} s (cpu {ff[3]:5.2f}) {ff[1]:4.0f} MiB "
              f"({n_ff} JPEG)   ratio {ratio:.2f} (cpu {ts[3] / ff[3] if ff[3] else float('nan'):.2f}) "
              f"[target ≤ 0.50{', RSS < 500 MiB' if big else ''}]  load {load:.1f}{check}", flush=True)


def _spin(stop) -> None:
    while not stop.is_set():
        pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", help="also the make_corpus.sh files v.mp4 and v4k.mp4 from this folder")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--only", action="append", help="just this clip (name or file name; repeatable)")
    ap.add_argument("--load", type=int, default=0, help="run N busy processes during the measurements")
    ap.add_argument("--generate", action="store_true", help="only generate the clips")
    a = ap.parse_args(argv)
    if not shutil.which("ffmpeg"):
        print("ffmpeg not found: install it (apt-get install ffmpeg) to run the anchor", file=sys.stderr)
        return 0
    names = [n for n in CLIPS if not a.only or n in a.only]
    files = [clip(n) for n in names]
    if a.generate:
        return 0
    if a.corpus:
        extra = [Path(a.corpus) / f for f in ("v.mp4", "v4k.mp4") if not a.only or f in a.only]
        missing = [str(f) for f in extra if not f.is_file()]
        if missing:
            print(f"bench inputs missing: {', '.join(missing)}; generate them with "
                  f"../shared/bench/make_corpus.sh {a.corpus}", file=sys.stderr)
        files += [f for f in extra if f.is_file()]
    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=_spin, args=(stop,), daemon=True) for _ in range(a.load)]
    for p in spinners:
        p.start()
    try:
        print(f"# bench_frames  nproc={os.cpu_count()}  load={os.getloadavg()[0]:.1f}  busy={a.load}  "
              f"python={sys.version.split()[0]}  {subprocess.run(['ffmpeg', '-version'], capture_output=True, text=True).stdout.split(chr(10))[0]}")
        for f in files:
            bench_one(f, a.runs)
    finally:
        stop.set()
        for p in spinners:
            p.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
