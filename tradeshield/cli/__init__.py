"""Command-line layer (typer + rich). Thin: parse → one library call → render.

Only this package imports typer and rich. Each command group lives in its own module and
registers itself on ``app``; heavy libraries (cv2, av, pypdfium2) are imported inside the
command functions so ``tradeshield --help`` starts fast.
"""
from __future__ import annotations

import os
import sys

import typer

from tradeshield import i18n
from tradeshield.cli._fastparams import install as _install_fast_params
from tradeshield.errors import TradeshieldError

_install_fast_params()  # plain values without pydantic: ~0.3 s less start-up for every command

app = typer.Typer(
    name="tradeshield",
    help="Evidence toolkit for second-hand trades: cases, custody log, tamper-evident bundles, statements.\n\n"
         "二手交易举证工具：案件、保管日志、防篡改证据包、申诉陈述。\n\n"
         "Example / 示例:  tradeshield demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


@app.callback()
def _root(
    lang: str = typer.Option(None, "--lang", help="Language of messages: zh or en (default: from the locale)."),
) -> None:
    if lang:
        i18n.set_lang(lang)


# Command modules register themselves on import. Order = order in --help.
from tradeshield.cli import core  # noqa: E402,F401

for _name in ("video", "photo", "invoice", "chat", "statement", "check", "packet"):
    try:
        __import__(f"tradeshield.cli.{_name}")
    except ModuleNotFoundError as _e:  # a capability not built yet
        if _e.name != f"tradeshield.cli.{_name}":
            raise


def app_for(argv: list[str]):
    """``app`` with only the command ``argv`` starts with, when it names one (else ``app`` itself).

    typer builds a click command for every registered command on each run (~40 ms for ours), though a run
    uses one. The copy keeps the root callback and settings, so that command's parsing, help and errors are
    unchanged; no command, an option first or an unknown name get the whole app (its help, its suggestions).
    """
    if not argv or argv[0].startswith("-"):
        return app
    try:
        import copy

        from typer.main import get_command_name

        cmds = [c for c in app.registered_commands
                if (c.name or get_command_name(c.callback.__name__)) == argv[0]]
        groups = [g for g in app.registered_groups if g.name == argv[0]]
    except (ImportError, AttributeError):  # typer's internals moved: the whole app still works
        return app
    if len(cmds) + len(groups) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands, one.registered_groups = cmds, groups
    return one


def main(argv: list[str] | None = None) -> None:
    debug = os.environ.get("TRADESHIELD_DEBUG") == "1"
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        rv = app_for(argv)(args=argv, standalone_mode=False, prog_name="tradeshield")
        code = rv if isinstance(rv, int) else 0
        if code == 130:  # without standalone mode typer returns 130 for Ctrl-C instead of raising
            _fail(i18n.t("interrupted"), 130)
    except TradeshieldError as e:
        if debug:
            raise
        _fail(e.message(), e.exit_code)
    except typer.Exit as e:
        code = e.exit_code
    except typer.Abort:
        _fail(i18n.t("interrupted"), 130)
    except KeyboardInterrupt:
        _fail(i18n.t("interrupted"), 130)
    except BrokenPipeError:
        code = 0
    except Exception as e:
        if hasattr(e, "show") and hasattr(e, "exit_code"):  # click's usage errors (typer vendors click)
            e.show()
            sys.exit(2 if e.exit_code not in (0, 1) else e.exit_code)
        # last resort: one line, never a traceback with local variables
        if debug:
            raise
        _fail(i18n.t("internal", reason=f"{type(e).__name__}: {e}"), 2)
    sys.exit(code)


def _fail(message: str, code: int) -> None:
    from tradeshield.textsafe import clean

    first = clean(message.strip().splitlines()[0] if message.strip() else message)
    print(f"tradeshield: {first}", file=sys.stderr)
    sys.exit(code)
