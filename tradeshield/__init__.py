"""tradeshield — evidence toolkit for buyers and sellers on second-hand platforms.

    >>> from tradeshield.evidence.case import Case
    >>> case = Case.init("my-case", role="seller", platform="xianyu", item="phone", price="1100")
    >>> case.add(["invoice.pdf"])                     # doctest: +SKIP
    >>> from tradeshield.evidence.bundle import build_bundle
    >>> build_bundle(case, "case.zip")                 # doctest: +SKIP

The library never imports typer or rich; ``tradeshield.cli`` is the only UI layer.
"""

__version__ = "0.1.0"
TOOL = f"tradeshield/{__version__}"
