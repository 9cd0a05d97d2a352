"""Clean text: user- and file-supplied strings made safe to show on a terminal, in HTML or on an image.

    >>> from tradeshield.textsafe import clean
    >>> clean("IMG\\x1b[32m intact\\x1b]0;pwned\\x07.jpg")
    'IMG\\\\x1b[32m intact\\\\x1b]0;pwned\\\\x07.jpg'
    >>> clean("invoice\\u202egpj.exe")
    'invoice\\\\u202egpj.exe'

A file name, a chat line or a case field can carry terminal escapes (ESC, CSI, OSC: colours, a fake
"intact" line, a new window title), C1 controls (U+0080–U+009F; some terminals read U+009B as CSI) or
bidirectional overrides and isolates that make text read in another order than it is stored
("invoice‮gpj.exe"). ``clean`` replaces each with a visible escape (``\\x1b``, ``\\u202e``), so the
reader sees that something was there and what; nothing is silently dropped. Line breaks are escaped
too unless ``keep_newlines`` (multi-line text such as a chat message in an HTML report).
"""
from __future__ import annotations

import re

# C0 except TAB/LF (handled below), DEL, C1, bidi embeddings/overrides/isolates/marks, line/paragraph separators,
# the BOM / zero-width no-break space, interlinear annotation marks and lone surrogates (a file name that is not
# UTF-8, read with surrogateescape: shown as \udcff, never an encoding error on output).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_OTHER = "\u2028\u2029\ufeff\ufff9-\ufffb\ud800-\udfff"  # separators, BOM, annotations, lone surrogates
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_OTHER}]")
_UNSAFE_LINES = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_BIDI}{_OTHER}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match) -> str:
    ch = m.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    cp = ord(ch)
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"


def clean(text, keep_newlines: bool = False) -> str:
    """``text`` with every control, C1 and bidi-override character shown as an escape (``\\x1b``, ``\\u202e``).

    Tabs are kept; line breaks are kept only with ``keep_newlines`` (CR LF and lone CR become LF).
    Non-strings are converted with ``str`` first.
    """
    if not isinstance(text, str):
        text = str(text)
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _UNSAFE.sub(_escape, text)
    return _UNSAFE_LINES.sub(_escape, text)


def is_clean(text: str, keep_newlines: bool = False) -> bool:
    return (_UNSAFE if keep_newlines else _UNSAFE_LINES).search(text) is None


def clean_json_text(dumped: str) -> str:
    """JSON text with C1, bidi and separator characters written as ``\\uXXXX`` (still the same JSON value).

    ``json.dumps`` escapes C0 itself; with ``ensure_ascii=False`` it writes the others raw."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", dumped)


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI}{_OTHER}]")
