"""Verify a bundle (zip) or a case folder; every problem is collected as a typed finding.

    >>> from tradeshield.evidence.verify import verify
    >>> report = verify("case.zip", code="TS1-7Q2M…", key="SHA256:1a2b:…")   # doctest: +SKIP
    >>> report.ok, [p.problem for p in report.problems]                      # doctest: +SKIP
    (False, ['modified'])

A bundle is judged as a whole: the zip must hold exactly one tradeshield bag and nothing else, every byte of
it must be covered (tag files by the tagmanifest, payload by manifest-sha256.txt, the tagmanifest by the
signature), and the zip's own structure must agree with itself (local headers = central directory, CRCs,
entries tiling the file). Checks run cheapest first and nothing is inflated before the sizes declared for it
were checked:

    zip structure (entry count from the end record, before anything is parsed; entry names; local headers;
    what lies between entries) → one bag, no foreign entries → tag files (size-capped) → tagmanifest →
    signature and expected key → Payload-Oxum, manifest, declared sizes → payload re-hash (SHA-256 and CRC-32,
    streamed) → tradeshield manifest, Merkle root → custody chain and the records it holds (streamed, line
    size capped) → seal code → timestamps.

Hostile input is bounded: at most ``MAX_ENTRIES`` entries (else one finding), tag files read only below
their caps, custody streamed line by line. Damage to the zip (a bad CRC, a deflate stream that does not
inflate, a local header that disagrees with the central directory) is a finding naming the member, exit 1,
never an error. ``verify`` is the entry point; anything unforeseen inside a bundle's check becomes a
``damaged`` finding rather than an internal error (the mutation test runs without that net).
"""
from __future__ import annotations

import hashlib
import json
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from tradeshield import i18n
from tradeshield.evidence.bundle import (MANIFEST, PAYLOAD_MANIFEST, SIGNATURE, SIGNATURE_SCOPE, TAG_FILES, TAGMANIFEST,
                                         bagit_decode, merkle_root, normalize_code, seal_code, signature_message)
from tradeshield.evidence.custody import ChainChecker
from tradeshield.errors import (BagInvalid, CaseError, UsageError, ChainBroken, CodeMismatch, FileMissing, Finding, HashMismatch, InputError,
                                ManifestMismatch, MerkleMismatch, SignatureInvalid, SizeMismatch, TimestampInvalid,
                                UnexpectedFile, UnsafeEntry, ZipDamaged, _finding)
from tradeshield.evidence.fsutil import Progress, hash_file

MAX_ENTRIES = 20_000
TAG_CAPS = {  # bytes a tag file may hold; a 20,000-file bundle needs a few MB of manifests
    "bagit.txt": 4096, "bag-info.txt": 1 << 20, TAGMANIFEST: 1 << 16, SIGNATURE: 1 << 16,
    PAYLOAD_MANIFEST: 16 << 20, MANIFEST: 24 << 20,
}
CUSTODY_CAP = 64 << 20
MAX_CHAIN_FINDINGS = 50
_LINE = re.compile(rb"[^\n]+")  # non-empty lines, found in C: a block of blank lines costs nothing
CUSTODY_LINE_CAP = 16 << 20
DEFLATE_MAX_RATIO = 1032  # deflate cannot do better; a larger declared size is a lie or a bomb
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError, struct.error,
                RuntimeError, UnicodeError)

EventMissing = _finding("EventMissing", "event-missing", "事件丢失：{path} {detail}", "event missing: {path} {detail}")
KeyMismatch = _finding("KeyMismatch", "key-mismatch", "签名密钥不符：{detail}", "signing key does not match: {detail}")
TooManyEntries = _finding("TooManyEntries", "too-many-entries", "条目过多：{detail}", "too many entries: {detail}")

_ZH = {  # fixed English details of findings, as zh readers see them
    "the central directory gives an offset outside the file": "中央目录给出的偏移量在文件之外",
    "no local header at the offset the central directory gives": "中央目录给出的偏移处没有本地文件头",
    "local header name differs from the central directory": "本地文件头中的名称与中央目录不同",
    "local header compression method differs from the central directory": "本地文件头中的压缩方法与中央目录不同",
    "local header flags differ from the central directory": "本地文件头中的标志与中央目录不同",
    "local header CRC-32 differs from the central directory": "本地文件头中的 CRC-32 与中央目录不同",
    "local header sizes differ from the central directory": "本地文件头中的大小与中央目录不同",
    "absolute path": "绝对路径",
    "backslash in path": "路径中有反斜杠",
    "'..' in path": "路径中有「..」",
    "duplicate name": "重名条目",
    "'.' or an empty part in the path": "路径中有「.」或空的部分",
    "NUL in the name": "名称中有 NUL 字符",
    "symbolic link": "符号链接",
    "encrypted": "已加密",
    # timestamp problems (tsa.check_tsr codes)
    "signer-missing": "找不到签发者证书",
    "signature-invalid": "签名无效",
    "signer-not-tsa": "签发者不是时间戳机构",
    "signer-cert-mismatch": "签发者证书不符",
    "nonce-mismatch": "随机数不符",
    "chain-untrusted": "证书链不受信任",
}

