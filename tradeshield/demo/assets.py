"""Offline assets for the built-in demo case, generated on the spot (nothing downloaded).

    >>> from tradeshield.demo.assets import make_assets
    >>> paths = make_assets("demo/assets")          # doctest: +SKIP
    >>> sorted(paths)                               # doctest: +SKIP
    ['chat', 'courier', 'invoice', 'photo', 'video']

The story is the seller case in ../shared/DOMAIN.md §0: a phone listed at ¥1150, sold for ¥1100,
shipped by SF, delivered, then a ¥50 discount asked, refused, and a refund for a "defect" requested
minutes later. All names, numbers and IMEIs are fictitious (the IMEI passes the Luhn check).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from tradeshield.evidence.fsutil import write_bytes, write_text

IMEI = "352099001761481"
SERIAL = "R58M12ABCDE"
RECORDED = dt.datetime(2021, 5, 23, 9, 40, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))

CHAT = """卖家
自己
2021-05-20 21:02
在的，手机无拆无修，功能全部正常，支持当面验机。
买家
远方私人旺旺在线
2021-05-20 21:05
1100 包邮可以吗？
卖家
自己
2021-05-20 21:07
可以，1100 包邮，今晚拍下明天顺丰发货。
买家
远方私人旺旺离线
2021-05-26 20:11
手机收到了，能便宜50吗？不然就退了
卖家
自己
2021-05-26 20:15
不好意思，已经是最低价了，不议价。
买家
远方私人旺旺离线
2021-05-26 20:19
那我申请退款，手机开不了机，质量问题
买家
远方私人旺旺离线
2021-05-26 20:21
[图片]
"""

COURIER = """2021-05-25 16:20:03 已签收,感谢使用顺丰,期待再次为您服务
2021-05-25 09:03:51 [上海市]快件交给张师傅,正在派送途中（联系电话：138****0000）
2021-05-24 22:40:17 快件到达 【上海浦东集散中心】
2021-05-23 18:12:45 顺丰速运 已收取快件
"""

INVOICE_LINES = [
    (150, 790, 18, "北京增值税电子普通发票"),
    (50, 750, 10, "发票代码：011002100111    发票号码：12345678"),
    (50, 732, 10, "开票日期：2021年03月18日"),
    (50, 714, 10, "校 验 码：12345 67890 13579 24680"),
    (50, 696, 10, "机器编号：661234567890"),
    (50, 660, 10, "购 名    称：张三"),
    (50, 642, 10, "买 纳税人识别号：110101199001011234"),
    (50, 600, 10, "货物或应税劳务、服务名称   规格型号   单位   数量   单价   金额   税率   税额"),
    (50, 582, 10, "*通信设备*手机  海信A5Pro 4GB+64GB  台  1  1061.95  1061.95  13%  138.05"),
    (50, 564, 10, "合    计  ¥1061.95  ¥138.05"),
    (50, 540, 10, "价税合计（大写） ⊗壹仟贰佰元整   （小写）¥1200.00"),
    (50, 510, 10, "销 名    称：某某数码科技有限公司"),
    (50, 492, 10, "售 纳税人识别号：91110000MA01ABCD2X"),
    (50, 460, 10, "收款人：李四   复核：王五   开票人：赵六"),
]


def make_pdf(lines: list[tuple[int, int, int, str]]) -> bytes:
    """A one-page A4 PDF with a CJK text layer (Adobe STSong-Light, no embedded font), as e-invoices are."""
    body = "\n".join(f"BT /F1 {s} Tf {x} {y} Td <{''.join(f'{ord(c):04X}' for c in t)}> Tj ET" for x, y, s, t in lines)
    stream = body.encode("ascii")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R /DW 1000 /W [1 95 500 814 939 500] >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 "
        b"/Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def _label_image():
    """A phone-box label: model, IMEI as Code 128 and as text, serial."""
    import zxingcpp
    from PIL import Image, ImageDraw

    from tradeshield.fonts import load_font

    label = Image.new("RGB", (900, 520), (250, 250, 245))
    draw = ImageDraw.Draw(label)
    draw.text((40, 30), "Hisense A5Pro  4GB+64GB", font=load_font(40), fill=(20, 20, 20))
    import numpy as np

    bars = np.asarray(zxingcpp.create_barcode(IMEI, zxingcpp.BarcodeFormat.Code128).to_image(scale=3))
    code = Image.fromarray(bars).convert("RGB").resize((760, 150), Image.NEAREST)
    label.paste(code, (70, 110))
    draw.text((40, 280), f"IMEI: {IMEI}", font=load_font(38), fill=(20, 20, 20))
    draw.text((40, 340), f"S/N: {SERIAL}", font=load_font(38), fill=(20, 20, 20))
    draw.text((40, 410), "海信 手机 中国制造", font=load_font(36), fill=(60, 60, 60))
    return label


def make_photo() -> bytes:
    """The IMEI label photographed on a desk, with EXIF time, camera and a GPS position (to be stripped)."""
    import io

    from PIL import Image

    photo = Image.new("RGB", (1600, 1200), (96, 72, 54))
    photo.paste(_label_image().rotate(4, expand=True, fillcolor=(96, 72, 54)), (300, 300))
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x0110] = "ELE-AL00"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2021:05:23 09:31:10"
    sub[0x9011] = "+08:00"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (31.0, 13.0, 45.0), 3: "E", 4: (121.0, 28.0, 12.0)})
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def make_returned_photo() -> bytes:
    """The returned phone's box label, photographed by the seller on another surface, tilted and darker."""
    import io

    from PIL import Image, ImageEnhance

    photo = Image.new("RGB", (1400, 1400), (70, 80, 92))
    label = _label_image().resize((990, 572)).rotate(-9, expand=True, fillcolor=(70, 80, 92))
    photo.paste(label, (150, 330))
    photo = ImageEnhance.Brightness(photo).enhance(0.85)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2021:06:02 15:04:40"
    exif.get_ifd(0x8769)[0x9011] = "+08:00"
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=85, exif=exif)
    return buf.getvalue()


