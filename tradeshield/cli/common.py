"""Options declared once, one output path (``emit``), and the rich progress adapter.

Machine output (``--json``) goes to stdout; progress bars and warnings go to stderr. rich is imported
only when something is drawn (``Out.console`` / ``Out.err``, ``Table``, ``Rule``): a ``--json`` run that
has nothing to warn about never loads it, and ``--help`` starts faster.
"""
from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Callable, Optional

import typer

from tradeshield import i18n
from tradeshield.textsafe import clean, clean_json_text

if TYPE_CHECKING:
    from rich.console import Console

# table columns several commands print: registered here, where every command's module looks for its options (a
# command imports its own module only; ``tests/test_cli_meta.py`` checks each module's keys when loaded alone)
i18n.register({
    "cli.col.time": ("时间", "time"), "cli.col.kind": ("类型", "kind"), "cli.col.source": ("来源", "source"),
    "cli.col.note": ("备注", "note"), "cli.col.path": ("路径", "path"), "cli.col.seq": ("序号", "#"),
    "cli.col.status": ("状态", "status"), "cli.col.file": ("文件", "file"), "cli.col.lines": ("行", "lines"),
    "cli.col.text": ("内容", "text"),
})

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout. / 输出 JSON。")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors and warnings (--json still "
                                                              "prints). / 只输出错误和警告。")]
LangOpt = Annotated[Optional[str], typer.Option("--lang", help="zh or en (default: locale). / 语言。")]
CaseOpt = Annotated[Optional[str], typer.Option("--case", help="Case folder (default: this folder or a parent; "
                                                               "or TRADESHIELD_CASE). / 案件目录。")]


@dataclass
class Out:
    json: bool = False
    quiet: bool = False

    @cached_property
    def console(self) -> "Console":
        return _safe_console()(highlight=False, soft_wrap=True)

    @cached_property
    def err(self) -> "Console":
        return _safe_console()(stderr=True, highlight=False, soft_wrap=True)

    def emit(self, data: Any, render: Callable[[Console], None] | None = None) -> None:
        """The one output path: JSON for machines, ``render`` for people."""
        if self.json:
            sys.stdout.write(clean_json_text(json.dumps(data, ensure_ascii=False, indent=2, default=str)) + "\n")
            sys.stdout.flush()
        elif render is not None and not self.quiet:   # --quiet: nothing but errors and warnings
            render(self.console)

    def note(self, text: str, style: str = "yellow") -> None:
        if not self.quiet and not self.json:
            self.err.print(text, style=style, markup=False)

    def warn(self, text: str) -> None:
        """Warnings always reach stderr, even with --json or --quiet (they change what the data means). rich
        (~40 ms of imports) is loaded for them only when it would colour them: stderr is a terminal (or
        FORCE_COLOR is set) or rich already draws there; otherwise the cleaned line is written as rich would."""
        import os

        stream = sys.stderr
        plain = not (getattr(stream, "isatty", None) and stream.isatty()) and not os.environ.get("FORCE_COLOR")
        if plain and "err" not in self.__dict__:
            stream.write(clean(text, keep_newlines=True) + "\n")
            stream.flush()
            return
        self.err.print(text, style="yellow", markup=False)

    @contextlib.contextmanager
    def progress(self, min_total: int = 50 * 1024 * 1024, delay: float = 1.0):
        """``with out.progress() as cb: lib_call(progress=cb)`` — a ``(label, done, total)`` callback.

        The bar (on stderr) appears only for work over ``min_total`` units or slower than ``delay`` s;
        ``--quiet`` gives ``None`` so the library reports nothing.
        """
        if self.quiet:
            yield None
            return
        bar = _Bar(lambda: self.err, min_total, delay)
        try:
            yield bar
        finally:
            bar.close()


def _safe_console():
    """rich's Console whose ``print`` shows control, C1 and bidi characters of strings as escapes (``textsafe``):
    a file name or chat line cannot recolour the terminal, print a fake line or set the window title."""
    from rich.console import Console

    class SafeConsole(Console):
        def print(self, *objects, **kwargs):  # noqa: A003 - rich's name
            super().print(*(clean(o, keep_newlines=True) if isinstance(o, str) else o for o in objects), **kwargs)

    return SafeConsole


def Table(*args, **kwargs):  # noqa: N802 - stands in for rich's class, imported when a table is drawn
    """rich's Table whose string cells are cleaned (``textsafe.clean``; line breaks kept inside a cell)."""
    from rich.table import Table as _Table

    class SafeTable(_Table):
        def add_row(self, *cells, **kw):
            super().add_row(*(clean(c, keep_newlines=True) if isinstance(c, str) else c for c in cells), **kw)

    return SafeTable(*args, **kwargs)


def Rule(*args, **kwargs):  # noqa: N802 - rich's Rule, imported when drawn
    from rich.rule import Rule as _Rule

    return _Rule(*args, **kwargs)


QUIET = False   # set by ``--quiet`` anywhere on the command line (cli.take_quiet)


def start(lang: str | None, json_out: bool = False, quiet: bool = False) -> Out:
    if lang:
        i18n.set_lang(lang)
    return Out(json=json_out, quiet=quiet or QUIET)


class _Bar:
    def __init__(self, console: Callable[[], "Console"], min_total: int, delay: float):
        self.console, self.min_total, self.delay = console, min_total, delay  # made when a bar is first drawn
        self.t0 = time.monotonic()
        self.progress = None
        self.tasks: dict[str, int] = {}

    def __call__(self, label: str, done: int, total: int | None) -> None:
        if self.progress is None:
            big = total is not None and total >= self.min_total
            slow = time.monotonic() - self.t0 > self.delay
            if not (big or slow):
                return
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                     TimeRemainingColumn(), console=self.console(), transient=True)
            self.progress.start()
        if label not in self.tasks:
            self.tasks[label] = self.progress.add_task(label[-40:], total=total)
        self.progress.update(self.tasks[label], completed=done, total=total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
