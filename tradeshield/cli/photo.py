"""Photo commands: photo (register item / serial photos) and compare (same item before and after?)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from tradeshield import i18n
from tradeshield.cli import app
from tradeshield.cli.common import CaseOpt, JsonOpt, LangOpt, QuietOpt, Table, start

i18n.register({
    "cli.photo.col.capture": ("拍摄时间", "captured"),
    "cli.photo.failed": ("{n} 张照片未能处理（见上）；其余已保存", "{n} photo(s) could not be processed (see above); the rest were saved"),
    "cli.photo.gps_removed": ("原图含 GPS 位置；上传副本已去除", "original has a GPS position; removed from the upload copy"),
    "cli.photo.gps_zero": ("原图 GPS 字段全为 0（无有效位置）；上传副本已去除",
                           "original's GPS fields are all zero (no real position); removed from the upload copy"),
    "cli.photo.upload": ("上传副本", "upload copy"),
    "cli.photo.none": ("无", "none"),
    "cli.photo.valid": ("校验通过", "check digit ok"),
    "cli.photo.invalid": ("校验位错误（应为 {d}）", "check digit WRONG (expected {d})"),
    "cli.compare.split": ("用法：tradeshield compare --before 照片… --after 照片…",
                          "usage: tradeshield compare --before PHOTO… --after PHOTO…"),
    "cli.compare.verdict": ("结论：{verdict}", "verdict: {verdict}"),
    "cli.compare.image": ("对比图：{path}", "side-by-side image: {path}"),
    "cli.photo.col.photo": ("照片", "photo"), "cli.photo.col.device": ("设备", "device"),
    "cli.photo.col.codes": ("条码/串号", "codes / serials"),
})


def _serial_text(s: dict) -> str:
    text = f"{s['type'].upper()} {s['value']}"
    if (s.get("source") or {}).get("text"):
        text += " (OCR)"
    if s.get("tac"):
        text += f" TAC {s['tac']}"
    if s.get("valid") is True:
        text += " ✓ " + i18n.t("cli.photo.valid")
    elif s.get("valid") is False:
        text += " ✗ " + i18n.t("cli.photo.invalid", d=s.get("expected_check_digit", "?"))
    return text


@app.command()
def photo(
    files: Annotated[List[Path], typer.Argument(help="Photos (JPEG, PNG, WebP, HEIC) or folders. / 照片或目录。")],
    label: Annotated[str, typer.Option(help="What the photos show: serial, item, damage, box … / 标签。")] = "",
    max_side: Annotated[Optional[int], typer.Option(help="Upload copy: longest side in px (default 4096). / 上传副本最长边。")] = None,
    max_bytes: Annotated[Optional[int], typer.Option(help="Upload copy: max bytes (default 5 MiB). / 上传副本最大字节。")] = None,
    text: Annotated[Optional[bool], typer.Option("--text/--no-text", help=(
        "Read printed IMEI/serials as text (OCR). Default: for photos labelled serial/label/box/关于手机/invoice "
        "whose barcodes gave none. / 识别图中文字里的串号（默认：标签为 serial 等且条码未给出时）。"))] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Register item photos: EXIF facts, barcodes, IMEI/serials, hashes and a privacy-safe upload copy.  / 登记照片：EXIF、条码、IMEI、哈希、去隐私上传副本。

    IMEIs and serials come from barcodes, or from the printed text (关于手机, *#06#, box labels) by OCR;
    the case then says in how many sources (photos, video frames, invoice) each IMEI appears.

    Example: tradeshield photo 关于手机.png IMG_0013.HEIC --label serial
    """
    from tradeshield.evidence.case import Case
    from tradeshield.photo import register_photos

    out = start(lang, json_out, quiet)
    c = Case.find(case)
    with out.progress(min_total=10**9) as cb:
        res = register_photos(c, files, label=label, progress=cb, max_side=max_side, max_bytes=max_bytes, text=text)

    def render(con):
        if not res["photos"]:
            return          # nothing registered: the errors below say why, no empty table first
        from tradeshield.labels import label
        from tradeshield.timeutil import show_time

        t = Table(show_edge=False)
        for col in ("photo", "capture", "device", "codes"):
            t.add_column(i18n.t("cli.photo.col." + col))
        for p in res["photos"]:
            cap = (f"{show_time(p['capture_time'], c.tz)}（{label('capture', p['capture_source'])}）"
                   if p["capture_time"] else "-")
            dev = " ".join(x for x in (p["make"], p["model"]) if x) or "-"
            codes = [f"{b['format']}: {b['text'][:60]}" for b in p["barcodes"]] + [_serial_text(s) for s in p["serials"]]
            t.add_row(f"{p['path']}\n{p['sha256'][:16]}", cap, dev, "\n".join(codes) or i18n.t("cli.photo.none"))
        con.print(t)
        for p in res["photos"]:
            gps = ""
            if p["gps_present"]:
                gps = "  · " + i18n.t("cli.photo.gps_zero" if p["gps_zero"] else "cli.photo.gps_removed")
            con.print(f"{i18n.t('cli.photo.upload')}: {p['upload_copy']}{gps}", markup=False, highlight=False)
        key = "zh" if i18n.get_lang() == "zh" else "en"
        imei = res.get("imei") or {}
        for e in imei.get("imeis", []):
            con.print("• " + e[key], markup=False, highlight=False)
        for m in imei.get("mismatches", []):
            con.print("⚠ " + m[key], style="bold yellow", markup=False, highlight=False)

    out.emit(res, render)
    for f in res["failures"]:
        print(f"tradeshield: {f['message']}", file=sys.stderr)
    if res["failures"]:
        out.warn(i18n.t("cli.photo.failed", n=len(res["failures"])))
        raise typer.Exit(2)


