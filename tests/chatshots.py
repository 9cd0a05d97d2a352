"""App-like chat screenshots with their truth beside them (tests and ``bench/bench_ocr.py``).

    >>> from tests.chatshots import conversation, render_content, screenshot
    >>> conv = conversation(seed=1, n=14)                                   # doctest: +SKIP
    >>> content = render_content(conv, "wechat", "light", width=1080)       # doctest: +SKIP
    >>> img, truth = screenshot(content, top=0, size=(1080, 2400))          # doctest: +SKIP

What a phone shows, drawn the way the apps draw it: the status bar (clock, signal, battery), the navigation
bar (back arrow, the other side's nickname or the group's name, a menu), the chat on its background with
square avatars, bubbles of each app's colours (the other side on the left, mine on the right), nicknames above
left bubbles in groups, centred time separators in the apps' wording (``20:11``, ``昨天 20:11``,
``星期三 20:11``, ``5月26日 20:11``, ``2021年5月26日 下午8:11``), centred system lines (plain in 微信/QQ, a
grey pill in 闲鱼/淘宝/转转), photos and stickers without a bubble, an order card (item thumbnail, title,
price, status), "已读" marks beside my bubbles (闲鱼/转转), inline emoji drawn as faces, and at the bottom the
input bar and sometimes the keyboard. Light and dark palettes.

Colours: 微信 #95EC69 (mine) / #FFFFFF (theirs) on #EDEDED, dark #3EB575 / #2C2C2C on #111111, as the brief
gives them. Measured from real screenshots (light mode): 闲鱼 #FFE60F / #FFFFFF on #F8F8F8, text #1F1F1F, no
tail, "已读" (#A3A3A3) under my bubble flush with its right edge (shaxiu/XianyuAutoAgent ``images/demo1-3.png``);
QQ #0099FF with white text on #EEEDF2 (lm175/nonebot-plugin-fakepic ``preview/command.jpg``). Still approximate,
for want of a real screenshot: 淘宝/千牛 orange and 转转 red for my bubbles, every dark palette but 微信's.

A conversation is rendered once as one tall content strip (``render_content``); a screenshot is a window
onto it with the phone's chrome around it (``screenshot``), so overlapping shots of one chat come from
scrolling the same strip and a long capture is the whole strip. The truth of a shot lists what is fully
visible in it: messages (role, sender, text, kind, time = the separator above it *in that shot*), separators
(label and the time they mean), system lines and order cards. Inline emoji are not part of the text truth
(they are pictures in the app too; a reader cannot turn them back into text).
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from tradeshield.fonts import load_font

# ---------------------------------------------------------------- palettes
STYLES = {
    "wechat": {
        "light": dict(bg="#EDEDED", nav="#EDEDED", me="#95EC69", them="#FFFFFF", me_text="#191919",
                      them_text="#191919", sep="#B2B2B2", sys="#9E9E9E", input="#F7F7F7", field="#FFFFFF",
                      status_text="#000000", title="#191919", pill=None, card="#FFFFFF", nick="#8C8C8C"),
        "dark": dict(bg="#111111", nav="#111111", me="#3EB575", them="#2C2C2C", me_text="#0F0F0F",
                     them_text="#D5D5D5", sep="#5F5F5F", sys="#6E6E6E", input="#1E1E1E", field="#2C2C2C",
                     status_text="#FFFFFF", title="#D5D5D5", pill=None, card="#2C2C2C", nick="#7A7A7A"),
        "avatar_radius": 0.1, "read_mark": False, "sys_pill": False,
    },
    "qq": {
        "light": dict(bg="#EEEDF2", nav="#FFFFFF", me="#0099FF", them="#FFFFFF", me_text="#FFFFFF",
                      them_text="#111111", sep="#A3A3A3", sys="#A3A3A3", input="#FFFFFF", field="#F1F2F6",
                      status_text="#000000", title="#111111", pill=None, card="#FFFFFF", nick="#8A8A8A"),
        "dark": dict(bg="#0F0F10", nav="#1A1A1B", me="#0A6FD6", them="#262628", me_text="#FFFFFF",
                     them_text="#E6E6E6", sep="#6B6B6B", sys="#6B6B6B", input="#1A1A1B", field="#262628",
                     status_text="#FFFFFF", title="#E6E6E6", pill=None, card="#262628", nick="#7C7C7C"),
        "avatar_radius": 0.5, "read_mark": False, "sys_pill": False,
    },
    "xianyu": {
        "light": dict(bg="#F8F8F8", nav="#FFFFFF", me="#FFE60F", them="#FFFFFF", me_text="#1F1F1F",
                      them_text="#1F1F1F", sep="#A3A3A3", sys="#777777", input="#FFFFFF", field="#F3F3F3",
                      status_text="#000000", title="#111111", pill="#E8E8E8", card="#FFFFFF", nick="#8A8A8A"),
        "dark": dict(bg="#141414", nav="#1E1E1E", me="#E3C400", them="#2A2A2A", me_text="#111111",
                     them_text="#E0E0E0", sep="#6E6E6E", sys="#9A9A9A", input="#1E1E1E", field="#2A2A2A",
                     status_text="#FFFFFF", title="#E0E0E0", pill="#262626", card="#232323", nick="#7A7A7A"),
        "avatar_radius": 0.5, "read_mark": True, "sys_pill": True,
        # measured on real 闲鱼 chats (see tests/test_ocr.py::test_real_xianyu_layout_replica): no tail, corner
        # radius ~0.2 of a one-line bubble's height, "已读" under my bubble, flush with its right edge
        "tail": False, "radius": 7.5, "read_below": True,
    },
    "taobao": {
        "light": dict(bg="#F3F3F3", nav="#FFFFFF", me="#FF6A1F", them="#FFFFFF", me_text="#FFFFFF",
                      them_text="#111111", sep="#A0A0A0", sys="#777777", input="#FFFFFF", field="#F3F3F3",
                      status_text="#000000", title="#111111", pill="#E6E6E6", card="#FFFFFF", nick="#8A8A8A"),
        "dark": dict(bg="#121212", nav="#1C1C1C", me="#D95A14", them="#262626", me_text="#FFFFFF",
                     them_text="#E2E2E2", sep="#6A6A6A", sys="#9A9A9A", input="#1C1C1C", field="#262626",
                     status_text="#FFFFFF", title="#E2E2E2", pill="#262626", card="#222222", nick="#7A7A7A"),
        "avatar_radius": 0.5, "read_mark": False, "sys_pill": True,
    },
    "zhuanzhuan": {
        "light": dict(bg="#F5F5F5", nav="#FFFFFF", me="#FF4D4F", them="#FFFFFF", me_text="#FFFFFF",
                      them_text="#111111", sep="#A0A0A0", sys="#777777", input="#FFFFFF", field="#F2F2F2",
                      status_text="#000000", title="#111111", pill="#E6E6E6", card="#FFFFFF", nick="#8A8A8A"),
        "dark": dict(bg="#131313", nav="#1D1D1D", me="#D9393B", them="#282828", me_text="#FFFFFF",
                     them_text="#E0E0E0", sep="#6A6A6A", sys="#9A9A9A", input="#1D1D1D", field="#282828",
                     status_text="#FFFFFF", title="#E0E0E0", pill="#262626", card="#222222", nick="#7A7A7A"),
        "avatar_radius": 0.5, "read_mark": True, "sys_pill": True,
    },
}
APPS = tuple(STYLES)

# ---------------------------------------------------------------- conversation model
THEIRS = ["你好，这个手机还在吗？", "成色怎么样，有没有磕碰", "能便宜50吗", "1000包邮可以吗", "电池健康多少",
          "发顺丰还是中通？", "好的，我拍了", "收到了，我先看看", "屏幕有一道划痕，你没说啊", "开不了机了，我要退款",
          "你发的时候测试过吗？", "IMEI是多少，我查一下", "我已经申请退款了", "麻烦发一下购买发票",
          "今天能发货吗", "型号是海信A5Pro对吧", "OK", "这个价格太高了，900出不出", "行吧，那我拍下了",
          "我朋友说这个是翻新机", "明天下午到", "能不能走微信转账，平台扣手续费", "不退款我就差评",
          "我先确认一下充电器是原装的吗", "Hello, is it still available?", "盒子和说明书都在吗"]
MINE = ["在的", "95新，无拆无修，电池87%", "不议价哦，已经是最低了", "不包邮，顺丰到付", "可以，今天下午发顺丰",
        "已发货，单号SF1234567890123", "发货前测试过，一切正常，有视频", "IMEI 352099001761481，可以查",
        "请通过平台交易，不走微信", "收到请确认收货，谢谢", "你说的划痕在描述第三张图里有", "发票在这里",
        "好的", "盒子说明书充电器都在", "请你先拍个开机视频看看", "No discount, sorry", "我这边已同意退货，请按原样寄回",
        "价格1100元，不含运费", "谢谢，祝使用愉快", "你收到的包装是完好的吗？"]
GROUP_NAMES = ["小林", "阿强数码", "Momo", "二手老王", "木白术"]
SYSTEM = {"xianyu": ["买家已付款，等待你发货", "你已发货", "买家已确认收货，交易成功", "买家申请退款，请及时处理"],
          "taobao": ["买家已付款", "卖家已发货", "交易成功", "买家发起了退款申请"],
          "zhuanzhuan": ["买家已付款，请尽快发货", "你已确认收货", "交易成功", "退款申请已提交"],
          "wechat": ["你撤回了一条消息", "对方撤回了一条消息", "以下为新消息"],
          "qq": ["对方撤回了一条消息", "你撤回了一条消息"]}
CARDS = [("海信A5Pro 4+64G 墨水屏 95新", "¥1100", "交易成功"), ("iPhone 12 128G 白色 国行", "¥2350", "待发货"),
         ("小米手环8 NFC版 全新未拆", "¥199", "已发货"), ("Switch OLED 日版 续航版", "¥1680", "退款中")]
WEEKDAYS = "一二三四五六日"


@dataclass
class Item:
    kind: str                   # text / image / sticker / system / sep / card
    role: str = "system"        # me / them / system
    sender: str = ""
    text: str = ""
    time: dt.datetime | None = None      # sep: the time it means
    label: str = ""             # sep: as drawn
    emoji: bool = False
    pic: bool = False           # a picture inside the bubble under the text (QQ sends both in one bubble)
    card: tuple | None = None
    y0: int = 0                 # placement in the content strip
    y1: int = 0
    box: tuple = ()


@dataclass
class Content:
    app: str
    mode: str
    width: int
    image: Image.Image
    items: list[Item]
    title: str
    ref: dt.datetime            # "now" on the phone when the chat was shown
    group: bool = False
    scale: float = 3.0
    meta: dict = field(default_factory=dict)


def sep_label(t: dt.datetime, ref: dt.datetime, twelve: bool = False, app: str = "wechat") -> str:
    """The separator as the app writes it, relative to the phone's date ``ref``."""
    if twelve:
        h = t.hour % 12 or 12
        part = ("凌晨" if t.hour < 6 else "上午" if t.hour < 12 else "中午" if t.hour < 13 else
                "下午" if t.hour < 18 else "晚上")
        clock = f"{part}{h}:{t.minute:02d}"
    else:
        clock = f"{t.hour:02d}:{t.minute:02d}"
    days = (ref.date() - t.date()).days
    if days == 0:
        return clock
    if days == 1:
        return f"昨天 {clock}"
    if days < 7:
        return (f"周{WEEKDAYS[t.weekday()]} " if app == "qq" else f"星期{WEEKDAYS[t.weekday()]} ") + clock
    if t.year == ref.year:
        return f"{t.month}月{t.day}日 {clock}"
    return f"{t.year}年{t.month}月{t.day}日 {clock}"


