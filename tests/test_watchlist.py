"""Watchlist: add/list/remove/export/import, case link, corrupt files, two processes at once."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tradeshield.errors import InputError, UsageError
from tradeshield.watchlist import APP_ID, FILENAME, Watchlist

ROOT = Path(__file__).resolve().parent.parent


def test_add_lookup_update_remove(tmp_path):
    wl = Watchlist()
    assert wl.path.parent == tmp_path / "_home" / "data"
    entry, status = wl.add("tb12345678", platform="xianyu", reason="索要优惠被拒后恶意退款")
    assert status == "added" and entry.date and entry.case is None
    assert [e.id for e in wl.lookup("TB12345678")] == ["tb12345678"]        # ids compare case-insensitively
    assert wl.lookup("tb12345678", platform="taobao") == []
    assert wl.add("tb12345678", platform="xianyu", reason="索要优惠被拒后恶意退款", date=entry.date)[1] == "unchanged"
    assert wl.add("TB12345678", platform="xianyu", reason="新原因")[1] == "updated"
    assert [(e.id, e.reason) for e in wl.entries()] == [("TB12345678", "新原因")]
    assert wl.remove("tb12345678") == 1
    assert wl.entries() == []
    with pytest.raises(InputError) as e:
        wl.remove("tb12345678")
    assert e.value.key == "watch.not_listed"


@pytest.mark.parametrize("kw,key", [
    (dict(ident=""), "watch.bad_id"),
    (dict(ident="x" * 65), "watch.bad_id"),
    (dict(ident="a\nb"), "watch.bad_id"),
    (dict(ident="ok", platform="myspace"), "watch.bad_platform"),
    (dict(ident="ok", date="2024-13-01"), "watch.bad_date"),
    (dict(ident="ok", date="2999-01-01"), "watch.bad_date"),
    (dict(ident="ok", reason="长" * 501), "watch.bad_reason"),
])
def test_bad_entries(kw, key):
    with pytest.raises(UsageError) as e:
        Watchlist().add(**kw)
    assert e.value.key == key


def test_linked_case_and_seal_code(case):
    case.write_facts("seal", {"code": "TS1-ABCDEFGHIJKLMNOPQRST", "root": "00" * 32, "time": "2024-05-01T10:00:00+08:00"})
    entry, _ = Watchlist().add("远方私人", reason="恶意退款", case=case.root)
    assert entry.case == str(case.root) and entry.seal_code == "TS1-ABCDEFGHIJKLMNOPQRST"
    assert entry.platform == "xianyu"                                    # from the case


def test_cli_round_trip_and_check_consults_it(cli, tmp_path):
    r = cli("watch", "add", "tb12345678", "--reason", "索要优惠被拒后恶意退款", "--platform", "xianyu", "--json")
    assert r.code == 0 and r.json["status"] == "added", r
    r = cli("watch", "list")
    assert r.code == 0 and "tb12345678" in r.stdout and "索要优惠被拒后恶意退款" in r.stdout
    r = cli("check", "--role", "seller", "--counterparty", "TB12345678", "--platform", "xianyu", "--json")
    assert r.code == 0 and r.json["level"] == "high"
    reason = r.json["reasons"][0]
    assert reason["id"] == "watchlist" and "索要优惠被拒后恶意退款" in reason["zh"]
    r = cli("check", "--role", "seller", "--counterparty", "TB12345678", "--no-watchlist", "--json")
    assert r.json["reasons"] == []
    out = tmp_path / "watch.csv"
    assert cli("watch", "export", out).code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,platform,reason,date,case,seal_code\r\n")
    r = cli("watch", "export", out)
    assert r.code == 2 and r.stderr.strip() == f"tradeshield: output exists: {out} (add --force to replace it)"
    assert cli("watch", "remove", "tb12345678").code == 0
    assert cli("watch", "list", "--json").json == []
    r = cli("watch", "import", out, "--json")
    assert r.code == 0 and r.json["added"] == 1 and r.json["bad"] == []
    assert cli("watch", "list", "--json").json[0]["reason"] == "索要优惠被拒后恶意退款"


def test_import_reports_bad_rows(cli, tmp_path):
    src = tmp_path / "theirs.csv"
    src.write_text("ID,Platform,Reason,Date\n"
                   "good1,xianyu,调包退货,2024-01-02\n"
                   ",xianyu,no id,2024-01-02\n"
                   "good2,craigslist,bad platform,2024-01-02\n"
                   "good3,taobao,bad date,02/01/2024\n"
                   "good4,,platform defaults to other,\n"
                   "GOOD1,xianyu,duplicate,2024-01-03\n", encoding="utf-8")
    r = cli("watch", "import", src, "--json")
    assert r.code == 1, r
    assert (r.json["added"], [b["line"] for b in r.json["bad"]]) == (2, [3, 4, 5, 7])
    assert "line 4 rejected: unknown platform: craigslist" in r.stderr
    assert "line 7 rejected: duplicate of line 2" in r.stderr
    assert sorted((e["id"], e["platform"]) for e in cli("watch", "list", "--json").json) == [("good1", "xianyu"), ("good4", "other")]


def test_import_gbk_and_bad_files(cli, tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("id,platform,reason\nzhang,xianyu,仅退款不退货\n".encode("gb18030"))
    r = cli("watch", "import", gbk, "--json")
    assert r.code == 0 and r.json["added"] == 1
    assert Watchlist().lookup("zhang")[0].reason == "仅退款不退货"
    noid = tmp_path / "noid.csv"
    noid.write_text("name,reason\nx,y\n", encoding="utf-8")
    r = cli("watch", "import", noid)
    assert r.code == 2 and r.stderr.startswith("tradeshield: the CSV has no id column")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x00\x01\x02\xff\xfe\x00")
    r = cli("watch", "import", binary)
    assert r.code == 2 and r.stderr.startswith("tradeshield: cannot read the CSV")


@pytest.mark.parametrize("content", ["garbage", "foreign-db"])
def test_corrupt_or_foreign_database(cli, tmp_path, content):
    db = tmp_path / "_home" / "data" / FILENAME
    db.parent.mkdir(parents=True)
    if content == "garbage":
        db.write_bytes(b"this is not a database at all" * 100)
    else:
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE other (x)")
        con.commit()
        con.close()
    before = db.read_bytes()
    for args in (["watch", "list"], ["watch", "add", "x"], ["check", "--role", "seller", "--counterparty", "x"]):
        r = cli(*args)
        assert r.code == 2 and r.stderr.startswith("tradeshield: the watchlist file is corrupt or not a tradeshield watchlist"), r
    assert db.read_bytes() == before                                      # never "repaired"


WRITER = """
import sys
from tradeshield.watchlist import Watchlist
wl = Watchlist()
for i in range(int(sys.argv[2])):
    wl.add(f"{sys.argv[1]}-{i}", platform="xianyu", reason="并发写入")
    if i % 10 == 0:
        wl.entries()
