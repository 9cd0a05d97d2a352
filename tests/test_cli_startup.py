"""Start-up without private typer hooks: a run imports only the command module it names, ``--help`` is typer's own
rendering of the whole app without importing typer, and neither help imports pydantic or rich."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent

PROBE = ("import sys\nfrom tradeshield.cli import main\n"
         "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
         "    mods = sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('tradeshield.cli.'))\n"
         "    print(e.code, 'typer' in sys.modules, 'pydantic' in sys.modules, 'rich' in sys.modules, ','.join(mods),"
         " file=sys.stderr)\n")


def _probe(args, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TRADESHIELD_LANG": "en", "TRADESHIELD_HOME": str(tmp_path / "home"),
           "COLUMNS": "80"}
    r = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=60)
    return r, r.stderr.strip().splitlines()[-1]


def test_root_help_imports_nothing_heavy(tmp_path):
    r, last = _probe(["--help"], tmp_path)
    assert last == "0 False False False roothelp", last
    assert "Example / 示例:  tradeshield demo" in r.stdout and "  split " in r.stdout


def test_command_help_loads_only_its_module_and_no_pydantic(tmp_path):
    r, last = _probe(["split", "--help"], tmp_path)
    assert last == "0 True False False common,statement", last
    assert "Example: tradeshield split" in r.stdout
    r, last = _probe(["--lang", "zh", "watch", "list", "--help"], tmp_path)
    assert last.startswith("0 True False False ") and last.endswith("check,common"), last


def test_a_command_taking_values_does_not_import_pydantic(tmp_path):
    """typer 0.29 built a pydantic TypeAdapter for every parameter of every run (~0.13 s): the pin keeps it out."""
    text = tmp_path / "t.txt"
    text.write_text("买家签收后要求降价，被拒绝后申请退款。" * 20, encoding="utf-8")
    r, last = _probe(["split", str(text), "--limit", "120", "--json"], tmp_path)
    assert last.split()[:3] == ["0", "True", "False"], last


def test_a_command_runs_without_rich_and_loads_one_module(tmp_path):
    r, last = _probe(["init", str(tmp_path / "c"), "--json"], tmp_path)
    assert last.startswith("0 True ") and last.endswith("False common,core"), last   # --json drew nothing with rich
    r, last = _probe(["invoice", "x.pdf", "--dpi", "abc"], tmp_path)
    assert "Invalid value for '--dpi'" in r.stderr and last.startswith("2 "), r.stderr


def test_root_help_text_is_typer_s_rendering(monkeypatch):
    from tradeshield.cli import typer_root_help
    from tradeshield.cli.roothelp import TEXT

    monkeypatch.setenv("COLUMNS", "80")
    assert TEXT == typer_root_help().rstrip("\n"), "regenerate tradeshield/cli/roothelp.py (see its docstring)"


def test_command_table_names_every_registered_command():
    import typer.main     # tests may use typer's documented get_command; the package does not

    from tradeshield.cli import COMMANDS, MODULES, app, load_all

    load_all()
    names = set(typer.main.get_command(app).commands)
    assert names == set(COMMANDS) and set(COMMANDS.values()) <= set(MODULES)


@pytest.mark.parametrize("argv,code,where,text", [
    ([], 2, "err", "Usage: tradeshield"), (["-h"], 0, "out", "Commands:"), (["--help", "split"], 0, "out", "Commands:"),
    (["--lang", "zh", "--help"], 0, "out", "Commands:"), (["nosuch"], 2, "err", "No such command 'nosuch'"),
    (["invoic"], 2, "err", "No such command"), (["--bogus"], 2, "err", "No such option: --bogus"),
])
def test_root_arguments(argv, code, where, text, capsys):
    from tradeshield.cli import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    out = capsys.readouterr()
    assert e.value.code == code and text in (out.out if where == "out" else out.err)


def test_lang_before_the_command_sets_the_language(tmp_path, monkeypatch, capsys):
    from tradeshield.cli import main

    monkeypatch.setenv("TRADESHIELD_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit) as e:
        main(["--lang", "zh", "verify", str(tmp_path / "missing.zip")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("tradeshield: ") and any("\u4e00" <= ch <= "\u9fff" for ch in err), err


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("发票 \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u00a0\u2028\u3000\u200b1a:："),
               max_size=30))
def test_visible_chars_matches_isspace(text):
    from tradeshield.invoice.fields import visible_chars

    assert visible_chars(text) == sum(1 for ch in text if not ch.isspace())
