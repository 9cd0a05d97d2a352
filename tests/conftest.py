"""Shared fixtures. Test media are generated here or in the capability's tests; only a few
small real files are read from ../shared/corpus, and tests using them skip when it is absent."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"real-file corpus not found at {CORPUS} (it sits beside the checkout as ../shared/corpus)")
    return CORPUS


@pytest.fixture
def case(tmp_path):
    """A fresh seller case."""
    from tradeshield.evidence.case import Case

    return Case.init(tmp_path / "case", role="seller", platform="xianyu", item="海信A5Pro", price=1100,
                     order="1234567890", counterparty="远方私人")


@pytest.fixture
def filled(case, tmp_path):
    """A case with a photo, a chat export and a PDF (added as a folder), an event and a derived frame."""
    from PIL import Image

    src = tmp_path / "src"
    src.mkdir()
    Image.new("RGB", (120, 90), (30, 120, 200)).save(src / "IMG_0012.JPG", "JPEG")
    (src / "chat.txt").write_text("2024-03-02 14:05:11 李四\n能便宜50吗\n", encoding="utf-8")
    (src / "invoice.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(3000))
    case.add([src])
    case.add_event("2021-05-23 10:12", "shipped", note="顺丰 SF1234567890")
    d = case.derived_path("frames/f0001.jpg")
    d.write_bytes(b"\xff\xd8\xff derived")
    case.record_derived([d], action="frames", sources=[case.evidence()[0].sha256], params={"pts": 2.0})
    return case


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Keys, watchlists and config go to a temp dir; language fixed to English unless a test sets it."""
    monkeypatch.setenv("TRADESHIELD_HOME", str(tmp_path / "_home"))
    monkeypatch.setenv("TRADESHIELD_LANG", "en")
    monkeypatch.delenv("TRADESHIELD_CASE", raising=False)
    from tradeshield import i18n

    i18n._current = None


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return f"<CliResult code={self.code} stdout={self.stdout[-800:]!r} stderr={self.stderr[-800:]!r}>"


@pytest.fixture
def cli(tmp_path):
    """Run the real CLI in a subprocess: cli("add", "x.jpg", cwd=..., input=...) -> CliResult."""

    def run(*args, cwd=None, input=None, env=None, timeout=600):
        e = dict(os.environ)
        e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
        e.setdefault("TRADESHIELD_HOME", str(tmp_path / "_home"))
        e.update(env or {})
        proc = subprocess.run([sys.executable, "-m", "tradeshield", *map(str, args)], cwd=cwd or tmp_path,
                              input=input, capture_output=True, text=True, env=e, timeout=timeout)
        return CliResult(proc)

    return run
