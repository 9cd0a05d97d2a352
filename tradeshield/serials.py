"""Device identifiers in text: IMEI (Luhn + TAC), IMEI-SV, MEID, Apple-style and labelled serials.

    >>> from tradeshield.serials import find_serials
    >>> [(s["type"], s["value"], s["valid"], s.get("tac")) for s in find_serials("IMEI: 352099001761481")]
    [('imei', '352099001761481', True, '35209900')]
    >>> find_serials("IMEI 352099001761482")[0]["valid"]     # one digit changed: the check digit fails
    False

A pure function over decoded text (barcode payloads, invoice text, video-frame barcodes), so every module
that reads text calls the same rules. Each hit keeps the caller's ``source`` plus its ``span`` in the text.
Bare digit runs are taken only in the exact IMEI shapes (15 digits, or 2-6-6-1 / 8-6-1 groups); 16-digit
IMEI-SV, MEID and free-form serials need their label (IMEISV, MEID, S/N, 序列号 …) because a bare 16-digit
number is as likely a bank card. New (2021+) randomised Apple serials have no structure: they are compared
as strings only.
"""
from __future__ import annotations

import re

# Apple 12-character serials (2010-2021): 3 location + year/half + week + 3 unique + 4 model code.
_APPLE_YEAR = "CDFGHJKLMNPQRSTVWXYZ"          # C = 2010 H1 (or 2020 H1), D = 2010 H2, … Z = 2019 H2
_APPLE_WEEK = "123456789CDFGHJKLMNPQRTVWXY"   # week within the half-year, 1..27
_APPLE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O

_SEP = r"[ \-]"
_IMEI_SHAPES = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"\d{15}"
    rf"|\d{{2}}{_SEP}\d{{6}}{_SEP}\d{{6}}{_SEP}\d"
    rf"|\d{{8}}{_SEP}\d{{6}}{_SEP}\d"
    rf"|\d{{6}}{_SEP}\d{{2}}{_SEP}\d{{6}}{_SEP}\d"
    r")(?![0-9A-Za-z])")
_LABELLED = re.compile(
    r"(?<![0-9A-Za-z])(?P<label>IMEI\s*-?\s*SV(?:N)?|IMEI(?:\s*[12](?!\d))?|MEID(?:\s*HEX)?|"
    r"S/N|SN码?|Serial\s*(?:No\.?|Number|#)?|(?:产品|机身)?序列号|串号)"
    r"\s*[:：#.]?\s*(?=(?P<value>[0-9A-Za-z][0-9A-Za-z \-]{4,40}[0-9A-Za-z]))", re.I)
_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Z]{12,13}(?![0-9A-Za-z])")


def luhn_ok(digits: str) -> bool:
    """Luhn check over a decimal string (the last digit is the check digit)."""
    return luhn_digit(digits[:-1]) == int(digits[-1])


