"""The built-in demo: a complete seller case built offline, running every command there is.

    >>> from tradeshield.demo import run_demo
    >>> result = run_demo("tradeshield-demo")            # doctest: +SKIP
    >>> [s["step"] for s in result["steps"]][:3]          # doctest: +SKIP
    ['assets', 'init', 'add']

Each step is a library call, the same one the matching command makes; a step that fails is
reported with its message and the demo goes on, so the summary shows exactly what works.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from tradeshield import i18n
from tradeshield.errors import CaseError, TradeshieldError

MARKER = ".tradeshield-demo"

i18n.register({
    "demo.step_failed": ("演示步骤未达到预期：{what}", "demo step did not give the expected result: {what}"),
    "demo.needs": ("未运行：它需要的“{step}”步骤没有成功", "not run: it needs the {step} step, which did not succeed"),
    "demo.not_empty": ("目录非空且不是演示目录：{path}", "folder is not empty and is not a demo folder: {path}"),
})


def _prepare(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise CaseError("demo.not_empty", path=str(folder))
        for child in folder.iterdir():  # only a folder this demo made is ever cleared
            if child.is_dir() and not child.is_symlink():
                _make_writable(child)
                shutil.rmtree(child)
            else:
                child.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by tradeshield demo; safe to delete\n", encoding="utf-8")


def _make_writable(path: Path) -> None:
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            p.chmod(0o644)


def run_demo(folder: str | Path = "tradeshield-demo", lang: str | None = None,
             progress: Callable | None = None) -> dict:
    from tradeshield.demo.assets import make_assets
    from tradeshield.demo.steps import STEPS

    folder = Path(folder).resolve()
    _prepare(folder)
    ctx: dict = {"folder": folder, "lang": lang or i18n.get_lang(), "progress": progress}
    steps = []
    ctx["assets"] = make_assets(folder / "assets")
    steps.append({"step": "assets", "ok": True, "summary": ", ".join(p.name for p in ctx["assets"].values())})
    for name, fn in STEPS:
        if progress:
            progress("demo", len(steps), len(STEPS) + 1)
        try:
            summary = fn(ctx)
            steps.append({"step": name, "ok": True, "summary": summary})
        except TradeshieldError as e:
            steps.append({"step": name, "ok": False, "summary": e.message(ctx["lang"])})
    return {"folder": str(folder), "case": str(folder / "case"), "steps": steps,
            "ok": all(s["ok"] for s in steps)}
