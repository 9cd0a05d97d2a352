"""Rebuttal packet: upload-ready images, numbered messages, the signed bundle and a browsable report.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.packet import build_packet
    >>> res = build_packet(Case.find(), "../packet", scenario="seller-refund-after-discount")   # doctest: +SKIP
    >>> [u["name"] for u in res["upload"]]                                                      # doctest: +SKIP
    ['01-timeline.jpg', '02-chat.jpg', '03-invoice.jpg', '04-frames.jpg', '05-serial.jpg']

Everything is assembled in a hidden staging folder beside the target and swapped in only when every
part succeeded, so a failed rerun leaves the previous packet as it was. Images come from what the
other commands derived (found through the custody log's provenance, never by guessing file names);
each gets a caption with the packet's one code so it points back to the verifiable bundle.

One code per packet: when a seal was made (``tradeshield seal``, its code posted in the chat), the
messages, the captions and the report all quote that code and the time it was made, and
``verify case.zip --code`` confirms it from the bundle's custody log; otherwise the bundle's own code.
The bundle's Merkle root is in the report.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from tradeshield import i18n
from tradeshield.config import LIMITS
from tradeshield.errors import InputError
from tradeshield.evidence.fsutil import DIR_MODE, write_text

MARKER = ".tradeshield-packet"
SEPARATOR = "\n\n────────────\n\n"  # between messages in messages.txt: a message may hold blank lines itself

# What each image kind is called in the upload set, and which derived-file actions produce it.
KINDS = {
    "timeline": ("timeline",),
    "chat": ("chat-render",),
    "invoice": ("invoice-pages", "invoice-card"),
    "frames": ("frames",),
    "serial": ("photo-upload-copy",),
    "compare": ("compare-image",),
}
# Most persuasive first, per scenario family (DOMAIN.md §0: the timeline decided the seller's case).
ORDER = {
    "seller-refund-after-discount": ["timeline", "chat", "invoice", "frames", "serial", "compare"],
    "seller-swapped-return": ["compare", "serial", "frames", "timeline", "chat", "invoice"],
    "seller-damage-after-delivery": ["frames", "serial", "timeline", "chat", "invoice", "compare"],
    "seller-not-as-described": ["chat", "frames", "serial", "invoice", "timeline", "compare"],
    "buyer-not-as-described": ["frames", "compare", "serial", "chat", "timeline", "invoice"],
    "buyer-not-received": ["timeline", "chat", "frames", "invoice", "serial", "compare"],
    "buyer-card-key": ["chat", "timeline", "frames", "invoice", "serial", "compare"],
    "buyer-custom-work": ["chat", "timeline", "invoice", "frames", "serial", "compare"],
}
DEFAULT_ORDER = ["timeline", "chat", "invoice", "frames", "serial", "compare"]

i18n.register({
    "packet.not_packet": ("目标目录已存在且不是 tradeshield 生成的材料包：{path}",
                          "the target folder exists and is not a packet tradeshield made: {path}"),
    "packet.inside_case": ("材料包不能放在案件目录内：{path}", "the packet cannot be written inside the case folder: {path}"),
    "packet.caption": ("证据封存码 {code}（{when} 封存）· 可用随附证据包核对",
                       "evidence seal code {code} (sealed {when}) · check it with the attached bundle"),
    "packet.more": ("其余证据（合并）", "more evidence (combined)"),
    "packet.left_out": ("{name}：合并进最后一张图", "{name}: combined into the last image"),
    "packet.no_statement": ("未生成陈述：{reason}", "no statement written: {reason}"),
})


def collect_images(case) -> dict[str, list[dict]]:
    """Derived images per kind, newest run first within a source, from the custody log's provenance."""
    by_action: dict[str, list[dict]] = {}
    for path, rec in case.derived_records().items():
        if not path.lower().endswith((".jpg", ".jpeg", ".png")) or not (case.root / path).is_file():
            continue
        by_action.setdefault(rec["action"], []).append({"path": path, **rec})
    out: dict[str, list[dict]] = {}
    for kind, actions in KINDS.items():
        items = [i for a in actions for i in by_action.get(a, [])]
        if kind == "frames":  # the contact sheet stands for the video; single frames only as fallback
            sheets = [i for i in items if "sheet" in Path(i["path"]).name]
            items = sheets or items[:1]
        out[kind] = sorted(items, key=lambda i: i["path"])
    return out


