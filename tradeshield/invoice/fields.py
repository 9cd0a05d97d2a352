"""Purchase facts from a document's text: Chinese e-invoices (old and 数电), receipts and order pages (zh/en).

    >>> from tradeshield.invoice.fields import parse_text
    >>> doc = parse_text("电子发票（普通发票）\\n发票号码：23112000000012345678\\n开票日期：2023年11月02日")
    >>> doc["type"], doc["fields"]["invoice_number"]["value"], doc["fields"]["date"]["value"]
    ('e-invoice', '23112000000012345678', '2023-11-02')

Every field is ``{"value": …, "source_text": <the line it was read from>}``. Text from PDFs puts spaces
between label characters ("校 验 码", "名    称") and mixes ``：``/``:``, ``（）``/``()`` and ¥ as U+00A5 or
U+FFE5, so lines are NFKC-normalised for matching and labels allow spaces between their characters.
Buyer and seller share labels: a 购/销 mark on the line (the old vertical "购买方"/"销售方" text), else the
nearest 购买方/销售方 heading above, else the order (buyer first, as issuers print it) decides.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from tradeshield.invoice.amount import words_to_amount

MIN_TEXT_CHARS = 4  # fewer visible characters than this: the document has no usable text layer


def _label(text: str) -> str:
    """Regex for a label whose characters may be separated by spaces."""
    return r"\s*".join(re.escape(ch) for ch in text)


COLON = r"\s*[:：]?\s*"
MONEY = r"(-?\d[\d,]*\.\d{1,2}|-?\d+)"
DATE_RE = re.compile(r"(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?"
                     r"(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
EN_MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                                 "nov", "dec"])}
EN_DATE_RE = re.compile(r"(?:(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?,?\s+(\d{4})|([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4}))")

# labels that end a value when several blocks share one line
STOP_LABELS = ["统一社会信用代码/纳税人识别号", "纳税人识别号", "地址、电话", "地址电话", "开户行及账号", "名称", "发票代码",
               "发票号码", "开票日期", "校验码", "机器编号", "密码区", "购买方信息", "销售方信息", "价税合计", "备注", "收款人",
               "复核", "开票人"]
_STOP_RE = re.compile("|".join(_label(s) for s in STOP_LABELS) + r"|(?<=\S)\s{2,}")  # 2+ spaces: a column break

# Chinese labels with optional spaces between characters; the English ones some issuers print instead
SIMPLE = {
    "invoice_code": (r"(?:" + _label("发票代码") + r"|(?i:invoice\s*code))" + COLON + r"(\d{12}|\d{10})(?!\d)", None),
    "invoice_number": (r"(?:" + _label("发票号码") + r"|(?i:invoice\s*(?:no\.?|number)))" + COLON
                       + r"(\d{20}|\d{12}|\d{8})(?!\d)", None),
    "check_code": (r"(?:" + _label("校验码") + r"|(?i:check\s*code))" + COLON + r"((?:\d{5}\s*){3}\d{5})(?!\d)",
                   lambda v: re.sub(r"\s", "", v)),
    "machine_number": (r"(?:" + _label("机器编号") + r"|(?i:machine\s*(?:no\.?|number)))" + COLON + r"(\d{12})(?!\d)",
                       None),
}
SIMPLE_RE = {k: (re.compile(p), conv) for k, (p, conv) in SIMPLE.items()}
DATE_LABEL_RE = re.compile(r"(?:" + _label("开票日期") + r"|(?i:^(?:issue\s*)?date(?:\s*of\s*issue)?))" + COLON + r"(.+)$")
PARTY_LABELS = {"name": re.compile(_label("名称") + COLON + r"|(?i:\bname\s*:\s*)"),
                "tax_id": re.compile(r"(?:(?:" + _label("统一社会信用代码") + r"\s*/\s*)?" + _label("纳税人识别号")
                                     + r"|(?i:taxpayer\s*id(?:entification)?(?:\s*(?:no\.?|number))?))" + COLON)}
BUYER_RE = re.compile(_label("购买方") + "|" + _label("购方") + r"|(?i:^buyer\b)")
SELLER_RE = re.compile(_label("销售方") + "|" + _label("销方") + r"|(?i:^seller\b)")
NAME_SKIP_RE = re.compile(_label("纳税人识别号") + r"\s*$|开户行|收款|(?i:bank|address)")
BUYER_MARK_RE = re.compile(r"购\s*$|购买方\S*\s*$")
SELLER_MARK_RE = re.compile(r"销\s*$|销售方\S*\s*$")
TOTAL_RE = re.compile(r"(?:" + _label("小写") + r"\s*[)）]?|(?i:total\s*(?:amount\s*)?\(incl\.?\s*tax\)))\s*[:：]?\s*"
                      r"(?:¥|CNY|RMB)?\s*" + MONEY)
# the ⓧ some issuers print before the amount becomes "x" under NFKC
WORDS_RE = re.compile(_label("大写") + r"\s*[)）]?\s*[:：]?\s*(?:[xX×]\s*)?([⊗ⓧ]?\s*(?:[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元圆角分整正负]\s*)+)")
SUM_RE = re.compile(r"^" + _label("合") + r"\s*" + _label("计") + r"\s*¥?\s*" + MONEY + r"\s+¥?\s*" + MONEY)
EN_ITEM_HEAD_RE = re.compile(r"(?i)^item\b.*\bamount\b")
EN_ITEM_RE = re.compile(r"^(?P<name>.*?[A-Za-z].*?)\s+(?P<qty>\d+(?:\.\d+)?)\s+(?P<price>\d[\d,]*\.\d{2})\s+"
                        r"(?P<amount>\d[\d,]*\.\d{2})(?:\s+(?P<tax>\d[\d,]*\.\d{2}))?$")
CJK_GAP_RE = re.compile(r"(?<=[\u4e00-\u9fff()])\s+(?=[\u4e00-\u9fff()])")
SPEC_RE = re.compile(r"^(?=.*\d)[A-Z0-9][A-Za-z0-9+./-]*$")
TAX_ID_RE = re.compile(r"[0-9A-Z]{15,20}")
ITEM_RE = re.compile(r"(\*[^*\s]{0,29}[\u4e00-\u9fff][^*\s]{0,29}\*\S+)(.*)$")  # the tax category is Chinese
RATE_RE = re.compile(r"^(\d{1,2}(?:\.\d+)?%|免税|不征税|\*+)$")
NUM_RE = re.compile(r"^-?\d[\d,]*(?:\.\d+)?$")


def normalize(line: str) -> str:
    return unicodedata.normalize("NFKC", line).replace("\u00a0", " ").strip()


def field(value, line: str, **extra) -> dict:
    return {"value": value, "source_text": line.strip(), **extra}


def money(text: str) -> str | None:
    try:
        return str(Decimal(text.replace(",", "")).quantize(Decimal("0.01")))
    except InvalidOperation:
        return None


def parse_date(text: str) -> str | None:
    m = DATE_RE.search(text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        time = f"T{int(m.group(4)):02d}:{m.group(5)}:{m.group(6) or '00'}" if m.group(4) else ""
    else:
        m = EN_DATE_RE.search(text)
        if not m:
            return None
        if m.group(1):
            d, mon, y = int(m.group(1)), m.group(2), int(m.group(3))
        else:
            mon, d, y = m.group(4), int(m.group(5)), int(m.group(6))
        mo = EN_MONTHS.get(mon.lower())
        if mo is None:
            return None
        time = ""
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 1990 <= y <= 2100):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}{time}"


def split_lines(text: str) -> list[tuple[str, str]]:
    """(original, normalised) per non-empty line."""
    out = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        norm = normalize(raw)
        if norm:
            out.append((raw.strip(), norm))
    return out


def visible_chars(text: str) -> int:
    return len("".join(text.split()))  # str.split() splits on exactly the str.isspace() characters


# ---------------------------------------------------------------- e-invoice

def _value_until_stop(rest: str) -> str:
    m = _STOP_RE.search(rest)
    return (rest[:m.start()] if m else rest).strip(" :：")


def _parties(lines, role_at=None) -> dict:
    """Buyer and seller 名称 / 纳税人识别号: by the block the label sits in on the page (``role_at``, from the
    vertical 购买方/销售方 marks), else a 购/销 mark on the line, else the heading above, else the order."""
    found: dict[str, list] = {"name": [], "tax_id": []}
    heading = None
    for li, (raw, norm) in enumerate(lines):
        if BUYER_RE.search(norm):
            heading = "buyer"
        if SELLER_RE.search(norm):
            heading = "seller"
        for key, pat in PARTY_LABELS.items():
            for m in pat.finditer(norm):
                prefix = norm[:m.start()]
                if key == "name" and NAME_SKIP_RE.search(prefix):
                    continue
                value = _value_until_stop(norm[m.end():])
                if key == "tax_id":
                    tid = TAX_ID_RE.match(value)
                    value = tid.group(0) if tid else ""
                mark = role_at(li, m.start()) if role_at else None
                if mark is None:
                    mark = ("buyer" if BUYER_MARK_RE.search(prefix) else
                            "seller" if SELLER_MARK_RE.search(prefix) else None)
                found[key].append((value, raw, mark, heading if prefix.strip() == "" or mark else None))
    out = {}
    for key, hits in found.items():
        roles = _assign_roles(hits)
        for role, (value, raw) in roles.items():
            if value:
                out[f"{role}_{key}"] = field(value, raw)
    return out


def _assign_roles(hits) -> dict:
    roles: dict[str, tuple] = {}
    unassigned = []
    for value, raw, mark, heading in hits:
        role = mark or heading
        if role and role not in roles:
            roles[role] = (value, raw)
        else:
            unassigned.append((value, raw))
    for role in ("buyer", "seller"):
        if role not in roles and unassigned:
            roles[role] = unassigned.pop(0)
    return roles


def _item(raw: str, norm: str) -> dict | None:
    m = ITEM_RE.search(norm)
    if not m:
        return None
    tokens = m.group(2).split()
    item = {"name": m.group(1), "spec": None, "unit": None, "quantity": None, "price": None, "amount": None,
            "tax_rate": None, "tax": None, "source_text": raw.strip()}
    if len(tokens) >= 3 and RATE_RE.match(tokens[-2]):
        item["tax"] = tokens.pop() if NUM_RE.match(tokens[-1]) or tokens[-1].startswith("*") else None
        item["tax_rate"] = tokens.pop()
    nums = []
    while tokens and NUM_RE.match(tokens[-1]) and len(nums) < 3:
        nums.insert(0, tokens.pop())
    if nums:
        item["amount"] = money(nums[-1])
    if len(nums) >= 2:
        item["price"] = nums[-2]
    if len(nums) == 3:
        item["quantity"] = nums[0]
    if tokens and len(tokens[-1]) <= 2 and not re.search(r"[0-9A-Za-z]", tokens[-1]):
        item["unit"] = tokens.pop()
    item["spec"] = " ".join(tokens) or None
    return item


def _totals(lines) -> dict:
    out = {}
    for raw, norm in lines:
        m = TOTAL_RE.search(norm)
        if m and "total" not in out:
            out["total"] = field(money(m.group(1)), raw)
        m = WORDS_RE.search(norm)
        if m and "total_in_words" not in out:
            words = re.sub(r"\s", "", m.group(1))
            value = words_to_amount(words)
            out["total_in_words"] = field(words, raw, amount=str(value) if value is not None else None)
        m = SUM_RE.match(norm)
        if m and "amount_without_tax" not in out:
            out["amount_without_tax"] = field(money(m.group(1)), raw)
            out["tax"] = field(money(m.group(2)), raw)
    return out


def _en_items(lines) -> list[dict]:
    """Item rows under an English "Item … Amount" header: name [model], quantity, unit price, amount [, tax]."""
    items, inside = [], False
    for raw, norm in lines:
        if EN_ITEM_HEAD_RE.search(norm):
            inside = True
            continue
        m = EN_ITEM_RE.match(norm) if inside else None
        if not m:
            inside = inside and not TOTAL_RE.search(norm)
            continue
        words = m.group("name").split()
        spec = words.pop() if len(words) > 1 and SPEC_RE.match(words[-1]) else None
        items.append({"name": " ".join(words), "spec": spec, "unit": None, "quantity": m.group("qty"),
                      "price": money(m.group("price")), "amount": money(m.group("amount")), "tax_rate": None,
                      "tax": money(m.group("tax")) if m.group("tax") else None, "source_text": raw.strip()})
    return items


def parse_invoice(lines, role_at=None) -> dict:
    fields: dict = {}
    for raw, norm in lines[:6]:
        head = norm[:m.start()] if (m := _STOP_RE.search(norm)) else norm  # a title can share its line with a label
        if ("发票" in head or re.search(r"(?i)\binvoice\b", head)) and "title" not in fields and len(head) < 60:
            fields["title"] = field(CJK_GAP_RE.sub("", head).strip(), raw)
    for raw, norm in lines:
        for key, (pat, conv) in SIMPLE_RE.items():
            if key in fields:
                continue
            m = pat.search(norm)
            if m:
                fields[key] = field(conv(m.group(1)) if conv else m.group(1), raw)
        m = DATE_LABEL_RE.search(norm) if "date" not in fields else None
        if m and parse_date(m.group(1)):
            fields["date"] = field(parse_date(m.group(1)), raw)
    fields.update(_parties(lines, role_at))
    items = [it for it in (_item(raw, norm) for raw, norm in lines) if it] or _en_items(lines)
    if items:
        fields["items"] = field(items, "\n".join(it["source_text"] for it in items))
    fields.update(_totals(lines))
    return fields


# ---------------------------------------------------------------- receipts and order pages

RECEIPT_LABELS = {
    "order_number": (r"订单编号|订单号码|订单号|交易单号|商户单号|Order\s*(?:No\.?|Number|ID|#)|Invoice\s*(?:No\.?|Number|#)"),
    "receipt_number": (r"交易流水号|流水号|凭证号|凭证编号|收据编号|收据号|票据号码|票据号|单据编号|单据号|业务单号|交易号|支付单号|"
                       r"Receipt\s*(?:No\.?|Number|#)|Transaction\s*(?:No\.?|ID|Number)|Serial\s*(?:No\.?|Number)|Reference\s*(?:No\.?)?"),
    "date": (r"下单时间|订单日期|交易时间|交易日期|付款时间|支付时间|收款时间|到账时间|缴费时间|成交时间|创建时间|开具日期|购买日期|日期|时间|"
             r"Order\s*date|Ordered\s*on|Order\s*placed|Date\s*of\s*purchase|Purchase\s*date|Payment\s*date|Paid\s*on|Date"),
    "total": (r"实付款|实付金额|实付|实收金额|实收|应付金额|应付|订单总额|订单金额|收款金额|支付金额|交易金额|付款金额|缴费金额|金额合计|"
              r"金额|总计|总额|合计|Grand\s*total|Order\s*total|Amount\s*paid|Total\s*paid|Amount|Total"),
    "payee": r"收款方(?!式)|收款人|收款单位|收款账户名|收款账户|收款商户|Payee|Paid\s*to|Received\s*by",
    "payer": r"付款方(?!式)|付款人|付款单位|交款人|缴款人|Payer|Paid\s*by|Received\s*from",
    "seller_name": r"商家名称|商家|店铺名称|店铺|卖家|商户名称|商户|Sold\s*by|Merchant|Seller|Store|Shop",
}
CURRENCY = {"¥": "CNY", "$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "HK$": "HKD", "RMB": "CNY", "CNY": "CNY",
            "USD": "USD", "EUR": "EUR", "GBP": "GBP", "HKD": "HKD", "元": "CNY", "人民币": "CNY", "美元": "USD"}
CUR_PREFIX = r"(US\$|HK\$|RMB|CNY|USD|EUR|GBP|HKD|人民币|[¥$€£])"
AMOUNT_ANY = re.compile(CUR_PREFIX + r"\s*(-?\d[\d,]*(?:\.\d{1,2})?)(?![\d.])|(-?\d[\d,]*\.\d{2})\s*(元|CNY|RMB|USD|EUR)")
NOT_ITEM = re.compile(r"(?i)total|subtotal|tax|vat|shipping|delivery|discount|coupon|tip|balance|change|paid|amount|"
                      r"合计|总计|小计|实付|应付|运费|优惠|折扣|税|找零|实收|积分|红包|订单|日期|时间|金额|收款|付款|流水|凭证")
ITEM_LINE = re.compile(r"^(?P<name>.*?[^\d\s:：].*?)\s+(?:[x×X*]\s*(?P<qty>\d+)\s+)?"
                       r"(?P<cur>US\$|HK\$|[¥$€£])?\s*(?P<amount>\d[\d,]*\.\d{2})\s*(?:元)?$")
RECEIPT_TITLE_RE = re.compile(r"(?i)收款凭证|收款收据|电子回单|交易凭证|支付凭证|付款凭证|回单|收据|小票|凭证|账单详情|订单详情|"
                              r"\breceipt\b|order\s*details|payment\s*confirmation")


RECEIPT_RE = {k: re.compile(r"(?i)(?:^|[\s|])(?:" + p + r")\s*[:：#]?\s*(.+)$") for k, p in RECEIPT_LABELS.items()}
# the most specific total label wins: 实付款 / Amount paid over Grand total over 总计 over 合计 / Total
TOTAL_RANKS = [re.compile(p, re.I) for p in (r"实付|Amount\s*paid|Total\s*paid|收款金额|支付金额|交易金额|付款金额|缴费金额",
                                             r"Grand\s*total|Order\s*total|订单总额|应付",
                                             r"总计|总额|订单金额|实收|金额合计", r"合计|Total|金额|Amount")]


def amount_in(text: str):
    """(amount, currency or None) of the first money figure in ``text`` in any notation: ¥1,100.00, CNY661.00,
    RMB 50, 人民币 12.5, 661.00元, $9.80, 12.00 USD."""
    m = AMOUNT_ANY.search(text)
    if not m:
        v = re.match(r"\s*(-?\d[\d,]*(?:\.\d{1,2})?)(?![\d.])", text)
        return (money(v.group(1)), None) if v else None
    if m.group(2):
        return money(m.group(2)), CURRENCY.get(m.group(1))
    return money(m.group(3)), CURRENCY.get(m.group(4))


def _receipt_value(key: str, norm: str):
    m = RECEIPT_RE[key].search(norm)
    if not m:
        return None
    rest = m.group(1).strip()
    if key in ("order_number", "receipt_number"):
        v = re.match(r"[A-Za-z0-9][A-Za-z0-9-]{5,39}", rest)
        return v.group(0) if v and re.search(r"\d", v.group(0)) else None
    if key == "date":
        return parse_date(rest)
    if key == "total":
        return amount_in(rest)
    value = re.split(r"\s{2,}", rest)[0].strip()
    if key in ("payee", "payer", "seller_name"):
        value = re.split(r"\s+(?=(?:" + "|".join(RECEIPT_LABELS.values()) + r")\s*[:：])", value, flags=re.I)[0]
        if re.fullmatch(r"[\d\s.,:：/-]*", value):
            return None
    return value or None


def parse_receipt(lines) -> dict:
    fields: dict = {}
    total_rank = None
    for raw, norm in lines[:4]:
        m = RECEIPT_TITLE_RE.search(norm)
        if m and "title" not in fields and len(norm) < 40:
            fields["title"] = field(CJK_GAP_RE.sub("", norm.split("  ")[0]).strip(), raw)
    for raw, norm in lines:
        for key in ("order_number", "receipt_number", "date", "payee", "payer", "seller_name", "total"):
            value = _receipt_value(key, norm)
            if value is None:
                continue
            if key == "total":
                rank = _total_rank(norm)
                if total_rank is not None and rank >= total_rank:
                    continue
                total_rank = rank
                fields["total"] = field(value[0], raw, currency=value[1])
            elif key not in fields:
                fields[key] = field(value, raw)
    if "total" not in fields:  # no labelled total: a single amount written with its currency is the amount
        found = {}
        for raw, norm in lines:
            m = AMOUNT_ANY.search(norm)
            if m and not re.search(r"(?i)优惠|折扣|运费|手续费|余额|discount|fee|balance", norm):
                a = amount_in(norm)
                if a and a[0]:
                    found.setdefault(a, raw)
        if len({a for a, _ in found}) == 1:
            (amount, cur), raw = next(iter(found.items()))
            fields["total"] = field(amount, raw, currency=cur)
    if "date" not in fields:  # an unlabelled date on its own line
        for raw, norm in lines:
            d = parse_date(norm) if DATE_RE.search(norm) or EN_DATE_RE.search(norm) else None
            if d:
                fields["date"] = field(d, raw)
                break
    items = []
    for raw, norm in lines:
        m = ITEM_LINE.match(norm)
        if m and not NOT_ITEM.search(m.group("name")):
            items.append({"name": m.group("name").strip(), "quantity": m.group("qty"),
                          "amount": money(m.group("amount")), "source_text": raw.strip()})
    if items:
        fields["items"] = field(items, "\n".join(it["source_text"] for it in items))
    if set(fields) <= {"title"}:
        return {}
    return fields


def _total_rank(norm: str) -> int:
    for i, p in enumerate(TOTAL_RANKS):
        if p.search(norm):
            return i
    return len(TOTAL_RANKS)


# ---------------------------------------------------------------- kinds

TYPES = ("vat-normal", "vat-special", "digital-normal", "digital-special", "digital-other", "e-invoice", "receipt",
         "scanned", "document")
# QR type codes (second field) as issuers print them; used only when the title is missing
QR_TYPES = {"10": "vat-normal", "04": "vat-normal", "08": "vat-special", "01": "vat-special", "32": "digital-normal",
            "31": "digital-special", "61": "digital-other", "51": "digital-other"}


def invoice_kind(fields: dict, qr_type: str | None = None) -> str:
    """Which invoice this is, from its printed title and the shape of its number:
    vat-normal / vat-special (增值税电子普通发票 / 电子专用发票, 发票代码 + 8-digit number), digital-normal /
    digital-special (数电 电子发票（普通发票）/（增值税专用发票）, a 20-digit number and no code), digital-other
    (数电 铁路电子客票 …), else e-invoice."""
    title = re.sub(r"\s", "", str(fields.get("title", {}).get("value") or ""))
    number = str(fields.get("invoice_number", {}).get("value") or "")
    code = fields.get("invoice_code", {}).get("value")
    digital = bool(re.match(r"电子发票[(（]", title)) or (len(number) == 20 and not code)
    # seal text ("全国统一发票监制") can be drawn across the title: allow foreign characters in between
    special = bool(re.search(r"专.{0,6}?用|专票", title))
    normal = bool(re.search(r"普.{0,6}?通", title))
    if title and (normal or special):
        if digital:
            return "digital-special" if special else "digital-normal"
        return "vat-special" if special else "vat-normal"
    if digital and title:
        return "digital-other"
    if qr_type in QR_TYPES:
        return QR_TYPES[qr_type]
    if digital:
        return "digital-normal" if not special else "digital-special"
    if code and len(number) == 8:
        return "vat-special" if special else "vat-normal"
    return "e-invoice"


# ---------------------------------------------------------------- entry point and cross-checks

def parse_lines(lines, role_at=None) -> dict:
    """{"type", "fields", "checks"} from (raw, normalised) lines; type is one of ``TYPES``."""
    if sum(len(n) for _, n in lines) < MIN_TEXT_CHARS:
        return {"type": "scanned", "fields": {}, "checks": []}
    fields = parse_invoice(lines, role_at)
    if any(k in fields for k in ("invoice_number", "invoice_code")) or "title" in fields and "total" in fields:
        kind = invoice_kind(fields)
    else:
        fields = parse_receipt(lines)
        kind = "receipt" if fields else "document"
    return {"type": kind, "fields": fields, "checks": cross_checks(fields)}


def parse_text(text: str) -> dict:
    """{"type", "fields", "checks"} from a document's plain text (no positions)."""
    if visible_chars(text) < MIN_TEXT_CHARS:
        return {"type": "scanned", "fields": {}, "checks": []}
    return parse_lines(split_lines(text))


