"""The pydantic-free fast path for plain CLI values gives typer's values and typer's errors."""
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


def test_cli_bad_int_message_and_no_pydantic(tmp_path):
    code = ("import sys\nfrom tradeshield.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    print(e.code, 'pydantic' in sys.modules, file=sys.stderr)\n")
    env = {"PATH": "/usr/bin:/bin", "TRADESHIELD_LANG": "en", "TRADESHIELD_HOME": str(tmp_path / "home")}
    r = subprocess.run([sys.executable, "-c", code, "init", str(tmp_path / "c"), "--json"], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=60)
    assert r.stderr.strip().splitlines()[-1] == "0 False", r.stderr  # a whole command ran without pydantic
    r = subprocess.run([sys.executable, "-c", code, "invoice", "x.pdf", "--dpi", "abc"], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=60)
    assert "Invalid value for '--dpi'" in r.stderr and r.stderr.strip().splitlines()[-1] == "2 True"
