"""Barcode and QR decoding (zxing-cpp), shared by photos, video frames and invoices.

    >>> from PIL import Image
    >>> from tradeshield.barcodes import decode
    >>> decode(Image.open("box_label.jpg"))          # doctest: +SKIP
    [{'format': 'Code128', 'text': '352099001761481', 'position': [[12, 40], [300, 40], [300, 90], [12, 90]]}]

zxing-cpp decodes 9/10 of ../shared/corpus/barcodes against OpenCV's 5/10 (bench/bench_compare.py) and is the only one of the two
that reads Code 128, the symbology of IMEI labels (TECH-NOTES.md), so it is the decoder.
"""
from __future__ import annotations


def decode(image, try_harder: bool = True) -> list[dict]:
    """Decode every barcode in a PIL image or numpy array; positions are the four corner points."""
    import zxingcpp

    try:
        results = zxingcpp.read_barcodes(image, try_rotate=try_harder, try_downscale=try_harder)
    except TypeError:  # older zxing-cpp without keyword options
        results = zxingcpp.read_barcodes(image)
    out = []
    for r in results:
        if not r.valid or not r.text:
            continue
        p = r.position
        corners = [[p.top_left.x, p.top_left.y], [p.top_right.x, p.top_right.y],
                   [p.bottom_right.x, p.bottom_right.y], [p.bottom_left.x, p.bottom_left.y]]
        out.append({"format": str(r.format).split(".")[-1], "text": r.text, "position": corners})
    return out
