"""Chinese capital-numeral amounts (大写金额) ↔ numbers, for checking 价税合计 大写 against 小写.

    >>> from decimal import Decimal
    >>> from tradeshield.invoice.amount import words_to_amount, amount_to_words
    >>> words_to_amount("⊗壹仟贰佰元整")
    Decimal('1200.00')
    >>> amount_to_words(Decimal("10500.05"))
    '壹万零伍佰元零伍分'

Characters: 零壹贰叁肆伍陆柒捌玖 拾佰仟 万亿 元/圆 角 分 整/正; the everyday forms (一二三, 十百千, 两) and the
traditional ones (貳參陸萬億圓) are read too. A text that is not a well-formed amount gives None, never a guess.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = {"零": 0, "〇": 0, "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "叄": 3, "肆": 4, "伍": 5, "陆": 6, "陸": 6,
          "柒": 7, "捌": 8, "玖": 9, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
          "八": 8, "九": 9}
SMALL = {"拾": 10, "佰": 100, "仟": 1000, "十": 10, "百": 100, "千": 1000}
BIG = {"万": 10 ** 4, "萬": 10 ** 4, "亿": 10 ** 8, "億": 10 ** 8}
WRITE_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_NOISE = "⊗ⓧ×Ⓧ☒ \t\u3000人民币:："


def _integer(text: str) -> int | None:
    total = section = 0
    number: int | None = None
    for ch in text:
        if ch in DIGITS:
            if number not in (None, 0) and DIGITS[ch] != 0:
                return None  # two digits without a unit between them: not an amount
            number = DIGITS[ch]
        elif ch in SMALL:
            section += (number if number is not None else 1) * SMALL[ch]
            number = None
        elif ch in BIG:
            if BIG[ch] == 10 ** 8:
                total = (total + section + (number or 0)) * BIG[ch]
            else:
                total += (section + (number or 0)) * BIG[ch]
            section, number = 0, None
        else:
            return None
    return total + section + (number or 0)


def words_to_amount(text: str) -> Decimal | None:
    """Decimal value of a 大写 amount such as ``⊗壹仟贰佰元整`` or ``伍角陆分``; None when malformed."""
    s = "".join(ch for ch in text if ch not in _NOISE).replace("圆", "元")
    negative = s.startswith(("负", "(负数)", "（负数）"))
    s = s.replace("(负数)", "").replace("（负数）", "").lstrip("负")
    s = s.rstrip("整正")
    if not s:
        return None
    yuan_part, _, rest = s.partition("元") if "元" in s else ("", "", s)
    if not rest and not yuan_part and "元" not in s:
        return None
    yuan = _integer(yuan_part) if yuan_part else 0
    if yuan is None:
        return None
    cents = 0
    rest = rest.lstrip("零")
    for unit, factor in (("角", 10), ("分", 1)):
        head, sep, tail = rest.partition(unit)
        if sep:
            head = head.lstrip("零")
            if len(head) != 1 or head not in DIGITS:
                return None
            cents += DIGITS[head] * factor
            rest = tail.lstrip("零")
    if rest:
        return None
    value = (Decimal(yuan) + Decimal(cents) / 100).quantize(Decimal("0.01"))
    return -value if negative else value


def _group(g: int) -> str:
    out, zero = "", False
    for value, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        d = g // value % 10
        if d:
            if zero and out:
                out += "零"
            out += WRITE_DIGITS[d] + unit
            zero = False
        else:
            zero = True
    return out


def _integer_words(n: int) -> str:
    groups = []
    while n:
        n, g = divmod(n, 10000)
        groups.append(g)
    units = ["", "万", "亿", "万亿"]
    out, pending_zero = "", False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            pending_zero = bool(out)
            continue
        if out and (pending_zero or g < 1000):
            out += "零"
        out += _group(g) + units[i]
        pending_zero = False
    return out


def amount_to_words(amount: Decimal) -> str:
    """大写 of ``amount`` in the form invoices print (元 … 整, 零 for skipped places)."""
    cents = int((abs(amount) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    out = _integer_words(yuan) + "元" if yuan else ""
    if not jiao and not fen:
        out = (out or "零元") + "整"
    else:
        if yuan and not jiao:
            out += "零"
        if jiao:
            out += WRITE_DIGITS[jiao] + "角"
        out += WRITE_DIGITS[fen] + "分" if fen else "整"
    return ("负" if amount < 0 else "") + out
