"""Test documents built the way issuers lay them out: 电子发票 PDFs (old and 数电), receipts, OFD, XML.

All values are fictitious. reportlab's STSong-Light is a CID font every PDF reader knows, so no font file
is needed; labels are drawn as separate text runs at their columns, like real issuers' PDFs.
"""
from __future__ import annotations

import io
import zipfile

PAGE = (595, 842)


def _canvas(path, pagesize=PAGE):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=pagesize, invariant=1)
    c.setFont("STSong-Light", 10)
    return c


def _qr(c, text: str, x: float, y: float, size: float = 70) -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    w = QrCodeWidget(text)
    b = w.getBounds()
    d = Drawing(size, size, transform=[size / (b[2] - b[0]), 0, 0, size / (b[3] - b[1]), 0, 0])
    d.add(w)
    renderPDF.draw(d, c, x, y)


def _spaced(label: str, spaced: bool) -> str:
    return " ".join(label) if spaced else label


def old_invoice(path, *, spaced=True, yen="\uffe5", colon="：", words="⊗叁仟元整", qr=True) -> None:
    """增值税电子普通发票 (税控 era): 12-digit code, 8-digit number, vertical 购买方/销售方 marks."""
    c = _canvas(path)
    if qr:
        _qr(c, "01,10,011002100111,12345678,2654.87,20230518,12345678901357924680,A1B2,", 36, 730)
    c.setFont("STSong-Light", 18)
    c.drawCentredString(297, 790, "北京增值税电子普通发票")
    c.setFont("STSong-Light", 10)
    c.drawString(390, 790, f"{_spaced('发票代码', spaced)}{colon}011002100111")
    c.drawString(390, 776, f"{_spaced('发票号码', spaced)}{colon}12345678")
    c.drawString(390, 762, f"{_spaced('开票日期', spaced)}{colon}2023年05月18日")
    c.drawString(390, 748, f"校 验 码{colon}12345 67890 13579 24680")
    c.drawString(120, 720, f"机器编号{colon}661234567890")
    for i, (mark, line) in enumerate([("购", f"名    称{colon}张三"), ("买", f"纳税人识别号{colon}"),
                                      ("方", f"地 址、电 话{colon}")]):
        c.drawString(40, 690 - 14 * i, mark)
        c.drawString(60, 690 - 14 * i, line)
    c.drawString(330, 690, "密码区")
    cols = [(40, "货物或应税劳务、服务名称"), (170, "规格型号"), (250, "单位"), (290, "数量"), (330, "单价"),
            (390, "金额"), (450, "税率"), (500, "税额")]
    for x, t in cols:
        c.drawString(x, 630, t)
    for x, t in zip([40, 170, 250, 290, 330, 390, 450, 500],
                    ["*通信设备*手机", "X100 12GB+256GB", "台", "1", "2654.87", "2654.87", "13%", "345.13"]):
        c.drawString(x, 614, t)
    c.drawString(40, 590, "合    计")
    c.drawString(390, 590, f"{yen}2654.87")
    c.drawString(500, 590, f"{yen}345.13")
    c.drawString(40, 570, "价税合计（大写）")
    c.drawString(150, 570, words)
    c.drawString(400, 570, f"（小写）{yen}3000.00")
    for i, (mark, line) in enumerate([("销", f"名    称{colon}某某数码科技有限公司"),
                                      ("售", f"纳税人识别号{colon}91110000MA01ABCD2X"),
                                      ("方", f"地 址、电 话{colon}北京市海淀区某路1号 010-12345678")]):
        c.drawString(40, 540 - 14 * i, mark)
        c.drawString(60, 540 - 14 * i, line)
    c.drawString(40, 480, f"收款人{colon}李四    复核{colon}王五    开票人{colon}赵六    销售方{colon}（章）")
    c.save()


