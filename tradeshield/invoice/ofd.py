"""数电 invoices as OFD packages (GB/T 33190, a zip) and as XML (root ``EInvoice``).

    >>> from tradeshield.invoice.ofd import read_ofd, read_xml
    >>> read_xml("dzfp_24112000000012345678.xml")["fields"]["total"]["value"]    # doctest: +SKIP
    '599.00'

OFD: ``OFD.xml`` → ``DocBody/DocInfo/CustomDatas/CustomData[@Name]`` holds the key fields (发票号码, 开票日期,
纳税人识别号 …); the rest (names, items, 价税合计) is read from the page and template text
(``Doc_0/Pages/Page_N/Content.xml``, ``Doc_0/Tpls/Tpl_N/Content.xml``), whose TextObjects are placed back
into lines by position and parsed like PDF text. XML: ``EInvoiceData`` (Seller/Buyer/BasicInformation,
IssuItemInformation) and ``TaxSupervisionInfo``. Every field's ``source_text`` names the element it came from.
Entity declarations are refused (no entity expansion), and zip members are read with a size cap.
"""
from __future__ import annotations

import re
import zipfile

from tradeshield import i18n
from tradeshield.errors import InputError
from tradeshield.invoice.fields import cross_checks, field, money, parse_date, parse_invoice, split_lines

MAX_MEMBER = 16 * 1024 * 1024

i18n.register({
    "invoice.ofd_bad": ("OFD 文件无法读取：{path}（{reason}）", "cannot read the OFD file: {path} ({reason})"),
    "invoice.xml_bad": ("XML 发票无法读取：{path}（{reason}）", "cannot read the XML invoice: {path} ({reason})"),
})

CUSTOM_NAMES = {"发票代码": "invoice_code", "发票号码": "invoice_number", "开票日期": "date", "校验码": "check_code",
                "机器编号": "machine_number", "购买方名称": "buyer_name", "购买方纳税人识别号": "buyer_tax_id",
                "销售方名称": "seller_name", "销售方纳税人识别号": "seller_tax_id", "合计金额": "amount_without_tax",
                "合计税额": "tax", "价税合计": "total"}
MONEY_KEYS = {"amount_without_tax", "tax", "total"}


def _parse_xml(data: bytes, path, key: str):
    import xml.etree.ElementTree as ET

    if b"<!ENTITY" in data[:65536] or b"<!DOCTYPE" in data[:65536]:
        raise InputError(key, path=str(path), reason="DOCTYPE/ENTITY not allowed")
    try:
        return ET.fromstring(data)
    except ET.ParseError as e:
        raise InputError(key, path=str(path), reason=str(e)) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(el) -> str:
    return (el.text or "").strip() if el is not None else ""


def _member(z: zipfile.ZipFile, name: str, path) -> bytes:
    info = z.getinfo(name)
    if info.file_size > MAX_MEMBER:
        raise InputError("invoice.ofd_bad", path=str(path), reason=f"{name} too large")
    return z.read(info)


def _custom_fields(root) -> dict:
    out = {}
    for el in root.iter():
        if _local(el.tag) != "CustomData":
            continue
        name, value = (el.get("Name") or "").strip(), _text(el)
        key = CUSTOM_NAMES.get(name)
        if not key or not value or key in out:
            continue
        if key == "date":
            value = parse_date(value) or value
        elif key in MONEY_KEYS:
            value = money(value) or value
        elif key == "check_code":
            value = re.sub(r"\s", "", value)
        out[key] = field(value, f'OFD.xml CustomData Name="{name}": {_text(el)}')
    return out


def _page_text(z: zipfile.ZipFile, path) -> str:
    """Text of the first document's pages and templates, TextObjects sorted into lines by position."""
    runs = []
    names = [n for n in z.namelist() if re.search(r"(^|/)(Pages/Page_\d+|Tpls/Tpl_\d+)/Content\.xml$", n)]
    for name in sorted(names)[:20]:
        root = _parse_xml(_member(z, name, path), path, "invoice.ofd_bad")
        for obj in root.iter():
            if _local(obj.tag) != "TextObject":
                continue
            box = [float(v) for v in (obj.get("Boundary") or "0 0 0 0").split()[:4]] or [0, 0, 0, 0]
            text = "".join(_text(c) for c in obj if _local(c.tag) == "TextCode")
            if text:
                runs.append((box[1], box[0], text))
    lines: list[list] = []
    for y, x, text in sorted(runs):
        if lines and abs(lines[-1][0] - y) <= 2.0:  # same baseline within 2 mm
            lines[-1][1].append((x, text))
        else:
            lines.append([y, [(x, text)]])
    return "\n".join("  ".join(t for _, t in sorted(parts)) for _, parts in lines)


