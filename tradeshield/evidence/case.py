"""Case workspace: case.toml, evidence originals, derived files, facts, events, custody log.

    >>> from tradeshield.evidence.case import Case
    >>> case = Case.init("my-phone-case", role="seller", platform="xianyu", item="海信A5Pro",
    ...                  price=1100, order="1234567890", counterparty="远方私人")   # doctest: +SKIP
    >>> [r.status for r in case.add(["invoice.pdf"], note="发票")]                 # doctest: +SKIP
    ['added']
    >>> case.add_event("2021-05-23 10:12", "shipped", note="顺丰 SF1234567890")     # doctest: +SKIP

Layout::

    case.toml        the case facts the user gave (role, platform, item, price, …)
    custody.jsonl    append-only, hash-chained log of everything done to the case
    events.jsonl     dated facts (shipped, delivered, refund requested, …)
    evidence/        originals, copied in, hashed and made read-only
    derived/         files generated from originals (frames, upload copies, pages, …)
    facts/           JSON facts extracted by the capability modules (invoice, chat, photos …)
    statements/      dispute statements

A command finds its case like git finds a repository: ``--case DIR``, else
``TRADESHIELD_CASE``, else the current folder or one of its parents.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import posixpath
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from tradeshield import i18n
from tradeshield.evidence.custody import CustodyLog, canonical
from tradeshield.errors import CaseError, InputError, UsageError
from tradeshield.evidence.fsutil import (Progress, atomic_write, check_input, copy_hashed, fsync_dir, hash_file,
                                         remove_stale, sniff_kind, stale_temps, write_bytes)
from tradeshield.timeutil import format_offset, parse_offset, parse_time

CASE_FILE = "case.toml"
ROLES = ("seller", "buyer")
PLATFORMS = ("xianyu", "taobao", "zhuanzhuan", "pinduoduo", "jd", "ebay", "other")
EVENT_KINDS = (
    "listed", "ordered", "paid", "shipped", "delivered", "received", "signed", "confirmed",
    "discount-requested", "discount-refused", "defect-claimed", "refund-requested", "return-requested",
    "return-shipped", "return-received", "dispute-opened", "evidence-submitted", "ruling", "appeal",
    "card-key-delivered", "message", "other",
) + (  # the chat kinds (data/chat_rules.toml [[kind]]; a test keeps this list equal to the rules'), for `event add`
    "discount-request", "discount-refused", "price-agreed", "deposit-terms", "delivery-promise", "ship-before-pay",
    "cardkey-before-pay", "partial-delivery", "requirement", "agreement", "receipt-ack", "confirm-request",
    "defect-claim", "refund-request", "refund-refused", "return-request", "off-platform", "fake-service", "threat",
    "insult",
)
SUBDIRS = ("evidence", "derived", "statements", "facts")

i18n.register({
    "case.not_found": ("找不到案件（当前目录及其上级都没有 case.toml）；先运行 tradeshield init，或用 --case 指定",
                       "no case found (no case.toml here or in any parent folder); run tradeshield init or pass --case"),
    "case.not_a_case": ("不是案件目录：{path}（缺少 case.toml）", "not a case folder: {path} (no case.toml)"),
    "case.exists": ("目录已是案件：{path}", "folder already holds a case: {path}"),
    "case.nested": ("{path} 位于案件 {outer} 之内：案件不能嵌套（确需如此请加 --nested）",
                    "{path} is inside the case {outer}: cases do not nest (add --nested if you really mean it)"),
    "case.not_empty": ("目录非空：{path}（请选择新目录）", "folder is not empty: {path} (choose a new folder)"),
    "case.bad_toml": ("case.toml 无法读取：{reason}", "case.toml cannot be read: {reason}"),
    "case.bad_role": ("角色必须是卖家或买家（seller / buyer）：{role}", "role must be seller or buyer (卖家 / 买家): {role}"),
    "case.bad_platform": ("未知平台：{platform}（可用：{choices}）", "unknown platform: {platform} (choose from {choices})"),
    "case.bad_price": ("价格必须是非负数字：{price}", "price must be a non-negative number: {price}"),
    "event.bad_kind": ("未知事件类型：{kind}（可用：{choices}）", "unknown event kind: {kind} (choose from {choices})"),
    "add.copy_mismatch": ("复制后的文件与原件哈希不符：{path}（磁盘故障？原件未受影响）",
                          "copy does not match the original's hash: {path} (disk fault? the original is untouched)"),
    "add.source_changed": ("复制过程中原文件被修改：{path}", "the source changed while it was copied: {path}"),
    "add.nothing": ("没有可添加的文件：{path}（目录为空，或只有隐藏文件）",
                    "nothing to add in {path} (the folder is empty or holds only hidden files)"),
    "case.bad_timezone": ("case.toml 中的 timezone 无效：{tz}（应为 UTC 偏移，如 +08:00）",
                          "case.toml has an invalid timezone: {tz} (use a UTC offset such as +08:00)"),
    "facts.bad_name": ("无效的事实名称：{name}", "invalid facts name: {name}"),
    "derived.bad_path": ("派生文件路径必须在 derived/ 内：{path}", "derived file path must stay inside derived/: {path}"),
})


@dataclass
class EvidenceItem:
    path: str                     # relative to the case root, posix style: evidence/IMG_0012.JPG
    sha256: str
    size: int
    kind: str                     # video / photo / pdf / ofd / xml / chat / other
    original_path: str
    original_mtime: str
    capture_time: str | None = None
    capture_source: str | None = None
    note: str | None = None
    added: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class AddResult:
    status: str                   # added / duplicate
    item: EvidenceItem
    source: str

    def to_dict(self) -> dict:
        return {"status": self.status, "source": self.source, **self.item.to_dict()}


@dataclass
class _Incoming:
    """A source copied into evidence/ under a hidden name, hashed as it was read."""
    src: Path
    st: os.stat_result
    path: Path
    sha256: str
    size: int


class PendingEvidence:
    """Evidence being added (``Case.add_pending``): readable at ``path`` with ``sha256`` known now.

    The copy's check (fsync, read back) runs on a thread, or at once with ``background=False``
    (``Case.add``); a duplicate's copy is only read, then dropped. ``finish()`` gives the item,
    ``result`` the ``AddResult``."""

    def __init__(self, case: "Case", inc: _Incoming | None, note: str | None, known: dict | None = None,
                 item: EvidenceItem | None = None, background: bool = True):
        self.case, self.inc, self.note, self.item = case, inc, note, item
        self.result: AddResult | None = None
        self.error: BaseException | None = None
        self._thread = None
        if item is not None:
            self.path, self.sha256, self.size = case.evidence_path(item), item.sha256, item.size
            return
        self.path, self.sha256, self.size = inc.path, inc.sha256, inc.size
        self.known = case._known() if known is None else known
        if inc.sha256 in self.known:
            return
        if background:
            import threading

            self._thread = threading.Thread(target=self._verify, name="evidence-verify", daemon=True)
            self._thread.start()
        else:
            self._verify()

    def _verify(self) -> None:
        """The copy on disk (fsync) and read back: it must match what was read from the source."""
        try:
            with open(self.inc.path, "rb") as f:
                os.fsync(f.fileno())
            if hash_file(self.inc.path)[0] != self.inc.sha256:
                raise InputError("add.copy_mismatch", path=str(self.inc.src))
        except BaseException as e:  # noqa: BLE001 - raised by finish()
            self.error = e

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def finish(self) -> EvidenceItem:
        """Wait for the copy's check, then name and log it; raises what the check found."""
        if self.item is not None:
            return self.item
        self._join()
        try:
            if self.error is not None:
                raise self.error
            self.result = self.case._commit(self.inc, self.note, self.known)
            self.item = self.result.item
        finally:
            self.inc.path.unlink(missing_ok=True)
        return self.item

    def discard(self) -> None:
        """Drop a copy that was not finished (nothing was logged); a no-op after ``finish()``."""
        self._join()
        if self.item is None and self.inc is not None:
            self.inc.path.unlink(missing_ok=True)


