"""Chinese all the way (issue 20): in zh, the demo's terminal output, report.html and every upload image's text
carry no ASCII identifier that is not data — no event kinds, statuses, platform codes, verdicts, "page", "case".

Data is allowed: file names and paths, hashes and codes (SHA-256, TS1-…), numbers, times, commands to type
("tradeshield verify …"), and the words of the evidence itself."""
from __future__ import annotations

import html as htmlmod
import re

import pytest

from tradeshield.evidence.case import EVENT_KINDS, PLATFORMS

CODES = {*EVENT_KINDS, *PLATFORMS, "discount-request", "refund-request", "return-request", "defect-claim",
         "receipt-ack", "confirm-request", "off-platform", "fake-service", "threat", "insult", "agreement",
         "requirement", "picked-up", "in-transit", "out-for-delivery", "proxy-signed", "returned", "problem",
         "same", "different", "inconclusive", "clean", "warnings", "high", "medium", "low", "seller", "buyer",
         "photo", "video", "pdf", "chat", "timeline", "case", "page", "lines", "serial", "interval", "captured",
         "pts", "CNY", "frames", "invoice", "courier", "check", "compare", "seal", "statement", "packet", "verify",
         "assets", "init", "add", "event", "dealer-pattern", "refund-extortion", "photo-upload-copy", "chat-render"}
IDENT = re.compile(r"(?<![\w./\\-])(?:[A-Za-z]+(?:[-_:][A-Za-z]+)+|[A-Za-z]+)(?![\w./\\-])")
DATA = [re.compile(p) for p in (
    r"tradeshield(?: [-\w./]+)*",                      # a command to type, with its arguments
    r"[^\s，。：；、（）()「」“”]*[/\\][^\s，。；、（）()「」“”]*",     # paths
    r"[\w.-]+\.(?:jpe?g|png|pdf|mp4|txt|zip|html|json|toml|j2)\b",
    r"\b\w+=\S*",                                       # key=value read from a file's own metadata
    r"TS1-[A-Z0-9-]+|CK-[A-Z0-9-]+|SHA-256|IMEI|UTC[+-]\d\d:\d\d|JPEG|EXIF|GPS|PDF|OFD|XML|Merkle",
)]


def identifiers(text: str) -> list[str]:
    for rx in DATA:
        text = rx.sub(" ", text)
    return sorted({m.group() for m in IDENT.finditer(text) if m.group() in CODES or re.search(r"[-_:]", m.group())})


def test_identifier_finder_catches_what_the_issue_saw():
    for bad in ("timeline 1/1", "captured:photo", "courier:signed", "discount-request", "平台 xianyu", "1100 CNY",
                "· serial ·", "interval", "第 1/1 页 · page 1/1", "case"):
        assert identifiers(bad), bad
    assert not identifiers("证据封存码 TS1-ABCD（2021-05-23 09:55 +08:00）· tradeshield verify case.zip --code X "
                           "evidence/IMG_0012.jpg SHA-256 1a92df5f6884 · UTC+08:00")


@pytest.fixture(scope="module")
def zh_demo(tmp_path_factory):
    """The demo built in zh, in this process, recording every text drawn on an image."""
    from PIL import ImageDraw

    from tradeshield import i18n
    from tradeshield.demo import run_demo

    drawn = []
    orig = ImageDraw.ImageDraw.text

    def text(self, xy, t, *a, **k):
        drawn.append(str(t))
        return orig(self, xy, t, *a, **k)

    prev = i18n.get_lang()
    i18n.set_lang("zh")
    ImageDraw.ImageDraw.text = text
    try:
        res = run_demo(tmp_path_factory.mktemp("zh") / "demo", lang="zh")
    finally:
        ImageDraw.ImageDraw.text = orig
        i18n.set_lang(prev)
    assert res["ok"], res["steps"]
    return res, drawn


def _evidence_words(case_root) -> set[str]:
    """Words that come from the evidence itself (chat lines, notes, invoice text, the item's name): data."""
    from pathlib import Path

    words = set()
    for p in Path(case_root, "evidence").iterdir():
        if p.suffix in (".txt",):
            words |= set(IDENT.findall(p.read_text(encoding="utf-8", errors="replace")))
    return words | {"Hisense", "Pro", "A5Pro"}


def test_every_text_drawn_on_the_images_is_chinese(zh_demo):
    res, drawn = zh_demo
    allowed = _evidence_words(res["case"])
    bad = {(t, w) for t in drawn for w in identifiers(t) if w not in allowed}
    assert not bad, sorted(bad)[:20]


def test_report_html_is_chinese(zh_demo):
    from pathlib import Path

    res, _ = zh_demo
    page = Path(res["folder"], "packet", "report.html").read_text(encoding="utf-8")
    body = re.sub(r"(?s)<style.*?</style>|<pre class=\"cmd\">.*?</pre>|<[^>]+>", " ", page)
    body = htmlmod.unescape(body)
    allowed = _evidence_words(res["case"])
    bad = [w for w in identifiers(body) if w not in allowed]
    assert not bad, bad


def test_terminal_output_is_chinese(cli, tmp_path):
    r = cli("demo", str(tmp_path / "d"), "--lang", "zh", env={"COLUMNS": "200"})   # commands stay on one line
    assert r.code == 0, r
    case = tmp_path / "d" / "case"
    outputs = [r.stdout]
    for args in (["timeline", "--no-image"], ["statement", "-s", "seller-refund-after-discount", "--no-save"],
                 ["statement", "--list"], ["event", "list"]):
        rr = cli(*args, cwd=case, env={"TRADESHIELD_LANG": "zh", "COLUMNS": "80"})
        assert rr.code == 0, rr
        outputs.append(rr.stdout)
    allowed = _evidence_words(case)
    scenario_names = {n for out in outputs for n in re.findall(r"\b(?:seller|buyer)-[a-z-]+|\bappeal\b|\bgeneric\b", out)}
    bad = {w for out in outputs for w in identifiers(out) if w not in allowed and w not in scenario_names}
    assert not bad, (sorted(bad), outputs)
