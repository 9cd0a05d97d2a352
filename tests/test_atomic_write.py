"""atomic_write: a temp file beside the target that replaces it only when the block ends without an error."""
from __future__ import annotations

import os

import pytest

from tradeshield.evidence import fsutil
from tradeshield.evidence.fsutil import atomic_write


def test_replaces_only_on_success(tmp_path):
    p = tmp_path / "a.txt"
    with atomic_write(p, "w", encoding="utf-8") as f:
        f.write("one")
    with pytest.raises(RuntimeError), atomic_write(p, "w", encoding="utf-8") as f:
        f.write("two")
        raise RuntimeError
    assert p.read_text(encoding="utf-8") == "one" and os.listdir(tmp_path) == ["a.txt"]


def test_ctrl_c_the_moment_the_temp_file_appears_leaves_nothing(tmp_path, monkeypatch):
    """test_ctrl_c_says_so_and_keeps_the_case_clean sends SIGINT as soon as a hidden file shows up in evidence/;
    once under load it found `..incoming-….tmp-…` left behind. tempfile.mkstemp had created the file and the
    KeyboardInterrupt arrived before its name was returned into the try block that removes it. Here the interrupt
    is raised right after the file is created."""
    real_open = os.open

    def open_then_interrupted(path, flags, *a, **k):
        fd = real_open(path, flags, *a, **k)
        if flags & os.O_CREAT:
            os.close(fd)
            raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(os, "open", open_then_interrupted)
    with pytest.raises(KeyboardInterrupt), atomic_write(tmp_path / "big.bin", "wb") as f:
        f.write(b"x")
    monkeypatch.setattr(os, "open", real_open)
    assert os.listdir(tmp_path) == []


def test_temp_name_carries_the_pid_for_sweep_stale(tmp_path):
    seen = []
    with atomic_write(tmp_path / "x.json", "wb") as f:
        seen = [n for n in os.listdir(tmp_path)]
        f.write(b"{}")
    assert len(seen) == 1 and seen[0].startswith(f".x.json.tmp-{os.getpid()}-")
    assert fsutil._TEMP_RE.match(seen[0])