def luhn_digit(body: str, base: int = 10) -> int:
    """The check digit that makes ``body`` + digit pass Luhn in ``base`` (10 for IMEI, 16 for MEID)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch, base)
        if i % 2 == 0:  # every second digit from the right, counting the (absent) check digit as first
            d *= 2
            d = d // base + d % base
        total += d
    return (base - total % base) % base


def imei_fact(value: str) -> dict:
    ok = luhn_ok(value)
    fact = {"type": "imei", "value": value, "valid": ok, "tac": value[:8], "snr": value[8:14]}
    if not ok:
        fact["expected_check_digit"] = str(luhn_digit(value[:14]))
    return fact


def imeisv_fact(value: str) -> dict:
    body = value[:14]
    return {"type": "imeisv", "value": value, "valid": None, "tac": value[:8], "snr": value[8:14],
            "svn": value[14:], "imei": body + str(luhn_digit(body))}


def meid_fact(value: str) -> dict | None:
    value = value.upper()
    if not re.fullmatch(r"[0-9A-F]{14,15}", value):
        return None
    fact = {"type": "meid", "value": value[:14], "valid": None, "manufacturer_code": value[:8]}
    if len(value) == 15:  # an optional check digit, Luhn in base 16
        fact["valid"] = luhn_digit(value[:14], 16) == int(value[14], 16)
        fact["check_digit"] = value[14]
    return fact


def apple_serial(value: str) -> dict | None:
    """Decode a 12-character Apple serial (2010-2021 scheme) or None when it does not fit."""
    if len(value) != 12 or any(c not in _APPLE_CHARS for c in value):
        return None
    if value.isdigit() or value.isalpha():
        return None
    y, w = value[3], value[4]
    if y not in _APPLE_YEAR or w not in _APPLE_WEEK:
        return None
    idx = _APPLE_YEAR.index(y)
    year = 2010 + idx // 2
    return {"scheme": "apple-12", "made": {"years": [year, year + 10], "half": idx % 2 + 1,
                                           "week_of_half": _APPLE_WEEK.index(w) + 1},
            "model_code": value[8:], "factory": value[:3]}


def _labelled_fact(label: str, raw: str) -> dict | None:
    lab = re.sub(r"[\s\-]", "", label).upper()
    compact = re.sub(r"[ \-]", "", raw)
    if lab.startswith("IMEISV"):
        m = re.match(r"\d{16}", compact)
        return imeisv_fact(m.group(0)) if m else None
    if lab.startswith("IMEI"):
        return None  # IMEIs are found by shape; the label only marks them as labelled
    if lab.startswith("MEID"):
        m = re.match(r"[0-9A-Fa-f]{14,15}(?![0-9A-Za-z])", compact)
        return meid_fact(m.group(0)) if m else None
    token = re.match(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*", raw.strip()).group(0)
    if len(token) < 6 or len(token) > 30 or not any(c.isdigit() for c in token):
        return None
    fact = {"type": "serial", "value": token.upper(), "valid": None}
    decoded = apple_serial(token.upper())
    if decoded:
        fact.update(decoded)
    return fact


def find_serials(text: str, source=None) -> list[dict]:
    """Every IMEI / IMEI-SV / MEID / serial in ``text``; each dict carries ``source`` and ``span``.

    ``valid`` is True/False where a check digit exists (IMEI, MEID with check digit), else None.
    """
    if not text:
        return []
    found: list[dict] = []
    taken: list[tuple[int, int]] = []

    def add(fact: dict | None, span: tuple[int, int], label: str | None) -> None:
        if fact is None or any(a < span[1] and span[0] < b for a, b in taken):
            return
        taken.append(span)
        fact["span"] = list(span)
        fact["label"] = label
        fact["source"] = source
        found.append(fact)

    labels: dict[int, str] = {}
    for m in _LABELLED.finditer(text):
        label = m.group("label").strip()
        fact = _labelled_fact(label, m.group("value"))
        if fact is not None:
            add(fact, _value_span(m, fact), label)
        else:
            labels[m.start("value")] = label
    for m in _IMEI_SHAPES.finditer(text):
        value = re.sub(r"\D", "", m.group(0))
        add(imei_fact(value), m.span(), labels.get(m.start()))
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        start = m.start()
        if len(tok) == 13 and tok[0] == "S":  # Apple box barcodes prefix the serial with "S"
            tok, start = tok[1:], start + 1
        decoded = apple_serial(tok)
        if decoded:
            add({"type": "serial", "value": tok, "valid": None, **decoded}, (start, m.end()), None)
    found.sort(key=lambda f: f["span"][0])
    return found


def _value_span(m: re.Match, fact: dict) -> tuple[int, int]:
    """Span of the value itself inside the labelled match (spaces and dashes allowed inside it)."""
    start = m.start("value")
    want = len(fact["value"]) + (1 if fact.get("check_digit") else 0)
    if fact["type"] == "imeisv":
        want = 16
    n, i = 0, start
    while i < m.end("value") and n < want:
        n += m.string[i].isalnum()
        i += 1
    return start, i


def identities(facts: list[dict]) -> dict[str, set[str]]:
    """Comparable identities by type: valid IMEIs (IMEI-SV folded into its IMEI), MEIDs, serials.

    IMEIs with a failed check digit are left out: they are misreads, not identities.
    """
    out: dict[str, set[str]] = {"imei": set(), "meid": set(), "serial": set()}
    for f in facts:
        if f["type"] == "imei" and f.get("valid"):
            out["imei"].add(f["value"])
        elif f["type"] == "imeisv":
            out["imei"].add(f["imei"])
        elif f["type"] == "meid" and f.get("valid") is not False:
            out["meid"].add(f["value"])
        elif f["type"] == "serial":
            out["serial"].add(f["value"])
    return out


# ---------------------------------------------------------------- one IMEI across the case's sources
def _strings(v, path=""):
    """(locator, text) for every string inside a JSON-like value."""
    if isinstance(v, str):
        yield path, v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield from _strings(x, f"{path}.{k}" if path else str(k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _strings(x, f"{path}[{i}]")


def case_imeis(case) -> list[dict]:
    """Every IMEI reading in the case's facts: ``{"value", "valid", "kind", "sha256", "path", "how", "where"}``.

    kind photo (barcode or OCR text, from facts/photos.json), video (barcodes in extracted frames,
    facts/frames.json), invoice (any field or text of facts/invoice.json); IMEI-SV counts as its IMEI."""
    out = []

    def add(f, kind, sha, path, how, where):
        value = f["imei"] if f["type"] == "imeisv" else f["value"]
        valid = True if f["type"] == "imeisv" else f.get("valid")
        out.append({"value": value, "valid": valid, "kind": kind, "sha256": sha, "path": path, "how": how,
                    "where": where})

    for p in (case.read_facts("photos", {}) or {}).get("photos", []):
        for f in p.get("serials", []):
            if f["type"] in ("imei", "imeisv"):
                src = f.get("source") or {}
                how = "text" if src.get("text") else ("barcode" if src.get("barcode") else "?")
                add(f, "photo", p.get("sha256"), p.get("path"), how, src.get("box") or src.get("position"))
    for v in (case.read_facts("frames", {}) or {}).get("videos", []):
        for fr in v.get("frames", []):
            for bc in fr.get("barcodes", []) or []:
                for f in find_serials(bc.get("text", "")):
                    if f["type"] in ("imei", "imeisv"):
                        add(f, "video", v.get("sha256"), v.get("path"), "barcode", {"pts": fr.get("pts")})
            for f in fr.get("serials", []) or []:
                if f.get("type") in ("imei", "imeisv"):
                    add(f, "video", v.get("sha256"), v.get("path"), "frame", {"pts": fr.get("pts")})
    for d in (case.read_facts("invoice", {}) or {}).get("documents", []):
        seen = set()
        for where, text in _strings(d.get("fields", {}), "fields"):
            for f in find_serials(text):
                if f["type"] in ("imei", "imeisv") and f["value"] not in seen:
                    seen.add(f["value"])
                    add(f, "invoice", d.get("sha256"), d.get("path"), "text", where)
        for where, text in _strings({k: v for k, v in d.items() if k in ("text", "lines", "serials")}):
            for f in find_serials(text):
                if f["type"] in ("imei", "imeisv") and f["value"] not in seen:
                    seen.add(f["value"])
                    add(f, "invoice", d.get("sha256"), d.get("path"), "text", where)
    return out


def cross_check(readings: list[dict]) -> dict:
    """One fact per valid IMEI with the sources it appears in, and what does not agree.

    Mismatches: two kinds of source (photo, video, invoice) that both show IMEIs but none in common (a
    dual-SIM phone's IMEI2 missing from an invoice is no mismatch); a reading that fails its check digit but is one digit away from a
    valid IMEI seen elsewhere (a misread, named as such)."""
    by: dict[str, dict] = {}
    for r in readings:
        if not r["valid"]:
            continue
        e = by.setdefault(r["value"], {"value": r["value"], "tac": r["value"][:8], "sources": [], "kinds": []})
        key = (r["kind"], r["sha256"])
        if key not in {(s["kind"], s["sha256"]) for s in e["sources"]}:
            e["sources"].append({k: r[k] for k in ("kind", "sha256", "path", "how", "where")})
        if r["kind"] not in e["kinds"]:
            e["kinds"].append(r["kind"])
    imeis = sorted(by.values(), key=lambda e: (-len(e["sources"]), e["value"]))
    sets: dict[str, set] = {}
    for r in readings:
        if r["valid"]:
            sets.setdefault(r["kind"], set()).add(r["value"])
    mismatches = []
    order = [k for k in ("photo", "video", "invoice") if k in sets]
    for i, a in enumerate(order):        # two kinds of source with IMEIs and none in common: not the same phone
        for b in order[i + 1:]:
            if not sets[a] & sets[b]:
                mismatches.append({"code": "disjoint", "a": a, "a_values": sorted(sets[a]), "b": b,
                                   "b_values": sorted(sets[b])})
    for r in readings:
        if r["valid"] is False:
            near = [v for v in by if sum(a != b for a, b in zip(v, r["value"])) == 1]
            mismatches.append({"code": "misread" if near else "bad-check-digit", "value": r["value"],
                               "kind": r["kind"], "sha256": r["sha256"], "near": near})
    for e in imeis:
        n = len(e["sources"])
        e["count"] = n
        e["zh"] = f"IMEI {e['value']} 出现在 {n} 个来源中（{'、'.join(_KIND_ZH[k] for k in e['kinds'])}）"
        e["en"] = f"IMEI {e['value']} appears in {n} source{'s' if n != 1 else ''} ({', '.join(e['kinds'])})"
    for m in mismatches:
        if m["code"] == "disjoint":
            m["zh"] = (f"{_KIND_ZH[m['a']]}中的 IMEI（{'、'.join(m['a_values'])}）与{_KIND_ZH[m['b']]}中的"
                       f"（{'、'.join(m['b_values'])}）没有一个相同")
            m["en"] = (f"the IMEIs in the {m['a']} ({', '.join(m['a_values'])}) and in the {m['b']} "
                       f"({', '.join(m['b_values'])}) have none in common")
        else:
            m["zh"] = (f"{_KIND_ZH[m['kind']]}中读到的 {m['value']} 校验位不符" +
                       (f"（与 {'、'.join(m['near'])} 只差一位，疑为误读）" if m["near"] else ""))
            m["en"] = (f"{m['value']} read in a {m['kind']} fails the check digit" +
                       (f" (one digit away from {', '.join(m['near'])}: a misread)" if m["near"] else ""))
    return {"imeis": imeis, "mismatches": mismatches}


_KIND_ZH = {"photo": "照片", "video": "视频", "invoice": "发票"}


def update_imei_facts(case) -> dict:
    """Recompute ``facts/imei.json`` from the photos, frames and invoice facts (called after each of them)."""
    readings = case_imeis(case)
    result = cross_check(readings)
    if readings or case.read_facts("imei", None) is not None:
        sources = sorted({r["sha256"] for r in readings if r["sha256"]})
        case.write_facts("imei", result, sources=sources)
    return result