@dataclass
class Event:
    time: str                     # ISO 8601 with offset
    kind: str
    note: str | None = None
    source: str = "user"          # user / chat:<sha12>:<lines> / courier:<sha12> / evidence:<path>
    ref: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)


def dump_toml(data: dict) -> str:
    lines = ["# tradeshield case — facts you gave; edit with care, every change is yours to explain", ""]
    for k, v in data.items():
        if v is None or isinstance(v, dict):
            continue
        lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines) + "\n"


def load_toml(path: Path) -> dict:
    from tradeshield.tomlcompat import loads

    try:
        return loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CaseError("case.bad_toml", reason=str(e)) from None


def _price(value) -> int | float | None:
    if value is None or value == "":
        return None
    try:
        num = float(str(value).replace("¥", "").replace("￥", "").replace(",", "").strip())
    except ValueError:
        raise UsageError("case.bad_price", price=value) from None
    if num < 0 or num != num:
        raise UsageError("case.bad_price", price=value)
    return int(num) if num.is_integer() else num


LOCAL_DIR = ".tradeshield"      # stays on this machine: never bundled, packed or reported
_NAME_MAX = 180     # bytes of an evidence copy's name (``_free_name``)
SOURCES_FILE = "sources.jsonl"  # where each original was copied from (full path), by SHA-256


