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
from tradeshield.invoice.fields import cross_checks, field, money, parse_date

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


def _floats(text: str | None) -> list[float]:
    """OFD number lists, with the ``g n v`` shorthand (v repeated n times)."""
    out: list[float] = []
    toks = (text or "").split()
    k = 0
    while k < len(toks):
        if toks[k] == "g" and k + 2 < len(toks):
            try:
                out.extend([float(toks[k + 2])] * int(float(toks[k + 1])))
            except ValueError:
                pass
            k += 3
            continue
        try:
            out.append(float(toks[k]))
        except ValueError:
            pass
        k += 1
    return out


def _text_items(root) -> list[tuple]:
    """(text, box, 1.0, per-character boxes) for every TextCode, in page millimetres (y downwards).

    A TextCode's X/Y are the baseline of its first character in the object's space; DeltaX (DeltaY: vertical
    text) the advances between characters; the object's CTM maps that space into its Boundary box."""
    items = []
    for obj in root.iter():
        if _local(obj.tag) != "TextObject":
            continue
        bx, by = (_floats(obj.get("Boundary")) + [0.0, 0.0])[:2]
        a, b, c, d, e, f = (_floats(obj.get("CTM")) + [1.0, 0.0, 0.0, 1.0, 0.0, 0.0])[:6] if obj.get("CTM") else \
            (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        size = float(obj.get("Size") or 3.5)
        x = y = 0.0
        for code in obj:
            if _local(code.tag) != "TextCode":
                continue
            text = (code.text or "").strip("\r\n\t")
            text = text.strip()
            if not text:
                continue
            if code.get("X") is not None:
                x = float(code.get("X"))
            if code.get("Y") is not None:
                y = float(code.get("Y"))
            dx, dy = _floats(code.get("DeltaX")), _floats(code.get("DeltaY"))
            boxes = []
            cx, cy = x, y
            for k, ch in enumerate(text):
                adv = dx[min(k, len(dx) - 1)] if dx else 0
                w = adv if adv > 0 else (size if ord(ch) > 0x2e80 else size * 0.55)
                corners = [(cx, cy - size * 0.85), (cx + min(w, size), cy + size * 0.15)]
                pts = [(a * px + c * py + e + bx, b * px + d * py + f + by) for px, py in corners]
                boxes.append((min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts),
                              max(p[1] for p in pts)))
                if dx:  # fewer advances than characters: the last one repeats
                    cx += dx[min(k, len(dx) - 1)]
                elif not dy:
                    cx += w
                if dy:
                    cy += dy[min(k, len(dy) - 1)]
            x = cx
            box = (min(bb[0] for bb in boxes), min(bb[1] for bb in boxes), max(bb[2] for bb in boxes),
                   max(bb[3] for bb in boxes))
            items.append((text, box, 1.0, boxes))
    return items


def _resolve(base: str, loc: str) -> str:
    """A BaseLoc relative to the directory of ``base`` (or absolute from the package root)."""
    import posixpath

    if loc.startswith("/"):
        return loc.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), loc))


def page_items(z: zipfile.ZipFile, path, max_pages: int = 10) -> list[list[tuple]]:
    """Items of each page of the first document, the page's templates merged in (labels often live there)."""
    names = set(z.namelist())
    try:
        root = _parse_xml(_member(z, "OFD.xml", path), path, "invoice.ofd_bad")
        doc_loc = next((_text(el) for el in root.iter() if _local(el.tag) == "DocRoot"), "Doc_0/Document.xml")
        doc_loc = doc_loc.lstrip("/")
        doc = _parse_xml(_member(z, doc_loc, path), path, "invoice.ofd_bad")
    except KeyError:
        doc = None
    pages, templates = [], {}
    if doc is not None:
        for el in doc.iter():
            tag = _local(el.tag)
            if tag == "TemplatePage" and el.get("BaseLoc"):
                templates[el.get("ID")] = _resolve(doc_loc, el.get("BaseLoc"))
            elif tag == "Page" and el.get("BaseLoc"):
                pages.append(_resolve(doc_loc, el.get("BaseLoc")))
    if not pages:  # no usable Document.xml: the page files in name order
        pages = sorted(n for n in names if re.search(r"(^|/)Pages/Page_\d+/Content\.xml$", n))
    out = []
    for loc in pages[:max_pages]:
        if loc not in names:
            continue
        root = _parse_xml(_member(z, loc, path), path, "invoice.ofd_bad")
        items = _text_items(root)
        refs = [el.get("TemplateID") for el in root.iter() if _local(el.tag) == "Template"]
        if not refs and len(templates) == 1:  # a page that forgets to name the document's only template
            refs = list(templates)
        for ref in refs:
            tpl = templates.get(ref)
            if tpl and tpl in names:
                items += _text_items(_parse_xml(_member(z, tpl, path), path, "invoice.ofd_bad"))
        out.append(items)
    return out


def read_ofd(path) -> dict:
    from tradeshield.invoice.fields import invoice_kind
    from tradeshield.invoice.layout import extract_pages
    from tradeshield.invoice.sources import merge

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
        custom = _custom_fields(root)
        try:
            pages = page_items(z, path)
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
            pages = []
    doc = extract_pages(pages) if pages else {"type": "document", "fields": {}, "checks": []}
    fields = doc["fields"]
    checks = merge(fields, "ofd-custom", {k: (v["value"], v["source_text"]) for k, v in custom.items()})
    kind = doc["type"] if doc["type"] not in ("document", "scanned", "receipt") or not custom else invoice_kind(fields)
    from tradeshield.invoice.fields import cross_checks

    return {"type": kind, "format": "ofd", "fields": fields, "checks": cross_checks(fields) + checks}


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
    return {"type": _xml_kind(root), "format": "xml", "fields": fields, "checks": cross_checks(fields)}


def _xml_kind(root) -> str:
    """数电 XML: ``Header/InherentLabel/GeneralOrSpecialVAT/LabelName`` says 普通/增值税专用发票 and
    ``EInvoiceType/LabelName`` the ticket kind (铁路电子客票 …); without them it is a 数电 of unstated kind."""
    labels = {}
    for el in root.iter():
        tag = _local(el.tag)
        if tag in ("GeneralOrSpecialVAT", "EInvoiceType"):
            name = next((_text(c) for c in el if _local(c.tag) == "LabelName"), "")
            labels[tag] = name
    vat, kind = labels.get("GeneralOrSpecialVAT", ""), labels.get("EInvoiceType", "")
    if re.search(r"铁路|航空|客票|行程单", kind):
        return "digital-other"
    if "专用" in vat:
        return "digital-special"
    if "普通" in vat:
        return "digital-normal"
    return "digital-other"

