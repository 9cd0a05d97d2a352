"""zh-CN / English message catalogue.

    >>> from tradeshield import i18n
    >>> i18n.register({"hello": ("你好，{name}", "Hello, {name}")})
    >>> i18n.t("hello", "en", name="Li")
    'Hello, Li'

Every capability module registers its own messages as ``key: (zh, en)``; user-facing text
never lives in code paths as a bare string. The language comes from ``set_lang`` (the CLI's
``--lang``), else ``TRADESHIELD_LANG``, else the locale (zh* → zh, anything else → en).
"""
from __future__ import annotations

import os

LANGS = ("zh", "en")
_CATALOG: dict[str, tuple[str, str]] = {}
_current: str | None = None


def register(messages: dict[str, tuple[str, str]]) -> None:
    _CATALOG.update(messages)


def detect_lang() -> str:
    env = os.environ.get("TRADESHIELD_LANG")
    if env:
        return normalize(env)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        val = os.environ.get(var)
        if val:
            return "zh" if val.lower().startswith("zh") else "en"
    return "en"


def normalize(lang: str | None) -> str:
    if not lang:
        return get_lang()
    low = lang.lower().replace("_", "-")
    if low.startswith("zh"):
        return "zh"
    if low.startswith("en"):
        return "en"
    from tradeshield.errors import UsageError

    raise UsageError("lang.unknown", lang=lang)


def set_lang(lang: str | None) -> str:
    global _current
    _current = normalize(lang) if lang else detect_lang()
    return _current


def get_lang() -> str:
    return _current or detect_lang()


def t(key: str, lang: str | None = None, **params) -> str:
    lang = normalize(lang) if lang else get_lang()
    pair = _CATALOG.get(key)
    if pair is None:
        text = key
    else:
        text = pair[0] if lang == "zh" else pair[1]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text + " " + repr(params)
    return text


def has(key: str) -> bool:
    return key in _CATALOG


register({
    "lang.unknown": ("不支持的语言：{lang}（可用 zh、en）", "unsupported language: {lang} (use zh or en)"),
})
