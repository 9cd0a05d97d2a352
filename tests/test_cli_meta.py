"""Project-wide CLI rules: every command documented with an example, layering, fast start-up imports."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands():
    import typer.main

    from tradeshield.cli import app, load_all

    load_all()
    group = typer.main.get_command(app)
    out = []

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, path + [name])
        else:
            out.append((" ".join(path), cmd))

    walk(group, [])
    return out


def test_every_command_has_help_with_an_example():
    cmds = _commands()
    assert len(cmds) >= 9
    missing = [name for name, cmd in cmds if "Example: tradeshield" not in (cmd.help or "")]
    assert missing == [], f"commands without 'Example: tradeshield …' in their help: {missing}"
    no_json = [name for name, cmd in cmds if "--json" not in {o for p in cmd.params for o in getattr(p, "opts", [])}]
    assert no_json == [], f"commands without --json: {no_json}"


def test_help_runs_for_every_command(capsys):
    import pytest

    from tradeshield.cli import main

    for name, _ in _commands():
        with pytest.raises(SystemExit) as exit_info:
            main([*name.split(), "--help"])
        out = capsys.readouterr().out
        assert exit_info.value.code == 0 and "Example: tradeshield" in out, name
    r = subprocess.run([sys.executable, "-m", "tradeshield", "--help"], capture_output=True, text=True, cwd=ROOT,
                       timeout=60)
    assert r.returncode == 0 and "Example / 示例:  tradeshield demo" in r.stdout


def test_only_the_cli_imports_typer_and_rich():
    offenders = []
    for f in (ROOT / "tradeshield").rglob("*.py"):
        if "cli" in f.relative_to(ROOT / "tradeshield").parts:
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module.split(".")[0]]
            if set(names) & {"typer", "rich", "click"}:
                offenders.append(str(f.relative_to(ROOT)))
    assert offenders == []


def test_help_does_not_import_heavy_modules():
    code = ("import sys\nfrom tradeshield.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = {'cv2', 'av', 'pypdfium2', 'numpy', 'PIL', 'zxingcpp', 'imagehash', 'pypdf', 'jinja2', 'cryptography'}\n"
            "print(sorted(heavy & set(sys.modules)), file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.stderr.strip().splitlines()[-1] == "[]", r.stderr
