"""chat --render: bubble pages within limits, CJK drawn with real glyphs (not .notdef boxes)."""
from __future__ import annotations

import pytest

from tradeshield.config import LIMITS


def test_cjk_is_not_notdef():
    from PIL import Image, ImageDraw

    from tradeshield.fonts import cjk_font_path, load_font

    if cjk_font_path() is None:
        pytest.skip("no CJK font installed (fonts-wqy-microhei)")
    font = load_font(40)

    def draw(s):
        img = Image.new("L", (400, 60), 0)
        ImageDraw.Draw(img).text((5, 5), s, font=font, fill=255)
        return img.tobytes()

    notdef = draw("\U0010fffd\U0010fffd\U0010fffd")
    for s in ("证据链", "退款", "便宜"):
        assert draw(s) != notdef and any(draw(s))
    assert draw("证据链") != draw("退款便")


def test_render_pages_within_limits_and_footer(case, tmp_path, cli):
    from PIL import Image

    text = "".join(f"买家\nbuyer 2024-05-01 10:{i % 60:02d}:00\n第{i}条消息，能便宜50吗？\n\n" for i in range(120))
    p = tmp_path / "c.txt"
    p.write_text(text, encoding="utf-8")
    r = cli("chat", p, "--render", "--json", cwd=case.root)
    assert r.code == 0, r
    imgs = r.json["images"]
    assert 1 < len(imgs) <= LIMITS.images_per_submission
    for i in imgs:
        f = case.root / i["path"]
        assert f.stat().st_size <= LIMITS.image_bytes
        with Image.open(f) as im:
            assert max(im.size) <= LIMITS.image_long_side
