"""RFC 3161 trusted timestamps for a case's evidence or for a bundle.

    >>> from tradeshield.evidence.stamp import stamp_case, stamp_bundle, import_response
    >>> stamp_case(case)["request"]                          # doctest: +SKIP
    '…/stamps/stamp-3f9a0c1b2d4e5f60.tsq'
    >>> stamp_bundle("../case.zip")["request"]               # doctest: +SKIP
    '../case.tsq'

The request (.tsq) is sent by the user to any public TSA (see docs/timestamp.md); the response
(.tsr) is kept beside the bundle (``case.tsr``) or imported into the case's ``stamps/`` folder,
where ``verify`` checks it against the recorded Merkle root.
"""
from __future__ import annotations


from pathlib import Path

from tradeshield import i18n
from tradeshield.evidence.bundle import evidence_root, log_evidence_root, seal_code
from tradeshield.errors import InputError
from tradeshield.evidence.fsutil import check_input, sha256_bytes, write_bytes

i18n.register({
    "stamp.bundle_bad": ("证据包未通过核验，不能申请时间戳：{path}", "the bundle does not verify; not stamping it: {path}"),
    "stamp.no_match": ("该时间戳响应不对应本案件任何已申请的请求：{path}", "this timestamp response matches no request made for this case: {path}"),
})


def stamp_case(case, progress=None) -> dict:
    from tradeshield.evidence import tsa

    root, leaves = evidence_root(case, progress)
    req = case.root / "stamps" / f"stamp-{root[:16]}.tsq"
    write_bytes(req, tsa.build_request(root))
    log_evidence_root(case, "stamp", root, leaves, request=case.rel(req))
    return {"root": root, "code": seal_code(root), "request": str(req), "files": len(leaves),
            "response_expected": str(req.with_suffix(".tsr"))}


def stamp_bundle(zip_path, progress=None) -> dict:
    from tradeshield.evidence import tsa
    from tradeshield.evidence.verify import verify

    rep = verify(zip_path, progress=progress)
    if not rep.ok:
        raise InputError("stamp.bundle_bad", path=str(zip_path))
    root = rep.info["merkle_root"]
    req = Path(zip_path).with_suffix(".tsq")
    write_bytes(req, tsa.build_request(root))
    return {"root": root, "code": seal_code(root), "request": str(req), "files": rep.info["files"],
            "response_expected": str(req.with_suffix(".tsr"))}


def import_response(case, tsr_path) -> dict:
    """Check a TSA response against the case's stamp requests and keep it in stamps/."""
    from tradeshield.evidence import tsa

    src = check_input(tsr_path)
    data = src.read_bytes()
    for e in reversed(case.custody.entries()):
        if e.get("action") != "stamp":
            continue
        root = e["details"]["root"]
        info = tsa.check_response(data, root)
        if "imprint-mismatch" in info.problems:
            continue
        dest = case.root / "stamps" / f"stamp-{root[:16]}.tsr"
        write_bytes(dest, data)
        case.custody.append("stamp-response", files=[{"path": case.rel(dest), "sha256": sha256_bytes(data), "size": len(data)}],
                            details={"root": root, "problems": info.problems})
        return {"root": root, "response": str(dest), **info.to_dict(), "problems": info.problems}
    raise InputError("stamp.no_match", path=str(tsr_path))
