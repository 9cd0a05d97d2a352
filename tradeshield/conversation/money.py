"""Money terms in a clause: the amount and what it is (deposit, offer, agreed price, refund …), who said it.

    >>> from tradeshield.conversation.money import money_terms
    >>> money_terms("定金200不退", "seller", "them")
    [{'role': 'deposit', 'amount': 200, 'by': 'them', 'refundable': False}]
    >>> money_terms("模板加数据要300", "seller", "them")
    [{'role': 'partial', 'amount': 300, 'by': 'them'}]
    >>> money_terms("便宜二十吧", "buyer", "them")
    [{'role': 'discount', 'amount': 20, 'by': 'them'}]

Roles: ``asking`` (the seller's price), ``offer`` (the buyer's), ``agreed``, ``deposit`` (with ``refundable``
when the chat says so), ``refund``, ``discount``, ``partial`` (the price of part of the work: 模板加数据 300),
``extra`` (more money demanded: 另加100). Numbers that are not money are skipped: order and tracking
numbers (8+ digits), percentages, quantities and durations (3天, 2件, 1080p, 95新).
"""
from __future__ import annotations

import functools
import re

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM = re.compile(r"(?<![\dA-Za-z.])(?:[¥￥$]|rmb|cny)?\s*(\d{1,7}(?:\.\d{1,2})?)(?![\d])|"
                  r"(?<=[便宜少减让退补优惠我你])([一二两三四五六七八九十百千]{1,5})(?=[块元吧呗啊呀]|$|[，。！？,.!?])", re.I)
_NOT_MONEY_AFTER = re.compile(r"\s*(?:%|％|件|个|天|小时|分钟|秒|次|年|月|日|号|码|g\b|gb|p\b|寸|岁|楼|新|成新|折|台|张|条|套|"
                              r"份|页|人|岁|周|星期|点(?!\d)|:|：|day|hour|min|week|month|year|%|gb|pcs|x\b)", re.I)
_CURRENCY_AFTER = re.compile(r"\s*(?:元|块|rmb|yuan|刀|dollars?|bucks)", re.I)

_DEPOSIT = re.compile(r"定金|订金|押金|保证金|deposit", re.I)
_NOREFUND = re.compile(r"不退|不可退|概不退|不予退|不能退|不给退|退不了|non-?refundable|not refundable|no refund", re.I)
_REFUNDABLE = re.compile(r"可退|可以退|退还|全额退|全退|退押金|退定金|refundable", re.I)
_REFUND = re.compile(r"退(?!货)|补偿|赔|refund|money back|pay (?:me )?back", re.I)
_DISCOUNT = re.compile(r"便宜|(?<!最)少(?!于)|减|优惠|让|砍|knock off|\boff\b|discount", re.I)
_PARTIAL = re.compile(r"[\u4e00-\u9fff]{1,8}(?:加|和|\+)[\u4e00-\u9fff]{1,8}(?:要|是|共|一共|收)\s*\d")
_EXTRA = re.compile(r"另加|再加|加价|再补|补\s*\d|多收|extra|more", re.I)
_ASKING = re.compile(r"最低|标价|售价|总价|整体|一共|总共|价格|要价|报价|全包|asking|lowest|price is|总共|\d\s*(?:元|块)", re.I)


_ID_BEFORE = re.compile(r"[A-Za-z#]$|单号|号码?$|QQ|qq|尾号")
_CURRENCY = re.compile(r"[¥￥$]")
_REFUND_CLAUSE = re.compile(r"^(?:归还|还回|退回|用完)?.{0,6}(?:全额退|退还|可退)")
_NOREFUND_CLAUSE = re.compile(r"^.{0,6}(?:不退|不可退|概不退|不予退还)$")
_DEAR_AFTER = re.compile(r"\s*(?:元|块)?(?:有点|太|也太|还是)?贵|\s*(?:元|块)?的(?:价格|标价)")


