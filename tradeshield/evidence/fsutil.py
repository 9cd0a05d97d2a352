"""File primitives: atomic writes, streamed hashing, hashed copies, content sniffing.

    >>> from tradeshield.evidence.fsutil import atomic_write, hash_file
    >>> with atomic_write("out.txt") as f:          # doctest: +SKIP
    ...     f.write(b"all or nothing")
    >>> hash_file("out.txt")                         # doctest: +SKIP
    ('5c0e…', 14)

Every file tradeshield writes goes through ``atomic_write``: a temp file in the same folder,
fsync, then ``os.replace``. An interrupted write leaves at most a hidden ``.*.tmp-*`` file,
never a half-written file under the final name.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from pathlib import Path
from typing import Callable, Iterator

from tradeshield.errors import InputError

_UMASK = os.umask(0o022)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK  # what a plain open() would give; mkstemp's 0600 is not what users expect
DIR_MODE = 0o777 & ~_UMASK
CHUNK = 1 << 20  # 1 MiB: below 64 KiB reads cost up to 20 % (TECH-NOTES)
Progress = Callable[[str, int, "int | None"], None]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None, reserve: int = 0,
                 sync: bool = True) -> Iterator:
    """A temp file beside ``path`` that replaces it only when the block ends without an error.

    ``reserve``: bytes expected (``preallocate``); the file is cut where the writing stopped.
    ``sync=False`` skips the fsync: for a file under a hidden name that its caller makes durable before
    giving it its real name (``Case`` evidence copies, so that reading them need not wait for the disk).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        # named before it is created, inside the try: a Ctrl-C arriving just after the file appears (before
        # tempfile.mkstemp had returned its name) left it behind. The pid in the name lets the next command tell
        # a killed run's leftover from a running one's (sweep_stale).
        while True:
            tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
            try:
                fd = os.open(tmp, _CREATE, 0o600)
                break
            except FileExistsError:
                continue
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None) as f:
            reserved = reserve and preallocate(f, reserve)
            yield f
            if reserved:
                f.truncate()        # at the current position: the end of what was written
            f.flush()
            os.fchmod(f.fileno(), FILE_MODE)
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
        if sync:
            fsync_dir(path.parent)  # the rename itself survives a power cut
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise


