"""Hostile bundles for ``verify``: zip bombs in a tag file, in custody.jsonl, in a tagmanifest-listed tag file and
in the payload, plus a zip of 100,000 entries. Then runs ``tradeshield verify`` on each under ``/usr/bin/time -v``
and prints exit code, wall time and peak RSS.

    python bench/make_bombs.py OUTDIR [--inflate-mib 1024] [--no-run] [--compare-with CHECKOUT]

``--compare-with`` also runs the ``tradeshield`` of another checkout (e.g. the main branch before this
change) on the same files, in the same run, as the anchor.

Each bomb starts from a real signed demo bundle (``tradeshield demo``) whose chosen member is replaced by a
deflate stream of ``--inflate-mib`` MiB (a ~1 MiB stream per GiB: deflate's 1032:1 limit). The stream is made
once, in chunks, and written into the zip by hand (zipfile cannot take precompressed data), so making a 1 GiB
bomb takes seconds, not minutes.
"""
from __future__ import annotations

import argparse
import os
import re
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path


def deflated_newlines(mib: int) -> tuple[bytes, int, int]:
    """(raw deflate stream, crc32, size) of ``mib`` MiB of b"\\n" — made chunk by chunk."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\n" * (1 << 20)
    parts, crc = [], 0
    for _ in range(mib):
        parts.append(comp.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(comp.flush())
    return b"".join(parts), crc, mib << 20


def write_zip(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> None:
    """members: (name, data as stored in the zip, method, crc, uncompressed size); zip64 where needed."""
    with open(path, "wb") as f:
        central = []
        for name, data, method, crc, size in members:
            nb = name.encode("utf-8")
            flags = 0x800
            offset = f.tell()
            big = size >= 0xFFFFFFFF or len(data) >= 0xFFFFFFFF
            extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if big else b""
            f.write(struct.pack("<4sHHHHHLLLHH", b"PK\x03\x04", 45 if big else 20, flags, method, 0, 0x21, crc,
                                0xFFFFFFFF if big else len(data), 0xFFFFFFFF if big else size, len(nb), len(extra)))
            f.write(nb + extra + data)
            central.append((nb, method, crc, len(data), size, offset, big))
        cd_start = f.tell()
        for nb, method, crc, csize, size, offset, big in central:
            extra = struct.pack("<HHQQ", 1, 16, size, csize) if big else b""
            f.write(struct.pack("<4sHHHHHHLLLHHHHHLL", b"PK\x01\x02", 0x031E, 45 if big else 20, 0x800, method, 0,
                                0x21, crc, 0xFFFFFFFF if big else csize, 0xFFFFFFFF if big else size, len(nb),
                                len(extra), 0, 0, 0, 0o100644 << 16, offset))
            f.write(nb + extra)
        cd_end = f.tell()
        n = len(central)
        if n >= 0xFFFF:
            f.write(struct.pack("<4sQHHLLQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, cd_end - cd_start, cd_start))
            f.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, cd_end, 1))
            f.write(struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, cd_end - cd_start, cd_start, 0))
        else:
            f.write(struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, n, n, cd_end - cd_start, cd_start, 0))


def members_of(src: Path) -> list[tuple[str, bytes, int, int, int]]:
    out = []
    with zipfile.ZipFile(src) as z:
        for i in z.infolist():
            data = z.read(i)
            if i.compress_type == zipfile.ZIP_DEFLATED:
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                stored = c.compress(data) + c.flush()
            else:
                stored = data
            out.append((i.filename, stored, i.compress_type, zlib.crc32(data), len(data)))
    return out


def make(out: Path, mib: int, tradeshield: list[str]) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    demo = out / "demo"
    bundle = demo / "packet" / "case.zip"
    if not bundle.exists():
        subprocess.run([*tradeshield, "demo", str(demo), "-q", "--json"], check=True, stdout=subprocess.DEVNULL)
    base = members_of(bundle)
    bag = base[0][0].split("/")[0]
    stream, crc, size = deflated_newlines(mib)
    bombs = {}
    targets = {"bomb-bag-info": "bag-info.txt", "bomb-custody": "data/custody.jsonl",
               "bomb-tag-listed": "tradeshield-manifest.json", "bomb-payload": None}
    for label, member in targets.items():
        if member is None:  # payload: the largest deflated payload file
            member = max((m for m in base if m[0].startswith(bag + "/data/") and m[2] == zipfile.ZIP_DEFLATED
                          and not m[0].endswith("custody.jsonl")), key=lambda m: m[4])[0][len(bag) + 1:]
        ms = [(n, stream, zipfile.ZIP_DEFLATED, crc, size) if n == f"{bag}/{member}" else (n, d, m, c, s)
              for n, d, m, c, s in base]
        p = out / f"{label}.zip"
        write_zip(p, ms)
        bombs[f"{label} ({member}, {size >> 20} MiB)"] = p
    many = out / "entries-100k.zip"
    ms = list(base) + [(f"{bag}/data/derived/junk/{i:06d}.txt", b"x", zipfile.ZIP_STORED, zlib.crc32(b"x"), 1)
                       for i in range(100_000)]
    write_zip(many, ms)
    bombs["100,002 entries"] = many
    return bombs


def run_verify(tradeshield: list[str], path: Path, pythonpath: str | None = None) -> tuple[int, float, int, int]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    t0 = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-v", *tradeshield, "verify", str(path)], capture_output=True, text=True,
                          env=env)
    wall = time.monotonic() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return proc.returncode, wall, int(m.group(1)) if m else -1, len(proc.stdout.splitlines())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--inflate-mib", type=int, default=1024)
    ap.add_argument("--no-run", action="store_true")
    ap.add_argument("--compare-with", help="another tradeshield checkout to run on the same files (the anchor)")
    a = ap.parse_args()
    ts = [sys.executable, "-m", "tradeshield"]
    bombs = make(a.outdir, a.inflate_mib, ts)
    if a.no_run:
        return
    runs = [("this", None)] + ([("anchor", str(Path(a.compare_with).resolve()))] if a.compare_with else [])
    print(f"{'input':55s} {'run':6s} {'zip MB':>7s} {'exit':>4s} {'wall s':>7s} {'peak RSS MB':>11s} {'lines':>7s}")
    for label, p in bombs.items():
        for name, pp in runs:
            code, wall, rss, lines = run_verify(ts, p, pp)
            print(f"{label:55s} {name:6s} {p.stat().st_size / 1e6:7.1f} {code:4d} {wall:7.2f} {rss / 1024:11.1f} "
                  f"{lines:7d}", flush=True)


if __name__ == "__main__":
    main()