def display_name(name: str) -> str:
    """A file name as text that is valid UTF-8: bytes that were not (surrogate escapes) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


FACTS_INDENT_MAX = 256 * 1024   # facts whose compact JSON is larger are written compact, smaller ones indented


def _facts_json(data) -> bytes:
    """Facts as sorted JSON, indented for reading when small. Indenting makes ``json`` use its pure-Python encoder:
    for the chat's 2,000 head events (1.3 MB) that was ~60 ms of every large import's single-threaded tail; compact,
    the C encoder writes it in ~10 ms."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if len(text) <= FACTS_INDENT_MAX:
        text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return text.encode("utf-8") + b"\n"


class Case:
    def __init__(self, root: str | os.PathLike, sweep: bool = True):
        self.root = Path(root).resolve()
        if not (self.root / CASE_FILE).is_file():
            raise CaseError("case.not_a_case", path=str(root))
        self.custody = CustodyLog(self.root / "custody.jsonl")
        if sweep:  # a command about to use the case (verify opens it with sweep=False and only reports)
            self.tz  # noqa: B018 - a bad timezone in case.toml is one clear line now, not a silent default later
            remove_stale(self.stale_temp_files())  # a killed run's temp files (possibly hundreds of MB)

    def stale_temp_files(self) -> list[Path]:
        """Temp files and folders of atomic writes whose writer is gone (see ``fsutil.stale_temps``)."""
        return stale_temps([self.root])

    # ------------------------------------------------------------ creation and lookup
    @classmethod
    def init(cls, path: str | os.PathLike, *, role: str, platform: str = "xianyu", item: str | None = None,
             price=None, order: str | None = None, counterparty: str | None = None, currency: str = "CNY",
             timezone: str = "+08:00", title: str | None = None, allow_nested: bool = False) -> "Case":
        from tradeshield.labels import label, normalize

        root = Path(path)
        if (root / CASE_FILE).exists():
            raise CaseError("case.exists", path=str(root))
        role = normalize("role", role) or role              # 卖家 / Seller → seller
        platform = normalize("platform", platform) or platform   # 闲鱼 → xianyu
        if role not in ROLES:
            raise UsageError("case.bad_role", role=role)
        if platform not in PLATFORMS:
            raise UsageError("case.bad_platform", platform=platform, choices=", ".join(
                f"{label('platform', p, 'zh')}/{p}" for p in PLATFORMS))
        if not allow_nested:
            outer = next((f for f in root.resolve().parents if (f / CASE_FILE).is_file()), None)
            if outer is not None:
                raise CaseError("case.nested", path=str(root), outer=str(outer))
        tz = parse_offset(timezone)
        if root.exists() and any(p for p in root.iterdir() if not p.name.startswith(".")):
            raise CaseError("case.not_empty", path=str(root))
        root.mkdir(parents=True, exist_ok=True)
        for sub in SUBDIRS:
            (root / sub).mkdir(exist_ok=True)
        info = {
            "title": title or root.resolve().name,
            "role": role,
            "platform": platform,
            "item": item,
            "price": _price(price),
            "currency": currency,
            "order": order,
            "counterparty": counterparty,
            "timezone": format_offset(tz),
            "created": dt.datetime.now(tz).isoformat(timespec="seconds"),
        }
        write_bytes(root / CASE_FILE, dump_toml(info).encode("utf-8"))
        case = cls(root)
        case.custody.append("init", files=[case._file_record(CASE_FILE)], details={"case": {k: v for k, v in info.items() if v is not None}})
        return case

    @classmethod
    def find(cls, explicit: str | os.PathLike | None = None, start: str | os.PathLike | None = None) -> "Case":
        if explicit:
            return cls(explicit)
        env = os.environ.get("TRADESHIELD_CASE")
        if env:
            return cls(env)
        here = Path(start or os.getcwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / CASE_FILE).is_file():
                return cls(folder)
        raise CaseError("case.not_found")

    # ------------------------------------------------------------ info
    @property
    def info(self) -> dict:
        return load_toml(self.root / CASE_FILE)

    @property
    def tz(self) -> dt.tzinfo:
        tz = self.info.get("timezone")
        try:
            return parse_offset(tz if tz is None else str(tz))
        except InputError:
            raise CaseError("case.bad_timezone", tz=str(tz)) from None

    @property
    def evidence_dir(self) -> Path:
        return self.root / "evidence"

    @property
    def derived_dir(self) -> Path:
        return self.root / "derived"

    @property
    def statements_dir(self) -> Path:
        return self.root / "statements"

    @property
    def facts_dir(self) -> Path:
        return self.root / "facts"

    def update_info(self, **changes) -> dict:
        if "price" in changes:
            changes["price"] = _price(changes["price"])
        with self.custody.locked():  # the file and its custody entry together: a parallel update is not lost
            info = self.info
            info.update({k: v for k, v in changes.items() if v is not None})
            write_bytes(self.root / CASE_FILE, dump_toml(info).encode("utf-8"))
            self.custody.append("case-update", files=[self._file_record(CASE_FILE)], details={"changes": changes})
        return info

    def rel(self, path: str | os.PathLike) -> str:
        return Path(path).resolve().relative_to(self.root).as_posix()

    def _file_record(self, rel: str) -> dict:
        sha, size = hash_file(self.root / rel)
        return {"path": rel, "sha256": sha, "size": size}

    # ------------------------------------------------------------ evidence
    def evidence(self) -> list[EvidenceItem]:
        items: dict[str, EvidenceItem] = {}
        for e in self.custody.entries():
            d = e["details"].get("item") if e.get("action") == "add" else None
            if isinstance(d, dict) and isinstance(d.get("sha256"), str) and isinstance(d.get("path"), str):
                items[d["sha256"]] = EvidenceItem(**{k: d.get(k) for k in EvidenceItem.__dataclass_fields__})
        return list(items.values())

    def evidence_by_hash(self, sha256: str) -> EvidenceItem | None:
        for item in self.evidence():
            if item.sha256 == sha256 or (len(sha256) >= 8 and item.sha256.startswith(sha256)):
                return item
        return None

    def evidence_path(self, item: EvidenceItem) -> Path:
        return self.root / item.path

    def add(self, paths: Iterable[str | os.PathLike], note: str | None = None,
            progress: Progress | None = None) -> list[AddResult]:
        """Copy originals in (never moving or editing them); directories are walked."""
        files: list[Path] = []
        for p in paths:
            p = Path(p)
            if p.is_dir():
                found = []
                for dirpath, dirnames, filenames in os.walk(p):
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    found.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
                if not found:
                    raise InputError("add.nothing", path=str(p))
                files.extend(found)
            else:
                files.append(p)
        for f in files:  # every input checked before anything is copied
            check_input(f)
        known = self._known()
        results = []
        for f in files:
            results.append(self._add_one(f, note, known, progress))
        return results

    def ensure_evidence(self, path: str | os.PathLike, note: str | None = None,
                        progress: Progress | None = None) -> EvidenceItem:
        """The case's evidence item for ``path``: a file already inside evidence/, or one added now."""
        item = self._inside(path)
        return item if item is not None else self.add([path], note=note, progress=progress)[0].item

    def add_pending(self, path: str | os.PathLike, note: str | None = None,
                    progress: Progress | None = None) -> "PendingEvidence":
        """``ensure_evidence`` for a caller that reads the whole file next (a chat import): once the copy is
        written and hashed, ``.path`` can be read and ``.sha256`` is known, while the copy is made durable
        and read back on a thread; ``finish()`` waits for that and names and logs the evidence (the item),
        ``discard()`` drops the copy. Nothing appears in evidence/ or the custody log before ``finish()``.

            >>> pending = case.add_pending("聊天记录.txt", note="chat export")      # doctest: +SKIP
            >>> try:
            ...     parse(pending.path, pending.sha256)
            ...     item = pending.finish()
            ... finally:
            ...     pending.discard()
        """
        item = self._inside(path)
        if item is not None:
            return PendingEvidence(self, None, note, item=item)
        return PendingEvidence(self, self._copy_in(check_input(path), progress), note)

    def _known(self) -> dict[str, EvidenceItem]:
        return {item.sha256: item for item in self.evidence()}

    def _inside(self, path) -> EvidenceItem | None:
        """The item of a file already inside evidence/, else None."""
        try:
            rel = self.rel(Path(path))
        except ValueError:
            return None
        if rel.startswith("evidence/"):
            for item in self.evidence():
                if item.path == rel:
                    return item
        return None

    def _add_one(self, src: Path, note, known: dict, progress) -> AddResult:
        pending = PendingEvidence(self, self._copy_in(src, progress), note, known, background=False)
        pending.finish()
        return pending.result

    def _copy_in(self, src: Path, progress) -> "_Incoming":
        """One read of the source: copied while hashed into a hidden name (not yet fsynced)."""
        st = src.stat()
        incoming = self.evidence_dir / f".incoming-{os.getpid()}-{st.st_ino}"
        try:
            sha, size = copy_hashed(src, incoming, progress, label=display_name(src.name), sync=False)
            st2 = src.stat()
            if (st2.st_size, st2.st_mtime_ns) != (st.st_size, st.st_mtime_ns) or size != st.st_size:
                raise InputError("add.source_changed", path=str(src))
        except BaseException:
            incoming.unlink(missing_ok=True)
            raise
        return _Incoming(src, st, incoming, sha, size)

    def _commit(self, inc: "_Incoming", note, known: dict) -> AddResult:
        """A verified copy becomes evidence (read-only, logged); a duplicate is logged as such."""
        src, st, sha, size = inc.src, inc.st, inc.sha256, inc.size
        # custody (bundled) records the source's file name only; its full path stays in the local sources file
        name = display_name(src.name)
        self._note_source(src, sha)
        if sha in known:
            self.custody.append("add-duplicate", files=[{"path": known[sha].path, "sha256": sha, "size": size}],
                                details={"source": name})
            return AddResult("duplicate", known[sha], display_name(str(src)))
        dest = self._free_name(name, sha)
        os.chmod(inc.path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.rename(inc.path, dest)
        fsync_dir(dest.parent)
        kind = sniff_kind(dest)
        from tradeshield.meta import capture_time

        when, source = capture_time(dest, kind)
        item = EvidenceItem(
            path=self.rel(dest), sha256=sha, size=size, kind=kind, original_path=name,
            original_mtime=dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).isoformat(),
            capture_time=when, capture_source=source, note=note,
            added=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        )
        self.custody.append("add", files=[{"path": item.path, "sha256": sha, "size": size}], details={"item": item.to_dict()})
        known[sha] = item
        return AddResult("added", item, display_name(str(src)))

    def _note_source(self, src: Path, sha: str) -> None:
        """The full source path, kept on this machine only (``.tradeshield/sources.jsonl``, never bundled)."""
        from tradeshield.evidence.custody import utc_now

        local = self.root / LOCAL_DIR
        try:
            local.mkdir(exist_ok=True)
            line = json.dumps({"sha256": sha, "path": display_name(str(src.resolve())), "time": utc_now()},
                              ensure_ascii=False) + "\n"
            with open(local / SOURCES_FILE, "a", encoding="utf-8") as f:
                f.write(line)
        except OSError:
            pass  # a convenience record: the evidence itself does not depend on it

    def _free_name(self, name: str, sha: str) -> Path:
        # "%" is written as the full-width "％": a bag path then needs no %25, which RFC 8493 requires but
        # bagit-python and most BagIt tools do not decode (bagit-python #157); the true name stays in custody
        name = name.replace("/", "_").replace("\\", "_").replace("%", "\uff05") or "file"
        if len(name.encode("utf-8")) > _NAME_MAX:
            # a long name cut (filesystems allow 255 bytes; ％ is 3 of them; derived files and temp names add to it);
            # the hash makes the cut name the file's own, and the full name stays in custody (``original_path``)
            stem, suffix = os.path.splitext(name)
            if len(suffix.encode("utf-8")) > 16:
                stem, suffix = name, ""
            keep = _NAME_MAX - len(suffix.encode("utf-8")) - 9
            name = f"{stem.encode('utf-8')[:keep].decode('utf-8', 'ignore')}-{sha[:8]}{suffix}"
        dest = self.evidence_dir / name
        if not dest.exists():
            return dest
        stem, suffix = os.path.splitext(name)
        return self.evidence_dir / f"{stem}-{sha[:8]}{suffix}"

    # ------------------------------------------------------------ derived files
    def derived_path(self, relname: str) -> Path:
        """Path under derived/ for a generated file (folders made, traversal refused)."""
        dest = (self.derived_dir / relname).resolve()
        if not dest.is_relative_to(self.derived_dir.resolve()):
            raise UsageError("derived.bad_path", path=relname)
        dest.parent.mkdir(parents=True, exist_ok=True)
        return dest

    def record_derived(self, paths: Iterable[str | os.PathLike], *, action: str, sources: list[str],
                       params: dict | None = None, details: dict | None = None,
                       hashes=None) -> dict:
        """Log files already written (atomically) under the case: which originals and parameters made them.

        ``sources`` are SHA-256 digests of the originals (or of other derived files). ``hashes`` gives the
        ``(sha256, size)`` a writer computed while writing, so big outputs are not read again: either a
        mapping {path: (sha256, size)} or a sequence in the order of ``paths``. Paths without one are
        hashed here.
        """
        paths = list(paths)
        if hashes is not None and not isinstance(hashes, dict):
            hashes = list(hashes)
            if len(hashes) != len(paths):
                raise ValueError("record_derived: one (sha256, size) per path")
            hashes = dict(zip(paths, hashes))
        known = {self.rel(p): tuple(v) for p, v in (hashes or {}).items()}
        files = []
        for p in paths:
            rel = self.rel(p)
            files.append({"path": rel, "sha256": known[rel][0], "size": known[rel][1]} if rel in known
                         else self._file_record(rel))
        return self.custody.append(action, files=files, details={"sources": list(sources), "params": params or {},
                                                                  **(details or {})})

    def derived_records(self) -> dict[str, dict]:
        """Latest provenance per derived path: {path: {sha256, action, sources, params}}."""
        out: dict[str, dict] = {}
        for e in self.custody.entries():
            d = e["details"]
            if "sources" not in d:
                continue
            for f in e["files"]:
                out[f["path"]] = {"sha256": f["sha256"], "size": f.get("size"), "action": e.get("action"),
                                  "sources": d["sources"], "params": d.get("params", {}), "time": e.get("time")}
        return out

    # ------------------------------------------------------------ facts
    def write_facts(self, name: str, data, *, sources: list[str] | None = None, action: str | None = None) -> Path:
        if not name.replace("-", "").replace("_", "").isalnum():
            raise UsageError("facts.bad_name", name=name)
        path = self.facts_dir / f"{name}.json"
        data = self._no_local_paths(data)
        with self.custody.locked():
            write_bytes(path, _facts_json(data))
            self.record_derived([path], action=action or f"facts:{name}", sources=sources or [])
        return path

    def _no_local_paths(self, data):
        """Facts go into bundles: an absolute path inside the case becomes case-relative, one to a file elsewhere
        its file name (a capability that passed ``str(path)`` does not send the user's folders to the platform)."""
        root = str(self.root) + os.sep
        posix = os.path is posixpath

        def fix(v):
            if type(v) is str and posix and not v.startswith("/"):     # (os.path.isabs; most values are texts)
                return v
            if isinstance(v, dict):
                return {k: fix(x) for k, x in v.items()}
            if isinstance(v, list):
                return [fix(x) for x in v]
            if isinstance(v, str) and len(v) < 4096 and "\n" not in v and os.path.isabs(v):
                if v.startswith(root):
                    return Path(v[len(root):]).as_posix()
                try:
                    if Path(v).exists():
                        return Path(v).name
                except (OSError, ValueError):
                    pass
            return v

        return fix(data)

    def read_facts(self, name: str, default=None):
        path = self.facts_dir / f"{name}.json"
        if not path.exists():
            return default
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return default

    # ------------------------------------------------------------ events
    @property
    def events_path(self) -> Path:
        return self.root / "events.jsonl"

    def add_event(self, when: str | dt.datetime, kind: str, note: str | None = None, source: str = "user",
                  ref: dict | None = None) -> Event:
        if kind not in EVENT_KINDS:
            raise UsageError("event.bad_kind", kind=kind, choices=", ".join(EVENT_KINDS))
        t = when if isinstance(when, dt.datetime) else parse_time(when, self.tz)
        if t.tzinfo is None:
            t = t.replace(tzinfo=self.tz)
        ev = Event(time=t.isoformat(), kind=kind, note=note, source=source, ref=ref or {})
        line = canonical(ev.to_dict()) + b"\n"
        # read, rewrite and log under the custody lock: two `event add` at once both keep their event
        with self.custody.locked():
            existing = self.events_path.read_bytes() if self.events_path.exists() else b""
            if existing and not existing.endswith(b"\n"):
                existing += b"\n"
            with atomic_write(self.events_path) as f:
                f.write(existing + line)
            self.custody.append("event", files=[self._file_record("events.jsonl")], details={"event": ev.to_dict()})
        return ev

    def events(self) -> list[Event]:
        if not self.events_path.exists():
            return []
        out = []
        for ln in self.events_path.read_text(encoding="utf-8").splitlines():
            if ln.strip():
                try:
                    out.append(Event(**json.loads(ln)))
                except (ValueError, TypeError):
                    continue
        def when(e: Event):
            try:
                t = dt.datetime.fromisoformat(e.time)
                return t if t.tzinfo else t.replace(tzinfo=self.tz)
            except (TypeError, ValueError):  # an edited line: kept, sorted last
                return dt.datetime.max.replace(tzinfo=dt.timezone.utc)

        return sorted(out, key=when)
