"""Command-line layer (typer + rich). Thin: parse → one library call → render.

Only this package imports typer and rich. Each command group lives in its own module and
registers itself on ``app`` when imported; heavy libraries (cv2, av, pypdfium2) are imported inside
the command functions. ``main`` imports only the module of the command a run names (``COMMANDS``), so
typer builds that module's commands alone; ``--help``, no command, or an unknown name load them all
(``load_all``), so the full list, the suggestions and the errors are typer's. Public typer API only.

typer is pinned to 0.28 (pyproject.toml): 0.29 converts every option of a run through a pydantic TypeAdapter,
even the root group's unused help flag (~0.13 s per run). The root group still has no options of its own:
``--lang`` before the command is taken by ``take_lang`` and ``-h/--help`` by ``root_help``, so
``tradeshield split --help`` loads no other command module.
"""
from __future__ import annotations

import gc
import importlib
import os
import signal
import sys

from tradeshield import i18n
from tradeshield.errors import TradeshieldError


def _make_app():
    import typer

    app = typer.Typer(
        name="tradeshield",
        help="Evidence toolkit for second-hand trades: cases, custody log, tamper-evident bundles, statements.\n\n"
             "二手交易举证工具：案件、保管日志、防篡改证据包、申诉陈述。\n\n"
             "Example / 示例:  tradeshield demo",
        no_args_is_help=True,
        add_help_option=False,   # `tradeshield --help` is answered by main (``ROOT_HELP``); commands keep theirs
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode=None,
    )

    @app.callback(epilog=EPILOG)
    def _root() -> None:
        """Root of the command group (no options of its own: see ``take_lang`` and ``ROOT_HELP``)."""

    return app


def __getattr__(name: str):
    """``app`` (the typer app the command modules register on) is made on first use: ``--help`` needs no typer."""
    if name == "app":
        app = globals()["app"] = _make_app()
        return app
    raise AttributeError(name)


EPILOG = ("Options: -h, --help shows this message; --version prints the version; --lang zh|en sets the "
          "language of messages (default: from the locale) and --quiet prints nothing but errors, before or after "
          "the command.\n\n\b\n"   # \b: click keeps these lines as written (CJK is two columns wide)
          "选项：-h, --help 显示本帮助；--version 显示版本；\n"
          "--lang zh|en 指定语言；--quiet 只输出错误（命令前后均可）。")
# Command modules in the order of --help, and the commands (or sub-apps) each registers.
MODULES = ("core", "video", "photo", "invoice", "chat", "events", "statement", "check", "packet")
COMMANDS = {
    "init": "core", "add": "core", "event": "core", "log": "core", "seal": "core", "bundle": "core",
    "verify": "core", "stamp": "core", "demo": "core",
    "frames": "video", "photo": "photo", "compare": "photo", "invoice": "invoice",
    "chat": "chat", "courier": "chat", "timeline": "chat", "events": "events", "fact": "events",
    "statement": "statement", "split": "statement", "lint": "statement",
    "check": "check", "watch": "check", "cardkey": "check", "packet": "packet",
}
_loaded: set[str] = set()


def take_lang(argv: list[str]) -> list[str]:
    """Apply a ``--lang X`` / ``--lang=X`` given before the command name and drop it from ``argv``.

    Done here rather than as a root option, so that a root option never makes a run load more than its command."""
    out = list(argv)
    while out and (out[0] == "--lang" or out[0].startswith("--lang=")):
        if out[0] == "--lang":
            if len(out) < 2:
                break                      # typer reports the missing value
            value, out = out[1], out[2:]
        else:
            value, out = out[0].split("=", 1)[1], out[1:]
        i18n.set_lang(value)
    return out


HELP = ("-h", "--help")
VERSION = ("--version", "-V")


def scan_lang(argv: list[str]) -> None:
    """Apply a ``--lang X`` given anywhere (after the command too) before parsing, so typer's own usage errors
    are already in the user's language."""
    for i, a in enumerate(argv):
        if a == "--":
            break
        if a == "--lang" and i + 1 < len(argv) and i18n.normalize(argv[i + 1]) in i18n.LANGS \
                and argv[i + 1].lower().startswith(("zh", "en")):
            i18n.set_lang(argv[i + 1])
        elif a.startswith("--lang=") and a.split("=", 1)[1].lower().startswith(("zh", "en")):
            i18n.set_lang(a.split("=", 1)[1])