def choose(images: dict[str, list[dict]], scenario: str | None, max_images: int) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]]]:
    """(chosen, overflow): one image of each kind in scenario order, then the rest; overflow is combined."""
    order = ORDER.get(scenario or "", DEFAULT_ORDER)
    first = [(k, images[k][0]) for k in order if images.get(k)]
    rest = [(k, i) for k in order for i in images.get(k, [])[1:]]
    ranked = first + rest
    if len(ranked) <= max_images:
        return ranked, []
    return ranked[: max_images - 1], ranked[max_images - 1:]


def _grid(paths: list[Path], title: str):
    from PIL import Image, ImageDraw

    from tradeshield.fonts import load_font

    cols = 2 if len(paths) <= 4 else 3
    tile = 900 if cols == 2 else 640
    rows = (len(paths) + cols - 1) // cols
    head = 70
    sheet = Image.new("RGB", (cols * tile, head + rows * tile), (255, 255, 255))
    ImageDraw.Draw(sheet).text((20, 15), title, font=load_font(36), fill=(20, 20, 20))
    for n, p in enumerate(paths):
        with Image.open(p) as im:
            im = im.convert("RGB")
            im.thumbnail((tile - 20, tile - 20))
            x = (n % cols) * tile + (tile - im.width) // 2
            y = head + (n // cols) * tile + (tile - im.height) // 2
            sheet.paste(im, (x, y))
    return sheet


def _upload_image(src: Path, dest: Path, caption: str) -> dict:
    from PIL import Image

    from tradeshield.imaging import add_caption, save_jpeg_within

    with Image.open(src) as im:
        img = add_caption(im.convert("RGB"), [caption], scale=0.016)
    return save_jpeg_within(img, dest)


def _statement(case, scenario: str | None, lang: str, limit: int) -> dict:
    """Messages for the scenario from the statement module; missing facts are listed, never invented."""
    from tradeshield.statement import build_statement, save_statement

    try:
        st = build_statement(case, scenario or "generic", lang=lang, limit=limit)
    except InputError as e:
        return {"messages": [], "missing": [], "error": e.message(lang)}
    if not st.ok:
        return {"messages": [], "missing": [m.to_dict() for m in st.missing],
                "error": i18n.t("packet.no_statement", lang, reason=", ".join(m.description for m in st.missing))}
    if not _already_saved(case, st):  # a rerun must not change the case, so the bundle stays the same
        save_statement(case, st)
    return {"messages": [{"text": m, "chars": c} for m, c in zip(st.split.messages, st.split.counts)],
            "missing": [], "error": None, "scenario": st.scenario.name}


def _already_saved(case, st) -> bool:
    from tradeshield.statement import statement_text

    text = statement_text(st)
    for path, rec in case.derived_records().items():
        p = rec.get("params", {})
        if (rec["action"] == "statement" and path.endswith(".txt") and p.get("scenario") == st.scenario.name
                and p.get("lang") == st.lang and (case.root / path).is_file()
                and (case.root / path).read_text(encoding="utf-8") == text):
            return True
    return False


def build_packet(case, out: str | os.PathLike, *, scenario: str | None = None, lang: str | None = None,
                 max_images: int | None = None, limit: int | None = None, progress=None) -> dict:
    from tradeshield.evidence.bundle import build_bundle
    from tradeshield.evidence.signing import key_exists

    lang = lang or i18n.get_lang()
    max_images = max_images or LIMITS.images_per_submission
    limit = limit or LIMITS.message_chars
    out = Path(out).resolve()
    if out.is_relative_to(case.root):
        raise InputError("packet.inside_case", path=str(out))
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise InputError("packet.not_packet", path=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    stage.chmod(DIR_MODE)
    try:
        result = _assemble(case, stage, scenario, lang, max_images, limit, build_bundle, key_exists(), progress)
        _swap(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    result = _relocate(result, stage, out)
    return result


def _assemble(case, stage: Path, scenario, lang, max_images, limit, build_bundle, sign, progress) -> dict:
    (stage / MARKER).write_text("made by tradeshield packet\n", encoding="utf-8")
    st = _statement(case, scenario, lang, limit)
    messages = st.get("messages") or []
    write_text(stage / "messages.txt", SEPARATOR.join(m["text"] for m in messages) + ("\n" if messages else ""))
    bundle = build_bundle(case, stage / "case.zip", sign=sign, progress=progress)
    code, sealed_at = packet_code(case, bundle)
    from tradeshield.timeutil import show_time

    caption = i18n.t("packet.caption", lang, code=code, when=show_time(sealed_at, case.tz))
    chosen, overflow = choose(collect_images(case), scenario, max_images)
    (stage / "upload").mkdir()
    upload = []
    for n, (kind, img) in enumerate(chosen, 1):
        name = f"{n:02d}-{kind}.jpg"
        info = _upload_image(case.root / img["path"], stage / "upload" / name, caption)
        upload.append({"name": name, "kind": kind, "source": img["path"], "sources": img["sources"],
                       "caption": caption, **info})
    left_out = []
    if overflow:
        grid = _grid([case.root / i["path"] for _, i in overflow], i18n.t("packet.more", lang))
        name = f"{len(upload) + 1:02d}-more.jpg"
        from tradeshield.imaging import add_caption, save_jpeg_within

        info = save_jpeg_within(add_caption(grid, [caption], scale=0.016), stage / "upload" / name)
        upload.append({"name": name, "kind": "combined", "source": [i["path"] for _, i in overflow],
                       "caption": caption, **info})
        left_out = [i18n.t("packet.left_out", lang, name=i["path"]) for _, i in overflow]
    result = {
        "packet": str(stage), "scenario": scenario, "lang": lang, "upload": upload, "left_out": left_out,
        "messages": {"path": str(stage / "messages.txt"), "count": len(messages), "limit": limit,
                     "chars": [m.get("chars") for m in messages if isinstance(m, dict)],
                     "missing": st.get("missing", []), "error": st.get("error")},
        "bundle": {**bundle, "path": str(stage / "case.zip")},
        "seal_code": code, "sealed_at": sealed_at, "bundle_code": bundle["seal_code"],
    }
    from tradeshield.report import write_report

    result["report"] = write_report(case, stage / "report.html", result, st, lang)
    return result


def packet_code(case, bundle: dict) -> tuple[str, str]:
    """(code, when it was made): the seal the user posted, if any, else the bundle's own code and time."""
    import datetime as dt

    seal = case.read_facts("seal")
    if isinstance(seal, dict) and isinstance(seal.get("code"), str) and seal["code"] and seal.get("time"):
        return seal["code"], seal["time"]
    made = bundle.get("created") or bundle.get("time") or dt.datetime.now(case.tz).isoformat(timespec="seconds")
    return bundle["seal_code"], made


def _swap(stage: Path, out: Path) -> None:
    """Put the finished staging folder in place of ``out``; the old packet is removed only afterwards."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    stage.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _relocate(obj, stage: Path, out: Path):
    if isinstance(obj, str):
        return obj.replace(str(stage), str(out))
    if isinstance(obj, list):
        return [_relocate(x, stage, out) for x in obj]
    if isinstance(obj, dict):
        return {k: _relocate(v, stage, out) for k, v in obj.items()}
    return obj
