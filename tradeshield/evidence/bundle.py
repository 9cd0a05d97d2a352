"""Tamper-evident bundle: a deterministic zip holding a BagIt bag, a tradeshield manifest and a Merkle root.

    >>> from tradeshield.evidence.case import Case
    >>> from tradeshield.evidence.bundle import build_bundle
    >>> result = build_bundle(Case.find(), "../case.zip", sign=True)      # doctest: +SKIP
    >>> result["seal_code"]                                              # doctest: +SKIP
    'TS1-7Q2M…'

Zip layout (entries sorted, fixed times, so the same case gives byte-identical zips)::

    <bag>/bag-info.txt  bagit.txt                        BagIt (RFC 8493) tag files
    <bag>/data/case.toml  custody.jsonl  events.jsonl    the case
    <bag>/data/evidence/…  derived/…  facts/…  statements/…
    <bag>/manifest-sha256.txt  tagmanifest-sha256.txt
    <bag>/tradeshield-manifest.json                      items, provenance, Merkle root, custody head
    <bag>/tradeshield-signature.json                     Ed25519 over the bag (with --sign), see below

The zip holds exactly this one bag and nothing else (no directory entries, no other top folder).
Paths in both manifests are percent-encoded as RFC 8493 §2.1.3 requires (``%`` → ``%25``, CR → ``%0D``,
LF → ``%0A``). ``tagmanifest-sha256.txt`` lists every tag file except itself and the signature, so
the signature, which covers the bag's name and the tagmanifest's digest (``signature_message``),
covers every byte of the bag: tag files through the tagmanifest, payload through manifest-sha256.txt.

Every payload file is read once: hashed while it is copied into the zip in 1 MiB chunks; photos,
videos and PDFs are stored, text is deflated. The zip is written to a temp file and renamed.

Merkle tree: leaf = SHA-256(0x00 ‖ path ‖ 0x00 ‖ file digest) over payload paths in sorted order;
node = SHA-256(0x01 ‖ left ‖ right); an odd node is promoted. The seal code is ``TS1-`` plus the first
20 base32 characters of the root.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tradeshield import TOOL, i18n
from tradeshield.errors import InputError
from tradeshield.evidence.fsutil import Progress, atomic_write, hash_file, remove_stale, stale_temps, stream_hash

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FORMAT = "tradeshield-bundle/2"
SIGNATURE_SCOPE = "tradeshield-bundle-signature/2"
TAGMANIFEST = "tagmanifest-sha256.txt"
PAYLOAD_MANIFEST = "manifest-sha256.txt"
# the tag files a bundle may hold; the signature is the one file no digest covers
TAG_FILES = ("bag-info.txt", "bagit.txt", PAYLOAD_MANIFEST, TAGMANIFEST, "tradeshield-manifest.json",
             "tradeshield-signature.json")
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST = "tradeshield-manifest.json"
SIGNATURE = "tradeshield-signature.json"
SECRET_FACTS = ("facts/cardkey-secret.json",)
PAYLOAD_ROOT_FILES = ("case.toml", "custody.jsonl", "events.jsonl")
PAYLOAD_DIRS = ("evidence", "derived", "facts", "statements", "stamps")
_DEFLATE_EXT = {".txt", ".json", ".jsonl", ".toml", ".csv", ".md", ".html", ".xml", ".log", ".tsq", ".svg"}

i18n.register({
    "bundle.case_modified": ("案件中的文件与保管日志记录不符：{path}（先运行 tradeshield verify 查看；原件不能改动）",
                             "a case file differs from its custody record: {path} (run tradeshield verify; originals must not change)"),
    "bundle.legacy_paths": ("注意：保管日志中有 {n} 条记录含原件的完整路径（由旧版本记录；日志有哈希链，不能改写），会随证据包发给对方",
                            "note: {n} custody entries (written by an older version; the hash chain forbids editing "
                            "them) hold an original's full path, which goes out with the bundle"),
    "bundle.out_is_dir": ("输出路径是一个目录：{path}（请给出 zip 文件名，如 {path}/case.zip）",
                          "the output is a folder: {path} (give a zip file name, e.g. {path}/case.zip)"),
    "bundle.out_inside": ("证据包不能写在案件目录内：{path}", "the bundle cannot be written inside the case folder: {path}"),
})


@dataclass
class PayloadFile:
    rel: str        # case-relative posix path, also the path under data/
    path: Path
    size: int


def payload_files(case, include_secrets: bool = False) -> list[PayloadFile]:
    root = case.root
    rels: list[str] = [f for f in PAYLOAD_ROOT_FILES if (root / f).is_file()]
    for d in PAYLOAD_DIRS:
        base = root / d
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [x for x in dirnames if not x.startswith(".")]
            for name in filenames:
                if name.startswith("."):  # temp files of atomic writes, OS clutter
                    continue
                p = Path(dirpath) / name
                if p.is_symlink() or not p.is_file():
                    continue
                rels.append(p.relative_to(root).as_posix())
    if not include_secrets:
        rels = [r for r in rels if r not in SECRET_FACTS]
    return [PayloadFile(r, root / r, (root / r).stat().st_size) for r in sorted(set(rels))]


def bagit_encode(path: str) -> str:
    """A manifest path as RFC 8493 §2.1.3 writes it: ``%``, CR and LF percent-encoded."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def bagit_decode(path: str) -> str:
    return path.replace("%0D", "\r").replace("%0d", "\r").replace("%0A", "\n").replace("%0a", "\n") \
        .replace("%25", "%")