_CREATE = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename or a new name in ``path`` durable (a no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# .incoming-PID-INO (evidence copies), .NAME.tmp-PID-XXXX (atomic_write; older ones without PID), the chat
# import's spools .chat-SHA12[-PID].spool / .events.spool, a frames run's replaced folder .NAME.old-PID
_TEMP_RE = __import__("re").compile(
    r"^\.(?:incoming-(\d+)-\d+|.+\.tmp-(?:(\d+)-)?[^/]*|chat-[0-9a-f]+(?:-(\d+))?\.(?:events\.)?spool"
    r"|.+\.old-(\d+))$")
STALE_AFTER = 6 * 3600  # a temp name without a pid (another writer's) is a leftover after this many seconds


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def stale_temps(folders, recursive: bool = True, prefix: str = "") -> list[Path]:
    """Hidden temp files and folders of atomic writes (``.NAME.tmp-PID-…``, ``.incoming-PID-…``) left by a run that
    was killed: their process is gone (or, without a pid in the name, they are older than ``STALE_AFTER``)."""
    import time

    out = []
    now = time.time()
    for base in folders:
        base = Path(base)
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            for name in [*filenames, *dirnames]:
                m = _TEMP_RE.match(name)
                if not m or not name.startswith(prefix):
                    continue
                p = Path(dirpath) / name
                pid = m.group(1) or m.group(2) or m.group(3) or m.group(4)
                try:
                    old = now - p.lstat().st_mtime > STALE_AFTER
                except OSError:
                    continue
                if (pid and not _pid_alive(int(pid))) or (not pid and old):
                    out.append(p)
            dirnames[:] = [d for d in dirnames if not _TEMP_RE.match(d)] if recursive else []
    return out


def remove_stale(paths) -> None:
    import shutil

    for p in paths:
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        except OSError:
            pass


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_write(path, "wb") as f:
        f.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def check_input(path: str | os.PathLike) -> Path:
    """A readable, non-empty regular file, or an InputError naming it."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError("file.missing", path=str(path)) from None
    except OSError as e:
        raise InputError("file.unreadable", path=str(path), reason=e.strerror or str(e)) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError("file.not_file", path=str(path))
    if st.st_size == 0:
        raise InputError("file.empty", path=str(path))
    return p


def stream_hash(src, sink: Callable[[memoryview], object] | None = None, progress: Progress | None = None,
                label: str = "", total: int | None = None, limit: int | None = None) -> tuple[str, int]:
    """SHA-256 of everything read from ``src`` (a raw binary file), optionally passing each chunk to ``sink``.

    Hashing runs on a helper thread while the caller's thread reads and writes the next chunk (hashlib,
    zlib and file I/O release the GIL), so a hashed copy costs about as much as hashing alone.
    ``limit`` stops after that many bytes (for an entry inside a larger file).
    """
    from concurrent.futures import ThreadPoolExecutor

    h = hashlib.sha256()
    bufs = [bytearray(CHUNK * 4), bytearray(CHUNK * 4)]
    pending = [None, None]
    size = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        i = 0
        while True:
            slot = i % 2
            if pending[slot] is not None:
                pending[slot].result()
            buf = bufs[slot]
            if limit is not None and limit - size < len(buf):
                view = memoryview(buf)[: max(0, limit - size)]
                n = src.readinto(view) if len(view) else 0
            else:
                n = src.readinto(buf)
            if not n:
                break
            chunk = memoryview(buf)[:n]
            pending[slot] = pool.submit(h.update, chunk)
            if sink is not None:
                sink(chunk)
            size += n
            if progress:
                progress(label, size, total)
            i += 1
        for p in pending:
            if p is not None:
                p.result()
    return h.hexdigest(), size


def hash_file(path: str | os.PathLike, progress: Progress | None = None, label: str = "") -> tuple[str, int]:
    """SHA-256 hex digest and size, streamed in 4 MiB chunks."""
    total = os.path.getsize(path)
    if total < CHUNK:
        data = Path(path).read_bytes()
        return hashlib.sha256(data).hexdigest(), len(data)
    with open(path, "rb", buffering=0) as f:
        return stream_hash(f, progress=progress, label=label or str(path), total=total)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def copy_hashed(src: str | os.PathLike, dst: str | os.PathLike, progress: Progress | None = None,
                label: str = "", sync: bool = True) -> tuple[str, int]:
    """Copy src to dst atomically while hashing what was read; returns (sha256, size).
    ``sync=False``: not fsynced (see ``atomic_write``)."""
    total = os.path.getsize(src)
    with open(src, "rb", buffering=0) as fin, atomic_write(dst, "wb", reserve=total, sync=sync) as fout:
        return stream_hash(fin, fout.write, progress, label or str(src), total)


def preallocate(f, size: int) -> bool:
    """Reserve ``size`` bytes on disk for a file about to be written; False where that is not possible.

    ext4 otherwise allocates blocks page by page as the writes arrive: measured here, writing 560 MB
    cost 1.0 s of system time, 0.2 s after fallocate(2). ``os.posix_fallocate`` makes that call where the
    file system has it; a file written shorter must be truncated (``atomic_write(..., reserve=n)`` does).
    """
    if size < (1 << 22) or not hasattr(os, "posix_fallocate"):
        return False
    try:
        os.posix_fallocate(f.fileno(), 0, size)
        return True
    except (OSError, ValueError, AttributeError):
        return False


# ---------------------------------------------------------------- content sniffing

_VIDEO_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"qt  ", b"M4V ", b"M4VP",
                 b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"avc1", b"dash", b"MSNV", b"XAVC", b"mmp4", b"f4v "}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif"}


def sniff_kind(path: str | os.PathLike) -> str:
    """Kind from content, not extension: video / photo / pdf / ofd / xml / chat / other."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n") or head[:6] in (b"GIF87a", b"GIF89a"):
        return "photo"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "photo"
    if head[:2] in (b"II", b"MM") and head[2:4] in (b"*\x00", b"\x00*"):
        return "photo"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "photo"
        return "video"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "video"
    if head[:4] == b"\x1a\x45\xdf\xa3" or (head[:4] == b"RIFF" and head[8:12] == b"AVI "):
        return "video"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        return "ofd" if b"OFD.xml" in head or b"Doc_0" in head else "other"
    if _looks_text(head):
        stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
        if stripped.startswith(b"<?xml") and b"EInvoice" in head:
            return "xml"
        return "chat"
    return "other"


def _looks_text(head: bytes) -> bool:
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            head.decode(enc)
            return True
        except UnicodeDecodeError as e:
            if enc == "utf-8" and e.start >= len(head) - 3:  # a character cut at the buffer end
                return True
    return False
