"""Every command that takes a file, given what users actually pass by mistake: a folder, an empty file, random bytes
under a name that is not UTF-8, a path that does not exist. Each must answer in one line with exit 0, 1 or 2 — never a
traceback, never "internal error" — and leave the input untouched. (The sweep that found courier copying a binary file
into the case and cardkey printing Python's decoder message, run on every commit.)

All runs happen in one subprocess that calls ``tradeshield.cli.main`` in turn (a process per run would cost ~0.3 s each).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RUNNER = r"""
import contextlib, io, json, os, sys
from tradeshield.cli import main
out = []
for argv in json.loads(sys.stdin.read()):
    argv = [os.fsdecode(a.encode("utf-8", "surrogateescape")) for a in argv]
    err = io.StringIO(); std = io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        try:
            main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException as e:
            code = "raised " + type(e).__name__
    out.append([argv, code, err.getvalue()[-600:], std.getvalue()[-300:]])
print(json.dumps(out, ensure_ascii=True))
"""

COMMANDS = [
    ["add", "--case", "case", "{f}"], ["frames", "{f}", "--case", "case"], ["photo", "{f}", "--case", "case"],
    ["compare", "--before", "{f}", "--after", "{f}", "--case", "case"], ["invoice", "{f}", "--case", "case"],
    ["chat", "{f}", "--case", "case"], ["courier", "{f}", "--case", "case"], ["split", "{f}"], ["lint", "{f}"],
    ["verify", "{f}"], ["stamp", "{f}"], ["check", "--chat", "{f}", "--case", "case"], ["watch", "import", "{f}"],
    ["cardkey", "verify", "{f}", "--case", "case"], ["timeline", "--case", "{f}"], ["events", "--case", "{f}"],
    ["seal", "--case", "{f}"], ["fact", "add", "requirement", "x", "--case", "{f}"],
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    work = tmp_path_factory.mktemp("odd")
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRADESHIELD_HOME=str(work / "_home"), TRADESHIELD_LANG="en")
    subprocess.run([sys.executable, "-m", "tradeshield", "init", "case"], cwd=work, env=env, check=True,
                   capture_output=True)
    (work / "folder").mkdir()
    (work / "empty.txt").write_bytes(b"")
    noise = bytes((i * 131 + 7) % 256 for i in range(200_000))
    bad_name = b"bad\xff\xfename.txt"
    with open(os.path.join(os.fsencode(work), bad_name), "wb") as f:
        f.write(noise)
    inputs = ["folder", "empty.txt", os.fsdecode(bad_name), "missing.txt"]
    before = {n: (work / n).read_bytes() for n in ("empty.txt",)}
    before["bad"] = noise
    argvs = [[a.replace("{f}", f) for a in cmd] for f in inputs for cmd in COMMANDS]
    payload = json.dumps([[a.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape") for a in v]
                          for v in argvs], ensure_ascii=False).encode("utf-8", "surrogateescape")
    p = subprocess.run([sys.executable, "-c", RUNNER], cwd=work, env=env, input=payload, capture_output=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")[-2000:]
    rows = json.loads(p.stdout)
    assert (work / "empty.txt").read_bytes() == before["empty.txt"]
    with open(os.path.join(os.fsencode(work), bad_name), "rb") as f:
        assert f.read() == before["bad"]
    return rows


def test_every_command_answers_odd_inputs_in_one_line(results):
    assert len(results) == 4 * len(COMMANDS)
    bad = []
    for argv, code, err, out in results:
        text = err + out
        if code not in (0, 1, 2) or "Traceback" in text or "internal error" in text.lower():
            bad.append((argv, code, text[-300:]))
    assert not bad, bad


def test_refusals_name_the_users_file_not_a_copy_in_the_case(results):
    for argv, code, err, _out in results:
        if code == 2 and argv[0] in ("chat", "courier", "invoice", "split", "lint") and err.startswith("tradeshield:"):
            assert "/evidence/" not in err, (argv, err)