def cn_number(s: str) -> int | None:
    """二十 → 20, 一百五 → 150, 两百 → 200 (small amounts as people type them)."""
    total, cur, last_unit = 0, 0, 1
    for ch in s:
        if ch in _CN_DIGITS:
            cur = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            u = _CN_UNITS[ch]
            total += (cur or 1) * u
            cur, last_unit = 0, u
        else:
            return None
    if cur:
        total += cur * (last_unit // 10 if last_unit >= 10 else 1)
    return total or None


def amounts(text: str) -> list[tuple[float, int, int]]:
    """(amount, start, end) of each money-looking number in ``text``."""
    return list(_amounts(text))


_ANY_NUM = re.compile(r"\d|(?<=[便宜少减让退补优惠我你])[一二两三四五六七八九十百千]")      # what ``_NUM`` needs to match


def amount_values(text: str) -> tuple:
    """The money-looking amounts in ``text``, in order (``amounts`` without their places; the finder caches them per
    clause). A text without a digit or a numeral ``_NUM`` could read skips the search."""
    return tuple(x[0] for x in _amounts(text)) if _ANY_NUM.search(text) else ()


@functools.lru_cache(maxsize=4096)
def _amounts(text: str) -> tuple:
    # a clause's amounts are read for its money terms once per speaker and set of kinds: the numbers once
    out = []
    for m in _NUM.finditer(text):
        if m.group(1):
            whole = m.group(1).split(".")[0]
            if len(whole) > 7 or _NOT_MONEY_AFTER.match(text, m.end()):
                continue
            before = text[max(0, m.start() - 3):m.start()]
            if _ID_BEFORE.search(before) and not _CURRENCY.search(m.group()):
                continue
            val = float(m.group(1))
        else:
            n = cn_number(m.group(2))
            if n is None:
                continue
            val = float(n)
        out.append((int(val) if val == int(val) else val, m.start(), m.end()))
    return tuple(out)


def money_terms(clause: str, side: str | None, by: str, kinds: tuple[str, ...] = (), message: str = "") -> list[dict]:
    """Money terms of one clause said by ``by`` (me/them) on ``side`` (buyer/seller/None)."""
    if not _MAYBE.search(clause):
        return []
    return [dict(t) for t in _terms(clause, side, by, tuple(kinds))]


_MAYBE = re.compile(r"\d|[一二两三四五六七八九十百千]|定金|订金|押金|保证金|deposit|退", re.I)


@functools.lru_cache(maxsize=4096)
def _terms(clause: str, side: str | None, by: str, kinds: tuple[str, ...]) -> tuple:
    return tuple(_money_terms(clause, side, by, kinds))


def _money_terms(clause: str, side: str | None, by: str, kinds: tuple[str, ...] = ()) -> list[dict]:
    found = _amounts(clause)
    deposit = _DEPOSIT.search(clause)
    refundable = None
    if deposit:
        ctx = clause
        if _NOREFUND.search(ctx):
            refundable = False
        elif _REFUNDABLE.search(ctx):
            refundable = True
    out = []
    if not deposit and not found and _REFUND_CLAUSE.search(clause):
        return [{"role": "deposit", "amount": None, "by": by, "refundable": True, "implied": True}]
    if not deposit and not found and _NOREFUND_CLAUSE.search(clause):
        return [{"role": "deposit", "amount": None, "by": by, "refundable": False, "implied": True}]
    if deposit and not found and refundable is not None:
        return [{"role": "deposit", "amount": None, "by": by, "refundable": refundable}]
    for val, s, _e in found:
        head = clause[:s]
        if deposit and any(-1 <= s - d.end() <= 4 or 0 <= d.start() - _e <= 2 for d in _DEPOSIT.finditer(clause)):
            t = {"role": "deposit", "amount": val, "by": by}
            if refundable is not None:
                t["refundable"] = refundable
            out.append(t)
            continue
        if "price-agreed" in kinds:
            role = "agreed"
        elif _DEAR_AFTER.match(clause, _e):
            role = "asking"      # 「1150有点贵」: the price they were asked
        elif _PARTIAL.search(clause) and not _EXTRA.search(head[-3:] if head else ""):
            role = "partial"
        elif _EXTRA.search(head[-4:]):
            role = "extra"
        elif _REFUND.search(head) and not _DISCOUNT.search(head[-3:]):
            role = "refund"
        elif _DISCOUNT.search(head[-4:]):
            role = "discount"
        elif "refund-request" in kinds:
            role = "refund"
        elif side == "seller":
            role = "asking"
        elif side == "buyer" or "discount-request" in kinds:
            role = "offer"
        elif _ASKING.search(clause):
            role = "asking"
        else:
            role = "amount"
        out.append({"role": role, "amount": val, "by": by})
    return out