def new_invoice(path, *, spaced=False, yen="\u00a5", colon="：", pages=1) -> None:
    """数电 电子发票（普通发票）: 20-digit number, buyer block left and seller block right on the same rows."""
    c = _canvas(path)
    for page in range(pages):
        c.setFont("STSong-Light", 18)
        c.drawCentredString(297, 790, "电子发票（普通发票）")
        c.setFont("STSong-Light", 10)
        c.drawString(400, 792, f"{_spaced('发票号码', spaced)}{colon}24112000000012345678")
        c.drawString(400, 778, f"{_spaced('开票日期', spaced)}{colon}2024年11月02日")
        for i, ch in enumerate("购买方信息"):
            c.drawString(38, 750 - 12 * i, ch)
        for i, ch in enumerate("销售方信息"):
            c.drawString(300, 750 - 12 * i, ch)
        c.drawString(56, 738, f"{_spaced('名称', spaced)}{colon}张三")
        c.drawString(318, 738, f"{_spaced('名称', spaced)}{colon}杭州某某电子商务有限公司")
        c.drawString(56, 714, f"统一社会信用代码/纳税人识别号{colon}")
        c.drawString(318, 714, f"统一社会信用代码/纳税人识别号{colon}91330100MA2ABCDE1F")
        for x, t in [(40, "项目名称"), (170, "规格型号"), (250, "单位"), (290, "数量"), (330, "单价"), (390, "金额"),
                     (440, "税率/征收率"), (510, "税额")]:
            c.drawString(x, 670, t)
        rows = [["*计算机配套产品*无线耳机", "Pro 2", "副", "1", "442.48", "442.48", "13%", "57.52"],
                ["*通信设备*充电器", "65W", "个", "1", "87.61", "87.61", "13%", "11.39"]]
        for r, row in enumerate(rows):
            for x, t in zip([40, 170, 250, 290, 330, 390, 450, 510], row):
                c.drawString(x, 654 - 14 * r, t)
        c.drawString(40, 610, "合  计")
        c.drawString(390, 610, f"{yen}530.09")
        c.drawString(510, 610, f"{yen}68.91")
        c.drawString(40, 590, "价税合计（大写）")
        c.drawString(150, 590, "⊗伍佰玖拾玖元整")
        c.drawString(400, 590, f"（小写）{yen}599.00")
        c.drawString(40, 560, f"备注{colon}订单号 2024110212345")
        c.drawString(40, 520, f"开票人{colon}张伟")
        c.drawString(500, 40, f"{page + 1}/{pages}")
        c.showPage()
    c.save()


def zh_receipt(path) -> None:
    c = _canvas(path)
    lines = ["淘宝 订单详情", "订单编号：3456789012345678", "下单时间：2023-05-18 10:11:12", "店铺：海信官方旗舰店",
             "海信A5Pro 阅读手机 4+64G   x1   ¥1099.00", "手机壳 透明   ¥19.90", "运费   ¥0.00", "优惠   -¥18.90",
             "实付款：¥1,100.00"]
    for i, ln in enumerate(lines):
        c.drawString(60, 780 - 20 * i, ln)
    c.save()


def en_receipt(path) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=PAGE, invariant=1)
    c.setFont("Helvetica", 11)
    lines = ["Example Electronics - Order details", "Order #112-3456789-1234567", "Order placed: May 18, 2023",
             "Sold by: Example Electronics Ltd", "Kindle Paperwhite 16 GB    $139.99", "USB-C cable   x2   $9.80",
             "Subtotal: $149.79", "Shipping: $0.00", "Total: $149.79", "Grand total: $149.79"]
    for i, ln in enumerate(lines):
        c.drawString(60, 780 - 20 * i, ln)
    c.save()


