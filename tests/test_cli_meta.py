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


def _keys_used(path: Path) -> set:
    """The message keys a CLI module asks for by name: ``i18n.t("key", …)``, and ``"cli.col." + col`` inside
    ``for col in ("time", "kind", …)``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "t" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "i18n" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            keys.add(node.args[0].value)
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Tuple):
            names = [e.value for e in node.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            for sub in ast.walk(node):
                if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Add) and isinstance(sub.left, ast.Constant) \
                        and isinstance(sub.left.value, str) and isinstance(sub.right, ast.Name) \
                        and sub.right.id == node.target.id:
                    keys.update(sub.left.value + n for n in names)
    return keys


def test_each_command_module_registers_the_messages_it_prints():
    """A command imports only its own module (fast start-up), so every message key it prints must be registered
    once that module alone is imported — `tradeshield chat` printed its table's header as 「cli.col.time」 and
    「cli.col.kind」, keys registered only by the events and core modules."""
    import json

    mods = sorted(p for p in (ROOT / "tradeshield" / "cli").glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(mods) >= 5
    missing = {}
    for p in mods:
        keys = sorted(k for k in _keys_used(p) if k.startswith("cli."))     # (a library's own, e.g. verify.*, come
        # with the library module the command calls before it prints them)
        code = ("import json, sys; import tradeshield.cli.%s; from tradeshield import i18n; "
                "print(json.dumps([k for k in json.loads(sys.argv[1]) if not i18n.has(k)]))" % p.stem)
        out = subprocess.run([sys.executable, "-c", code, json.dumps(keys)], capture_output=True, text=True,
                             cwd=ROOT, check=True).stdout
        if json.loads(out):
            missing[p.stem] = json.loads(out)
    assert missing == {}, f"message keys printed but not registered when the module is loaded alone: {missing}"
