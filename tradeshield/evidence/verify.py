"""Verify a bundle (zip) or a case folder; every problem is collected as a typed finding.

    >>> from tradeshield.evidence.verify import verify
    >>> report = verify("case.zip", code="TS1-7Q2M…")       # doctest: +SKIP
    >>> report.ok, [p.problem for p in report.problems]     # doctest: +SKIP
    (False, ['modified'])

Checks run cheapest first (bagit-python's order): entry safety → bag structure → file count and
bytes → missing / extra → re-hash → tradeshield manifest, Merkle root, custody chain → signature →
seal code → timestamps. Nothing is extracted: payload entries are hashed straight from the zip
(stored entries are read at their offset, bypassing zipfile's CRC pass, which SHA-256 supersedes).
"""
from __future__ import annotations

import json
import posixpath
import re
import stat
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tradeshield import i18n
from tradeshield.evidence.bundle import MANIFEST, SIGNATURE, merkle_root, normalize_code, seal_code
from tradeshield.evidence.custody import verify_chain
from tradeshield.errors import (BagInvalid, CodeMismatch, FileMissing, Finding, HashMismatch, InputError,
                                ManifestMismatch, MerkleMismatch, SignatureInvalid, TimestampInvalid, UnexpectedFile,
                                UnsafeEntry)
from tradeshield.evidence.fsutil import Progress, hash_file, sha256_bytes, stream_hash

i18n.register({
    "verify.not_found": ("找不到要核验的证据包或案件：{path}", "nothing to verify at {path}"),
    "verify.not_zip": ("不是 zip 证据包，也不是案件目录：{path}", "not a zip bundle or a case folder: {path}"),
    "verify.not_bag": ("zip 中没有 BagIt 证据包（缺少 bagit.txt）：{path}", "no BagIt bag in the zip (no bagit.txt): {path}"),
    "verify.no_manifest": ("缺少 tradeshield 清单", "the tradeshield manifest is missing"),
    "verify.ok": ("完好：{files} 个文件，Merkle 根 {root}，封存码 {code}", "intact: {files} files, Merkle root {root}, seal code {code}"),
    "verify.ok_case": ("完好：{files} 个文件与保管日志（{n} 条）一致", "intact: {files} files match the custody log ({n} entries)"),
    "verify.bad": ("发现 {n} 个问题", "{n} problems found"),
})


@dataclass
class Report:
    target: str
    kind: str                                   # bundle / case
    problems: list[Finding] = field(default_factory=list)
    info: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self, lang: str | None = None) -> dict:
        return {"ok": self.ok, "target": self.target, "kind": self.kind,
                "problems": [{**p.to_dict(), "message": p.describe(lang)} for p in self.problems], **self.info}


def verify(path: str | Path, code: str | None = None, tsr: str | Path | None = None, ca_file: str | None = None,
           progress: Progress | None = None) -> Report:
    p = Path(path)
    if p.is_dir():
        return verify_case(p, code=code, ca_file=ca_file, progress=progress)
    if not p.exists():
        raise InputError("verify.not_found", path=str(path))
    if not zipfile.is_zipfile(p):
        raise InputError("verify.not_zip", path=str(path))
    return verify_bundle(p, code=code, tsr=tsr, ca_file=ca_file, progress=progress)


# ------------------------------------------------------------------ bundle

def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if "\\" in name:
        return "backslash in path"
    parts = name.split("/")
    if ".." in parts:
        return "'..' in path"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic link"
    return None


