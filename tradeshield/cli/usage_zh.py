"""click/typer usage errors in Chinese: the same one line and exit 2, in the user's language.

click formats its errors in English ("No such option: --x", "Missing argument 'FILE'."). In zh mode,
``show_zh`` writes them in Chinese from the exception's own fields (the option name, the parameter,
the suggestions), falling back to click's text only for a message it cannot read.
"""
from __future__ import annotations

import re
import sys

_VALUE = [  # click's messages about a bad value → zh
    (re.compile(r"'?(.*?)'? is not a valid int(?:eger)?(?: range)?\.?"), "“{0}”不是有效的整数"),
    (re.compile(r"'?(.*?)'? is not a valid float(?: range)?\.?"), "“{0}”不是有效的数字"),
    (re.compile(r"'?(.*?)'? is not a valid boolean\.?"), "“{0}”不是有效的真假值"),
    (re.compile(r"'?(.*?)'? is not one of (.*)\.?"), "“{0}”不是可选值之一（{1}）"),
    (re.compile(r"(?:File|Path|Directory) '(.*?)' does not exist\.?"), "文件不存在：{0}"),
    (re.compile(r"'?(.*?)'? is not in the range (.*)\.?"), "“{0}”超出范围 {1}"),
]


def _hint(e) -> str:
    """The parameter as the user typed it: --limit, or FILE for an argument."""
    if getattr(e, "param_hint", None):
        h = e.param_hint
        return " / ".join(h) if isinstance(h, (list, tuple)) else str(h)
    p = getattr(e, "param", None)
    if p is None:
        return ""
    opts = getattr(p, "opts", None) or []
    if getattr(p, "param_type_name", "") == "option" and opts:
        return " / ".join(opts)
    return str(getattr(p, "name", "") or "").upper()


def _value(msg: str) -> str:
    for rx, zh in _VALUE:
        m = rx.fullmatch(msg.strip())
        if m:
            return zh.format(*m.groups())
    return msg


def message_zh(e) -> str:
    """One line in Chinese for a click usage error."""
    name = type(e).__name__
    if name == "NoSuchOption":
        alts = list(getattr(e, "possibilities", None) or [])
        hint = f"（是否想用：{'、'.join(sorted(alts))}）" if alts else ""
        return f"没有这个选项：{e.option_name}{hint}"
    if name == "BadOptionUsage":
        m = re.search(r"Option '(.+?)' requires (\w+) argument", e.message or "")
        if m:
            return f"选项 {m.group(1)} 需要一个值"
        return f"选项用法有误：{e.option_name}"
    if name == "MissingParameter":
        ptype = e.param_type or getattr(getattr(e, "param", None), "param_type_name", "")
        kind = {"argument": "参数", "option": "选项", "parameter": "参数"}.get(ptype or "", "参数")
        hint = _hint(e)
        return f"缺少{kind}：{hint}".rstrip("：")
    if name == "BadParameter":
        hint = _hint(e)
        return f"{hint} 的值无效：{_value(e.message)}" if hint else f"值无效：{_value(e.message)}"
    msg = e.format_message() if hasattr(e, "format_message") else str(e)
    m = re.match(r"No such command '(.+?)'\.?", msg)
    if m:
        return f"没有这个命令：{m.group(1)}（用 tradeshield --help 查看全部命令）"
    m = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.+)\)", msg)
    if m:
        return f"多余的参数：{m.group(1)}"
    m = re.match(r"Option '(.+?)' requires (?:an|\d+) arguments?\.?", msg)
    if m:
        return f"选项 {m.group(1)} 需要一个值"
    return f"用法有误：{msg}"


def show_zh(e) -> None:
    """What click's ``UsageError.show`` prints, in Chinese: the usage line, how to get help, the error."""
    ctx = getattr(e, "ctx", None)
    prog = ctx.command_path if ctx is not None else "tradeshield"
    if ctx is not None:
        usage = ctx.get_usage().replace("Usage:", "用法：").replace("[OPTIONS]", "[选项]").replace("[ARGS]", "[参数]")
        print(usage, file=sys.stderr)
        print(f"用 {prog} --help 查看说明和示例。", file=sys.stderr)
    print(f"tradeshield: {message_zh(e)}", file=sys.stderr)