def signature_message(bag: str, tagmanifest: bytes) -> bytes:
    """What a bundle signature signs: a fixed context, the bag's name and the tagmanifest's SHA-256.

    The tagmanifest carries the digests of bagit.txt, bag-info.txt, manifest-sha256.txt (hence every payload
    file) and tradeshield-manifest.json, so nothing in the bag but the signature itself is outside it."""
    return (SIGNATURE_SCOPE + "\n" + json.dumps({"bag": bag, "tagmanifest-sha256": hashlib.sha256(tagmanifest).hexdigest()},
                                                 ensure_ascii=False, sort_keys=True, separators=(",", ":"))).encode("utf-8")


def sign_bag(bag: str, tagmanifest: bytes, key) -> dict:
    from tradeshield.evidence.signing import sign as do_sign

    record = do_sign(signature_message(bag, tagmanifest), key)
    record.pop("signed_file", None)
    record.update(scope=SIGNATURE_SCOPE, bag=bag, tagmanifest_sha256=hashlib.sha256(tagmanifest).hexdigest())
    return record


def merkle_root(leaves: list[tuple[str, str]]) -> str:
    """Root over (path, sha256-hex) pairs, sorted by path."""
    level = [hashlib.sha256(b"\x00" + p.encode("utf-8") + b"\x00" + bytes.fromhex(h)).digest()
             for p, h in sorted(leaves)]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


def seal_code(root_hex: str) -> str:
    return "TS1-" + base64.b32encode(bytes.fromhex(root_hex)).decode("ascii")[:20]


def normalize_code(code: str) -> str:
    c = re.sub(r"[\s\-_]", "", code.strip().upper())
    if c.startswith("TS1"):
        c = c[3:]
    return "TS1-" + c


def bag_name(case) -> str:
    title = str(case.info.get("title") or "case")
    safe = re.sub(r"[^\w.-]+", "-", title, flags=re.UNICODE).strip("-.") or "case"
    return f"tradeshield-{safe}"


