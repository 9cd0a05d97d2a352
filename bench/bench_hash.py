"""Hashing throughput of add / bundle / verify on a 2 GiB file beside `openssl dgst -sha256`, in one run.

usage: python bench/bench_hash.py [CORPUS_DIR]   (default /tmp/ts-bench; make it with
       ../shared/bench/make_corpus.sh). Targets: verify ≥ 0.8× and bundle ≥ 0.5× OpenSSL's throughput,
       peak RSS < 200 MB, `tradeshield --help` cold start < 0.3 s.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import preread, run, tradeshield_cmd  # noqa: E402


def main() -> int:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ts-bench")
    big = corpus / "random-2GiB.bin"
    if not big.is_file():
        print(f"missing {big}: run ../shared/bench/make_corpus.sh {corpus}")
        return 2
    if not shutil.which("openssl"):
        print("openssl not found (apt-get install openssl)")
        return 2
    size_mib = big.stat().st_size / (1 << 20)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="ts-bench-hash-", dir=corpus))
    try:
        preread(big)
        t, rss, _ = run(["openssl", "dgst", "-sha256", str(big)])
        rows.append(("openssl dgst -sha256", t, rss))
        base = size_mib / t
        preread(big)
        t, rss, _ = run(["cp", str(big), str(work / "copy.bin")])
        rows.append(("cp (write floor of this disk)", t, rss))
        (work / "copy.bin").unlink()
        run(tradeshield_cmd("init", work / "case", "--json"))
        preread(big)
        t, rss, _ = run(tradeshield_cmd("add", big, "-q", "--case", work / "case"))
        rows.append(("tradeshield add (hash, copy, re-hash)", t, rss))
        preread(work / "case" / "evidence" / big.name)
        t, rss, _ = run(tradeshield_cmd("bundle", "-o", work / "case.zip", "-q", "--case", work / "case"))
        rows.append(("tradeshield bundle", t, rss))
        preread(work / "case.zip")
        t, rss, code = run(tradeshield_cmd("verify", work / "case.zip", "-q"))
        rows.append(("tradeshield verify", t, rss))
        assert code == 0, "verify failed"
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"input: {big} ({size_mib:.0f} MiB), all in one run, page cache warm; "
          "add and bundle write a copy, so they cannot beat cp")
    print(f"{'command':40} {'wall s':>8} {'MiB/s':>8} {'× openssl':>10} {'peak RSS MiB':>13}")
    for name, t, rss in rows:
        print(f"{name:40} {t:8.2f} {size_mib / t:8.0f} {size_mib / t / base:10.2f} {rss:13.0f}")
    helps, passes = [], []
    for _ in range(7):
        passes.append(run([sys.executable, "-c", "pass"])[0])
        helps.append(run(tradeshield_cmd("--help"))[0])
    print(f"cold start: tradeshield --help {statistics.median(helps):.3f} s median of 7, "
          f"python -c pass {statistics.median(passes):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