"""


def test_two_processes_at_once(tmp_path):
    env = {"TRADESHIELD_HOME": str(tmp_path / "_home"), "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, name, "120"], env=env, stderr=subprocess.PIPE)
             for name in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    entries = Watchlist().entries()
    assert len(entries) == 240 and len({(e.platform, e.id) for e in entries}) == 240
    con = sqlite3.connect(Watchlist().path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_first_use_while_another_process_creates_it(tmp_path, monkeypatch):
    """The other flake of test_two_processes_at_once (CI, session 11), made deterministic.

    On first use a process read the file's application id (0: new), then counted its tables to tell a new
    file from another program's. A second process creating the watchlist between the two reads made the
    count 1 with the id still read as 0: "not a tradeshield watchlist", exit 1. Here another connection
    creates it the moment the count is asked for: it must wait (the two reads are one transaction), and
    the first process goes on.
    """
    path = tmp_path / "w.sqlite3"
    real_connect = sqlite3.connect
    other = real_connect(path, isolation_level=None, timeout=0.2)
    tried = []

    def create(stmt):
        if "FROM sqlite_master" in stmt and not tried:
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("CREATE TABLE entries (id TEXT NOT NULL COLLATE NOCASE, platform TEXT NOT NULL, "
                              "reason TEXT NOT NULL, date TEXT NOT NULL, case_path TEXT, seal_code TEXT, "
                              "PRIMARY KEY (platform, id))")
                other.execute(f"PRAGMA application_id = {APP_ID}")
                other.execute("COMMIT")
                tried.append("committed")
            except sqlite3.OperationalError as e:
                tried.append(str(e))
                if other.in_transaction:
                    other.execute("ROLLBACK")

    def connect(*a, **k):
        con = real_connect(*a, **k)
        con.set_trace_callback(create)
        return con

    monkeypatch.setattr(sqlite3, "connect", connect)
    Watchlist(path, timeout=10).add("tb1", platform="xianyu", reason="first use")
    monkeypatch.setattr(sqlite3, "connect", real_connect)
    other.close()
    assert tried and "locked" in tried[0], tried
    assert [e.id for e in Watchlist(path).entries()] == ["tb1"]


def test_first_use_while_another_process_writes(tmp_path, monkeypatch):
    """The flake of test_two_processes_at_once, made deterministic.

    SQLite's journal-mode change does not wait on the busy timeout. The first process used to switch
    the new file to WAL right after creating the table; a second process starting its first write in
    that instant made the switch fail at once ("database is locked") and the first process exit 1.
    Here another connection takes the write lock the moment the switch starts and holds it 0.3 s.
    """
    import threading

    path = tmp_path / "w.sqlite3"
    real_connect = sqlite3.connect
    other = real_connect(path, isolation_level=None, check_same_thread=False)
    held = []

    def grab(stmt):
        if "journal_mode = WAL" in stmt and not held:
            held.append(1)
            other.execute("BEGIN IMMEDIATE")
            threading.Timer(0.3, lambda: other.execute("COMMIT")).start()

    def connect(*a, **k):
        con = real_connect(*a, **k)
        con.set_trace_callback(grab)
        return con

    monkeypatch.setattr(sqlite3, "connect", connect)
    wl = Watchlist(path, timeout=10)
    wl.add("tb1", platform="xianyu", reason="first use")
    monkeypatch.setattr(sqlite3, "connect", real_connect)
    assert held, "the lock was never taken: the test did not exercise the race"
    assert [e.id for e in Watchlist(path).entries()] == ["tb1"]
    con = real_connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    other.close()