def conversation(seed: int = 0, n: int = 16, app: str = "wechat", group: bool = False, ref: dt.datetime | None = None,
                 start_days: int = 9, twelve: bool = False, card: bool | None = None, images: int = 1,
                 emoji: bool = True, system: int = 1, empty: int = 0) -> tuple[list[Item], dt.datetime]:
    """A plausible trade chat of ``n`` messages ending near ``ref``, with separators where the apps put them."""
    rnd = random.Random(seed)
    ref = ref or dt.datetime(2021, 5, 28, 20, 15, 33)
    t = (ref - dt.timedelta(days=start_days)).replace(hour=rnd.randint(9, 20), minute=rnd.randint(0, 59), second=0)
    items: list[Item] = []
    if card if card is not None else app in ("xianyu", "taobao", "zhuanzhuan"):
        items.append(Item("card", card=rnd.choice(CARDS)))
    last = None
    kinds = ["text"] * n
    for k in rnd.sample(range(1, n), min(images, n - 1)):
        kinds[k] = rnd.choice(["image", "sticker"])
    sys_at = set(rnd.sample(range(2, n), min(system, n - 2))) if n > 3 else set()
    span = (ref - t).total_seconds() - 600
    for i in range(n):
        if i:
            jump = rnd.random()
            gap = (rnd.randint(20, 200) if jump < 0.55 else rnd.randint(400, 3000) if jump < 0.8
                   else rnd.randint(int(span / n * 0.6), int(span / n * 1.9)))
            t = min(t + dt.timedelta(seconds=gap), ref - dt.timedelta(minutes=2))
        if last is None or (t - last).total_seconds() >= 300:
            tt = t.replace(second=0)
            items.append(Item("sep", time=tt, label=sep_label(tt, ref, twelve, app)))
        last = t
        if i in sys_at and app in SYSTEM:
            items.append(Item("system", text=rnd.choice(SYSTEM[app])))
        role = "them" if (i % 3 != 1 if rnd.random() < 0.8 else rnd.random() < 0.5) else "me"
        sender = rnd.choice(GROUP_NAMES[:4]) if (group and role == "them") else ""
        if kinds[i] != "text":
            items.append(Item(kinds[i], role, sender, "[图片]"))
            continue
        text = rnd.choice(THEIRS if role == "them" else MINE)
        if rnd.random() < 0.2:                     # longer messages that wrap over lines
            text = text.rstrip("？?") + "，" + rnd.choice(THEIRS if role == "them" else MINE)
        items.append(Item("text", role, sender, text, emoji=emoji and rnd.random() < 0.12))
    for it in [it for it in items if it.kind == "text"][2:2 + empty]:
        it.text, it.emoji = "", False          # a bubble OCR reads nothing in (sent blank, or unreadable)
    return items, ref


