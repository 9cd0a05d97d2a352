"""packet: the demo case's upload set, messages, bundle and a report that is inert and escaped."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tradeshield.evidence.case import Case
from tradeshield.config import LIMITS
from tradeshield.evidence.verify import verify

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory):
    from tradeshield.demo import run_demo

    root = tmp_path_factory.mktemp("demo")
    res = run_demo(root / "d", lang="zh")
    assert res["ok"], res["steps"]
    return Case(res["case"])


@pytest.fixture(scope="module")
def built(demo_case, tmp_path_factory):
    from tradeshield.packet import build_packet

    out = tmp_path_factory.mktemp("pk") / "packet"
    return out, build_packet(demo_case, out, scenario="seller-refund-after-discount", lang="zh")


def utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def test_upload_set_within_platform_limits(built):
    from PIL import Image

    out, res = built
    files = sorted((out / "upload").iterdir())
    assert 3 <= len(files) <= LIMITS.images_per_submission
    assert [f.name for f in files] == [u["name"] for u in res["upload"]]
    for f in files:
        assert f.stat().st_size <= LIMITS.image_bytes
        with Image.open(f) as im:
            assert im.format == "JPEG" and max(im.size) <= LIMITS.image_long_side
    kinds = [u["kind"] for u in res["upload"]]
    assert kinds[0] == "timeline" and "invoice" in kinds and "frames" in kinds, kinds


def test_too_many_images_are_combined_not_dropped(demo_case, tmp_path):
    from tradeshield.packet import build_packet

    res = build_packet(demo_case, tmp_path / "p2", scenario="seller-refund-after-discount", max_images=2)
    assert len(res["upload"]) == 2 and res["upload"][-1]["kind"] == "combined"
    assert len(res["left_out"]) >= 2 and all("combined" in line for line in res["left_out"])


def test_messages_fit_the_limit(built):
    out, res = built
    text = (out / "messages.txt").read_text(encoding="utf-8").strip()
    from tradeshield.packet import SEPARATOR

    msgs = [m.strip() for m in text.split(SEPARATOR.strip()) if m.strip()]
    assert len(msgs) == res["messages"]["count"] >= 1
    assert all(utf16(m) <= 200 for m in msgs)
    assert msgs[0].startswith("（1/")


def test_bundle_verifies_and_seal_code_is_on_images(built):
    out, res = built
    rep = verify(out / "case.zip")
    assert rep.ok, rep.problems
    assert rep.info["seal_code"] == res["bundle_code"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert res["seal_code"] in report and rep.info["merkle_root"] in report


def test_one_code_per_packet_and_verify_confirms_it(built):
    """A posted seal is the packet's one code: messages, captions and report quote it with its time, and
    verify case.zip --code confirms it (issue 20: the first version showed two codes)."""
    out, res = built
    seal = res["seal_code"]
    rep = verify(out / "case.zip", code=seal)
    assert rep.ok and rep.info["code"]["code"] == seal
    messages = (out / "messages.txt").read_text(encoding="utf-8")
    report = (out / "report.html").read_text(encoding="utf-8")
    codes = set(re.findall(r"TS1-[A-Z0-9]{20}", messages)) | {m for m in re.findall(r"TS1-[A-Z0-9]{20}", report)
                                                               if m != res["bundle_code"]}
    assert codes <= {seal}
    for u in res["upload"]:
        assert seal in u["caption"] and set(re.findall(r"TS1-[A-Z0-9]{20}", u["caption"])) == {seal}
        assert res["sealed_at"][:10] in u["caption"]


def test_report_is_self_contained(built):
    out, _ = built
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert re.search(r"""src\s*=\s*["']data:image/jpeg;base64,""", html), "thumbnails are inline"
    assert not re.search(r"""(?:src|href|action|poster)\s*=\s*(?!["']?(?:data:|#))""", html, re.I), "external reference"
    assert "<link" not in html.lower() and "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html


def test_chat_text_is_escaped(tmp_path):
    from tradeshield.demo import run_demo
    from tradeshield.packet import build_packet

    res = run_demo(tmp_path / "d", lang="en")
    case = Case(res["case"])
    chat = tmp_path / "evil.txt"
    chat.write_text(f"买家\n远方私人旺旺在线\n2021-05-27 10:00\n{EVIL}\n", encoding="utf-8")
    from tradeshield.chat.store import import_chat

    import_chat(case, chat)
    case.add_event("2021-05-27 11:00", "other", note=EVIL)
    build_packet(case, tmp_path / "p", lang="en")
    html = (tmp_path / "p" / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in html


def test_rerun_replaces_only_on_success(demo_case, tmp_path, monkeypatch):
    from tradeshield import packet as pk

    out = tmp_path / "packets" / "p"
    pk.build_packet(demo_case, out)
    before = (out / "case.zip").read_bytes()
    pk.build_packet(demo_case, out)
    assert (out / "case.zip").read_bytes() == before  # idempotent: same case, same bundle

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pk, "_upload_image", boom)
    with pytest.raises(RuntimeError):
        pk.build_packet(demo_case, out)
    assert (out / "case.zip").read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["p"], "staging folders must be cleaned up"


def test_refuses_to_replace_a_folder_it_did_not_make(demo_case, tmp_path):
    from tradeshield.errors import InputError
    from tradeshield.packet import build_packet

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    with pytest.raises(InputError):
        build_packet(demo_case, mine)
    assert (mine / "thesis.docx").read_text() == "precious"


def test_report_screenshot_in_headless_chromium(built, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        pytest.skip("Chromium not installed (./setup.sh --test installs Debian's chromium when it may)")
    out, _ = built
    shot = tmp_path / "first-screen.png"
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=412,915",
           f"--screenshot={shot}", (out / "report.html").as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), proc.stderr[-2000:]
    from PIL import Image, ImageStat

    with Image.open(shot) as im:
        assert im.size == (412, 915)
        stat = ImageStat.Stat(im.convert("L"))
        assert stat.stddev[0] > 20, "the first screen is blank"
        # the header band is the report's dark blue, so the page really rendered our CSS
        r, g, b = im.convert("RGB").getpixel((200, 10))
        assert b > r and b > 60 and r < 80