def make_video(path: Path, seconds: float = 6.0) -> None:
    """A short packing video: the box, then the IMEI label in view, then the sealed parcel."""
    import av
    import numpy as np
    from PIL import Image, ImageDraw

    from tradeshield.fonts import load_font

    label = _label_image().resize((540, 312))
    fps = 15
    tmp = path.with_name("." + path.name + ".part")
    with av.open(str(tmp), "w", format="mp4") as out:
        out.metadata["creation_time"] = RECORDED.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 960, 540, "yuv420p"
        stream.options = {"preset": "veryfast", "g": str(fps)}
        for i in range(int(seconds * fps)):
            t = i / fps
            img = Image.new("RGB", (960, 540), (40 + int(t * 10), 60, 80) if t < 2 else (200, 190, 170))
            draw = ImageDraw.Draw(img)
            if t < 2:
                draw.rectangle([300 + int(t * 20), 150, 660 + int(t * 20), 420], fill=(230, 230, 235))
                draw.text((330, 260), "Hisense A5Pro", font=load_font(36), fill=(30, 30, 30))
            elif t < 4.5:
                img.paste(label, (210 + int((t - 2) * 6), 114))
            else:
                draw.rectangle([220, 120, 740, 440], fill=(160, 120, 80))
                draw.text((260, 250), "顺丰 SF1234567890 已封箱", font=load_font(34), fill=(255, 255, 255))
            frame = av.VideoFrame.from_ndarray(np.asarray(img), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    tmp.replace(path)


def make_assets(folder: str | Path) -> dict[str, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "photo": folder / "IMG_20210523_093110.jpg",
        "returned": folder / "IMG_20210602_150440_returned.jpg",
        "invoice": folder / "dzfp_011002100111_12345678.pdf",
        "chat": folder / "旺旺聊天记录.txt",
        "courier": folder / "sf-tracking.txt",
        "video": folder / "VID_20210523_094005.mp4",
    }
    write_bytes(paths["photo"], make_photo())
    write_bytes(paths["returned"], make_returned_photo())
    write_bytes(paths["invoice"], make_pdf(INVOICE_LINES))
    write_text(paths["chat"], CHAT)
    write_text(paths["courier"], COURIER)
    make_video(paths["video"])
    return paths