def image_only(path) -> None:
    """A "scanned" page: one raster image with text drawn into its pixels, no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    img = Image.new("RGB", (1200, 1600), (250, 250, 246))
    d = ImageDraw.Draw(img)
    for i in range(30):
        d.line([(100, 200 + i * 40), (1100, 200 + i * 40)], fill=(40, 40, 40), width=3)
    d.text((100, 100), "INVOICE 12345678", fill=(0, 0, 0))
    c = _canvas(path)
    c.drawImage(ImageReader(img), 20, 20, width=555, height=800)
    c.save()


def encrypt(src, dest, password: str) -> None:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for p in PdfReader(str(src)).pages:
        w.add_page(p)
    w.encrypt(password, algorithm="AES-128")
    with open(dest, "wb") as f:
        w.write(f)


OFD_NS = "http://www.ofdspec.org/2016"


def _text_object(i: int, x: float, y: float, text: str) -> str:
    return (f'<ofd:TextObject ID="{i}" Boundary="{x} {y} 80 5" Font="1" Size="3.5">'
            f'<ofd:TextCode X="0" Y="3.5">{text}</ofd:TextCode></ofd:TextObject>')


def ofd_invoice(path) -> None:
    """An OFD package: OFD.xml with CustomDatas, Document.xml, page content and a template layer."""
    custom = {"发票号码": "24112000000087654321", "开票日期": "2024年11月05日", "购买方纳税人识别号": "",
              "销售方纳税人识别号": "91440300MA5FABCD3K", "合计金额": "1061.95", "合计税额": "138.05"}
    ofd_xml = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.1" DocType="OFD">'
               "<ofd:DocBody><ofd:DocInfo><ofd:DocID>a1b2</ofd:DocID><ofd:CustomDatas>"
               + "".join(f'<ofd:CustomData Name="{k}">{v}</ofd:CustomData>' for k, v in custom.items())
               + "</ofd:CustomDatas></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
    document = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
                '<ofd:PhysicalBox>0 0 210 140</ofd:PhysicalBox><ofd:TemplatePage ID="2" BaseLoc="Tpls/Tpl_0/Content.xml"/>'
                '</ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                "</ofd:Document>")
    tpl = [(70, 8, "电子发票（普通发票）"), (140, 12, "发票号码："), (140, 18, "开票日期："), (12, 30, "名称："),
           (110, 30, "名称："), (12, 40, "统一社会信用代码/纳税人识别号："), (110, 40, "统一社会信用代码/纳税人识别号："),
           (12, 95, "价税合计（大写）"), (140, 95, "（小写）")]
    page = [(160, 12, "24112000000087654321"), (160, 18, "2024年11月05日"), (24, 30, "李四"),
            (122, 30, "深圳某某科技有限公司"), (160, 40, "91440300MA5FABCD3K"),
            (12, 60, "*通信设备*路由器"), (60, 60, "AX3000"), (80, 60, "台"), (90, 60, "1"), (100, 60, "1061.95"),
            (120, 60, "1061.95"), (140, 60, "13%"), (160, 60, "138.05"),
            (50, 95, "⊗壹仟贰佰元整"), (155, 95, "¥1200.00")]

    def content(objs):
        body = "".join(_text_object(i + 10, x, y, t) for i, (x, y, t) in enumerate(objs))
        return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="3">'
                f"{body}</ofd:Layer></ofd:Content></ofd:Page>")

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", ofd_xml)
        z.writestr("Doc_0/Document.xml", document)
        z.writestr("Doc_0/Tpls/Tpl_0/Content.xml", content(tpl))
        z.writestr("Doc_0/Pages/Page_0/Content.xml", content(page))


def xml_invoice(path, words="伍佰玖拾玖圆整", vat="普通发票") -> None:
    """数电 XML (root EInvoice) with the published element names; ``Header/InherentLabel`` names the kind
    (``GeneralOrSpecialVAT/LabelName`` 普通发票 or 增值税专用发票, as public XML readers expect it)."""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<EInvoice>
  <Header><EIid>24112000000012345678</EIid><EInvoiceTag>SWEI3200</EInvoiceTag><Version>0.1</Version>
    <InherentLabel><EInvoiceType><LabelCode>01</LabelCode><LabelName>电子发票</LabelName></EInvoiceType>
      <GeneralOrSpecialVAT><LabelCode>02</LabelCode><LabelName>{vat}</LabelName></GeneralOrSpecialVAT></InherentLabel>
  </Header>
  <EInvoiceData>
    <SellerInformation><SellerIdNum>91330100MA2ABCDE1F</SellerIdNum><SellerName>杭州某某电子商务有限公司</SellerName>
      <SellerAddr>杭州市</SellerAddr></SellerInformation>
    <BuyerInformation><BuyerIdNum></BuyerIdNum><BuyerName>张三</BuyerName></BuyerInformation>
    <BasicInformation><TotalAmWithoutTax>530.09</TotalAmWithoutTax><TotalTaxAm>68.91</TotalTaxAm>
      <TotalTax-includedAmount>599.00</TotalTax-includedAmount>
      <TotalTax-includedAmountInChinese>{words}</TotalTax-includedAmountInChinese>
      <Drawer>张伟</Drawer><RequestTime>2024-11-02 10:11:12</RequestTime></BasicInformation>
    <IssuItemInformation><ItemName>*计算机配套产品*无线耳机</ItemName><SpecMod>Pro 2</SpecMod><MeaUnits>副</MeaUnits>
      <Quantity>1</Quantity><UnPrice>442.48</UnPrice><Amount>442.48</Amount><TaxRate>0.13</TaxRate><ComTaxAm>57.52</ComTaxAm>
    </IssuItemInformation>
    <IssuItemInformation><ItemName>*通信设备*充电器</ItemName><SpecMod>65W</SpecMod><Amount>87.61</Amount></IssuItemInformation>
  </EInvoiceData>
  <TaxSupervisionInfo><InvoiceNumber>24112000000012345678</InvoiceNumber><IssueTime>2024-11-02 10:11:12</IssueTime>
    <TaxBureauCode>13300000000</TaxBureauCode><TaxBureauName>国家税务总局浙江省税务局</TaxBureauName></TaxSupervisionInfo>
</EInvoice>
"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(xml)


def pdf_bytes(builder) -> bytes:
    buf = io.BytesIO()
    builder(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- replicas of real layouts (values fictitious)

def _draw(c, items, H):
    """Draw (x, top, text, size) items in the given order; ``top`` is the glyph box top measured from the page top,
    as a PDF reader reports it."""
    for x, top, text, size in items:
        c.setFont("STSong-Light", size)
        c.drawString(x, H - top - 0.88 * size, text)


def shudian_labels_first(path, *, number="25440000000012345678", date=("2025", "09", "23"), net="47.17", tax="2.83",
                         total="50.00", words="伍拾圆整", info_total=None, qr=True) -> None:
    """数电 电子发票（普通发票） PDF as the tax platform's ``gp-template`` writes it (the real files tried:
    FapiaoGO's ``test.pdf`` and zqywuxie/invoice_management's ``郑钦云-邮费1.pdf``): a 595×397 pt page; the text
    layer lists the title and every label first (发票号码：, 开票日期：, the vertical 销售方信息 / 购买方信息 marks
    one character per line, 名称：, 统一社会信用代码/纳税人识别号：, the table header, 价税合计（大写）, 合 计,
    （小写）, 备 注, 开票人：) and every value after, so no label is next to its value in text order, while on the
    page each value sits right of its label. The document information dictionary carries /InvoiceNumber,
    /IssueTime, /TotalAmWithoutTax, /TotalTaxAm, /TotalTax-includedAmount, /BuyerIdNum, /SellerIdNum, and a QR
    code ``01,32,,<number>,<total>,<YYYYMMDD>,,<hash>`` sits top left."""
    from reportlab.pdfgen import canvas
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    W, H = 595.28, 396.85
    tmp = io.BytesIO()
    c = canvas.Canvas(tmp, pagesize=(W, H), invariant=1)
    if qr:
        _qr(c, f"01,32,,{number},{total},{''.join(date)},,A1B2C3", 20, H - 80, 60)
    labels = [(195.8, 24, "电子发票（普通发票）", 17), (438.7, 32.6, "发票号码：", 7.5), (438.4, 50.2, "开票日期：", 7.5)]
    labels += [(301.4, 93.7 + 10 * i, ch, 8) for i, ch in enumerate("销售方信息")]
    labels += [(32.8, 126.9, "统一社会信用代码/纳税人识别号：", 7.5)]
    labels += [(16.8, 93.5 + 10 * i, ch, 8) for i, ch in enumerate("购买方信息")]
    labels += [(317.6, 126.9, "统一社会信用代码/纳税人识别号：", 7.5), (32.2, 96.1, "名称：", 7.5), (317.1, 96.1, "名称：", 7.5)]
    labels += [(44.8, 152.2, "项目名称", 7.5), (118.8, 152.1, "规格型号", 7.5), (189.7, 151.2, "单  位", 7.5),
               (263.1, 151.8, "数 量", 7.5), (332.9, 151.2, "单  价", 7.5), (406.0, 151.6, "金  额", 7.5),
               (445.9, 151.9, "税率/征收率", 7.5), (549.9, 151.9, "税 额", 7.5)]
    labels += [(47.4, 279.3, "价税合计（大写）", 7.5), (58.2, 261.8, "合        计", 7.5), (412.2, 279.4, "（小写）", 7.5),
               (16.3, 309.7, "备", 8), (17.0, 327.6, "注", 8), (55.7, 368.7, "开票人：", 7.5)]
    values = [(482.1, 33.5, number, 7), (482.1, 50.5, f"{date[0]}年{date[1]}月{date[2]}日", 7),
              (57.0, 96.1, "广州某某科技有限公司", 7.5), (153.3, 126.4, "91440106MA5XXXXX1J", 7),
              (340.5, 96.1, "广州某某餐饮管理有限公司", 7.5), (438.1, 126.4, "91440101MA5YYYYY4Y", 7),
              (13.1, 162.1, "*餐饮服务*餐饮服务", 7.5), (287.1, 163.3, "1", 7), (297.7, 163.6, "47.1698113207547", 7),
              (411.5, 163.3, net, 7), (467.9, 163.3, "6%", 7), (565.0, 163.3, tax, 7),
              (178.9, 279.2, words, 7.5), (439.9, 280.5, f"¥{total}", 7), (91.6, 367.4, "陈某", 7.5),
              (405.1, 262.8, f"¥{net}", 7), (558.4, 262.8, f"¥{tax}", 7)]
    _draw(c, labels + values, H)
    c.save()
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    w.append(PdfReader(io.BytesIO(tmp.getvalue())))
    w.add_metadata({"/Creator": "gp-template", "/InvoiceNumber": number, "/IssueTime": f"{date[0]}年{date[1]}月{date[2]}日",
                    "/TotalAmWithoutTax": net, "/TotalTaxAm": tax, "/TotalTax-includedAmount": info_total or total,
                    "/BuyerIdNum": "91440106MA5XXXXX1J", "/SellerIdNum": "91440101MA5YYYYY4Y"})
    with open(path, "wb") as f:
        w.write(f)


def old_labels_first(path, *, qr=True) -> None:
    """2020-era 增值税电子普通发票 PDF whose text layer holds all labels first and all values after (the layout of
    issue 17 item 1; the same page geometry as the real old-format OFDs in tests/data/invoices: 发票代码/号码/开票
    日期/校验码 top right, 机器编号 top left, vertical 购买方 and 销售方 marks, 密码区 ciphertext right of the buyer
    block, item table, 合计, 价税合计 大写/小写, seller block, 收款人/复核/开票人). Spaced labels ("名    称：")."""
    c = _canvas(path, pagesize=(595.28, 396.85))
    H = 396.85
    if qr:
        _qr(c, "01,10,044001900111,87654321,510.68,20200723,16197833567414507415,A1B2,", 18, H - 70, 55)
    mm = 72 / 25.4
    labels = [(69 * mm, 7, "广东增值税电子普通发票", 15), (5.5 * mm, 24 * mm, "机器编号：", 9),
              (148.5 * mm, 7.5 * mm, "发票代码：", 9), (148.5 * mm, 13 * mm, "发票号码：", 9),
              (148.5 * mm, 18.5 * mm, "开票日期：", 9), (148.5 * mm, 24 * mm, "校 验 码：", 9)]
    labels += [(6.6 * mm, (33 + 5 * i) * mm, ch, 9) for i, ch in enumerate("购买方")]
    labels += [(13 * mm, 31.6 * mm, "名        称：", 9), (13 * mm, 36.8 * mm, "纳税人识别号：", 9),
               (13 * mm, 42.4 * mm, "地 址、电 话：", 9), (13 * mm, 47.7 * mm, "开户行及账号：", 9)]
    labels += [(120 * mm, (33 + 5 * i) * mm, ch, 9) for i, ch in enumerate("密码区")]
    labels += [(24.5 * mm, 53 * mm, "货物或应税劳务、服务名称", 9), (63.5 * mm, 53 * mm, "规格型号", 9),
               (85 * mm, 53 * mm, "单位", 9), (98.8 * mm, 53 * mm, "数量", 9), (120 * mm, 53 * mm, "单价", 9),
               (144.2 * mm, 53 * mm, "金额", 9), (166.2 * mm, 53 * mm, "税率", 9), (184.5 * mm, 53 * mm, "税额", 9),
               (22 * mm, 91.4 * mm, "合        计", 9), (16.8 * mm, 98.5 * mm, "价税合计（大写）", 9),
               (156.5 * mm, 98.5 * mm, "（小写）", 9)]
    labels += [(6.6 * mm, (107 + 5 * i) * mm, ch, 9) for i, ch in enumerate("销售方")]
    labels += [(13 * mm, 105.4 * mm, "名        称：", 9), (13 * mm, 110.3 * mm, "纳税人识别号：", 9),
               (13 * mm, 114.8 * mm, "地 址、电 话：", 9), (13 * mm, 119.5 * mm, "开户行及账号：", 9),
               (120 * mm, 108 * mm, "备", 9), (120 * mm, 116 * mm, "注", 9),
               (7 * mm, 125.5 * mm, "收款人：", 9), (63.5 * mm, 125.5 * mm, "复核：", 9), (105.5 * mm, 125.5 * mm, "开票人：", 9)]
    values = [(164 * mm, 7 * mm, "044001900111", 9), (164 * mm, 12.5 * mm, "87654321", 9),
              (164 * mm, 18 * mm, "2020年07月23日", 9), (164 * mm, 23.5 * mm, "16197 83356 74145 07415", 9),
              (22 * mm, 24 * mm, "499099660412", 9), (36 * mm, 31 * mm, "深圳某某材料有限公司", 9),
              (36 * mm, 36 * mm, "91440300MA5XXXXX7D", 9),
              (126.3 * mm, 32 * mm, "0062477>548-1109>61*9-52160+2>+<79<9", 9),
              (126.3 * mm, 37 * mm, "31-426-8*+38+412394</+-9-18810/<3/3+8", 9),
              (5.5 * mm, 57 * mm, "*餐饮服务*餐费", 9), (98 * mm, 57 * mm, "1", 9), (112 * mm, 57 * mm, "510.679612", 9),
              (145 * mm, 57 * mm, "510.68", 9), (168 * mm, 57 * mm, "3%", 9), (188 * mm, 57 * mm, "15.32", 9),
              (143 * mm, 91.5 * mm, "¥510.68", 9), (185 * mm, 91.5 * mm, "¥15.32", 9),
              (63 * mm, 98 * mm, "ⓧ伍佰贰拾陆圆整", 9), (170 * mm, 98 * mm, "¥526.00", 9),
              (36 * mm, 104.5 * mm, "深圳市某某餐厅", 9), (36 * mm, 109.5 * mm, "92440300MA5YYYYY50", 9),
              (36 * mm, 113.5 * mm, "深圳市南山区某路1号 0755-12345678", 9), (22 * mm, 125 * mm, "管理员", 9),
              (74 * mm, 125 * mm, "管理员", 9), (121 * mm, 125 * mm, "管理员", 9)]
    _draw(c, labels + values, H)
    c.save()


def freight_receipt(path) -> None:
    """A freight app's 收款凭证 (issue 17 item 4: a serial number, ``CNY661.00`` and a date, no VAT fields): the
    amount printed large on its own line with the currency code glued to it, labels left and values right,
    the serial number printed under its label."""
    c = _canvas(path, pagesize=(360, 640))
    H = 640
    _draw(c, [(130, 40, "收款凭证", 16), (120, 90, "CNY661.00", 22), (135, 120, "支付成功", 10),
              (30, 170, "交易流水号", 10), (30, 186, "P2024060314221000387", 10),
              (30, 215, "交易时间", 10), (200, 215, "2024-06-03 14:22:10", 10),
              (30, 240, "收款方", 10), (200, 240, "某某物流科技有限公司", 10),
              (30, 265, "付款方式", 10), (200, 265, "微信支付", 10),
              (30, 290, "订单类型", 10), (200, 290, "同城货运 运费", 10)], H)
    c.save()


def _tracked(c, H, x, top, text, size, cjk, half):
    """Draw ``text`` one character at a time, as OFD→PDF converters do (each glyph at its own DeltaX position): a
    full-width character advances ``cjk`` points, any other ``half``; ``top`` as in ``_draw``."""
    c.setFont("STSong-Light", size)
    for ch in text:
        c.drawString(x, H - top - 0.88 * size, ch)
        x += cjk if ord(ch) > 0x2E80 else half


def letter_spaced_converted(path, *, stray=True) -> None:
    """数电 电子发票（增值税专用发票） OFD converted to PDF by easyofd (renoyuan/easyofd ``test/test.pdf``, Apache-2.0
    but 406 KB, so not committed; read by the bench from a local copy): a 1652.8×1100 pt page, every character drawn
    on its own at the OFD's DeltaX positions, so every label and value is letter-spaced — full-width characters
    ~1.8 line heights apart, the tax IDs in a larger font ~1.2 apart on a baseline 6 pt above their label's, digits
    of amounts ~0.9 apart, the unit price in a smaller font right after the quantity. The label row of the seller's
    tax ID ends with a stray ``1`` at the right page edge (as in the real file); the QR code top left. Values
    fictitious."""
    W, H = 1652.78, 1100.0
    c = _canvas(path, pagesize=(W, H))
    t = lambda x, top, text, size=8.15, cjk=25.0, half=12.5: _tracked(c, H, x, top, text, size, cjk, half)  # noqa: E731
    _qr(c, "01,31, ,23512000000001234567,2150.63,20230130, ,A1B2", 50, H - 205, 160)
    t(500, 58, "电子发票（增值税专用发票）", 14, 50.0, 25.0)
    t(1216.7, 85.7, "发票号码：", 8.5)
    t(1338.6, 85.9, "23512000000001234567")
    t(1216.7, 132.9, "开票日期：", 8.5)
    t(1338.6, 132.9, "2023年01月30日")
    for i, ch in enumerate("购买方信息"):
        t(47.0, 255.8 + 27.55 * i, ch)
    for i, ch in enumerate("销售方信息"):
        t(838.3, 255.8 + 27.55 * i, ch)
    t(90.8, 289.7, "名称：")
    t(157.5, 289.0, "某某通信集团某省有限公司某市分公司")
    t(882.1, 289.7, "名称：")
    t(944.9, 289.0, "某某区某某通讯设备经营部")
    t(90.3, 346.4, "统一社会信用代码/纳税人识别号：", 8.15, 22.25, 11.2)
    t(425.2, 338.6, "91510000765012345P", 11.7, 20.0, 20.0)
    t(881.6, 346.4, "统一社会信用代码/纳税人识别号：", 8.15, 22.25, 11.2)
    t(1216.5, 338.6, "92510124MA6B1XXY1G", 11.7, 20.0, 20.0)
    if stray:
        t(1625.7, 346.4, "1")
    for x, head in [(126.2, "项目名称"), (331.7, "规格型号")]:
        t(x, 417.2, head)
    for x, head in [(527.8, "单位"), (732.5, "数量"), (929.3, "单价"), (1130.1, "金额"), (1531.7, "税额")]:
        t(x, 417.2, head, 8.15, 50.0)
    t(1240.3, 417.2, "税率/征收率")
    t(35.4, 445.6, "*现代服务*移动代理服务")
    t(330.7, 446.4, "无")
    t(550.5, 446.4, "项")
    t(794.6, 446.4, "1")
    t(826.1, 448.8, "2129.33663366337", 7.2, 11.1, 11.1)
    t(1117.2, 446.4, "2129.34")
    t(1298.5, 446.4, "1%")
    t(1555.6, 446.4, "21.29")
    t(161.6, 724.3, "合")
    t(287.6, 724.3, "计")
    t(1114.2, 720.1, "¥", 9.1)
    t(1130.9, 724.5, "2129.34", 7.2, 11.1, 11.1)
    t(1545.9, 720.1, "¥", 9.1)
    t(1562.5, 724.5, "21.29", 7.2, 11.1, 11.1)
    t(133.3, 775.5, "价税合计（大写）")
    t(495.6, 770.2, "贰仟壹佰伍拾圆陆角叁分")
    t(1130.1, 775.5, "（小写）")
    t(1224.5, 768.6, "¥2150.63", 10.0, 15.3, 15.3)
    t(89.2, 1019.6, "开票人：", 9.1, 27.8, 13.9)
    t(200.4, 1019.6, "某某某", 9.1, 27.8, 13.9)
    c.save()
