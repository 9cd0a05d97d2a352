#!/usr/bin/env python3
"""Rewrite a Taobao-block chat (../shared/bench/gen_chat.py) as the same messages in other export layouts.

    python bench/gen_formats.py taobao-200k.txt whatsapp whatsapp-200k.txt

Layouts (as the real exports write them; see ../shared/DOMAIN.md §4 and ../shared/corpus/chats):
  whatsapp    Android   ``26/09/2012, 22:38 - Name: text`` (continuation lines as they are)
  wechat-txt  WeChatMsg ``2012-09-26 22:38:38 Name`` / text lines / blank line
  qq          QQ 消息管理器 ``2012-09-26 22:38:38 Name(12345678)`` / text lines / blank line, with the file header
  signal      signal-export ``[2012-09-26, 22:38] Name: text``
Same senders, times and texts in every layout, so the formats can be timed against each other.
Stdlib only.
"""
from __future__ import annotations

import sys
import zlib

QQ_HEAD = ("消息记录（此消息记录为文本格式，不支持重新导入）\n\n" + "=" * 64 + "\n消息分组:我的好友\n" + "=" * 64
           + "\n消息对象:极速通讯\n" + "=" * 64 + "\n\n")


def blocks(path):
    with open(path, encoding="utf-8") as f:
        block = []
        for line in f:
            line = line.rstrip("\n")
            if line:
                block.append(line)
            elif block:
                yield block
                block = []
        if block:
            yield block


def convert(src: str, layout: str, dest: str) -> int:
    n = 0
    with open(dest, "w", encoding="utf-8", newline="\n") as out:
        if layout == "qq":
            out.write(QQ_HEAD)
        buf = []
        for block in blocks(src):
            head, texts = block[1], block[2:]
            name, date, clock = head[:-20], head[-19:-9], head[-8:]
            y, mo, d = date.split("-")
            if layout == "whatsapp":
                name = name.replace(":", "-")
                buf.append(f"{d}/{mo}/{y}, {clock[:5]} - {name}: " + "\n".join(texts) + "\n")
            elif layout == "signal":
                name = name.replace(":", "-")
                buf.append(f"[{date}, {clock[:5]}] {name}: " + "\n".join(texts) + "\n")
            elif layout == "wechat-txt":
                buf.append(f"{date} {clock} {name}\n" + "\n".join(texts) + "\n\n")
            elif layout == "qq":
                qq = 10000000 + zlib.crc32(name.encode()) % 899999999
                h = int(clock[:2])
                buf.append(f"{date} {h}:{clock[3:]} {name}({qq})\n" + "\n".join(texts) + "\n\n")
            else:
                raise SystemExit(f"unknown layout {layout}")
            n += 1
            if len(buf) >= 20000:
                out.write("".join(buf))
                buf.clear()
        out.write("".join(buf))
    return n


if __name__ == "__main__":
    print(convert(sys.argv[1], sys.argv[2], sys.argv[3]))