def is_invoice(kind: str) -> bool:
    return kind.startswith(("vat-", "digital-")) or kind == "e-invoice"


def cross_checks(fields: dict) -> list[dict]:
    """Agreement between fields that must agree: 大写 vs 小写, 金额 + 税额 vs 价税合计, the items' amounts vs 金额."""
    checks = []
    total = fields.get("total", {}).get("value")
    words = fields.get("total_in_words")
    if words:
        ok = words.get("amount") is not None and total is not None and Decimal(words["amount"]) == Decimal(total)
        checks.append({"check": "total-words", "ok": ok, "expected": total, "found": words.get("amount"),
                       "source_text": words["value"]})
    net, tax = fields.get("amount_without_tax", {}).get("value"), fields.get("tax", {}).get("value")
    if net and tax and total:
        ok = Decimal(net) + Decimal(tax) == Decimal(total)
        checks.append({"check": "net-plus-tax", "ok": ok, "expected": total, "found": str(Decimal(net) + Decimal(tax))})
    items = fields.get("items", {}).get("value") or []
    amounts = [it.get("amount") for it in items]
    if net and amounts and all(a is not None for a in amounts) and "tax_rate" in items[0]:
        found = sum((Decimal(a) for a in amounts), Decimal("0.00"))
        checks.append({"check": "items-sum", "ok": found == Decimal(net), "expected": net, "found": str(found)})
    return checks