def _zipinfo(name: str, size: int, deflate: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    info.create_system = 3
    info.external_attr = (0o100644 << 16)
    info.file_size = size
    return info


def _should_deflate(rel: str, size: int) -> bool:
    return Path(rel).suffix.lower() in _DEFLATE_EXT


def _write_streamed(zf: zipfile.ZipFile, name: str, pf: PayloadFile, progress: Progress | None,
                    done: list[int], total: int) -> str:
    info = _zipinfo(name, pf.size, _should_deflate(pf.rel, pf.size))
    base = done[0]

    def report(label: str, n: int, _total) -> None:
        done[0] = base + n
        if progress:
            progress("bundle", done[0], total)

    with open(pf.path, "rb", buffering=0) as src, zf.open(info, "w", force_zip64=pf.size >= (1 << 31)) as dst:
        sha, _ = stream_hash(src, dst.write, report, pf.rel, pf.size)
    return sha


def _writestr(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    zf.writestr(_zipinfo(name, len(data), True), data)


def _bag_info(case, files: list[PayloadFile], bagging_date: str) -> bytes:
    info = case.info
    lines = [
        f"Bagging-Date: {bagging_date}",
        f"Bag-Software-Agent: {TOOL}",
        f"Payload-Oxum: {sum(f.size for f in files)}.{len(files)}",
        f"External-Description: tradeshield evidence bundle ({info.get('role', '')}, {info.get('platform', '')})",
    ]
    if info.get("order"):
        lines.append(f"External-Identifier: order {info['order']}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _items(case, hashes: dict[str, str], files: list[PayloadFile]) -> list[dict]:
    evidence = {it.path: it for it in case.evidence()}
    derived = case.derived_records()
    items = []
    for f in files:
        item = {"path": "data/" + f.rel, "sha256": hashes[f.rel], "size": f.size}
        ev = evidence.get(f.rel)
        if ev:
            item.update(kind=ev.kind, capture_time=ev.capture_time, capture_source=ev.capture_source, note=ev.note,
                        original_name=Path(ev.original_path).name, original_mtime=ev.original_mtime, role="original")
        elif f.rel in derived:
            d = derived[f.rel]
            item.update(role="derived", provenance={"action": d["action"], "sources": d["sources"],
                                                    "params": d["params"], "time": d["time"]})
        else:
            item.update(role="case")
        items.append({k: v for k, v in item.items() if v is not None})
    return items


def _check_against_records(case, rel: str, sha: str, recorded: dict[str, str]) -> None:
    exp = recorded.get(rel)
    if exp and exp != sha and rel.startswith(("evidence/", "derived/")):
        raise InputError("bundle.case_modified", path=rel)


def recorded_hashes(case) -> dict[str, str]:
    rec = {it.path: it.sha256 for it in case.evidence()}
    rec.update({p: d["sha256"] for p, d in case.derived_records().items()})
    return rec


def build_bundle(case, out: str | os.PathLike, *, sign: bool = False, include_secrets: bool = False,
                 progress: Progress | None = None) -> dict:
    out = Path(out).resolve()
    if out.is_relative_to(case.root):
        raise InputError("bundle.out_inside", path=str(out))
    if out.is_dir():
        raise InputError("bundle.out_is_dir", path=str(out))
    # a killed run's temp zip beside the output (possibly hundreds of MB) goes now
    remove_stale(stale_temps([out.parent], recursive=False, prefix=f".{out.name}.tmp-"))
    files = payload_files(case, include_secrets)
    entries = case.custody.entries()
    last_time = entries[-1]["time"] if entries else "1980-01-01T00:00:00Z"
    bagging_date = last_time[:10]
    bag = bag_name(case)
    recorded = recorded_hashes(case)
    total = sum(f.size for f in files)
    hashes: dict[str, str] = {}
    done = [0]
    # the payload's size is reserved up front (ext4 then skips block allocation per page), cut at the zip's end
    with atomic_write(out, "wb", reserve=total) as raw, zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
        head_tags = {"bag-info.txt": _bag_info(case, files, bagging_date), "bagit.txt": BAGIT_TXT}
        for name, data in head_tags.items():  # sorted before data/, known before any payload is read
            _writestr(zf, f"{bag}/{name}", data)
        for f in files:
            sha = _write_streamed(zf, f"{bag}/data/{f.rel}", f, progress, done, total)
            _check_against_records(case, f.rel, sha, recorded)
            hashes[f.rel] = sha
        root = merkle_root([("data/" + f.rel, hashes[f.rel]) for f in files])
        manifest = {
            "format": FORMAT,
            "tool": TOOL,
            "bag": bag,
            "bagging_date": bagging_date,
            "case": {k: v for k, v in case.info.items() if v is not None},
            "custody": {"entries": len(entries), "head": case.custody.head()},
            "merkle": {"algorithm": "sha256", "leaf": "sha256(0x00|path|0x00|digest)",
                       "node": "sha256(0x01|left|right)", "root": root},
            "seal_code": seal_code(root),
            "items": _items(case, hashes, files),
        }
        tags: dict[str, bytes] = {
            PAYLOAD_MANIFEST: "".join(f"{hashes[f.rel]}  {bagit_encode('data/' + f.rel)}\n" for f in files).encode("utf-8"),
            MANIFEST: json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"),
        }
        tag_hashes = {**head_tags, **tags}
        tags[TAGMANIFEST] = "".join(
            f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(tag_hashes.items())).encode("utf-8")
        signature = None
        if sign:
            from tradeshield.evidence.signing import load_key

            signature = sign_bag(bag, tags[TAGMANIFEST], load_key(create=True))
            tags[SIGNATURE] = json.dumps(signature, indent=1, sort_keys=True).encode("utf-8")
        for name in sorted(tags):
            _writestr(zf, f"{bag}/{name}", tags[name])
    legacy = sum(1 for e in entries if _full_source_path(e))
    return {
        "warnings": [i18n.t("bundle.legacy_paths", n=legacy)] if legacy else [],
        "path": str(out),
        "bag": bag,
        "files": len(files),
        "bytes": total,
        "merkle_root": root,
        "seal_code": seal_code(root),
        "signed": bool(signature),
        "fingerprint": signature["fingerprint"] if signature else None,
        "zip_bytes": out.stat().st_size,
    }


def _full_source_path(entry: dict) -> bool:
    """A custody entry from before sources were recorded by name only (its path names the user's folders)."""
    d = entry.get("details") or {}
    src = (d.get("item") or {}).get("original_path") if entry.get("action") == "add" else d.get("source")
    return isinstance(src, str) and ("/" in src or "\\" in src)


# ------------------------------------------------------------------ seal (before shipping)

def evidence_root(case, progress: Progress | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Merkle root over the case's evidence originals as they are now (re-hashed, checked against the log)."""
    leaves = []
    for item in sorted(case.evidence(), key=lambda i: i.path):
        path = case.root / item.path
        if not path.is_file():
            raise InputError("bundle.case_modified", path=item.path)
        sha, _ = hash_file(path, progress, label=item.path)
        if sha != item.sha256:
            raise InputError("bundle.case_modified", path=item.path)
        leaves.append(("data/" + item.path, sha))
    return merkle_root(leaves), leaves


def log_evidence_root(case, action: str, root: str, leaves: list[tuple[str, str]], **details) -> dict:
    """Custody entry for a seal or stamp: the root, its code and the leaves, so ``verify --code`` can rebuild it."""
    return case.custody.append(action, files=[{"path": p[5:], "sha256": h} for p, h in leaves],
                               details={"root": root, "code": seal_code(root),
                                        "leaves": [[p, h] for p, h in leaves], **details})


def seal(case, lang: str | None = None, progress: Progress | None = None) -> dict:
    """Compute the seal code of the evidence now, log it and return the chat message to paste."""
    root, leaves = evidence_root(case, progress)
    code = seal_code(root)
    now = dt.datetime.now(case.tz).isoformat(timespec="seconds")
    log_evidence_root(case, "seal", root, leaves)
    case.write_facts("seal", {"code": code, "root": root, "time": now, "files": len(leaves), "bundle": None},
                     sources=[h for _, h in leaves])
    from tradeshield.timeutil import show_time

    # what is true: when it was made; the chat this is pasted into dates the posting, whatever it was before
    message = i18n.t("seal.message", lang, code=code, n=len(leaves), time=show_time(now, case.tz))
    return {"code": code, "root": root, "time": now, "files": len(leaves), "message": message,
            "chars": len(message.encode("utf-16-le")) // 2}


i18n.register({
    "seal.message": ("【证据封存码】{code}，{time} 由我方 {n} 个证据文件（照片、视频、票据等）生成，"
                     "文件此后若有改动此码即对不上；本条消息的发送时间证明文件当时已存在。"
                     "核对：tradeshield verify case.zip --code {code}",
                     "[Evidence seal] {code}, made {time} from my {n} evidence files; any change breaks it, "
                     "and this message dates them. Check: tradeshield verify --code"),
})