def split_sides(args: list[str]) -> tuple[list[str], list[str]]:
    """``--before A B --after C D`` (also ``--before=A``, ``-b``/``-a``) into the two lists."""
    sides: dict[str, list[str]] = {"before": [], "after": []}
    cur = None
    for a in args:
        name, _, val = a.partition("=")
        if name in ("--before", "-b", "--after", "-a"):
            cur = "before" if name in ("--before", "-b") else "after"
            if val:
                sides[cur].append(val)
        elif a.startswith("-") and len(a) > 1:
            cur = None
            raise typer.BadParameter(i18n.t("cli.compare.split") + f" ({a})")
        elif cur is None:
            raise typer.BadParameter(i18n.t("cli.compare.split"))
        else:
            sides[cur].append(a)
    return sides["before"], sides["after"]


@app.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def compare(
    photos: Annotated[Optional[List[str]], typer.Argument(
        metavar="--before PHOTO… --after PHOTO…",
        help="Photos of the item before (as shipped) and after (as returned or received). / 之前与之后的照片。")] = None,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Decide whether the "after" photos show the same physical item as the "before" photos.  / 判断前后照片是否为同一物品（防调包）。

    Serials/IMEIs decide where readable; otherwise local features on the item's surface (SIFT + RANSAC).
    The verdict is same, different or inconclusive, with its reasons and a side-by-side image.

    Example: tradeshield compare --before IMG_0012.JPG IMG_0014.JPG --after returned_1.jpg returned_2.jpg
    """
    from tradeshield.evidence.case import Case
    from tradeshield.compare import compare_photos

    out = start(lang, json_out, quiet)
    before, after = split_sides(photos or [])
    c = Case.find(case)
    with out.progress(min_total=10**9) as cb:
        res = compare_photos(c, before, after, progress=cb)

    def render(con):
        style = {"same": "green", "different": "red"}.get(res["verdict"], "yellow")
        con.print(i18n.t("cli.compare.verdict", verdict=i18n.t("verdict." + res["verdict"])), style=style)
        key = "zh" if i18n.get_lang() == "zh" else "en"
        for r in res["reasons"]:
            con.print(f"  - {r[key]}", markup=False, highlight=False)
        con.print(i18n.t("cli.compare.image", path=res["image"]), markup=False, highlight=False)

    out.emit(res, render)