# ---------------------------------------------------------------- drawing
def _rgb(c: str) -> tuple:
    c = c.lstrip("#")
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))


NO_LINE_START = set("，。？！、；：）」』”’…%")


def _wrap(text: str, font, width: float) -> list[str]:
    """Break like a phone does: by character for CJK, at spaces for Latin words."""
    lines, cur = [], ""
    tokens = []
    for ch in text:
        if ch.isascii() and ch not in " " and tokens and tokens[-1] and tokens[-1][-1].isascii() and tokens[-1][-1] != " ":
            tokens[-1] += ch
        else:
            tokens.append(ch)
    for tok in tokens:
        if tok in NO_LINE_START and cur:      # 禁则: a line never starts with a closing mark; it hangs
            cur += tok
            continue
        if font.getlength(cur + tok) <= width:
            cur += tok
        else:
            if cur:
                lines.append(cur.rstrip())
            cur = tok.lstrip()
    if cur:
        lines.append(cur)
    return lines


def _avatar(draw, x, y, size, seed, radius):
    rnd = random.Random(seed)
    col = tuple(rnd.randint(60, 220) for _ in range(3))
    draw.rounded_rectangle((x, y, x + size, y + size), int(size * radius), fill=col)
    draw.ellipse((x + size * 0.3, y + size * 0.2, x + size * 0.7, y + size * 0.6), fill=tuple(min(255, c + 40) for c in col))
    draw.rounded_rectangle((x + size * 0.18, y + size * 0.62, x + size * 0.82, y + size * 0.95), int(size * 0.15),
                           fill=tuple(min(255, c + 40) for c in col))