def take_quiet(argv: list[str]) -> list[str]:
    """``--quiet`` / ``-q`` anywhere (no command uses -q for anything else): every command is quiet, whether it
    declares the option or not (``cli.common.start`` reads ``common.QUIET``)."""
    from tradeshield.cli import common

    out = []
    for i, a in enumerate(argv):
        if a == "--":
            out += argv[i:]
            break
        if a in ("--quiet", "-q"):
            common.QUIET = True
            continue
        out.append(a)
    return out


def root_help(argv: list[str]) -> None:
    """``tradeshield [--help]``: the group's help (stdout and exit 0 when asked for, stderr and exit 2 with no
    arguments), from ``roothelp.TEXT`` without importing typer or any command module; a test keeps that text
    equal to typer's rendering of the whole app (``typer_root_help``)."""
    from tradeshield.cli.roothelp import TEXT

    print(TEXT, file=sys.stdout if argv else sys.stderr)
    sys.exit(0 if argv else 2)


def typer_root_help() -> str:
    """The root help as typer renders it with every command module loaded (what ``roothelp.TEXT`` must be)."""
    load_all()
    try:
        app(args=[], standalone_mode=False, prog_name="tradeshield")
    except Exception as e:   # typer raises its NoArgsIsHelpError carrying the help text
        if not hasattr(e, "format_message"):
            raise
        return e.format_message()
    raise AssertionError("no help raised")


def load(name: str) -> None:
    """Import one command module (it registers its commands on ``app``); a module not built yet is skipped."""
    if name in _loaded:
        return
    _loaded.add(name)
    try:
        importlib.import_module(f"tradeshield.cli.{name}")
    except ModuleNotFoundError as e:  # a capability not built yet
        if e.name != f"tradeshield.cli.{name}":
            raise


def load_all() -> None:
    for name in MODULES:
        load(name)


def load_for(argv: list[str]) -> None:
    """Load the module of the command ``argv`` names, or every module when it names none we know."""
    module = COMMANDS.get(argv[0]) if argv else None
    if module is None:
        load_all()
    else:
        load(module)


def main(argv: list[str] | None = None) -> None:
    debug = os.environ.get("TRADESHIELD_DEBUG") == "1"
    entry = argv is None        # the process's own entry point (not a caller's: it goes on after us)
    argv = sys.argv[1:] if argv is None else list(argv)
    argv = take_lang(argv)
    scan_lang(argv)
    if argv and argv[0] in VERSION:
        from tradeshield import __version__

        print(f"tradeshield {__version__}")
        sys.exit(0)
    if not argv or argv[0] in HELP:
        root_help(argv)
    argv = take_quiet(argv)
    code = 0
    try:
        load_for(argv)
        rv = app(args=argv, standalone_mode=False, prog_name="tradeshield")
        code = rv if isinstance(rv, int) else 0
        if code == 130:  # without standalone mode typer returns 130 for Ctrl-C instead of raising
            _fail(i18n.t("interrupted"), 130)
    except TradeshieldError as e:
        if debug:
            raise
        _fail(e.message(), e.exit_code)
    except KeyboardInterrupt:
        _fail(i18n.t("interrupted"), 130)
    except BrokenPipeError:
        code = 0
    except Exception as e:
        import typer

        if isinstance(e, typer.Exit):
            code = e.exit_code
        elif isinstance(e, typer.Abort):
            _fail(i18n.t("interrupted"), 130)
        elif hasattr(e, "show") and hasattr(e, "exit_code"):  # click's usage errors (typer vendors click)
            if i18n.get_lang() == "zh" and e.exit_code not in (0, 1):
                from tradeshield.cli.usage_zh import show_zh

                show_zh(e)
            else:
                e.show()
            sys.exit(2 if e.exit_code not in (0, 1) else e.exit_code)
        elif debug:
            raise
        else:  # last resort: one line, never a traceback with local variables
            _fail(i18n.t("internal", reason=f"{type(e).__name__}: {e}"), 2)
    if entry:
        _done()
    # the process ends now: the collector's last pass over what the command left (exit handlers still run, files
    # are still closed) is skipped — after the bench's 200,000-message chat import that pass took ~45 ms
    gc.freeze()
    sys.exit(code)


def _done() -> None:
    """The command is over and what it saved is saved: a Ctrl-C from here to the process's end (exit handlers, files
    closing) has nothing left to stop, and would end it with Python's own KeyboardInterrupt traceback."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:      # (not the main thread)
        pass


def _fail(message: str, code: int) -> None:
    from tradeshield.textsafe import clean

    first = clean(message.strip().splitlines()[0] if message.strip() else message)
    print(f"tradeshield: {first}", file=sys.stderr)
    sys.exit(code)
