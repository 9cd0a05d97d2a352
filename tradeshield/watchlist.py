"""Local watchlist of counterparties (SQLite in the user data folder).

    >>> from tradeshield.watchlist import Watchlist
    >>> wl = Watchlist()                                         # doctest: +SKIP
    >>> wl.add("tb12345678", platform="xianyu", reason="索要优惠被拒后恶意退款", case=".")  # doctest: +SKIP
    >>> [e.id for e in wl.lookup("TB12345678")]                  # doctest: +SKIP
    ['tb12345678']

One row per (platform, id); ids compare case-insensitively. The file is
``user_data_dir()/watchlist.sqlite3`` (``TRADESHIELD_HOME`` moves it). Two processes may use it
at once: WAL journal, a busy timeout and ``BEGIN IMMEDIATE`` write transactions serialise the
writers, and every multi-row change (an import) is one transaction, so a crash leaves either the
old or the new list. ``application_id`` marks the file so that another SQLite database, or a file
that is not a database at all, is refused with a clear error instead of being "repaired".
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tradeshield import i18n
from tradeshield.config import user_data_dir
from tradeshield.errors import InputError, UsageError

APP_ID = 0x54535751          # "TSWQ"
FILENAME = "watchlist.sqlite3"
COLUMNS = ("id", "platform", "reason", "date", "case", "seal_code")
MAX_ID, MAX_REASON = 64, 500
_SEAL = re.compile(r"^TS\d+-[A-Z2-7]{4,60}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

i18n.register({
    "watch.corrupt": ("关注名单文件已损坏或不是 tradeshield 名单：{path}（{reason}）；可改名后重建",
                      "the watchlist file is corrupt or not a tradeshield watchlist: {path} ({reason}); rename it to start afresh"),
    "watch.busy": ("关注名单被另一进程占用超过 {seconds:g} 秒：{path}；稍后再试", "the watchlist stayed locked by another process for {seconds:g} s: {path}; try again"),
    "watch.bad_id": ("无效的对方账号：{value}（1–64 个字符，不含控制字符）", "invalid counterparty id: {value} (1–64 characters, no control characters)"),
    "watch.bad_platform": ("未知平台：{value}（可用：{choices}）", "unknown platform: {value} (choose from {choices})"),
    "watch.bad_reason": ("原因过长（最多 {max} 个字符）", "reason too long (at most {max} characters)"),
    "watch.bad_date": ("无效日期：{value}（格式 YYYY-MM-DD，不能是将来）", "invalid date: {value} (YYYY-MM-DD, not in the future)"),
    "watch.bad_seal": ("无效的封存码：{value}（形如 TS1-ABCD…）", "invalid seal code: {value} (like TS1-ABCD…)"),
    "watch.not_listed": ("名单中没有：{id}", "not on the watchlist: {id}"),
    "watch.csv_bad": ("CSV 无法读取：{path}（{reason}）", "cannot read the CSV {path} ({reason})"),
    "watch.csv_no_id": ("CSV 缺少 id 列：{path}（需要表头：{columns}）", "the CSV has no id column: {path} (header needed: {columns})"),
    "watch.duplicate_row": ("与第 {line} 行重复", "duplicate of line {line}"),
})


@dataclass
class Entry:
    id: str
    platform: str = "other"
    reason: str = ""
    date: str = ""
    case: str | None = None
    seal_code: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: list[dict] = field(default_factory=list)   # {"line": n, "error": message, "error_zh": …}

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- validation

def _platforms() -> tuple[str, ...]:
    from tradeshield.evidence.case import PLATFORMS

    return PLATFORMS


def clean_entry(raw: dict, today: dt.date | None = None) -> Entry:
    """A validated Entry from loose values (CSV row, command line); UsageError names the bad field."""
    today = today or dt.date.today()
    ident = str(raw.get("id") or "").strip()
    if not ident or len(ident) > MAX_ID or _CONTROL.search(ident):
        raise UsageError("watch.bad_id", value=ident[:80])
    from tradeshield.labels import normalize

    platform = (str(raw.get("platform") or "").strip().lower() or "other")
    platform = normalize("platform", platform) or platform      # 闲鱼 → xianyu
    if platform not in _platforms():
        raise UsageError("watch.bad_platform", value=platform, choices=", ".join(_platforms()))
    reason = str(raw.get("reason") or "").strip()
    if len(reason) > MAX_REASON:
        raise UsageError("watch.bad_reason", max=MAX_REASON)
    date = str(raw.get("date") or "").strip() or today.isoformat()
    try:
        when = dt.date.fromisoformat(date)
    except ValueError:
        raise UsageError("watch.bad_date", value=date) from None
    if when > today + dt.timedelta(days=1) or len(date) != 10:
        raise UsageError("watch.bad_date", value=date)
    seal = str(raw.get("seal_code") or "").strip().upper() or None
    if seal and not _SEAL.match(seal):
        raise UsageError("watch.bad_seal", value=seal)
    case = str(raw.get("case") or "").strip() or None
    return Entry(ident, platform, reason, date, case, seal)


# ---------------------------------------------------------------- the store

class Watchlist:
    def __init__(self, path: str | os.PathLike | None = None, timeout: float = 30.0):
        self.path = Path(path) if path else user_data_dir() / FILENAME
        self.timeout = timeout

    @contextlib.contextmanager
    def _db(self, write: bool):
        """A connection; with ``write`` the block runs in one BEGIN IMMEDIATE transaction."""
        try:
            con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise InputError("watch.corrupt", path=str(self.path), reason=str(e)) from None
        try:
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            self._prepare(con)
            if write:
                con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                if write:
                    con.execute("COMMIT")
            except BaseException:
                if write and con.in_transaction:
                    con.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError) and "locked" in str(e):
                raise InputError("watch.busy", path=str(self.path), seconds=self.timeout) from None
            raise InputError("watch.corrupt", path=str(self.path), reason=str(e)) from None
        finally:
            con.close()

    def _prepare(self, con: sqlite3.Connection) -> None:
        if con.execute("PRAGMA application_id").fetchone()[0] == APP_ID:
            return
        self._foreign(con)
        self._wal(con)
        con.execute("BEGIN IMMEDIATE")   # first use: two processes may race to create the table
        try:
            if self._foreign(con) != APP_ID:
                con.execute("CREATE TABLE entries (id TEXT NOT NULL COLLATE NOCASE, platform TEXT NOT NULL, "
                            "reason TEXT NOT NULL, date TEXT NOT NULL, case_path TEXT, seal_code TEXT, "
                            "PRIMARY KEY (platform, id))")
                con.execute(f"PRAGMA application_id = {APP_ID}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _foreign(self, con: sqlite3.Connection) -> int:
        """The file's application id; another program's SQLite file is refused before anything in it is changed.

        The id and the tables are read in one transaction: read apart, a second process creating the
        watchlist in between made a new, empty file look like another program's (id 0 but a table)."""
        own = not con.in_transaction
        if own:
            con.execute("BEGIN")
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            if own:
                con.execute("COMMIT")
        if app_id != APP_ID and (app_id != 0 or tables):
            raise InputError("watch.corrupt", path=str(self.path), reason="not a tradeshield watchlist")
        return app_id

    def _wal(self, con: sqlite3.Connection) -> None:
        """Switch the file to WAL before the table exists (the mode is stored in the file).

        SQLite's journal-mode change does not wait on the busy timeout: it fails at once with
        "database is locked" while another process holds a write lock. Done after the table was
        created, as before, a second process writing its first entry in that instant made the first
        one fail; here the switch is retried until the timeout, and a file another process already
        switched is left as it is.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if con.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() == "wal":
                    return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e):
                    raise
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal" or time.monotonic() > deadline:
                return
            time.sleep(0.02)

    @staticmethod
    def _row(r) -> Entry:
        return Entry(r[0], r[1], r[2], r[3], r[4], r[5])

    def _upsert(self, con, e: Entry) -> str:
        old = con.execute("SELECT id, platform, reason, date, case_path, seal_code FROM entries "
                          "WHERE platform = ? AND id = ?", (e.platform, e.id)).fetchone()
        if old is not None and self._row(old) == e:
            return "unchanged"
        con.execute("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, id) DO UPDATE SET "
                    "id = excluded.id, reason = excluded.reason, date = excluded.date, "
                    "case_path = excluded.case_path, seal_code = excluded.seal_code",
                    (e.id, e.platform, e.reason, e.date, e.case, e.seal_code))
        return "added" if old is None else "updated"

    # ------------------------------------------------------------ operations
    def add(self, ident: str, platform: str | None = None, reason: str = "", case=None,
            date: str | None = None) -> tuple[Entry, str]:
        """Add or update one entry; ``case`` (a Case or folder) links the case and its seal code."""
        seal = None
        if case is not None:
            from tradeshield.evidence.case import Case

            c = case if isinstance(case, Case) else Case(case)
            platform = platform or c.info.get("platform")
            seal = (c.read_facts("seal", {}) or {}).get("code")
            case = str(c.root)
        entry = clean_entry({"id": ident, "platform": platform, "reason": reason, "date": date,
                             "case": case, "seal_code": seal})
        with self._db(write=True) as con:
            return entry, self._upsert(con, entry)

    def remove(self, ident: str, platform: str | None = None) -> int:
        from tradeshield.labels import normalize

        platform = normalize("platform", platform) or platform if platform else platform
        with self._db(write=True) as con:
            if platform:
                n = con.execute("DELETE FROM entries WHERE id = ? AND platform = ?", (ident.strip(), platform)).rowcount
            else:
                n = con.execute("DELETE FROM entries WHERE id = ?", (ident.strip(),)).rowcount
        if not n:
            raise InputError("watch.not_listed", id=ident)
        return n

    def entries(self, platform: str | None = None) -> list[Entry]:
        from tradeshield.labels import normalize

        platform = normalize("platform", platform) or platform if platform else platform
        if not self.path.exists():
            return []
        sql = "SELECT id, platform, reason, date, case_path, seal_code FROM entries"
        args: tuple = ()
        if platform:
            sql, args = sql + " WHERE platform = ?", (platform,)
        with self._db(write=False) as con:
            return [self._row(r) for r in con.execute(sql + " ORDER BY date DESC, platform, id", args)]

    def lookup(self, ident: str, platform: str | None = None) -> list[Entry]:
        """Entries for this counterparty (any platform, or this one and 'other')."""
        from tradeshield.labels import normalize

        platform = normalize("platform", platform) or platform if platform else platform
        if not self.path.exists() or not ident or not ident.strip():
            return []
        with self._db(write=False) as con:
            rows = con.execute("SELECT id, platform, reason, date, case_path, seal_code FROM entries "
                               "WHERE id = ? ORDER BY date DESC", (ident.strip(),)).fetchall()
        hits = [self._row(r) for r in rows]
        return [e for e in hits if not platform or e.platform in (platform, "other")]

    # ------------------------------------------------------------ CSV
    def export_csv(self, out: str | os.PathLike, force: bool = False) -> int:
        from tradeshield.evidence.fsutil import write_bytes

        out = Path(out)
        if out.exists() and not force:
            raise UsageError("file.exists", path=str(out))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(COLUMNS)
        rows = self.entries()
        for e in rows:
            w.writerow([e.id, e.platform, e.reason, e.date, e.case or "", e.seal_code or ""])
        write_bytes(out, buf.getvalue().encode("utf-8-sig"))   # BOM: Excel opens Chinese text correctly
        return len(rows)

    def import_csv(self, path: str | os.PathLike) -> ImportReport:
        """Import valid rows in one transaction; bad rows are reported (line number and why), not imported."""
        rows = _read_csv(path)
        report, good, seen = ImportReport(), [], {}
        for line, raw in rows:
            try:
                e = clean_entry(raw)
                key = (e.platform, e.id.lower())
                if key in seen:
                    raise UsageError("watch.duplicate_row", line=seen[key])
                seen[key] = line
                good.append(e)
            except UsageError as err:
                report.bad.append({"line": line, "error": err.message("en"), "error_zh": err.message("zh")})
        with self._db(write=True) as con:
            for e in good:
                status = self._upsert(con, e)
                setattr(report, status, getattr(report, status) + 1)
        return report


def _read_csv(path) -> list[tuple[int, dict]]:
    from tradeshield.evidence.fsutil import check_input

    data = check_input(path).read_bytes()
    for enc in ("utf-8-sig", "gb18030"):   # Excel on Chinese Windows saves GBK
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError("watch.csv_bad", path=str(path), reason="not UTF-8 or GB18030 text")
    if "\x00" in text:
        raise InputError("watch.csv_bad", path=str(path), reason="binary data")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "id" not in header:
            raise InputError("watch.csv_no_id", path=str(path), columns=",".join(COLUMNS))
        reader.fieldnames = header
        out = []
        for raw in reader:
            if not any((v or "").strip() for k, v in raw.items() if k is not None):
                continue
            out.append((reader.line_num, {k: v for k, v in raw.items() if k in COLUMNS}))
        return out
    except csv.Error as e:
        raise InputError("watch.csv_bad", path=str(path), reason=str(e)) from None