def _picture(w, h, seed):
    """A photo-like block: gradient, shapes, noise."""
    import numpy as np

    rnd = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = rnd.integers(40, 200, 3)
    arr = np.empty((h, w, 3), np.float32)
    for c in range(3):
        arr[..., c] = base[c] + 50 * np.sin(xx / (w / (1 + c)) + c) + 40 * np.cos(yy / (h / 2.0))
    arr += rnd.normal(0, 8, arr.shape)
    im = Image.fromarray(arr.clip(0, 255).astype("uint8"))
    d = ImageDraw.Draw(im)
    for _ in range(3):
        x0, y0 = int(rnd.integers(0, w - 20)), int(rnd.integers(0, h - 20))
        d.ellipse((x0, y0, x0 + w // 4, y0 + h // 5), fill=tuple(int(v) for v in rnd.integers(0, 255, 3)))
    return im


def _face(draw, x, y, s):
    draw.ellipse((x, y, x + s, y + s), fill=(255, 204, 51), outline=(230, 160, 20), width=max(1, s // 20))
    draw.ellipse((x + s * 0.28, y + s * 0.3, x + s * 0.38, y + s * 0.45), fill=(90, 60, 20))
    draw.ellipse((x + s * 0.62, y + s * 0.3, x + s * 0.72, y + s * 0.45), fill=(90, 60, 20))
    draw.arc((x + s * 0.25, y + s * 0.35, x + s * 0.75, y + s * 0.8), 20, 160, fill=(90, 60, 20), width=max(2, s // 14))


def render_content(conv, app: str, mode: str = "light", width: int = 1080, group: bool = False,
                   title: str | None = None, seed: int = 0) -> Content:
    """Draw every item of ``conv`` (items, ref) one under another on the chat background."""
    items, ref = conv
    st, pal = STYLES[app], STYLES[app][mode]
    s = width / 360 if width < 1150 else width / 390           # px per dp (1080 → 3, 1170 → 3)
    fs, small = int(16 * s), int(12 * s)
    font, sfont = load_font(fs), load_font(small)
    line_h = int(fs * 1.38)
    av, margin, gap = int(40 * s), int(12 * s), int(8 * s)
    padx, pady = int(12 * s), int(10 * s)
    maxw = int(width * 0.62)
    # draw on a tall canvas, crop at the end
    est = int(sum(300 + 150 * len(i.text) / 10 for i in items) * s / 3) + 600
    img = Image.new("RGB", (width, est), _rgb(pal["bg"]))
    d = ImageDraw.Draw(img)
    y = int(16 * s)
    ids = {}
    for n, it in enumerate(items):
        if it.kind == "sep" or it.kind == "system":
            f, col = sfont, pal["sep"] if it.kind == "sep" else pal["sys"]
            text = it.label if it.kind == "sep" else it.text
            tw = f.getlength(text)
            x = (width - tw) / 2
            y += int(6 * s)
            pill = it.kind == "system" and st["sys_pill"]
            if pill:
                d.rounded_rectangle((x - 10 * s, y - 4 * s, x + tw + 10 * s, y + small + 6 * s), int(6 * s), fill=_rgb(pal["pill"]))
            d.text((x, y), text, font=f, fill=_rgb(col))
            # what a reader can see of it: the pill, or the text itself
            it.y0, it.y1 = (y - int(4 * s), y + small + int(6 * s)) if pill else (y, y + small + int(3 * s))
            it.box = (int(x), it.y0, int(x + tw), it.y1)
            y = it.y1 + int(10 * s)
            continue
        if it.kind == "card":
            title_, price, status = it.card
            x0, x1 = int(10 * s), width - int(10 * s)
            h = int(96 * s)
            d.rounded_rectangle((x0, y, x1, y + h), int(8 * s), fill=_rgb(pal["card"]))
            th = int(72 * s)
            img.paste(_picture(th, th, seed + 7), (x0 + int(12 * s), y + int(12 * s)))
            tx = x0 + int(12 * s) + th + int(12 * s)
            d.text((tx, y + int(14 * s)), title_, font=load_font(int(15 * s)), fill=_rgb(pal["them_text"]))
            d.text((tx, y + int(50 * s)), price, font=load_font(int(17 * s)), fill=(255, 68, 0))
            bw = sfont.getlength(status) + 20 * s
            d.rounded_rectangle((x1 - bw - 12 * s, y + int(52 * s), x1 - 12 * s, y + int(80 * s)), int(14 * s),
                                outline=_rgb(pal["sep"]), width=max(1, int(s / 2)))
            d.text((x1 - bw - 2 * s, y + int(57 * s)), status, font=sfont, fill=_rgb(pal["them_text"]))
            it.y0, it.y1, it.box = y, y + h, (x0, y, x1, y + h)
            y += h + int(14 * s)
            continue
        mine = it.role == "me"
        ax = width - margin - av if mine else margin
        top = y
        if group and not mine:
            d.text((ax + av + gap + int(2 * s), y), it.sender, font=sfont, fill=_rgb(pal["nick"]))
            y += small + int(6 * s)
        if it.kind in ("image", "sticker"):
            w, h = (int(120 * s), int(160 * s)) if it.kind == "image" else (int(100 * s), int(100 * s))
            bx0 = ax - gap - w if mine else ax + av + gap
            if it.kind == "image":
                img.paste(_picture(w, h, seed * 31 + n), (bx0, y))
            else:
                _face(d, bx0, y, w)
            box = (bx0, y, bx0 + w, y + h)
        else:
            below = 0
            lines = _wrap(it.text, font, maxw - 2 * padx) or [""]
            tw = max(max(font.getlength(ln) for ln in lines), fs * 1.2) + (fs + 4 * s if it.emoji else 0)
            h = line_h * len(lines) + 2 * pady - (line_h - fs) + int(2 * s)
            ph = int(110 * s) if it.pic else 0
            if it.pic:
                tw = max(tw, ph)
                h += ph + pady
            bw = int(tw + 2 * padx)
            bx0 = ax - gap - bw if mine else ax + av + gap
            h = max(h, av)
            d.rounded_rectangle((bx0, y, bx0 + bw, y + h), int(st.get("radius", 5) * s),
                                fill=_rgb(pal["me" if mine else "them"]))
            if st.get("tail", True):       # the little tail pointing at the avatar
                ty = y + int(14 * s)
                tail = [(bx0 + bw, ty), (bx0 + bw + 6 * s, ty + 6 * s), (bx0 + bw, ty + 12 * s)] if mine else \
                    [(bx0, ty), (bx0 - 6 * s, ty + 6 * s), (bx0, ty + 12 * s)]
                d.polygon(tail, fill=_rgb(pal["me" if mine else "them"]))
            ty0 = y + (h - ph - (pady if it.pic else 0) - (line_h * len(lines) - (line_h - fs))) // 2 - int(s)
            if it.pic:
                img.paste(_picture(ph, ph, seed * 17 + n), (bx0 + padx, y + h - pady - ph))
            for k, ln in enumerate(lines):
                d.text((bx0 + padx, ty0 + k * line_h), ln, font=font, fill=_rgb(pal["me_text" if mine else "them_text"]))
            if it.emoji:
                ex = bx0 + padx + font.getlength(lines[-1]) + 4 * s
                _face(d, int(ex), ty0 + (len(lines) - 1) * line_h + int(s), fs)
            box = (bx0, y, bx0 + bw, y + h)
            if mine and st["read_mark"] and st.get("read_below"):
                rm = "已读"
                d.text((bx0 + bw - sfont.getlength(rm), y + h + int(2 * s)), rm, font=sfont, fill=_rgb(pal["sep"]))
                below = small + int(4 * s)
            elif mine and st["read_mark"]:
                rm = "已读"
                d.text((bx0 - sfont.getlength(rm) - 6 * s, y + h - small - 4 * s), rm, font=sfont, fill=_rgb(pal["sep"]))
        who = it.sender or ("me" if mine else "them")
        _avatar(d, ax, top, av, ids.setdefault(who, len(ids) + seed * 7), st["avatar_radius"])
        it.y0, it.y1, it.box = top, max(box[3] + (below if it.kind == "text" else 0), top + av), box
        y = it.y1 + int(16 * s)
    img = img.crop((0, 0, width, y + int(8 * s)))
    title = title or ("二手交流群(23)" if group else random.Random(seed).choice(["远方私人", "tb_buyer_001", "阿强数码", "木白术"]))
    return Content(app, mode, width, img, items, title, ref, group, s)


def chrome_heights(size, s) -> tuple[int, int, int]:
    w, h = size
    status = int(47 * s) if h / w > 2.1 and w >= 1170 else int(32 * s)
    return status, int(48 * s), int(56 * s) + (int(34 * s) if w >= 1170 else 0)


def _status_bar(d, size, s, pal, clock):
    w, _ = size
    f = load_font(int(14 * s))
    d.text((int(18 * s), int(8 * s)), clock, font=f, fill=_rgb(pal["status_text"]))
    x = w - int(18 * s)
    d.rounded_rectangle((x - 24 * s, 10 * s, x, 22 * s), int(3 * s), outline=_rgb(pal["status_text"]), width=int(s))
    d.rectangle((x - 22 * s, 12 * s, x - 8 * s, 20 * s), fill=_rgb(pal["status_text"]))
    d.text((x - 50 * s, int(8 * s)), "5G", font=load_font(int(12 * s)), fill=_rgb(pal["status_text"]))
    for k in range(4):
        d.rectangle((x - 78 * s + k * 5 * s, 22 * s - (k + 1) * 3 * s, x - 75 * s + k * 5 * s, 22 * s),
                    fill=_rgb(pal["status_text"]))


def screenshot(content: Content, top: int, size=(1080, 2400), keyboard: bool = False, clock: str | None = None,
               long: bool = False):
    """(image, truth) of the content window starting at ``top`` (``long``: the whole strip, as a long capture)."""
    w, h = size
    s = content.scale
    pal = STYLES[content.app][content.mode]
    sb, nav, inp = chrome_heights(size, s)
    kb = int(h * 0.36) if keyboard else 0
    view = (content.image.height - top) if long else h - sb - nav - inp - kb
    if long:
        h = sb + nav + view + inp
    img = Image.new("RGB", (w, h), _rgb(pal["bg"]))
    crop = content.image.crop((0, top, w, top + view))
    img.paste(crop, (0, sb + nav))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, sb + nav), fill=_rgb(pal["nav"]))
    if pal["nav"] == pal["bg"]:
        pass                           # 微信: the bar is the chat colour, no line
    else:
        d.line((0, sb + nav - 1, w, sb + nav - 1), fill=_rgb("#DDDDDD" if content.mode == "light" else "#2A2A2A"), width=1)
    clock = clock or content.ref.strftime("%H:%M")
    _status_bar(d, size, s, pal, clock)
    tf = load_font(int(17 * s))
    tw = tf.getlength(content.title)
    d.text(((w - tw) / 2, sb + (nav - 17 * s) / 2 - 2 * s), content.title, font=tf, fill=_rgb(pal["title"]))
    d.line((14 * s, sb + nav / 2, 24 * s, sb + nav / 2 - 10 * s), fill=_rgb(pal["title"]), width=int(2 * s))
    d.line((14 * s, sb + nav / 2, 24 * s, sb + nav / 2 + 10 * s), fill=_rgb(pal["title"]), width=int(2 * s))
    for k in range(3):
        cx = w - 30 * s + k * 7 * s
        d.ellipse((cx - 2 * s, sb + nav / 2 - 2 * s, cx + 2 * s, sb + nav / 2 + 2 * s), fill=_rgb(pal["title"]))
    # input bar (and keyboard)
    iy = h - inp - kb
    d.rectangle((0, iy, w, h), fill=_rgb(pal["input"]))
    d.line((0, iy, w, iy), fill=_rgb("#D8D8D8" if content.mode == "light" else "#2A2A2A"), width=1)
    d.ellipse((10 * s, iy + 12 * s, 38 * s, iy + 40 * s), outline=_rgb(pal["title"]), width=int(1.5 * s))
    d.rounded_rectangle((46 * s, iy + 9 * s, w - 92 * s, iy + 45 * s), int(6 * s), fill=_rgb(pal["field"]))
    if content.app in ("xianyu", "zhuanzhuan", "taobao"):
        d.text((56 * s, iy + 18 * s), "想跟TA说点什么…", font=load_font(int(14 * s)), fill=_rgb(pal["sep"]))
    for k in range(2):
        cx = w - 78 * s + k * 40 * s
        d.ellipse((cx, iy + 12 * s, cx + 28 * s, iy + 40 * s), outline=_rgb(pal["title"]), width=int(1.5 * s))
    if kb:
        ky = h - kb
        d.rectangle((0, ky, w, h), fill=_rgb("#D1D4DA" if content.mode == "light" else "#2B2B2B"))
        rows = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
        kf = load_font(int(20 * s))
        kw = (w - 11 * 4 * s) / 10
        for r, keys in enumerate(rows):
            off = (w - len(keys) * (kw + 4 * s)) / 2
            for k, ch in enumerate(keys):
                x0 = off + k * (kw + 4 * s)
                y0 = ky + 10 * s + r * 54 * s
                d.rounded_rectangle((x0, y0, x0 + kw, y0 + 44 * s), int(5 * s),
                                    fill=_rgb("#FFFFFF" if content.mode == "light" else "#4A4A4A"))
                d.text((x0 + kw / 2 - 5 * s, y0 + 9 * s), ch, font=kf, fill=_rgb(pal["title"]))
    truth = _truth(content, top, view, sb + nav)
    truth.update({"app": content.app, "mode": content.mode, "size": [w, h], "group": content.group,
                  "title": content.title, "ref": content.ref.isoformat(), "chat_top": sb + nav, "chat_bottom": iy,
                  "top": top, "view": view})
    return img, truth


def _truth(content: Content, top: int, view: int, dy: int) -> dict:
    msgs, seps, cards = [], [], []
    cur = None
    for it in content.items:
        inside = it.y0 >= top and it.y1 <= top + view
        if it.kind == "sep":
            if inside:
                cur = it.time
                seps.append({"label": it.label, "time": it.time.isoformat(timespec="minutes")})
            elif it.y1 > top:
                cur = None   # a separator cut at an edge: what follows has no visible separator
            continue
        if not inside:
            continue
        box = [it.box[0], it.box[1] - top + dy, it.box[2], it.box[3] - top + dy]
        if it.kind == "card":
            cards.append({"title": it.card[0], "price": it.card[1], "status": it.card[2], "box": box})
            continue
        msgs.append({"kind": it.kind if it.kind in ("system",) else ("image" if it.kind in ("image", "sticker") else
                                                                     "text" if it.text else "unreadable"),
                     "role": it.role, "sender": it.sender, "text": it.text + ("[图片]" if it.pic else ""),
                     "time": cur.isoformat(timespec="minutes") if cur else None, "box": box})
    return {"messages": msgs, "separators": seps, "cards": cards}


def shot_name(ref: dt.datetime, k: int = 0) -> str:
    return f"Screenshot_{(ref + dt.timedelta(seconds=k)).strftime('%Y%m%d-%H%M%S')}.png"


def scroll_shots(content: Content, count: int = 3, size=(1080, 2400), overlap: float = 0.3):
    """``count`` screenshots scrolling down the chat, each sharing ~``overlap`` of its height with the previous."""
    s = content.scale
    sb, nav, inp = chrome_heights(size, s)
    view = size[1] - sb - nav - inp
    step = int(view * (1 - overlap))
    maxtop = max(0, content.image.height - view)
    tops = [min(k * step, maxtop) for k in range(count)]
    return [screenshot(content, t, size) for t in tops]


def make_set(seed: int, app: str, mode: str, size=(1080, 2400), group: bool = False, keyboard: bool = False,
             twelve: bool = False, n: int = 14, at: str = "end"):
    """One full-window screenshot of a fresh chat: its end (as when a user screenshots it) or its top (``at="top"``,
    the order card and the first separator in view)."""
    conv = conversation(seed=seed, n=n, app=app, group=group, twelve=twelve)
    content = render_content(conv, app, mode, size[0], group=group, seed=seed)
    s = content.scale
    sb, nav, inp = chrome_heights(size, s)
    view = size[1] - sb - nav - inp - (int(size[1] * 0.36) if keyboard else 0)
    top = 0 if at == "top" else max(0, content.image.height - view)
    return screenshot(content, top, size, keyboard=keyboard)


# ---------------------------------------------------------------- other screens with printed identifiers
def luhn_imei(body14: str) -> str:
    from tradeshield.serials import luhn_digit

    return body14 + str(luhn_digit(body14))


def about_phone(imei1: str, imei2: str, serial: str = "HSA5P2104000123", meid: str | None = None,
                size=(720, 1280), dark: bool = False):
    """An Android 关于手机 / 状态信息 page: label on the left, value on the right, rows with dividers."""
    w, h = size
    s = w / 360
    bg, fg, sub = ((0, 0, 0), (230, 230, 230), (150, 150, 150)) if dark else ((247, 247, 247), (25, 25, 25), (120, 120, 120))
    img = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(img)
    f, fb, ft = load_font(int(15 * s)), load_font(int(14 * s)), load_font(int(20 * s))
    d.text((int(16 * s), int(8 * s)), "20:15", font=load_font(int(13 * s)), fill=fg)
    d.text((int(16 * s), int(44 * s)), "关于手机", font=ft, fill=fg)
    rows = [("设备名称", "Hisense A5 Pro"), ("型号", "HLTE202N"), ("Android 版本", "9"), ("IMEI 1", imei1),
            ("IMEI 2", imei2)]
    if meid:
        rows.append(("MEID", meid))
    rows += [("序列号", serial), ("处理器", "八核 1.8GHz")]
    y = int(96 * s)
    card = (32, 32, 32) if dark else (255, 255, 255)
    d.rounded_rectangle((int(10 * s), y, w - int(10 * s), y + len(rows) * int(52 * s) + int(8 * s)), int(10 * s), fill=card)
    y += int(8 * s)
    for k, (lab, val) in enumerate(rows):
        d.text((int(24 * s), y + int(15 * s)), lab, font=f, fill=fg)
        d.text((w - int(24 * s) - fb.getlength(val), y + int(16 * s)), val, font=fb, fill=sub)
        if k < len(rows) - 1:
            d.line((int(24 * s), y + int(51 * s), w - int(24 * s), y + int(51 * s)), fill=bg, width=max(1, int(s / 2)))
        y += int(52 * s)
    return img


def receipt_photo(imei: str, total: str = "1100.00", date: str = "2021-05-18 14:32", size=(900, 1400), angle=1.5,
                  seed: int = 3):
    """A photographed paper till receipt: white paper, slightly turned, on a darker desk, uneven light."""
    import numpy as np

    w, h = size
    paper = Image.new("RGB", (int(w * 0.72), int(h * 0.8)), (250, 249, 244))
    d = ImageDraw.Draw(paper)
    f, fb, ft = load_font(26), load_font(28), load_font(36)
    lines = [("center", "小鱼数码专营店", ft), ("center", "销售小票", fb), ("left", "单号：NO.20210518001", f),
             ("left", f"日期：{date}", f), ("left", "收银员：03", f), ("rule", "", f),
             ("left", "商品            数量    金额", f), ("left", "海信A5Pro 4+64G", f), ("left", f"                 1    {total}", f),
             ("left", f"IMEI：{imei}", f), ("rule", "", f), ("left", f"合计：¥{total}", fb), ("left", f"实收：{total}", f),
             ("left", "支付方式：微信支付", f), ("rule", "", f), ("center", "谢谢惠顾，七天内凭小票退换", f)]
    y = 40
    for align, text, font in lines:
        if align == "rule":
            d.line((30, y + 12, paper.width - 30, y + 12), fill=(120, 120, 120), width=2)
            y += 30
            continue
        x = (paper.width - font.getlength(text)) / 2 if align == "center" else 40
        d.text((x, y), text, font=font, fill=(30, 30, 30))
        y += int(font.size * 1.6)
    paper = paper.rotate(angle, expand=True, fillcolor=(90, 80, 70), resample=Image.BICUBIC)
    rnd = np.random.default_rng(seed)
    desk = np.full((h, w, 3), (90, 80, 70), np.float32) + rnd.normal(0, 6, (h, w, 3))
    img = Image.fromarray(desk.clip(0, 255).astype("uint8"))
    img.paste(paper, ((w - paper.width) // 2, (h - paper.height) // 2))
    arr = np.asarray(img).astype(np.float32)
    light = np.linspace(1.05, 0.85, h)[:, None, None]           # uneven light from the top
    return Image.fromarray((arr * light).clip(0, 255).astype("uint8"))


# ---------------------------------------------------------------- the forwarded 聊天记录 view
def record_view(seed: int = 0, n: int = 12, width: int = 1080, height: int = 2400, title: str = "群聊的聊天记录",
                names=("刘备", "诸葛亮", "木白术", "阿强数码"), sticker_at: int | None = 5,
                day: dt.date = dt.date(2021, 5, 26)):
    """(image, truth) of 微信's forwarded chat-history page (合并转发 → 聊天记录), drawn to the measurements of a
    real one (lefex/WeChatShot ``images/pic2.jpeg``, iOS, 750 px wide; scaled to ``width``): background #F8F8F8;
    no bubbles; each row: a square avatar (0.093 w, at 0.027 w) only when the sender changes, the nickname
    (#818181, glyphs 0.029 w high) at 0.147 w with the row's own time flush right at 0.961 w (#ABABAB,
    12-hour 下午3:59), the message (#292929, glyphs 0.037 w high) under the nickname at the same left edge,
    a 1 px #DEDEDE divider from 0.147 w to the right edge between rows; a centred date line (2018-3-31)
    between thin rules at the top of each day. A sticker row has no text (a face drawn where the text goes).
    The truth lists each fully visible row: sender, text ("" for a sticker), time."""
    rnd = random.Random(seed)
    k = width / 750
    bg, rule = (248, 248, 248), (222, 222, 222)
    fname, ftime, fbody = load_font(int(26 * k)), load_font(int(22 * k)), load_font(int(32 * k))
    sb, nav = int(44 * k), int(88 * k)
    img = Image.new("RGB", (width, height), bg)
    d = ImageDraw.Draw(img)
    d.text((int(30 * k), int(10 * k)), "20:15", font=load_font(int(28 * k)), fill=(0, 0, 0))
    tf = load_font(int(34 * k))
    d.text(((width - tf.getlength(title)) / 2, sb + int(24 * k)), title, font=tf, fill=(25, 25, 25))
    d.line((0, sb + nav - 1, width, sb + nav - 1), fill=rule, width=1)
    y = sb + nav + int(12 * k)
    label = f"{day.year}-{day.month}-{day.day}"
    lw = ftime.getlength(label)
    d.text(((width - lw) / 2, y), label, font=ftime, fill=(171, 171, 171))
    d.line((int(225 * k), y + int(13 * k), (width - lw) / 2 - int(12 * k), y + int(13 * k)), fill=rule, width=1)
    d.line(((width + lw) / 2 + int(12 * k), y + int(13 * k), width - int(225 * k), y + int(13 * k)), fill=rule, width=1)
    y += int(40 * k)
    t = dt.datetime(day.year, day.month, day.day, rnd.randint(13, 15), rnd.randint(0, 59))
    rows, prev = [], None
    x_text, x_right = int(110 * k), int(721 * k)
    maxw = x_right - x_text
    for i in range(n):
        who = rnd.choice(names)
        t += dt.timedelta(minutes=rnd.choice([0, 1, 3, 12, 57]))
        sticker = i == sticker_at
        text = "" if sticker else rnd.choice(THEIRS + MINE)
        lines = [] if sticker else _wrap(text, fbody, maxw)
        h_body = int(70 * k) if sticker else int(42 * k) * len(lines)
        top = y
        if who != prev:
            _avatar(d, int(20 * k), top + int(14 * k), int(70 * k), hash(who) % 97, 0.06)
        d.text((x_text, top + int(10 * k)), who, font=fname, fill=(129, 129, 129))
        h12 = t.hour % 12 or 12
        stamp = ("上午" if t.hour < 12 else "下午") + f"{h12}:{t.minute:02d}"
        d.text((x_right - ftime.getlength(stamp), top + int(12 * k)), stamp, font=ftime, fill=(171, 171, 171))
        by = top + int(50 * k)
        if sticker:
            _face(d, x_text, by, int(60 * k))
        for j, ln in enumerate(lines):
            d.text((x_text, by + j * int(42 * k)), ln, font=fbody, fill=(41, 41, 41))
        bottom = by + h_body + int(30 * k)
        if bottom > height:
            break
        d.line((x_text, bottom, width, bottom), fill=rule, width=1)
        rows.append({"sender": who, "text": text, "time": t.isoformat(timespec="minutes"), "stamp": stamp,
                     "box": [x_text, top, x_right, bottom], "unreadable": sticker})
        prev = who
        y = bottom + 1
    return img, {"view": "record", "messages": rows, "date": label, "title": title, "size": [width, height]}
