"""Start-up cuts keep behaviour: the pydantic-free path for plain CLI values gives typer's values and errors,
one command built per run behaves like the whole app, and rich stays out of --json runs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeshield.cli._fastparams import _MISS, install

ROOT = Path(__file__).resolve().parent.parent


def _descriptor(annotation, **info):
    from typer._coercion import resolve_type_descriptor
    from typer.models import OptionInfo

    return resolve_type_descriptor(annotation, OptionInfo(**info))


def _both(annotation, value, **info):
    """(fast result, typer's own result) for ``value``; an exception's message stands for the result."""
    import typer.core

    assert install()
    fast_build = typer.core.build_runtime_param
    original = fast_build.original
    desc = _descriptor(annotation, **info)
    out = []
    for build in (fast_build, original):
        try:
            out.append(build(desc)._coerce_value(value, param=None, ctx=None))
        except Exception as e:  # typer's BadParameter: compare the messages
            out.append(("error", type(e).__name__, str(e)))
    return out


def test_install_hooks_typer():
    import typer.core

    assert install() and install()  # idempotent
    assert getattr(typer.core.build_runtime_param, "_tradeshield_fast", False)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.from_regex(r"\s?[+-]?[0-9_]{0,6}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,2})?\s?", fullmatch=True),
                 st.text(max_size=8)))
@pytest.mark.parametrize("annotation", [int, float, str])
def test_numbers_and_strings_match_typer(annotation, text):
    fast, slow = _both(annotation, text)
    assert repr(fast) == repr(slow) and type(fast) is type(slow)  # repr: nan == nan


@pytest.mark.parametrize("value", ["a.pdf", "~/x", "", "dir/../b.pdf"])
def test_paths_match_typer(value):
    fast, slow = _both(Path, value)
    assert fast == slow and isinstance(fast, Path)


def test_path_checks_stay_typer_s(tmp_path):
    missing = str(tmp_path / "nope.pdf")
    fast, slow = _both(Path, missing, exists=True)
    assert fast == slow and fast[0] == "error" and "does not exist" in fast[2]
    fast, slow = _both(Path, str(tmp_path), dir_okay=False)
    assert fast == slow and "is a directory" in fast[2]


def test_lists_and_ranges():
    assert _both(List[int], ["1", " 2", "+3"]) == [[1, 2, 3]] * 2
    fast, slow = _both(List[int], ["1", "x"])
    assert fast == slow and fast[0] == "error"
    fast, slow = _both(int, "700", max=600)  # a range is typer's to check
    assert fast == slow and fast[0] == "error"


def test_unusual_values_defer():
    from tradeshield.cli._fastparams import leaf
    from typer.models import OptionInfo

    conv = leaf(int, OptionInfo())
    assert conv("12") == 12 and conv("1.5") is _MISS and conv(True) is _MISS
    assert leaf(int, OptionInfo(min=1)) is None and leaf(int, OptionInfo(parser=int)) is None


def test_cli_runs_without_pydantic_or_rich(tmp_path):
    code = ("import sys\nfrom tradeshield.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    print(e.code, 'pydantic' in sys.modules, 'rich' in sys.modules, file=sys.stderr)\n")
    env = {"PATH": "/usr/bin:/bin", "TRADESHIELD_LANG": "en", "TRADESHIELD_HOME": str(tmp_path / "home")}
    r = subprocess.run([sys.executable, "-c", code, "init", str(tmp_path / "c"), "--json"], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=60)
    # a whole command ran without pydantic, and --json drew nothing with rich
    assert r.stderr.strip().splitlines()[-1] == "0 False False", r.stderr
    r = subprocess.run([sys.executable, "-c", code, "invoice", "x.pdf", "--dpi", "abc"], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=60)
    assert "Invalid value for '--dpi'" in r.stderr and r.stderr.strip().splitlines()[-1].startswith("2 True")


# ---------------------------------------------------------------- one command built per run

@pytest.mark.parametrize("argv", [["invoice", "--help"], ["watch", "list", "--help"], ["init", "--bogus"],
                                  ["invoice"], ["event", "--help"]])
def test_app_for_one_command_behaves_like_the_whole_app(argv, capsys):
    from tradeshield.cli import app, app_for

    one = app_for(argv)
    assert one is not app and len(one.registered_commands) + len(one.registered_groups) == 1
    outputs = []
    for a in (app, one):
        with pytest.raises(SystemExit) as e:
            a(args=argv, prog_name="tradeshield")
        captured = capsys.readouterr()
        outputs.append((e.value.code, captured.out, captured.err))
    assert outputs[0] == outputs[1] and outputs[0][1] + outputs[0][2]


@pytest.mark.parametrize("argv", [[], ["--help"], ["--lang", "zh", "init"], ["invoic"], ["nosuch"]])
def test_app_for_keeps_the_whole_app_when_no_command_leads(argv):
    from tradeshield.cli import app, app_for

    assert app_for(argv) is app


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("发票 \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u00a0\u2028\u3000\u200b1a:："),
               max_size=30))
def test_visible_chars_matches_isspace(text):
    from tradeshield.invoice.fields import visible_chars

    assert visible_chars(text) == sum(1 for ch in text if not ch.isspace())


def test_number_too_long_for_int_is_typer_s_to_refuse():
    fast, slow = _both(int, "9" * 5000)
    assert fast == slow
