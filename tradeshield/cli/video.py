"""``tradeshield frames``: unboxing / packing video → labelled evidence frames, continuity report, contact sheet."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from tradeshield import i18n
from tradeshield.cli import app
from tradeshield.cli.common import CaseOpt, JsonOpt, LangOpt, QuietOpt, Table, start

i18n.register({
    "cli.frames.title": ("{n} 帧 → {folder}", "{n} frames → {folder}"),
    "cli.frames.sheet": ("总览图：{path}", "contact sheet: {path}"),
    "cli.frames.time": ("时间来源：{source}；录制开始 {start}。{claim}", "time source: {source}; recording start {start}. {claim}"),
    "cli.frames.clean": ("连续性：未发现剪辑迹象（这不能证明视频未被编辑）",
                         "continuity: no sign of editing found (this cannot prove the video is unedited)"),
    "cli.frames.warnings": ("连续性：{n} 条警告（是提醒而非结论）：", "continuity: {n} warning(s) (advice, not a verdict):"),
    "cli.frames.exported": ("已复制 {n} 个文件到 {path}", "copied {n} file(s) to {path}"),
    "cli.frames.barcodes": ("画面中的条码/二维码：{codes}", "barcodes / QR codes in frames: {codes}"),
    "cli.col.position": ("位置", "position"), "cli.col.wall": ("拍摄时间", "recorded"),
    "cli.col.reason": ("原因", "reason"), "cli.col.barcodes": ("条码", "barcodes"),
})


@app.command()
def frames(
    video: Annotated[Path, typer.Argument(help="The unboxing or packing video (added to the case if needed). / 视频。")],
    every: Annotated[str, typer.Option("--every", help="One frame per interval, e.g. 2s, 5s, 1m. / 取帧间隔。")] = "2s",
    at: Annotated[Optional[List[str]], typer.Option("--at", help="Also this exact moment, e.g. 00:01:23.4 "
                                                                 "(repeatable). / 指定时刻。")] = None,
    max_frames: Annotated[Optional[int], typer.Option("--max", help="Keep at most this many frames, the most "
                                                                    "informative (--at and barcode frames stay). "
                                                                    "/ 最多帧数。")] = None,
    sheet: Annotated[bool, typer.Option("--sheet/--no-sheet", help="Make the contact sheet. / 生成总览图。")] = True,
    scenes: Annotated[bool, typer.Option("--scenes/--no-scenes", help="Add a frame at each scene change. "
                                                                      "/ 场景切换帧。")] = True,
    barcodes: Annotated[bool, typer.Option("--barcodes/--no-barcodes", help="Look for barcodes / QR codes in "
                                                                            "frames. / 识别条码。")] = True,
    start_at: Annotated[Optional[str], typer.Option("--start", help="Recording start to use instead of the "
                                                                    "metadata, e.g. '2021-05-25 20:31:07'. "
                                                                    "/ 手动指定录制开始时间。")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Also copy frames and sheet to this folder for "
                                                              "upload. / 另存到目录。")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace files of an earlier run in --out. "
                                                        "/ 覆盖。")] = False,
    case: CaseOpt = None, json_out: JsonOpt = False, quiet: QuietOpt = False, lang: LangOpt = None,
) -> None:
    """Turn a video into timestamped evidence frames, a continuity report and a contact sheet.  / 视频取证帧。

    Example: tradeshield frames ~/DCIM/VID_20210525_203107.mp4 --every 5s --max 30 --at 00:01:23.4

    Every frame gets a burned-in label: recording time (start + the frame's pts), position, pts and the first
    12 hex of the video's SHA-256. Frames: one per interval (sharpest keyframe) plus scene changes, --at moments
    and frames showing a barcode. HDR video (HLG, PQ/HDR10, Dolby Vision 8.4's HLG base layer) is tone-mapped
    to ordinary SDR pictures, and frames.json says how.
    """
    from tradeshield.evidence.case import Case
    from tradeshield.timeutil import parse_time
    from tradeshield.video import extract_frames, parse_at, parse_every

    out_ = start(lang, json_out, quiet)
    c = Case.find(case)
    begin = parse_time(start_at, c.tz) if start_at else None
    with out_.progress(delay=0.5) as cb:
        entry = extract_frames(c, video, every=parse_every(every), at=[parse_at(a) for a in at or []],
                               max_frames=max_frames, scenes=scenes, sheet=sheet, barcodes=barcodes, start=begin,
                               out_dir=out, force=force, progress=cb)
    for w in entry["warnings"]:
        out_.warn(w)
    out_.emit(entry, lambda con: _render(con, c, entry))


def _render(con, case, e: dict) -> None:
    lang = i18n.get_lang()
    t = Table(show_edge=False)
    for col in ("seq", "position", "wall", "reason", "barcodes", "path"):
        t.add_column(i18n.t("cli.col." + col))
    for i, f in enumerate(e["frames"], 1):
        codes = ", ".join(b["text"] for b in f["barcodes"])
        t.add_row(str(i), f["position_text"], f["label"][0], "+".join(f["reasons"]), codes, f["path"])
    con.print(t)
    folder = str(Path(e["frames"][0]["path"]).parent) if e["frames"] else "-"
    con.print(i18n.t("cli.frames.title", n=len(e["frames"]), folder=folder), markup=False)
    if e["sheet"]:
        con.print(i18n.t("cli.frames.sheet", path=e["sheet"]), markup=False)
    con.print(i18n.t("cli.frames.time", source=e["time_source_text"], start=e["start"], claim=e["time_claim_note"]),
              markup=False)
    colour = e.get("colour") or {}
    if colour.get("tone_mapped"):
        from tradeshield.video.job import tone_line

        con.print(tone_line(colour), markup=False)
    codes = sorted({b["text"] for f in e["frames"] for b in f["barcodes"]})
    if codes:
        con.print(i18n.t("cli.frames.barcodes", codes=", ".join(codes)), markup=False)
    cont = e["continuity"]
    if cont["verdict"] == "clean":
        con.print(i18n.t("cli.frames.clean"), style="green", markup=False)
    else:
        con.print(i18n.t("cli.frames.warnings", n=len(cont["warnings"])), style="yellow", markup=False)
        for w in cont["warnings"]:
            con.print("  - " + w[lang], markup=False)
    if e["exported"]:
        con.print(i18n.t("cli.frames.exported", n=len(e["exported"]), path=str(Path(e["exported"][0]).parent)),
                  markup=False)