def _stored_offset(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    fp = zf.fp
    fp.seek(info.header_offset)
    header = fp.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _hash_entry(zf: zipfile.ZipFile, zpath: Path, info: zipfile.ZipInfo, progress, done: list[int], total: int) -> str:
    base = done[0]

    def report(_label, n, _t):
        done[0] = base + n
        if progress:
            progress("verify", done[0], total)

    if info.compress_type == zipfile.ZIP_STORED and info.flag_bits & 0x1 == 0:
        offset = _stored_offset(zf, info)
        with open(zpath, "rb", buffering=0) as f:
            f.seek(offset)
            sha, n = stream_hash(f, None, report, info.filename, info.file_size, limit=info.file_size)
        if n != info.file_size:
            raise zipfile.BadZipFile("entry truncated")
        return sha
    with zf.open(info) as f:  # ZipExtFile is an io.BufferedIOBase, so it has readinto
        return stream_hash(f, None, report, info.filename, info.file_size)[0]


def _parse_manifest(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        digest, _, path = line.partition(" ")
        out[path.strip().lstrip("*")] = digest.strip().lower()
    return out


def verify_bundle(zpath: Path, code: str | None = None, tsr=None, ca_file=None, progress=None) -> Report:
    rep = Report(str(zpath), "bundle")
    try:
        zf = zipfile.ZipFile(zpath)
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError("verify.not_zip", path=f"{zpath} ({e})") from None
    with zf:
        entries = _safe_entries(zf, rep)
        bag = _find_bag(entries, zpath)
        prefix = bag + "/"
        read = lambda name: zf.read(entries[prefix + name]) if prefix + name in entries else None  # noqa: E731
        _check_bag_structure(read, rep)
        manifest_raw = read("manifest-sha256.txt")
        if manifest_raw is None:
            rep.problems.append(FileMissing(prefix + "manifest-sha256.txt"))
            return rep
        listed = _parse_manifest(manifest_raw.decode("utf-8", "replace"))
        present = {n[len(prefix):]: i for n, i in entries.items() if n.startswith(prefix + "data/") and not i.is_dir()}
        _check_oxum(read, present, rep)
        for path in sorted(set(listed) - set(present)):
            rep.problems.append(FileMissing(path))
        for path in sorted(set(present) - set(listed)):
            rep.problems.append(UnexpectedFile(path))
        _check_tags(read, entries, prefix, rep)
        actual = _rehash(zf, zpath, present, listed, rep, progress)
        manifest = _check_manifest(read, actual, listed, rep)
        _check_custody(zf, entries, prefix, manifest, rep)
        _check_signature(read, rep)
        root = merkle_root(list(actual.items()))
        rep.info.update(files=len(actual), merkle_root=root, seal_code=seal_code(root),
                        bytes=sum(i.file_size for i in present.values()))
        if code:
            _check_code(code, root, actual, zf, entries, prefix, rep)
        _check_timestamps(zpath, tsr, root, ca_file, rep)
    return rep


def _safe_entries(zf: zipfile.ZipFile, rep: Report) -> dict[str, zipfile.ZipInfo]:
    seen: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        reason = _unsafe_reason(info)
        norm = posixpath.normpath(info.filename) if not reason else info.filename
        if not reason and norm in seen:
            reason = "duplicate name"
        if reason:
            rep.problems.append(UnsafeEntry(info.filename, detail=reason))
            continue
        seen[info.filename] = info
    return seen


def _find_bag(entries: dict, zpath: Path) -> str:
    bags = sorted({n.rsplit("/", 1)[0] for n in entries if n.endswith("/bagit.txt") and n.count("/") == 1})
    if not bags:
        raise InputError("verify.not_bag", path=str(zpath))
    return bags[0]


def _check_bag_structure(read, rep: Report) -> None:
    bagit = read("bagit.txt")
    if bagit is None or b"BagIt-Version:" not in bagit:
        rep.problems.append(BagInvalid("bagit.txt", detail="missing BagIt-Version"))
    if read("bag-info.txt") is None:
        rep.problems.append(FileMissing("bag-info.txt"))


def _check_oxum(read, present: dict, rep: Report) -> None:
    info = (read("bag-info.txt") or b"").decode("utf-8", "replace")
    m = re.search(r"^Payload-Oxum:\s*(\d+)\.(\d+)\s*$", info, re.M)
    if not m:
        rep.problems.append(BagInvalid("bag-info.txt", detail="no Payload-Oxum"))
        return
    want = f"{m.group(1)}.{m.group(2)}"
    got = f"{sum(i.file_size for i in present.values())}.{len(present)}"
    if want != got:
        rep.problems.append(BagInvalid("bag-info.txt", expected=want, found=got,
                                       detail=f"Payload-Oxum {want} != {got} (bytes.files)"))


def _check_tags(read, entries, prefix, rep: Report) -> None:
    raw = read("tagmanifest-sha256.txt")
    if raw is None:
        rep.problems.append(FileMissing("tagmanifest-sha256.txt"))
        return
    for path, digest in _parse_manifest(raw.decode("utf-8", "replace")).items():
        data = read(path)
        found = sha256_bytes(data) if data is not None else None
        if found is None:
            rep.problems.append(FileMissing(path))
        elif found != digest:
            rep.problems.append(HashMismatch(path, expected=digest, found=found))


def _rehash(zf, zpath, present: dict, listed: dict, rep: Report, progress) -> dict[str, str]:
    total = sum(i.file_size for i in present.values())
    done = [0]
    actual = {}
    for path in sorted(present):
        try:
            sha = _hash_entry(zf, zpath, present[path], progress, done, total)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            rep.problems.append(HashMismatch(path, expected=listed.get(path), found=f"unreadable ({e})"))
            continue
        actual[path] = sha
        if path in listed and listed[path] != sha:
            rep.problems.append(HashMismatch(path, expected=listed[path], found=sha))
    return actual


def _check_manifest(read, actual: dict, listed: dict, rep: Report) -> dict:
    raw = read(MANIFEST)
    if raw is None:
        rep.problems.append(FileMissing(MANIFEST))
        return {}
    try:
        manifest = json.loads(raw)
        items = {it["path"]: it for it in manifest["items"]}
        root = manifest["merkle"]["root"]
    except (ValueError, KeyError, TypeError) as e:
        rep.problems.append(ManifestMismatch(MANIFEST, detail=f"unreadable ({e})"))
        return {}
    for path, sha in sorted(actual.items()):
        it = items.get(path)
        if it is None:
            if path in listed:
                rep.problems.append(ManifestMismatch(path, detail="not listed in the tradeshield manifest"))
        elif it.get("sha256") != sha and listed.get(path) == sha:
            rep.problems.append(ManifestMismatch(path, expected=it.get("sha256"), found=sha,
                                                 detail="digest differs from the tradeshield manifest"))
    for path in sorted(set(items) - set(actual) - set(listed)):
        rep.problems.append(FileMissing(path))
    got = merkle_root(list(actual.items()))
    if got != root:
        rep.problems.append(MerkleMismatch(MANIFEST, expected=root, found=got))
    if manifest.get("seal_code") != seal_code(root):
        rep.problems.append(ManifestMismatch(MANIFEST, detail="seal code does not derive from the recorded root"))
    rep.info.update(case=manifest.get("case", {}), manifest_root=root)
    return manifest


def _check_custody(zf, entries, prefix, manifest: dict, rep: Report) -> None:
    name = prefix + "data/custody.jsonl"
    if name not in entries:
        return
    lines = [ln for ln in zf.read(entries[name]).split(b"\n") if ln.strip()]
    head = (manifest.get("custody") or {}).get("head")
    rep.problems.extend(verify_chain(lines, "data/custody.jsonl", head=head))
    rep.info["custody_entries"] = len(lines)


def _check_signature(read, rep: Report) -> None:
    raw = read(SIGNATURE)
    if raw is None:
        rep.info["signed"] = False
        return
    from tradeshield.evidence.signing import check

    try:
        record = json.loads(raw)
    except ValueError:
        rep.problems.append(SignatureInvalid(SIGNATURE, detail="unreadable"))
        return
    ok = check(record, read(MANIFEST) or b"")
    rep.info.update(signed=True, signature_ok=ok, fingerprint=record.get("fingerprint"))
    if not ok:
        rep.problems.append(SignatureInvalid(SIGNATURE, detail="does not match the manifest"))


def seal_entries(lines_or_entries) -> list[dict]:
    out = []
    for e in lines_or_entries:
        if isinstance(e, (bytes, str)):
            try:
                e = json.loads(e)
            except ValueError:
                continue
        if isinstance(e, dict) and e.get("action") in ("seal", "stamp") and "leaves" in e.get("details", {}):
            out.append(e)
    return out


def _match_seals(code: str, seals: list[dict], actual: dict[str, str]) -> dict | None:
    for e in seals:
        leaves = [tuple(x) for x in e["details"]["leaves"]]
        if seal_code(merkle_root(leaves)) != code:
            continue
        if all(actual.get(p) == h for p, h in leaves):
            return {"time": e.get("time"), "files": len(leaves)}
    return None


def _check_code(code, root, actual, zf, entries, prefix, rep: Report) -> None:
    want = normalize_code(code)
    if want == seal_code(root):
        rep.info["code"] = {"code": want, "matches": "bundle"}
        return
    name = prefix + "data/custody.jsonl"
    seals = seal_entries(zf.read(entries[name]).split(b"\n")) if name in entries else []
    hit = _match_seals(want, seals, actual)
    if hit:
        rep.info["code"] = {"code": want, "matches": "seal", **hit}
    else:
        rep.problems.append(CodeMismatch("code", expected=want, found=seal_code(root)))


def _check_timestamps(zpath: Path, tsr, root: str, ca_file, rep: Report) -> None:
    candidates = [Path(tsr)] if tsr else [zpath.with_suffix(".tsr"), Path(str(zpath) + ".tsr")]
    for c in candidates:
        if c.is_file():
            rep.info.setdefault("timestamps", []).append(_check_one_tsr(c, root, ca_file, rep))
            break


def _check_one_tsr(path: Path, digest: str, ca_file, rep: Report) -> dict:
    from tradeshield.evidence import tsa

    nonce = None
    tsq = path.with_suffix(".tsq")
    try:
        if tsq.is_file():  # the request kept beside the reply lets the nonce be checked too
            nonce = tsa.read_request(tsq.read_bytes()).get("nonce")
        info = tsa.check_response(path.read_bytes(), digest, nonce=nonce, ca_file=ca_file)
    except InputError as e:
        rep.problems.append(TimestampInvalid(str(path), detail=e.message()))
        return {"path": str(path), "ok": False}
    for problem in info.problems:
        rep.problems.append(TimestampInvalid(str(path), detail=problem))
    return {"path": str(path), "ok": not info.problems, **info.to_dict()}


# ------------------------------------------------------------------ case folder

def verify_case(root: Path, code: str | None = None, ca_file=None, progress=None) -> Report:
    from tradeshield.evidence.bundle import evidence_root, payload_files, recorded_hashes
    from tradeshield.evidence.case import Case

    case = Case(root)
    rep = Report(str(case.root), "case")
    rep.problems.extend(case.custody.verify())
    recorded = recorded_hashes(case)
    recorded.update(_last_file_records(case, ("case.toml", "events.jsonl")))
    files = {f.rel: f for f in payload_files(case, include_secrets=True)}
    total = sum(f.size for f in files.values())
    done = [0]
    actual = {}
    for rel, f in sorted(files.items()):
        base = done[0]
        sha, _ = hash_file(f.path, (lambda _l, n, _t, b=base: progress and progress("verify", b + n, total)))
        done[0] = base + f.size
        actual[rel] = sha
        exp = recorded.get(rel)
        if exp and exp != sha:
            rep.problems.append(HashMismatch(rel, expected=exp, found=sha))
        elif exp is None and rel.startswith(("evidence/", "derived/")):
            rep.problems.append(UnexpectedFile(rel, detail="not in the custody log"))
    for rel in sorted(set(recorded) - set(actual)):
        if rel.startswith(("evidence/", "derived/")):
            rep.problems.append(FileMissing(rel))
    data_paths = {"data/" + r: h for r, h in actual.items()}
    rep.info.update(files=len(actual), custody_entries=len(case.custody.entries()))
    if code:
        want = normalize_code(code)
        hit = _match_seals(want, seal_entries(case.custody.entries()), data_paths)
        if hit:
            rep.info["code"] = {"code": want, "matches": "seal", **hit}
        else:
            try:
                now = seal_code(evidence_root(case)[0])
            except InputError:
                now = "?"
            rep.problems.append(CodeMismatch("code", expected=want, found=now))
    _check_case_stamps(case, data_paths, ca_file, rep)
    return rep


def _last_file_records(case, names) -> dict[str, str]:
    out = {}
    for e in case.custody.entries():
        for f in e.get("files", []):
            if f.get("path") in names:
                out[f["path"]] = f["sha256"]
    return out


def _check_case_stamps(case, data_paths, ca_file, rep: Report) -> None:
    stamps = case.root / "stamps"
    if not stamps.is_dir():
        return
    roots = {e["details"].get("root") for e in case.custody.entries() if e.get("action") == "stamp"}
    for tsr in sorted(stamps.glob("*.tsr")):
        root = tsr.stem.split("-")[-1]
        match = next((r for r in roots if r and r.startswith(root)), None)
        if match is None:
            rep.problems.append(TimestampInvalid(str(tsr), detail="no stamp request recorded for it"))
            continue
        rep.info.setdefault("timestamps", []).append(_check_one_tsr(tsr, match, ca_file, rep))
