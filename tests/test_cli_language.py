"""The CLI speaks the user's language all the way (issue 20): typer/click usage errors in zh, --version,
--quiet quiet for every command, help readable at 80 columns."""
from __future__ import annotations

import unicodedata

import pytest


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


@pytest.mark.parametrize("args,words", [
    (["statement", "--bogus"], ["没有这个选项", "--bogus"]),
    (["split", "--limit", "abc", "x.txt"], ["--limit", "的值无效", "“abc”不是有效的整数"]),
    (["lint"], ["缺少参数", "FILE"]),
    (["init", "x", "y", "z"], ["多余的参数"]),
    (["nosuchcommand"], ["没有这个命令"]),
])
def test_usage_errors_in_zh(cli, args, words):
    for lang_args in (["--lang", "zh"], ):
        r = cli(*lang_args, *args)
        assert r.code == 2, r
        assert all(w in r.stderr for w in words), r.stderr
        assert "No such option" not in r.stderr and "Missing" not in r.stderr and "Error:" not in r.stderr
        assert "Traceback" not in r.stderr
    r = cli(*args, "--lang", "zh")            # --lang after the command counts too
    assert r.code == 2 and words[0] in r.stderr, r


def test_usage_errors_stay_english_in_en(cli):
    r = cli("statement", "--bogus", "--lang", "en")
    assert r.code == 2 and "No such option" in r.stderr


def test_version(cli):
    from tradeshield import __version__

    for flag in ("--version", "-V"):
        r = cli(flag)
        assert r.code == 0 and r.stdout.strip() == f"tradeshield {__version__}"


def test_quiet_is_quiet(cli, tmp_path):
    r = cli("init", str(tmp_path / "c"), "--quiet")
    assert r.code == 0 and r.stdout == "", r
    f = tmp_path / "a.txt"
    f.write_text("hello", encoding="utf-8")
    r = cli("add", str(f), "--quiet", cwd=tmp_path / "c")
    assert r.code == 0 and r.stdout == "" and r.stderr == "", r
    r = cli("--quiet", "event", "add", "2021-05-23 10:12", "shipped", cwd=tmp_path / "c")
    assert r.code == 0 and r.stdout == "", r
    r = cli("event", "list", "--json", "--quiet", cwd=tmp_path / "c")      # --json still prints
    assert r.code == 0 and r.json[0]["kind"] == "shipped"
    r = cli("event", "add", "not a time", "shipped", "--quiet", cwd=tmp_path / "c")   # errors still print
    assert r.code == 2 and r.stderr


def test_help_fits_80_columns():
    from tradeshield.cli.roothelp import TEXT

    assert max(width(line) for line in TEXT.splitlines()) <= 80
    assert "--version" in TEXT


def test_statement_list_fits_80_columns(cli):
    r = cli("statement", "--list", env={"TRADESHIELD_LANG": "zh", "COLUMNS": "80"})
    assert r.code == 0
    for name in ("seller-refund-after-discount", "buyer-custom-partial", "appeal"):
        assert name in r.stdout            # whole, never cut
    assert "…" not in r.stdout
    assert max(width(line) for line in r.stdout.splitlines()) <= 80   # long fact lists wrap at 80 columns


def test_photo_of_a_pdf_prints_no_empty_table_before_its_error(cli, case, tmp_path):
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%fake\n")
    r = cli("photo", str(pdf), cwd=case.root, env={"TRADESHIELD_LANG": "zh"})
    assert r.code == 2 and r.stdout.strip() == "" and "x.pdf" in r.stderr, r
