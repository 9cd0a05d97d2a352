"""Open a chat export: encoding detection, binary refusal, decoded text in large chunks.

    >>> from tradeshield.chat.source import Source
    >>> src = Source("聊天记录.txt")                 # doctest: +SKIP
    >>> src.encoding, src.sample()[:20]              # doctest: +SKIP
    ('gb18030', '买家\\nshop_abc旺旺离线\\n…')

Decoding uses universal newlines (CRLF and CR become LF), so a line number counted in the
decoded text is the line number a text editor shows for the original file.
"""
from __future__ import annotations

import codecs
import io
import os
from pathlib import Path
from typing import Iterator

from tradeshield import i18n
from tradeshield.errors import InputError
from tradeshield.evidence.fsutil import check_input

HEAD = 256 * 1024
CHUNK = 1024 * 1024  # characters per decoded chunk: big enough that per-chunk overhead vanishes
# … but the first chunks are smaller, growing 4x each time: a grammar parses a whole chunk before its first record
# comes out, so with 1M characters (~15,000 messages, ~60 ms) the events child sat idle before its first batch
FIRST_CHUNK = 64 * 1024

i18n.register({
    "chat.binary": ("不是文本聊天记录（看起来是二进制文件）：{path}", "not a text chat export (looks binary): {path}"),
    "chat.encoding": ("无法识别文件编码：{path}（可用 --encoding 指定，例如 gb18030 或 utf-16）",
                      "cannot tell the file's encoding: {path} (pass --encoding, e.g. gb18030 or utf-16)"),
    "chat.bad_encoding": ("未知编码：{encoding}", "unknown encoding: {encoding}"),
})


def _decodes(data: bytes, enc: str, truncated: bool) -> bool:
    """True when ``data`` is valid ``enc``, allowing one character cut at the end of a sample."""
    for k in range(0, 4 if truncated else 1):
        try:
            data[:len(data) - k].decode(enc)
            return True
        except UnicodeDecodeError:
            continue
    return False


def detect_encoding(head: bytes, path: str) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
        raise InputError("chat.binary", path=path)
    for enc in ("utf-8", "gb18030"):
        if _decodes(head, enc, len(head) >= HEAD):
            return enc
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise InputError("chat.encoding", path=path)
    return best.encoding


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    ctrl = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\t\r\f\x1b") + text.count("\ufffd")
    return ctrl > 0.05 * len(text)


class Source:
    """A readable text export: ``encoding``, ``sample()`` and ``chunks()``."""

    def __init__(self, path: str | os.PathLike, encoding: str | None = None, name: str | None = None):
        """``name``: the file as messages call it (the user's own path when ``path`` is the case's copy)."""
        self.path = Path(check_input(path))
        self.name = name = name or str(path)
        self.size = self.path.stat().st_size
        with open(self.path, "rb") as f:
            head = f.read(HEAD)
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise InputError("chat.bad_encoding", encoding=encoding) from None
            self.encoding = encoding
        else:
            self.encoding = detect_encoding(head, name)
        self._sample = self._decode_head(head)
        if _looks_binary(self._sample[:20000]):
            raise InputError("chat.binary", path=name)

    def _decode_head(self, head: bytes) -> str:
        dec = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        text = dec.decode(head, final=len(head) < HEAD)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text[1:] if text.startswith("\ufeff") else text

    def sample(self) -> str:
        """The decoded start of the file (up to 256 KiB of bytes), for detection."""
        return self._sample

    def open_text(self) -> io.TextIOWrapper:
        return open(self.path, encoding=self.encoding, errors="replace", newline=None)

    def chunks(self, size: int = CHUNK, progress=None) -> Iterator[str]:
        """The decoded text in chunks of at most ``size`` characters (the first ones smaller: ``FIRST_CHUNK``, four
        times that, …)."""
        label = self.path.name
        step = min(size, FIRST_CHUNK)
        with self.open_text() as f:
            first = True
            while True:
                text = f.read(step)
                step = min(size, step * 4)
                if not text:
                    break
                if first and text.startswith("\ufeff"):
                    text = text[1:]
                first = False
                if progress:
                    progress(label, min(f.buffer.tell(), self.size), self.size)
                yield text

    def text(self) -> str:
        return "".join(self.chunks())
