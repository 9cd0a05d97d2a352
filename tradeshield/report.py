"""report.html: one self-contained, phone-readable page about the case (no scripts, no network).

    >>> from tradeshield.report import write_report
    >>> write_report(case, "packet/report.html", packet_result, statement_result, "zh")   # doctest: +SKIP

Every string from the evidence (chat lines, file names, notes) goes through Jinja2's autoescape,
thumbnails are inline data: URIs, and a Content-Security-Policy forbids scripts and remote loads,
so opening the report can neither run nor fetch anything.
"""
from __future__ import annotations

import base64
import datetime as dt
import io

from pathlib import Path

from tradeshield import TOOL, data, i18n
from tradeshield.labels import label
from tradeshield.evidence.fsutil import write_text

THUMB = 320


def _thumb(path: Path) -> str | None:
    try:
        from PIL import Image, ImageOps

        from tradeshield.imaging import enable_heif

        enable_heif()
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im).convert("RGB")
            im.thumbnail((THUMB, THUMB))
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=70)
        return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    except Exception:  # not an image, or unreadable: the report shows the hash and no picture
        return None


def _timeline(case, lang: str) -> list[dict]:
    """The timeline module's entries (every time in the case's zone), with kinds and sources in ``lang``."""
    from tradeshield.timeline import collect, entry_note, kind_label, origin_label

    rows = []
    for e in collect(case):
        ref = e.get("ref") or {}
        if e["origin"] == "chat":
            lines = [x for x in ref.get("lines") or [] if x is not None]
            source = (i18n.t("report.src.chat", lang, lines="–".join(map(str, lines[:1] + lines[1:][-1:])))
                      if lines else origin_label("chat", lang))
        elif e["origin"] == "courier":
            source = i18n.t("report.src.courier", lang)
        elif e["origin"] == "evidence":
            source = label("capture", ref.get("capture_source"), lang)
        else:
            source = i18n.t(f"report.src.{e['origin']}", lang)
        rows.append({"time": e["time"], "what": kind_label(e["kind"], lang), "detail": entry_note(e, lang),
                     "source": source, "flagged": e.get("flagged")})
    return rows


def _text(item, lang: str) -> str:
    """A finding's text in the report's language: facts keep both languages side by side."""
    if isinstance(item, dict):
        return str(item.get(lang) or item.get("en") or item.get("code") or item.get("id") or item)
    return str(item)


def _findings(case, lang: str) -> list[dict]:
    out = []
    for v in (case.read_facts("frames", {}) or {}).get("videos", []):
        cont = v.get("continuity") or {}
        out.append({"what": i18n.t("report.f.video", lang, name=Path(v.get("path", "")).name),
                    "verdict": label("verdict", cont.get("verdict", ""), lang),
                    "details": [_text(w, lang) for w in cont.get("warnings", [])]})
    for c in (case.read_facts("compare", {}) or {}).get("comparisons", []):
        out.append({"what": i18n.t("report.f.compare", lang), "verdict": label("verdict", c.get("verdict", ""), lang),
                    "details": [_text(r, lang) for r in c.get("reasons", [])]})
    chk = case.read_facts("check", None)
    if chk:
        out.append({"what": i18n.t("report.f.check", lang),
                    "verdict": i18n.t("report.score", lang, level=label("verdict", chk.get("level", ""), lang),
                                      score=chk.get("score", "")),
                    "details": [_text(r, lang) for r in chk.get("reasons", [])]})
    return out


def _evidence(case, lang: str) -> list[dict]:
    derived = case.derived_records()
    sheets = {}
    for path, rec in derived.items():
        if rec["action"] == "frames" and "sheet" in Path(path).name:
            for s in rec["sources"]:
                sheets[s] = case.root / path
    rows = []
    for it in sorted(case.evidence(), key=lambda i: i.path):
        thumb_src = case.root / it.path if it.kind == "photo" else sheets.get(it.sha256)
        rows.append({"name": Path(it.path).name, "kind": label("file", it.kind, lang), "sha256": it.sha256,
                     "size": it.size, "capture": it.capture_time or "",
                     "capture_source": label("capture", it.capture_source, lang) if it.capture_source else "",
                     "note": it.note or "", "thumb": _thumb(thumb_src) if thumb_src else None})
    return rows


def _derived(case, lang: str) -> list[dict]:
    """Derived files and their provenance; the parameters (code names) are shown in the English report only."""
    names = {it.sha256: Path(it.path).name for it in case.evidence()}
    rows = []
    for path, rec in sorted(case.derived_records().items()):
        params = ", ".join(f"{k}={v}" for k, v in sorted(rec["params"].items()) if not isinstance(v, (dict, list)))
        rows.append({"path": path, "action": label("action", rec["action"].split(":", 1)[0], lang),
                     "sha256": rec["sha256"], "sources": [names.get(s, s[:12]) for s in rec["sources"]],
                     "params": params if lang != "zh" else ""})
    return rows


def _invoice(case, lang: str) -> list[list[tuple[str, str]]]:
    """Each document's fields as (label, value) pairs, field names in ``lang``."""
    docs = []
    for doc in (case.read_facts("invoice", {}) or {}).get("documents", []) or []:
        pairs = [(label("field", name, lang), f["value"]) for name, f in (doc.get("fields") or {}).items()
                 if isinstance(f, dict) and isinstance(f.get("value"), str)]
        if pairs:
            docs.append(pairs)
    return docs


