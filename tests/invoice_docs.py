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


def xml_invoice(path, words="伍佰玖拾玖圆整") -> None:
    """数电 XML (root EInvoice) with the published element names."""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<EInvoice>
  <Header><EIid>24112000000012345678</EIid><EInvoiceTag>SWEI3200</EInvoiceTag><Version>0.1</Version></Header>
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