def read_ofd(path) -> dict:
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError("invoice.ofd_bad", path=str(path), reason=str(e)) from None
    with z:
        try:
            root = _parse_xml(_member(z, "OFD.xml", path), path, "invoice.ofd_bad")
        except KeyError:
            raise InputError("invoice.ofd_bad", path=str(path), reason="no OFD.xml") from None
        except (zipfile.BadZipFile, OSError, RuntimeError) as e:  # RuntimeError: encrypted member
            raise InputError("invoice.ofd_bad", path=str(path), reason=str(e)) from None
        fields = _custom_fields(root)
        try:
            text = _page_text(z, path)
        except (zipfile.BadZipFile, OSError, RuntimeError):
            text = ""
    from_text = parse_invoice(split_lines(text)) if text else {}
    for key, value in from_text.items():
        fields.setdefault(key, value)
    return {"type": "ofd", "fields": fields, "checks": cross_checks(fields)}


XML_FIELDS = {
    "invoice_number": ("TaxSupervisionInfo", "InvoiceNumber"), "date": ("TaxSupervisionInfo", "IssueTime"),
    "seller_name": ("SellerInformation", "SellerName"), "seller_tax_id": ("SellerInformation", "SellerIdNum"),
    "buyer_name": ("BuyerInformation", "BuyerName"), "buyer_tax_id": ("BuyerInformation", "BuyerIdNum"),
    "amount_without_tax": ("BasicInformation", "TotalAmWithoutTax"), "tax": ("BasicInformation", "TotalTaxAm"),
    "total": ("BasicInformation", "TotalTax-includedAmount"),
    "total_in_words": ("BasicInformation", "TotalTax-includedAmountInChinese"),
    "drawer": ("BasicInformation", "Drawer"),
}
XML_ITEM = {"name": "ItemName", "spec": "SpecMod", "unit": "MeaUnits", "quantity": "Quantity", "price": "UnPrice",
            "amount": "Amount", "tax_rate": "TaxRate", "tax": "ComTaxAm"}


def _find(root, parent: str, child: str):
    for el in root.iter():
        if _local(el.tag) == parent:
            for c in el:
                if _local(c.tag) == child and _text(c):
                    return c
    return None


def read_xml(path) -> dict:
    from tradeshield.invoice.amount import words_to_amount

    try:
        data = open(path, "rb").read(MAX_MEMBER + 1)
    except OSError as e:
        raise InputError("invoice.xml_bad", path=str(path), reason=e.strerror or str(e)) from None
    root = _parse_xml(data, path, "invoice.xml_bad")
    if _local(root.tag) != "EInvoice":
        raise InputError("invoice.xml_bad", path=str(path), reason=f"root <{_local(root.tag)}> is not <EInvoice>")
    fields = {}
    for key, (parent, child) in XML_FIELDS.items():
        el = _find(root, parent, child)
        if el is None:
            continue
        raw = _text(el)
        value = raw
        if key == "date":
            value = parse_date(raw) or raw
        elif key in MONEY_KEYS:
            value = money(raw) or raw
        extra = {}
        if key == "total_in_words":
            amount = words_to_amount(raw)
            extra["amount"] = str(amount) if amount is not None else None
        fields[key] = field(value, f"<{parent}><{child}>{raw}</{child}>", **extra)
    items = []
    for el in root.iter():
        if _local(el.tag) == "IssuItemInformation":
            vals = {_local(c.tag): _text(c) for c in el}
            item = {k: vals.get(tag) or None for k, tag in XML_ITEM.items()}
            item["amount"] = money(item["amount"]) if item["amount"] else None
            item["source_text"] = "<IssuItemInformation>" + ";".join(f"{k}={v}" for k, v in vals.items() if v)
            items.append(item)
    if items:
        fields["items"] = field(items, "\n".join(it["source_text"] for it in items))
    return {"type": "xml", "fields": fields, "checks": cross_checks(fields)}