def _when_in(tz):
    def when(value) -> str:
        """ISO time as people read it, in the case's zone: 2021-05-25 16:20:03 +08:00."""
        from tradeshield.timeutil import show_time, to_zone

        t = to_zone(value, tz) if value else None
        if t is None:
            return str(value or "")
        return show_time(t, tz, seconds=bool(t.second or t.microsecond))
    return when


def render_report(case, packet: dict, statement: dict, lang: str) -> str:
    import jinja2

    src = data.path("report.html.j2").read_text(encoding="utf-8")
    from tradeshield.textsafe import clean

    # every {{ value }} from the case (fields, chat text, names) loses ESC, C1 and bidi overrides before escaping
    env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=lambda v: clean(v, keep_newlines=True) if type(v) is str else v)
    env.filters["when"] = _when_in(case.tz)
    tpl = env.from_string(src)
    from tradeshield.statement_facts import money
    from tradeshield.timeutil import format_offset

    uploads = [{**u, "thumb": _thumb(Path(u["path"]))} for u in packet.get("upload", [])]
    info = case.info
    shown = {"platform": label("platform", info.get("platform"), lang), "role": label("role", info.get("role"), lang),
             "price": money(info["price"], info.get("currency") or "CNY") if info.get("price") not in (None, "") else "",
             "zone": "UTC" + format_offset(case.tz)}
    return tpl.render(
        t=lambda key, **kw: i18n.t(key, lang, **kw), lang=lang, tool=TOOL, info=info, shown=shown,
        generated=dt.datetime.now(case.tz).isoformat(timespec="seconds"), packet=packet, uploads=uploads,
        messages=statement.get("messages") or [], missing=statement.get("missing") or [],
        statement_error=statement.get("error"), timeline=_timeline(case, lang), findings=_findings(case, lang),
        evidence=_evidence(case, lang), derived=_derived(case, lang), bundle=packet.get("bundle", {}),
        invoice=_invoice(case, lang),
    )


def write_report(case, path: Path, packet: dict, statement: dict, lang: str) -> str:
    write_text(path, render_report(case, packet, statement, lang))
    return str(path)


i18n.register({
    "report.title": ("交易纠纷证据报告", "Trade dispute evidence report"),
    "report.summary": ("案件概要", "Case summary"),
    "report.role": ("身份", "Role"),
    "report.role.seller": ("卖家", "seller"), "report.role.buyer": ("买家", "buyer"), "report.platform": ("平台", "Platform"), "report.item": ("商品", "Item"),
    "report.price": ("成交价", "Price"), "report.order": ("订单号", "Order"), "report.counterparty": ("对方", "Counterparty"),
    "report.seal": ("证据包封存码", "Bundle seal code"), "report.root": ("Merkle 根", "Merkle root"),
    "report.signed": ("签名公钥指纹", "Signing key fingerprint"), "report.unsigned": ("未签名", "not signed"),
    "report.upload": ("上传图片", "Images to upload"), "report.messages": ("陈述（逐条复制）", "Statement (copy one by one)"),
    "report.missing": ("缺少的事实", "Missing facts"), "report.timeline": ("时间线", "Timeline"),
    "report.evidence": ("证据原件", "Evidence originals"), "report.derived": ("派生文件与来源", "Derived files and provenance"),
    "report.findings": ("分析结论", "Findings"), "report.invoice": ("发票信息", "Invoice facts"),
    "report.verify": ("如何核验", "How to verify"),
    "report.verify_text": ("任何人都可以用 tradeshield 核验证据包：所有文件的哈希、保管日志链、Merkle 根和签名。"
                           "结果为“完好”说明文件自打包后未被改动；封存码若在发货前已发到平台聊天中，则可证明这些文件当时已存在。",
                           "Anyone can check the bundle with tradeshield: every file's hash, the custody chain, the Merkle "
                           "root and the signature. 'Intact' means nothing changed since it was bundled; a seal code posted in "
                           "the platform chat before shipping shows the files existed then."),
    "report.src.chat": ("聊天记录第 {lines} 行", "chat lines {lines}"), "report.src.courier": ("物流记录", "courier"),
    "report.src.case": ("用户记录", "recorded by the user"), "report.src.facts": ("分析结果", "analysis"),
    "report.score": ("{level}（{score} 分）", "{level} (score {score})"),
    "report.sealed_at": ("封存时间", "Sealed at"), "report.bundle_code": ("证据包自身的码", "The bundle's own code"),
    "report.zone": ("时区", "Time zone"),
    "report.captured": ("拍摄", "captured"), "report.f.video": ("视频 {name}", "video {name}"),
    "report.f.compare": ("发货前/退回照片比对", "before/after photo comparison"), "report.f.check": ("交易对方风险", "counterparty risk"),
    "report.verify_plain": ("不用 tradeshield 也可核对每个文件的哈希：", "without tradeshield, every file's hash can be checked too:"),
    "report.col.time": ("时间", "Time"), "report.col.what": ("事件", "What"), "report.col.detail": ("内容", "Detail"),
    "report.col.source": ("来源", "Source"), "report.col.file": ("文件", "File"), "report.col.kind": ("类型", "Kind"),
    "report.col.capture": ("拍摄时间", "Captured"), "report.col.note": ("备注", "Note"), "report.col.action": ("操作", "Action"),
    "report.col.params": ("参数", "Parameters"), "report.col.verdict": ("结论", "Verdict"),
    "report.left_out": ("合并/未单独上传", "Combined / not uploaded separately"),
    "report.footer": ("由 {tool} 生成于 {time}。本报告不执行脚本，也不加载任何外部内容。",
                      "Made by {tool} on {time}. This report runs no scripts and loads nothing from outside."),
})