i18n.register({
    "verify.not_found": ("找不到要核验的证据包或案件：{path}", "nothing to verify at {path}"),
    "verify.not_zip": ("不是 zip 证据包，也不是案件目录：{path}", "not a zip bundle or a case folder: {path}"),
    "verify.not_bag": ("zip 中没有 tradeshield 证据包（没有含 bagit.txt 或 tradeshield-manifest.json 的顶层目录）：{path}",
                       "no tradeshield bag in the zip (no top folder with bagit.txt or tradeshield-manifest.json): {path}"),
    "verify.bad_key": ("--key 应是公钥指纹（SHA256:xxxx:…，32 位十六进制）：{fingerprint}",
                       "--key takes a key fingerprint (SHA256:xxxx:…, 32 hex digits): {fingerprint}"),
    "verify.key_on_case": ("--key 只用于证据包 zip（案件目录没有签名）：{path}",
                           "--key applies to a bundle zip (a case folder is not signed): {path}"),
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


def normalize_key(key: str) -> str:
    """A key fingerprint as ``signing.fingerprint`` writes it, from any spelling (case, colons, prefix)."""
    hexd = re.sub(r"[\s:]", "", key.strip()).lower()
    if hexd.startswith("sha256"):
        hexd = hexd[6:]
    if not re.fullmatch(r"[0-9a-f]{32}", hexd):
        raise InputError("verify.bad_key", fingerprint=key)
    return "SHA256:" + ":".join(hexd[i:i + 4] for i in range(0, 32, 4))


def verify(path: str | Path, code: str | None = None, tsr: str | Path | None = None, ca_file: str | None = None,
           progress: Progress | None = None, key: str | None = None) -> Report:
    """Verify a bundle zip or a case folder. ``key``: the signer's fingerprint the user expects (required match)."""
    want_key = normalize_key(key) if key else None
    if tsr is not None and not Path(tsr).is_file():
        raise InputError("file.missing" if not Path(tsr).exists() else "file.not_file", path=str(tsr))
    p = Path(path)
    if p.is_dir():
        if key:
            raise UsageError("verify.key_on_case", path=str(path))
        try:
            return verify_case(p, code=code, ca_file=ca_file, progress=progress)
        except (InputError, CaseError):
            raise
        except Exception as e:  # noqa: BLE001 - a tampered case folder is a finding, never an internal error
            rep = Report(str(p), "case")
            rep.problems.append(ZipDamaged(p.name, detail=f"case files unreadable ({type(e).__name__}: {e})",
                                           detail_zh=f"案件文件无法读取（{type(e).__name__}：{e}）"))
            return rep
    if not p.exists():
        raise InputError("verify.not_found", path=str(path))
    if not p.is_file():
        raise InputError("verify.not_zip", path=str(path))
    try:
        with open(p, "rb"):
            pass
    except OSError as e:
        raise InputError("file.unreadable", path=str(path), reason=e.strerror or str(e)) from None
    try:
        return verify_bundle(p, code=code, tsr=tsr, ca_file=ca_file, progress=progress, key=want_key)
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - a hostile zip must never end in "internal error"
        rep = Report(str(p), "bundle")
        rep.problems.append(ZipDamaged(p.name, detail=f"unreadable ({type(e).__name__}: {e})",
                                       detail_zh=f"无法读取（{type(e).__name__}：{e}）"))
        return rep


# ------------------------------------------------------------------ zip structure

@dataclass
class _EndRecord:
    entries: int
    cd_size: int
    cd_offset: int
    cd_start: int          # where the central directory really is in the file
    comment: int
    at: int                # offset of the end record


def _end_record(f, size: int) -> _EndRecord | None:
    """The end of central directory record (zip64 aware), read without parsing any entry."""
    tail_len = min(size, 22 + 65535 + 20 + 56)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    while pos >= 0 and pos + 22 > len(tail):
        pos = tail.rfind(b"PK\x05\x06", 0, pos)
    if pos < 0:
        return None
    (_sig, _disk, _cd_disk, _n_disk, entries, cd_size, cd_offset, comment) = struct.unpack("<4s4H2LH", tail[pos:pos + 22])
    eocd_at = size - tail_len + pos
    cd_end = eocd_at
    loc = tail[pos - 20:pos] if pos >= 20 else b""
    if loc[:4] == b"PK\x06\x07":
        z64_at = struct.unpack("<Q", loc[8:16])[0]
        f.seek(z64_at)
        rec = f.read(56)
        if len(rec) == 56 and rec[:4] == b"PK\x06\x06":
            entries, cd_size, cd_offset = struct.unpack("<QQQ", rec[32:56])
            cd_end = z64_at
    return _EndRecord(entries, cd_size, cd_offset, cd_end - cd_size, comment, eocd_at)


def _local_header(f, info: zipfile.ZipInfo) -> tuple[int, str | None]:
    """(offset of the data, disagreement with the central directory or None)."""
    if not 0 <= info.header_offset < (1 << 62):  # zipfile shifts offsets by what precedes the zip: may go negative
        return 0, "the central directory gives an offset outside the file"
    f.seek(info.header_offset)
    h = f.read(30)
    if len(h) < 30 or h[:4] != b"PK\x03\x04":
        return 0, "no local header at the offset the central directory gives"
    (_v, flags, method, _t, _d, crc, csize, usize, nlen, elen) = struct.unpack("<HHHHHLLLHH", h[4:30])
    name = f.read(nlen)
    central = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")
    if name != central:
        return 0, "local header name differs from the central directory"
    if method != info.compress_type:
        return 0, "local header compression method differs from the central directory"
    if flags != info.flag_bits:
        return 0, "local header flags differ from the central directory"
    if not flags & 0x08:  # sizes and CRC are in the local header (no data descriptor)
        if crc != info.CRC:
            return 0, "local header CRC-32 differs from the central directory"
        if csize != 0xFFFFFFFF and (csize, usize) != (info.compress_size, info.file_size):
            return 0, "local header sizes differ from the central directory"
    return info.header_offset + 30 + nlen + elen, None


def _data_descriptor_len(f, info: zipfile.ZipInfo, end: int) -> int:
    if not info.flag_bits & 0x08:
        return 0
    f.seek(end)
    head = f.read(4)
    base = 4 if head == b"PK\x07\x08" else 0
    return base + (20 if info.file_size >= 0xFFFFFFFF or info.compress_size >= 0xFFFFFFFF else 12)


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if "\\" in name:
        return "backslash in path"
    parts = name.split("/")
    if ".." in parts:
        return "'..' in path"
    if "." in parts or "" in parts[:-1]:
        return "'.' or an empty part in the path"
    if "\x00" in name:
        return "NUL in the name"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic link"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"compression method {info.compress_type} (a bundle uses only stored and deflate)"
    return None


def _structure(zf: zipfile.ZipFile, f, end: _EndRecord, size: int, rep: Report) -> dict[str, zipfile.ZipInfo]:
    """Entries that are safe to read, by name; every structural problem becomes a finding."""
    entries: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    data_at: dict[str, int] = {}
    infos = zf.infolist()
    for info in infos:
        reason = _unsafe_reason(info)
        norm = posixpath.normpath(info.filename)
        if not reason and (norm in seen or info.filename in seen):
            reason = "duplicate name"
        seen.add(norm)
        seen.add(info.filename)
        if reason:
            rep.problems.append(UnsafeEntry(info.filename, detail=reason, detail_zh=_ZH.get(reason)))
            continue
        if info.filename.endswith("/"):
            rep.problems.append(UnexpectedFile(info.filename, detail="directory entry (a bundle has none)",
                                               detail_zh="目录条目（证据包中不应有）"))
            continue
        at, bad = _local_header(f, info)
        if bad:
            rep.problems.append(ZipDamaged(info.filename, detail=bad, detail_zh=_ZH.get(bad)))
            continue
        if (info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > 1024
                and info.file_size > DEFLATE_MAX_RATIO * max(1, info.compress_size)):
            rep.problems.append(ZipDamaged(info.filename, detail=f"declares {info.file_size} bytes from "
                                           f"{info.compress_size} compressed (beyond deflate's limit)",
                                           detail_zh=f"声称由 {info.compress_size} 字节压缩数据解出 {info.file_size} 字节"
                                                     f"（超出 deflate 的极限）"))
            continue
        data_at[info.filename] = at
        entries[info.filename] = info
    # entries must tile the file: no bytes before, between or overlapping them, the central directory right after
    expected = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.filename not in entries:
            return entries  # already a finding; offsets of a bad entry say nothing
        if info.header_offset != expected:
            gap = info.header_offset - expected
            rep.problems.append(ZipDamaged(info.filename, detail="overlaps the entry before it" if gap < 0 else
                                           f"{gap} bytes before it belong to no entry",
                                           detail_zh="与前一条目重叠" if gap < 0 else f"它前面有 {gap} 字节不属于任何条目"))
            return entries
        end_data = data_at[info.filename] + info.compress_size
        expected = end_data + _data_descriptor_len(f, info, end_data)
    if expected != end.cd_start:
        rep.problems.append(ZipDamaged("(central directory)", detail=f"{end.cd_start - expected} bytes after the last "
                                       f"entry belong to no entry" if end.cd_start > expected else
                                       "the last entry runs into the central directory",
                                       detail_zh=f"最后一个条目之后有 {end.cd_start - expected} 字节不属于任何条目"
                                       if end.cd_start > expected else "最后一个条目延伸进了中央目录"))
    elif end.cd_start != end.cd_offset:
        rep.problems.append(ZipDamaged("(central directory)", detail="its recorded offset is wrong",
                                       detail_zh="中央目录记录的偏移量不对"))
    if end.at + 22 + end.comment != size:
        rep.problems.append(ZipDamaged("(end of the zip)", detail=f"{size - end.at - 22 - end.comment} bytes after "
                                       "the end record that belong to nothing",
                                       detail_zh=f"结束记录之后多出 {size - end.at - 22 - end.comment} 字节"))
    return entries


# ------------------------------------------------------------------ reading members

class _Reader:
    def __init__(self, zf: zipfile.ZipFile, f, entries: dict[str, zipfile.ZipInfo], rep: Report):
        self.zf, self.f, self.entries, self.rep = zf, f, entries, rep
        self.failed: set[str] = set()

    def read(self, name: str, cap: int) -> bytes | None:
        """A member's bytes, when it exists, is at most ``cap`` bytes and inflates with the right CRC."""
        info = self.entries.get(name)
        if info is None or name in self.failed:
            return None
        if info.file_size > cap:
            self.failed.add(name)
            self.rep.problems.append(BagInvalid(name, detail=f"{info.file_size} bytes, more than the {cap} a bundle's "
                                                f"{posixpath.basename(name)} may hold (not read)",
                                                detail_zh=f"{info.file_size} 字节，超过证据包 {posixpath.basename(name)} "
                                                          f"允许的 {cap} 字节（未读取）"))
            return None
        try:
            with self.zf.open(info) as m:
                data = m.read(cap + 1)
        except _READ_ERRORS as e:
            self.failed.add(name)
            self.rep.problems.append(ZipDamaged(name, detail=f"cannot be read ({e})", detail_zh=f"无法读取（{e}）"))
            return None
        if len(data) != info.file_size:
            self.failed.add(name)
            self.rep.problems.append(ZipDamaged(name, detail="shorter or longer than its recorded size",
                                                detail_zh="比记录的大小短或长"))
            return None
        return data

    def hash(self, name: str, progress, done: list[int], total: int) -> str | None:
        """SHA-256 of a member, streamed; its CRC-32 checked too (zipfile does it for deflated members)."""
        info = self.entries[name]
        sha = hashlib.sha256()
        base = done[0]
        n = 0
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                at, _ = _local_header(self.f, info)
                self.f.seek(at)
                crc = 0
                left = info.file_size
                while left:
                    chunk = self.f.read(min(left, 1 << 22))
                    if not chunk:
                        raise zipfile.BadZipFile("truncated")
                    sha.update(chunk)
                    crc = zlib.crc32(chunk, crc)
                    left -= len(chunk)
                    n += len(chunk)
                    if progress:
                        progress("verify", base + n, total)
                if crc != info.CRC:
                    raise zipfile.BadZipFile(f"Bad CRC-32 for file {name!r}")
            else:
                with self.zf.open(info) as m:
                    buf = bytearray(1 << 22)
                    while True:
                        k = m.readinto(buf)
                        if not k:
                            break
                        sha.update(memoryview(buf)[:k])
                        n += k
                        if progress:
                            progress("verify", base + n, total)
        except _READ_ERRORS as e:
            self.rep.problems.append(ZipDamaged(name, detail=f"cannot be read ({e})", detail_zh=f"无法读取（{e}）"))
            return None
        finally:
            done[0] = base + info.file_size
        return sha.hexdigest()


def _parse_manifest(text: str, name: str, rep: Report) -> dict[str, str] | None:
    """``digest  path`` lines, paths percent-decoded (RFC 8493); a malformed line or a repeated path is a finding."""
    out: dict[str, str] = {}
    for i, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        m = re.fullmatch(r"([0-9a-fA-F]{64})[ \t]+\*?(.+)", line.rstrip("\r"))
        if not m:
            rep.problems.append(BagInvalid(name, detail=f"line {i} is not 'sha256  path'",
                                             detail_zh=f"第 {i} 行不是「sha256  路径」格式"))
            return None
        path = bagit_decode(m.group(2))
        if path in out:
            rep.problems.append(BagInvalid(name, detail=f"line {i} lists {path!r} a second time",
                                             detail_zh=f"第 {i} 行再次列出 {path!r}"))
            return None
        out[path] = m.group(1).lower()
    return out


# ------------------------------------------------------------------ bundle

def verify_bundle(zpath: Path, code: str | None = None, tsr=None, ca_file=None, progress=None,
                  key: str | None = None) -> Report:
    """The checks on a zip; raises only InputError (not a zip at all, no bag in it)."""
    rep = Report(str(zpath), "bundle")
    size = zpath.stat().st_size
    with open(zpath, "rb") as f:
        end = _end_record(f, size)
        if end is None:
            f.seek(0)
            if f.read(4) != b"PK\x03\x04":
                raise InputError("verify.not_zip", path=str(zpath))
            # it starts as a zip does but its end record is gone: cut short or altered, not some other file
            rep.problems.append(ZipDamaged(zpath.name, detail="no end of central directory record (the zip was cut "
                                           "short or altered)",
                                           detail_zh="没有中央目录结束记录（zip 被截短或改动）"))
            return rep
        if end.entries > MAX_ENTRIES:
            rep.problems.append(TooManyEntries(zpath.name, detail=f"the zip declares {end.entries} entries; a bundle "
                                               f"verify checks has at most {MAX_ENTRIES} (nothing was read)",
                                               detail_zh=f"zip 声称有 {end.entries} 个条目；可核验的证据包最多 "
                                                         f"{MAX_ENTRIES} 个（未读取任何内容）"))
            rep.info.update(entries=end.entries)
            return rep
        try:
            zf = zipfile.ZipFile(f)
        except _READ_ERRORS as e:
            if not zipfile.is_zipfile(zpath) and end.entries == 0 and size < 22:
                raise InputError("verify.not_zip", path=str(zpath)) from None
            rep.problems.append(ZipDamaged("(central directory)", detail=f"unreadable ({e})", detail_zh=f"无法读取（{e}）"))
            return rep
        with zf:
            if len(zf.infolist()) > MAX_ENTRIES:
                rep.problems.append(TooManyEntries(zpath.name, detail=f"{len(zf.infolist())} entries, more than "
                                                   f"{MAX_ENTRIES}",
                                                   detail_zh=f"{len(zf.infolist())} 个条目，超过 {MAX_ENTRIES} 个"))
                return rep
            entries = _structure(zf, f, end, size, rep)
            try:
                _check_bundle(zf, f, zpath, entries, rep, code=code, tsr=tsr, ca_file=ca_file, progress=progress,
                              key=key)
            except _NoBag:
                pass
    prefix = rep.info.get("bag", "\0") + "/"
    for p in rep.problems:  # inside the bag, findings name bag-relative paths (data/evidence/…, bag-info.txt)
        if p.path.startswith(prefix):
            p.path = p.path[len(prefix):]
    return rep


class _NoBag(Exception):
    """No bag is visible in a zip whose structure verify already found altered."""


def _choose_bag(entries: dict, all_names: list[str], zpath: Path, rep: Report) -> str:
    tops: dict[str, list[str]] = {}
    for n in all_names:
        top, sep, _rest = n.partition("/")
        if not sep:
            rep.problems.append(UnexpectedFile(n, detail="at the top of the zip, outside the bag",
                                               detail_zh="位于 zip 顶层、证据包之外"))
            continue
        tops.setdefault(top, []).append(n)
    names = set(all_names)  # a damaged member (refused, not in ``entries``) still tells where the bag is
    bags = [t for t in sorted(tops) if f"{t}/bagit.txt" in names or f"{t}/{MANIFEST}" in names]
    if not bags:
        if any(isinstance(p, ZipDamaged) for p in rep.problems):
            raise _NoBag()  # the zip's structure is altered (e.g. its directory cut short): that is the finding
        raise InputError("verify.not_bag", path=str(zpath))
    ours = [t for t in bags if f"{t}/{MANIFEST}" in names] or bags
    bag = ours[0]
    for t in sorted(tops):
        if t == bag:
            continue
        what, what_zh = ("a second bag", "第二个证据包") if t in bags else ("outside the bag", "证据包之外")
        rep.problems.append(UnexpectedFile(t + "/", detail=f"{what} ({len(tops[t])} entries); a bundle holds one bag only",
                                           detail_zh=f"{what_zh}（{len(tops[t])} 个条目）；一个证据包文件只应含一个包"))
    return bag


def _check_bundle(zf, f, zpath: Path, entries: dict, rep: Report, *, code, tsr, ca_file, progress, key) -> None:
    bag = _choose_bag(entries, [i.filename for i in zf.infolist()], zpath, rep)
    prefix = bag + "/"
    rd = _Reader(zf, f, entries, rep)
    rep.info["bag"] = bag
    # ---- tag files: only the known ones, each read below its cap
    tags: dict[str, bytes] = {}
    for name in sorted(n for n in entries if n.startswith(prefix) and not n.startswith(prefix + "data/")):
        rel = name[len(prefix):]
        if rel not in TAG_FILES:
            rep.problems.append(UnexpectedFile(name, detail="not a file of a tradeshield bag (outside data/)",
                                               detail_zh="不是 tradeshield 证据包的文件（在 data/ 之外）"))
            continue
        data = rd.read(name, TAG_CAPS[rel])
        if data is not None:
            tags[rel] = data
    for rel in ("bagit.txt", "bag-info.txt", PAYLOAD_MANIFEST, TAGMANIFEST, MANIFEST):
        if prefix + rel not in entries:
            rep.problems.append(FileMissing(prefix + rel))
    _check_bagit_txt(tags.get("bagit.txt"), prefix, rep)
    # ---- tagmanifest: lists every tag file but itself and the signature, each matching
    tagm = tags.get(TAGMANIFEST)
    if tagm is not None:
        listed = _parse_manifest(tagm.decode("utf-8", "replace"), prefix + TAGMANIFEST, rep)
        if listed is not None:
            present = {n[len(prefix):] for n in entries if n.startswith(prefix) and n[len(prefix):] in TAG_FILES}
            for rel in sorted(present - {TAGMANIFEST, SIGNATURE} - set(listed)):
                rep.problems.append(BagInvalid(prefix + rel, detail="tag file not covered by tagmanifest-sha256.txt",
                                               detail_zh="标签文件未被 tagmanifest-sha256.txt 覆盖"))
            for rel, digest in sorted(listed.items()):
                if rel not in TAG_FILES or rel in (TAGMANIFEST, SIGNATURE):
                    rep.problems.append(BagInvalid(prefix + TAGMANIFEST, detail=f"lists {rel!r}, which a bundle's "
                                                   f"tagmanifest does not cover",
                                                   detail_zh=f"列出了 {rel!r}，证据包的 tagmanifest 不应覆盖它"))
                elif rel in tags and hashlib.sha256(tags[rel]).hexdigest() != digest:
                    rep.problems.append(HashMismatch(prefix + rel, expected=digest,
                                                     found=hashlib.sha256(tags[rel]).hexdigest()))
                elif prefix + rel not in entries:
                    rep.problems.append(FileMissing(prefix + rel))
    # ---- signature over bag name + tagmanifest, and the key the user expects
    _check_signature(tags, bag, prefix, key, rep, present=(prefix + SIGNATURE) in entries)
    # ---- payload: listed vs present, Payload-Oxum, declared sizes, then re-hash
    present = {n[len(prefix):]: i for n, i in entries.items() if n.startswith(prefix + "data/")}
    listed = None
    if PAYLOAD_MANIFEST in tags:
        listed = _parse_manifest(tags[PAYLOAD_MANIFEST].decode("utf-8", "replace"), prefix + PAYLOAD_MANIFEST, rep)
    listed = listed or {}
    all_names = {i.filename for i in zf.infolist()}
    for path in sorted(set(listed) - set(present)):
        if prefix + path not in all_names:  # a refused entry is already a finding
            rep.problems.append(FileMissing(prefix + path))
    for path in sorted(set(present) - set(listed)):
        rep.problems.append(UnexpectedFile(prefix + path, detail="not in manifest-sha256.txt",
                                           detail_zh="不在 manifest-sha256.txt 中"))
    oxum_ok = _check_oxum(tags.get("bag-info.txt"), present, prefix, rep)
    manifest, items = _load_manifest(tags.get(MANIFEST), prefix, rep)
    total = sum(i.file_size for i in present.values())
    done = [0]
    actual: dict[str, str] = {}
    for path in sorted(present):
        info = present[path]
        item = items.get(path)
        want_size = item.get("size") if isinstance(item, dict) else None
        if isinstance(want_size, int) and want_size != info.file_size:
            rep.problems.append(SizeMismatch(prefix + path, expected=str(want_size), found=str(info.file_size)))
            continue
        if want_size is None and not oxum_ok:
            continue  # nothing vouches for its size: not inflated
        if path not in listed:
            continue
        sha = rd.hash(prefix + path, progress, done, total)
        if sha is None:
            continue
        actual[path] = sha
        if listed[path] != sha:
            rep.problems.append(HashMismatch(prefix + path, expected=listed[path], found=sha))
    root = merkle_root(list(actual.items()))
    if manifest is not None:
        _check_manifest(manifest, items, actual, listed, present, prefix, rep)
    rep.info.update(files=len(present), merkle_root=root, seal_code=seal_code(root),
                    bytes=sum(i.file_size for i in present.values()))
    custody = _check_custody(rd, prefix, manifest or {}, actual, code, rep)
    if code:
        _check_code(code, root, actual, custody, present, rep)
    _check_timestamps(zpath, tsr, root, ca_file, rep)


def _check_bagit_txt(data: bytes | None, prefix: str, rep: Report) -> None:
    if data is None:
        return
    text = data.decode("utf-8", "replace")
    fields = dict(ln.split(": ", 1) for ln in text.splitlines() if ": " in ln)
    if fields.get("BagIt-Version") not in ("1.0", "0.97") or fields.get("Tag-File-Character-Encoding", "").upper() != "UTF-8":
        rep.problems.append(BagInvalid(prefix + "bagit.txt", detail="not 'BagIt-Version: 1.0' with UTF-8 tag files",
                                       detail_zh="不是「BagIt-Version: 1.0」加 UTF-8 标签文件"))


def _check_oxum(data: bytes | None, present: dict, prefix: str, rep: Report) -> bool:
    if data is None:
        return False
    info = data.decode("utf-8", "replace")
    m = re.search(r"^Payload-Oxum:\s*(\d{1,20})\.(\d{1,12})\s*$", info, re.M)
    if not m:
        rep.problems.append(BagInvalid(prefix + "bag-info.txt", detail="no Payload-Oxum", detail_zh="没有 Payload-Oxum"))
        return False
    want = f"{int(m.group(1))}.{int(m.group(2))}"
    got = f"{sum(i.file_size for i in present.values())}.{len(present)}"
    if want != got:
        rep.problems.append(BagInvalid(prefix + "bag-info.txt", expected=want, found=got,
                                       detail=f"Payload-Oxum {want} != {got} (bytes.files)",
                                       detail_zh=f"Payload-Oxum {want} ≠ {got}（字节数.文件数）"))
        return False
    return True


def _load_manifest(raw: bytes | None, prefix: str, rep: Report) -> tuple[dict | None, dict]:
    if raw is None:
        return None, {}
    try:
        manifest = json.loads(raw)
        items = {it["path"]: it for it in manifest["items"]}
        if not all(isinstance(p, str) and isinstance(it.get("sha256"), str) for p, it in items.items()):
            raise TypeError("an item without path or sha256")
        if not isinstance(manifest["merkle"]["root"], str) or not re.fullmatch(r"[0-9a-f]{64}", manifest["merkle"]["root"]):
            raise TypeError("merkle.root is not a SHA-256 in hex")
        if not isinstance(manifest.get("custody", {}), dict) or not isinstance(manifest.get("case", {}), dict):
            raise TypeError("custody or case is not an object")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        rep.problems.append(ManifestMismatch(prefix + MANIFEST, detail=f"unreadable ({type(e).__name__})",
                                             detail_zh=f"无法读取（{type(e).__name__}）"))
        return None, {}
    return manifest, items


def _check_manifest(manifest: dict, items: dict, actual: dict, listed: dict, present: dict, prefix: str,
                    rep: Report) -> None:
    for path, sha in sorted(actual.items()):
        it = items.get(path)
        if it is None:
            rep.problems.append(ManifestMismatch(prefix + path, detail="not listed in the tradeshield manifest",
                                                 detail_zh="未列在 tradeshield 清单中"))
        elif it.get("sha256") != sha and listed.get(path) == sha:
            rep.problems.append(ManifestMismatch(prefix + path, expected=it.get("sha256"), found=sha,
                                                 detail="digest differs from the tradeshield manifest",
                                                 detail_zh="摘要与 tradeshield 清单不符"))
    for path in sorted(set(items) - set(present)):
        rep.problems.append(FileMissing(prefix + path, detail="in the tradeshield manifest",
                                          detail_zh="（tradeshield 清单中有记录）"))
    root = manifest["merkle"]["root"]
    want = merkle_root(list(listed.items()))
    if want != root:
        rep.problems.append(MerkleMismatch(prefix + MANIFEST, expected=root, found=want))
    if manifest.get("seal_code") != seal_code(root):
        rep.problems.append(ManifestMismatch(prefix + MANIFEST, detail="seal code does not derive from the recorded root",
                                             detail_zh="封存码不是由记录的根推出的"))
    if manifest.get("bag") is not None and manifest.get("bag") != prefix[:-1]:
        rep.problems.append(ManifestMismatch(prefix + MANIFEST, detail="names another bag", detail_zh="指向另一个证据包"))
    rep.info.update(case=manifest.get("case", {}), manifest_root=root, format=manifest.get("format"))


def _check_signature(tags: dict, bag: str, prefix: str, key: str | None, rep: Report, present: bool) -> None:
    raw = tags.get(SIGNATURE)
    rep.info.update(signed=False, fingerprint=None, key_expected=key, signature_scope=None)
    if raw is None:
        if present:
            return  # unreadable: already a finding
        if key:
            rep.problems.append(KeyMismatch(prefix + SIGNATURE, detail=f"the bundle is unsigned; expected a signature "
                                            f"by {key}", detail_zh=f"证据包未签名；应有 {key} 的签名"))
        return
    from tradeshield.evidence.signing import check

    try:
        record = json.loads(raw)
        if not isinstance(record, dict):
            raise TypeError("not an object")
    except (ValueError, TypeError, RecursionError):
        rep.problems.append(SignatureInvalid(prefix + SIGNATURE, detail="unreadable", detail_zh="无法读取"))
        return
    fpr = record.get("fingerprint") if isinstance(record.get("fingerprint"), str) else None
    if record.get("scope") != SIGNATURE_SCOPE:
        rep.problems.append(SignatureInvalid(prefix + SIGNATURE, detail="an old signature over tradeshield-manifest.json "
                                             "only (bag-info and tag files unsigned); rebuild the bundle with --sign",
                                             detail_zh="旧式签名只覆盖 tradeshield-manifest.json（bag-info 和标签文件未签名）；"
                                                       "请用 --sign 重新打包"))
        ok = False
    else:
        tagm = tags.get(TAGMANIFEST)
        ok = tagm is not None and check(record, signature_message(bag, tagm))
        if not ok:
            rep.problems.append(SignatureInvalid(prefix + SIGNATURE, detail="does not match the bag", detail_zh="与证据包不符"))
    rep.info.update(signed=True, signature_ok=ok, fingerprint=fpr, signature_scope=record.get("scope"))
    if key:
        rep.info["key_matches"] = ok and fpr == key
        if fpr != key:
            rep.problems.append(KeyMismatch(prefix + SIGNATURE, detail=f"signed by {fpr}, expected {key}",
                                            detail_zh=f"签名者为 {fpr}，应为 {key}"))


def _check_custody(rd: _Reader, prefix: str, manifest: dict, actual: dict, code: str | None, rep: Report) -> dict:
    """Streams data/custody.jsonl: its chain, the head the manifest records, each file's last record against the
    bundle, and the seals (kept only when they match ``code``)."""
    name = prefix + "data/custody.jsonl"
    out = {"seals": [], "files": {}}
    info = rd.entries.get(name)
    if info is None or name in rd.failed or "data/custody.jsonl" not in actual:
        return out  # absent, unreadable, or its size disagrees with the manifest (then it is not inflated at all)
    if info.file_size > CUSTODY_CAP:
        rep.problems.append(BagInvalid(name, detail=f"{info.file_size} bytes, more than {CUSTODY_CAP} (not read)",
                                       detail_zh=f"{info.file_size} 字节，超过 {CUSTODY_CAP}（未读取）"))
        return out
    want = normalize_code(code) if code else None
    head = (manifest.get("custody") or {}).get("head")
    checker = ChainChecker("data/custody.jsonl")
    last: dict[str, str] = {}
    n = 0
    try:
        with rd.zf.open(info) as raw:
            carry = b""
            while True:
                block = raw.read(1 << 20)
                data = carry + block
                if not block:
                    lines, carry = [data] if data.strip() else [], b""
                else:
                    cut = data.rfind(b"\n")
                    lines, carry = (_LINE.findall(data[:cut]) if cut >= 0 else []), data[cut + 1:]
                if len(carry) > CUSTODY_LINE_CAP:
                    rep.problems.append(ChainBroken(f"data/custody.jsonl:{n + 1}", detail="line longer than "
                                                    f"{CUSTODY_LINE_CAP} bytes (not read further)",
                                                    detail_zh=f"此行超过 {CUSTODY_LINE_CAP} 字节（不再往下读）"))
                    return out
                for line in lines:
                    if not line.strip():
                        continue
                    n += 1
                    entry = checker.feed(line)
                    if isinstance(entry, dict):
                        _collect(entry, last, out, want)
                    if len(checker.findings) >= MAX_CHAIN_FINDINGS:
                        rep.problems.extend(checker.findings)
                        rep.problems.append(ChainBroken(f"data/custody.jsonl:{n}", detail="too many broken links; "
                                                        "not read further", detail_zh="断裂处过多，不再往下读"))
                        return out
                if not block:
                    break
    except _READ_ERRORS as e:
        rep.problems.append(ZipDamaged(name, detail=f"cannot be read ({e})", detail_zh=f"无法读取（{e}）"))
        return out
    rep.problems.extend(checker.finish(head if isinstance(head, str) else None))
    rep.info["custody_entries"] = n
    for rel, sha in sorted(last.items()):  # each file's last custody record against what the bundle holds
        got = actual.get("data/" + rel)
        if got is not None and got != sha and (rel.startswith(("evidence/", "derived/", "facts/"))
                                               or rel in ("case.toml", "events.jsonl")):
            rep.problems.append(HashMismatch(prefix + "data/" + rel, expected=sha, found=got,
                                             detail="differs from its last custody record",
                                             detail_zh="与它在保管日志中的最后记录不符"))
    out["files"] = last
    return out


def _collect(entry: dict, last: dict, out: dict, want: str | None) -> None:
    files = entry.get("files")
    if isinstance(files, list):
        for fr in files:
            if isinstance(fr, dict) and isinstance(fr.get("path"), str) and isinstance(fr.get("sha256"), str):
                if entry.get("action") != "add-duplicate":
                    last[fr["path"]] = fr["sha256"]
    d = entry.get("details")
    if want and entry.get("action") in ("seal", "stamp") and isinstance(d, dict) and isinstance(d.get("leaves"), list):
        try:
            leaves = [(str(p), str(h)) for p, h in d["leaves"]]
            if seal_code(merkle_root(leaves)) == want:
                out["seals"].append({"time": entry.get("time"), "leaves": leaves})
        except (ValueError, TypeError):
            pass


def seal_entries(lines_or_entries) -> list[dict]:
    out = []
    for e in lines_or_entries:
        if isinstance(e, (bytes, str)):
            try:
                e = json.loads(e)
            except ValueError:
                continue
        if isinstance(e, dict) and e.get("action") in ("seal", "stamp") and isinstance(e.get("details"), dict) \
                and isinstance(e["details"].get("leaves"), list):
            out.append(e)
    return out


def _match_seals(code: str, seals: list[dict], actual: dict[str, str]) -> dict | None:
    for e in seals:
        try:
            leaves = [(str(p), str(h)) for p, h in (e.get("leaves") or e["details"]["leaves"])]
            if seal_code(merkle_root(leaves)) != code:
                continue
        except (ValueError, TypeError):  # an edited seal entry: it matches nothing
            continue
        if all(actual.get(p) == h for p, h in leaves):
            return {"time": e.get("time"), "files": len(leaves)}
    return None


def _check_code(code, root, actual, custody: dict, present: dict, rep: Report) -> None:
    want = normalize_code(code)
    total = len(present)
    if want == seal_code(root):
        rep.info["code"] = {"code": want, "matches": "bundle", "scope": "bundle", "covered": total, "not_covered": 0}
        return
    hit = _match_seals(want, custody.get("seals", []), actual)
    if hit:
        rep.info["code"] = {"code": want, "matches": "seal", "scope": "seal", "time": hit["time"],
                            "covered": hit["files"], "not_covered": max(0, total - hit["files"])}
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
    except Exception as e:  # noqa: BLE001 - a hostile .tsr is a finding, never an internal error
        rep.problems.append(TimestampInvalid(str(path), detail=f"unreadable ({type(e).__name__})",
                                              detail_zh=f"无法读取（{type(e).__name__}）"))
        return {"path": str(path), "ok": False}
    for problem in info.problems:
        rep.problems.append(TimestampInvalid(str(path), detail=problem, detail_zh=_ZH.get(problem)))
    return {"path": str(path), "ok": not info.problems, **info.to_dict()}


# ------------------------------------------------------------------ case folder

def verify_case(root: Path, code: str | None = None, ca_file=None, progress=None) -> Report:
    from tradeshield.evidence.bundle import evidence_root, payload_files, recorded_hashes
    from tradeshield.evidence.case import Case

    case = Case(root, sweep=False)
    rep = Report(str(case.root), "case")
    rep.problems.extend(case.custody.verify())
    entries = case.custody.entries()
    recorded = recorded_hashes(case)
    recorded.update(_last_file_records(entries, ("case.toml", "events.jsonl")))
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
            rep.problems.append(UnexpectedFile(rel, detail="not in the custody log", detail_zh="不在保管日志中"))
    for rel in sorted(set(recorded) - set(actual)):
        if rel.startswith(("evidence/", "derived/")) or rel in ("case.toml", "events.jsonl"):
            rep.problems.append(FileMissing(rel))
    _check_events(case, entries, rep)
    data_paths = {"data/" + r: h for r, h in actual.items()}
    rep.info.update(files=len(actual), custody_entries=len(entries))
    leftovers = case.stale_temp_files()
    if leftovers:
        rep.info["leftovers"] = [case.rel(p) for p in leftovers]
    if code:
        want = normalize_code(code)
        hit = _match_seals(want, seal_entries(entries), data_paths)
        if hit:
            rep.info["code"] = {"code": want, "matches": "seal", "scope": "seal", "time": hit["time"],
                                "covered": hit["files"], "not_covered": max(0, len(actual) - hit["files"])}
        else:
            try:
                now = seal_code(evidence_root(case)[0])
            except InputError:
                now = "?"
            rep.problems.append(CodeMismatch("code", expected=want, found=now))
    _check_case_stamps(case, entries, data_paths, ca_file, rep)
    return rep


def _check_events(case, entries: list[dict], rep: Report) -> None:
    """Every event the custody log recorded must still be a line of events.jsonl."""
    from tradeshield.evidence.custody import canonical

    lines = set()
    if case.events_path.exists():
        lines = {ln for ln in case.events_path.read_bytes().split(b"\n") if ln.strip()}
    for e in entries:
        ev = e["details"].get("event") if e.get("action") == "event" else None
        if isinstance(ev, dict) and canonical(ev) not in lines:
            rep.problems.append(EventMissing("events.jsonl", detail=f"custody #{e.get('seq')} logged "
                                             f"{ev.get('time')} {ev.get('kind')}, events.jsonl does not hold it",
                                             detail_zh=f"保管日志第 {e.get('seq')} 条记录了 {ev.get('time')} {ev.get('kind')}，"
                                                       f"events.jsonl 中却没有"))


def _last_file_records(entries, names) -> dict[str, str]:
    out = {}
    for e in entries:
        for f in e["files"]:
            if f["path"] in names:
                out[f["path"]] = f["sha256"]
    return out


def _check_case_stamps(case, entries, data_paths, ca_file, rep: Report) -> None:
    stamps = case.root / "stamps"
    if not stamps.is_dir():
        return
    roots = {e["details"].get("root") for e in entries if e.get("action") == "stamp"}
    roots = {r for r in roots if isinstance(r, str)}
    for tsr in sorted(stamps.glob("*.tsr")):
        root = tsr.stem.split("-")[-1]
        match = next((r for r in roots if r and r.startswith(root)), None)
        if match is None:
            rep.problems.append(TimestampInvalid(str(tsr), detail="no stamp request recorded for it",
                                                  detail_zh="没有为它记录的时间戳请求"))
            continue
        rep.info.setdefault("timestamps", []).append(_check_one_tsr(tsr, match, ca_file, rep))

