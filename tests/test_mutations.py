"""Mutation test: a signed bundle attacked ~1,200 seeded ways, verified with the expected key required.

Every mutant is judged by an oracle independent of ``verify``: the content a lenient reader (zipfile) gets out
of it — the sorted list of (entry name, bytes), or "unreadable". Outcomes:

- accepted with changed content — must be 0;
- internal error (any exception but ``InputError`` from ``verify_bundle``, which runs without ``verify``'s
  last-resort net) — must be 0;
- accepted with unchanged content — allowed only for kinds listed in ``NO_CONTENT_KINDS`` (zip comment,
  entry order, stored/deflated, a timestamp or attribute in a header), and listed in the test's output;
- rejected: findings (exit 1); never ``InputError`` (exit 2, "not a zip"): a mutant still starts as a zip does.

Attacks: byte flips anywhere and in every header (local headers, central directory, end record); added,
deleted, renamed and duplicated members; directory entries; a second bag (untouched copy beside a forged
one); tag-file edits with the tagmanifest recomputed; payload forged with every manifest recomputed and the
signature stripped or replaced by another key; a forged custody chain (every link and the manifest's head
recomputed); prepended and appended bytes.
"""
from __future__ import annotations

import collections
import hashlib
import json
import random
import struct
import zipfile
from pathlib import Path

import pytest

from tradeshield.errors import InputError
from tradeshield.evidence.bundle import (MANIFEST, SIGNATURE, TAGMANIFEST, bagit_encode, build_bundle, merkle_root,
                                         seal_code, sign_bag)
from tradeshield.evidence.custody import GENESIS, canonical
from tradeshield.evidence.verify import verify_bundle

SEED = 20261206
NO_CONTENT_KINDS = {"zip-comment", "reorder-entries", "recompress", "flip-no-content"}


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    import os

    from PIL import Image

    from tradeshield.evidence.case import Case

    home = tmp_path_factory.mktemp("home")
    old = os.environ.get("TRADESHIELD_HOME")
    os.environ["TRADESHIELD_HOME"] = str(home)
    try:
        root = tmp_path_factory.mktemp("mut")
        case = Case.init(root / "case", role="seller", platform="xianyu", item="海信A5Pro", price=1100,
                         order="1234567890", counterparty="远方私人")
        src = root / "src"
        src.mkdir()
        Image.new("RGB", (64, 48), (30, 120, 200)).save(src / "IMG_0012.JPG", "JPEG")
        (src / "chat.txt").write_text("2024-03-02 14:05:11 李四\n能便宜50吗\n" * 20, encoding="utf-8")
        (src / "invoice.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
        case.add([src])
        case.add_event("2021-05-23 10:12", "shipped", note="SF1234567890")
        case.write_facts("check", {"level": "low"}, sources=[case.evidence()[0].sha256])
        from tradeshield.evidence.bundle import seal

        seal(case)
        out = root / "signed.zip"
        res = build_bundle(case, out, sign=True)
    finally:
        if old is None:
            os.environ.pop("TRADESHIELD_HOME", None)
        else:
            os.environ["TRADESHIELD_HOME"] = old
    return out, res["fingerprint"], res["bag"]


def _members(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(i, z.read(i)) for i in z.infolist()]


def _content(path: Path):
    """What a lenient reader gets out of the zip: sorted (name, bytes), or the marker 'unreadable'."""
    try:
        with zipfile.ZipFile(path) as z:
            return sorted((i.filename, z.read(i)) for i in z.infolist())
    except Exception:  # noqa: BLE001 - the oracle only needs to know it could not read it
        return "unreadable"


def _write(path: Path, members, comment: bytes = b"", deflate_all: bool | None = None) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.comment = comment
        for name, data, compress in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compress if deflate_all is None else (
                zipfile.ZIP_DEFLATED if deflate_all else zipfile.ZIP_STORED)
            info.external_attr = 0o100644 << 16
            z.writestr(info, data)


def _triples(path: Path):
    return [(i.filename, d, i.compress_type) for i, d in _members(path)]


def _recompute(bag: str, files: dict[str, bytes], key=None, keep_signature: bytes | None = None) -> dict[str, bytes]:
    """Every digest recomputed the way build_bundle makes them: manifest, Merkle root, tagmanifest, signature."""
    payload = {p: d for p, d in files.items() if p.startswith("data/")}
    hashes = {p: hashlib.sha256(d).hexdigest() for p, d in payload.items()}
    files["manifest-sha256.txt"] = "".join(f"{hashes[p]}  {bagit_encode(p)}\n" for p in sorted(payload)).encode()
    oxum = f"Payload-Oxum: {sum(len(d) for d in payload.values())}.{len(payload)}"
    info = files["bag-info.txt"].decode()
    files["bag-info.txt"] = "\n".join(oxum if ln.startswith("Payload-Oxum") else ln for ln in info.split("\n")).encode()
    manifest = json.loads(files[MANIFEST])
    items = {it["path"]: it for it in manifest["items"]}
    manifest["items"] = [{**items.get(p, {"path": p, "role": "case"}), "sha256": hashes[p], "size": len(payload[p])}
                         for p in sorted(payload)]
    root = merkle_root(list(hashes.items()))
    manifest["merkle"]["root"] = root
    manifest["seal_code"] = seal_code(root)
    custody = payload.get("data/custody.jsonl")
    if custody is not None:
        last = [ln for ln in custody.split(b"\n") if ln.strip()][-1]
        manifest["custody"]["head"] = hashlib.sha256(last).hexdigest()
    files[MANIFEST] = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    tags = {n: d for n, d in files.items() if not n.startswith("data/") and n not in (TAGMANIFEST, SIGNATURE)}
    files[TAGMANIFEST] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(tags.items())).encode()
    files.pop(SIGNATURE, None)
    if key is not None:
        files[SIGNATURE] = json.dumps(sign_bag(bag, files[TAGMANIFEST], key), indent=1, sort_keys=True).encode()
    elif keep_signature is not None:
        files[SIGNATURE] = keep_signature
    return files


def _forge_custody(raw: bytes, rng: random.Random) -> bytes:
    """Edit one entry and re-link the whole chain: a forged log that is internally consistent."""
    entries = [json.loads(ln) for ln in raw.split(b"\n") if ln.strip()]
    victim = rng.randrange(len(entries))
    entries[victim]["time"] = "2020-01-01T00:00:00.000Z"
    prev, out = GENESIS, []
    for e in entries:
        e["prev"] = prev
        line = canonical(e)
        prev = hashlib.sha256(line).hexdigest()
        out.append(line)
    return b"\n".join(out) + b"\n"


class Mutator:
    def __init__(self, src: Path, bag: str, work: Path, seed: int):
        self.src, self.bag, self.work = src, bag, work
        self.rng = random.Random(seed)
        self.raw = src.read_bytes()
        self.triples = _triples(src)
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.attacker = Ed25519PrivateKey.generate()
        self.n = 0
        self.regions = self._regions()

    def _regions(self) -> dict[str, list[tuple[int, int]]]:
        """Byte ranges of every local header, data, central directory record and the end record."""
        out = collections.defaultdict(list)
        with zipfile.ZipFile(self.src) as z:
            infos = z.infolist()
            cd = z.start_dir
        for i in infos:
            nlen, elen = struct.unpack("<HH", self.raw[i.header_offset + 26:i.header_offset + 30])
            data_at = i.header_offset + 30 + nlen + elen
            out["local-header"].append((i.header_offset, data_at))
            out["data"].append((data_at, data_at + i.compress_size))
        eocd = self.raw.rfind(b"PK\x05\x06")
        out["central-directory"].append((cd, eocd))
        out["end-record"].append((eocd, len(self.raw)))
        return out

    def field_at(self, at: int) -> str:
        """Which zip field a byte offset falls in (for listing the flips that change no content)."""
        local = ["signature"] * 4 + ["version needed"] * 2 + ["flags"] * 2 + ["method"] * 2 + ["mod time"] * 2 + \
            ["mod date"] * 2 + ["crc"] * 4 + ["compressed size"] * 4 + ["size"] * 4 + ["name length"] * 2 + \
            ["extra length"] * 2
        central = ["signature"] * 4 + ["version made by"] * 2 + ["version needed"] * 2 + ["flags"] * 2 + \
            ["method"] * 2 + ["mod time"] * 2 + ["mod date"] * 2 + ["crc"] * 4 + ["compressed size"] * 4 + \
            ["size"] * 4 + ["name length"] * 2 + ["extra length"] * 2 + ["comment length"] * 2 + \
            ["disk number"] * 2 + ["internal attributes"] * 2 + ["external attributes"] * 4 + ["local offset"] * 4
        for lo, hi in self.regions["local-header"]:
            if lo <= at < hi:
                return "local " + (local[at - lo] if at - lo < 30 else "name/extra")
        (cd, eocd), = self.regions["central-directory"]
        if cd <= at < eocd:
            pos = cd
            while pos < eocd:
                nlen, elen, clen = struct.unpack("<HHH", self.raw[pos + 28:pos + 34])
                end = pos + 46 + nlen + elen + clen
                if at < end:
                    return "central " + (central[at - pos] if at - pos < 46 else "name/extra")
                pos = end
        if at >= eocd:
            return "end record"
        return "data"

    def path(self) -> Path:
        self.n += 1
        return self.work / f"m{self.n:05d}.zip"

    def files(self) -> dict[str, bytes]:
        p = self.bag + "/"
        return {n[len(p):]: d for n, d, _ in self.triples}

    def write_files(self, files: dict[str, bytes], prefix: str | None = None) -> Path:
        out = self.path()
        prefix = self.bag if prefix is None else prefix
        _write(out, [(f"{prefix}/{n}", d, zipfile.ZIP_DEFLATED if not n.endswith(".JPG") else zipfile.ZIP_STORED)
                     for n, d in sorted(files.items())])
        return out

    # ---------------------------------------------------------------- kinds
    def flip(self, region: str | None = None) -> tuple[str, Path]:
        data = bytearray(self.raw)
        if region is None:
            at = self.rng.randrange(len(data))
        else:
            lo, hi = self.rng.choice(self.regions[region])
            at = self.rng.randrange(lo, hi) if hi > lo else lo
        data[at] ^= 1 << self.rng.randrange(8)
        self.last_at = at
        out = self.path()
        out.write_bytes(bytes(data))
        return f"flip-{region or 'anywhere'}", out

    def add(self) -> tuple[str, Path]:
        where = self.rng.choice(["data/evidence/planted.jpg", "extra.txt", "data/", "data/evidence/",
                                 "../top.txt", "manifest-md5.txt", "tagmanifest-md5.txt"])
        triples = list(self.triples)
        name = f"{self.bag}/{where}" if not where.startswith("..") else "top.txt"
        triples.append((name, b"" if where.endswith("/") else b"planted", zipfile.ZIP_STORED))
        self.rng.shuffle(triples) if self.rng.random() < 0.3 else None
        out = self.path()
        _write(out, triples)
        return "add-member", out

    def delete(self) -> tuple[str, Path]:
        triples = list(self.triples)
        triples.pop(self.rng.randrange(len(triples)))
        out = self.path()
        _write(out, triples)
        return "delete-member", out

    def rename(self) -> tuple[str, Path]:
        triples = list(self.triples)
        i = self.rng.randrange(len(triples))
        name, data, c = triples[i]
        j = self.rng.randrange(len(self.bag) + 1, len(name))
        name = name[:j] + self.rng.choice("xX_%\n") + name[j + 1:]
        triples[i] = (name, data, c)
        out = self.path()
        _write(out, triples)
        return "rename-member", out

    def duplicate(self) -> tuple[str, Path]:
        triples = list(self.triples)
        name, data, c = self.rng.choice(triples)
        forged = data[:-1] + bytes([data[-1] ^ 1]) if self.rng.random() < 0.5 else data
        triples.append((name, forged, c))
        out = self.path()
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the attack
            _write(out, triples)
        return "duplicate-member", out

    def second_bag(self) -> tuple[str, Path]:
        files = self.files()
        forged = dict(files)
        forged["data/case.toml"] = files["data/case.toml"].replace(b"1100", b"9100")
        shadow = self.rng.choice(["aaa", "zzz", self.bag + "-copy"])
        triples = [(f"{shadow}/{n}", d, zipfile.ZIP_DEFLATED) for n, d in files.items()]
        triples += [(f"{self.bag}/{n}", d, zipfile.ZIP_DEFLATED) for n, d in forged.items()]
        out = self.path()
        _write(out, sorted(triples))
        return "second-bag", out

    def tag_edit(self) -> tuple[str, Path]:
        files = self.files()
        which = self.rng.choice(["bag-info.txt", "bagit.txt", MANIFEST, "tagmanifest-empty"])
        if which == "bag-info.txt":
            files[which] = files[which].replace(b"order 1234567890", b"order 999") + b"Contact-Name: attacker\n"
        elif which == "bagit.txt":
            files[which] = files[which] + b"X-Note: edited\n"
        elif which == MANIFEST:
            files[which] = files[which].replace("海信".encode(), "苹果".encode())
        if which == "tagmanifest-empty":
            files[TAGMANIFEST] = b""
        else:
            tags = {n: d for n, d in files.items() if not n.startswith("data/") and n not in (TAGMANIFEST, SIGNATURE)}
            files[TAGMANIFEST] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n"
                                         for n, d in sorted(tags.items())).encode()
        return f"tag-edit-{which}", self.write_files(files)

    def big_tag(self) -> tuple[str, Path]:
        files = self.files()
        files["bag-info.txt"] += b"X-Pad: " + b"A" * (2 << 20) + b"\n"
        return "tag-file-oversized", self.write_files(files)

    def payload_forge(self) -> tuple[str, Path]:
        files = self.files()
        target = self.rng.choice([n for n in files if n.startswith("data/") and n != "data/custody.jsonl"])
        files[target] = files[target] + b" forged"
        how = self.rng.choice(["strip", "resign", "keep"])
        files = _recompute(self.bag, files, key=self.attacker if how == "resign" else None,
                           keep_signature=files.get(SIGNATURE) if how == "keep" else None)
        return f"recompute-{how}-signature", self.write_files(files)

    def custody_forge(self) -> tuple[str, Path]:
        files = self.files()
        files["data/custody.jsonl"] = _forge_custody(files["data/custody.jsonl"], self.rng)
        how = self.rng.choice(["strip", "resign", "keep"])
        files = _recompute(self.bag, files, key=self.attacker if how == "resign" else None,
                           keep_signature=files.get(SIGNATURE) if how == "keep" else None)
        return f"custody-forged-{how}-signature", self.write_files(files)

    def reorder_manifest(self) -> tuple[str, Path]:
        files = self.files()
        lines = files["manifest-sha256.txt"].split(b"\n")[:-1]
        self.rng.shuffle(lines)
        files["manifest-sha256.txt"] = b"\n".join(lines) + b"\n"
        tags = {n: d for n, d in files.items() if not n.startswith("data/") and n not in (TAGMANIFEST, SIGNATURE)}
        files[TAGMANIFEST] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(tags.items())).encode()
        return "reorder-manifest-lines", self.write_files(files)

    def zip_comment(self) -> tuple[str, Path]:
        out = self.path()
        _write(out, self.triples, comment=b"harmless? " + bytes([self.rng.randrange(32, 127)]))
        return "zip-comment", out

    def reorder_entries(self) -> tuple[str, Path]:
        triples = list(self.triples)
        self.rng.shuffle(triples)
        out = self.path()
        _write(out, triples)
        return "reorder-entries", out

    def recompress(self) -> tuple[str, Path]:
        out = self.path()
        _write(out, self.triples, deflate_all=self.rng.random() < 0.5)
        return "recompress", out

    def outside_bytes(self) -> tuple[str, Path]:
        out = self.path()
        junk = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 64)))
        out.write_bytes(junk + self.raw if self.rng.random() < 0.5 else self.raw + junk)
        return "bytes-outside-entries", out


PLAN = [  # (kind method, region, count)
    ("flip", None, 320), ("flip", "local-header", 180), ("flip", "central-directory", 180),
    ("flip", "end-record", 40), ("flip", "data", 120),
    ("add", None, 40), ("delete", None, 40), ("rename", None, 40), ("duplicate", None, 30),
    ("second_bag", None, 12), ("tag_edit", None, 40), ("big_tag", None, 2), ("payload_forge", None, 45),
    ("custody_forge", None, 30), ("reorder_manifest", None, 10), ("zip_comment", None, 8),
    ("reorder_entries", None, 8), ("recompress", None, 6), ("outside_bytes", None, 20),
]


def test_mutants_of_a_signed_bundle(signed, tmp_path):
    src, fingerprint, bag = signed
    assert verify_bundle(src, key=fingerprint).ok
    original = _content(src)
    m = Mutator(src, bag, tmp_path, SEED)
    tally: collections.Counter = collections.Counter()
    accepted_changed, internal, no_content, unusable = [], [], collections.Counter(), collections.Counter()
    total = 0
    for method, region, count in PLAN:
        for _ in range(count):
            kind, path = m.flip(region) if method == "flip" else getattr(m, method)()
            total += 1
            same = _content(path) == original
            if kind.startswith("flip") and same:
                kind = "flip-no-content"  # e.g. a flipped timestamp or attribute bit in a header
            try:
                rep = verify_bundle(path, key=fingerprint)
            except InputError as e:
                unusable[kind] += 1
                tally[(kind, "exit 2")] += 1
                assert False, (kind, e)  # every mutant starts as a zip does: damage is a finding (exit 1)
                path.unlink()
                continue
            except Exception as e:  # noqa: BLE001 - counted: must never happen
                internal.append((kind, path.name, f"{type(e).__name__}: {e}"))
                continue
            if rep.ok:
                if same:
                    no_content[kind if kind != "flip-no-content" else f"flip-no-content ({m.field_at(m.last_at)})"] += 1
                else:
                    accepted_changed.append((kind, path.name))
            tally[(kind, "accepted" if rep.ok else "rejected")] += 1
            if rep.ok or not internal:
                path.unlink()
    summary = {"mutants": total, "accepted with changed content": len(accepted_changed),
               "internal errors": len(internal), "accepted, no content change": dict(no_content),
               "exit 2": dict(unusable)}
    print("\nmutation summary:", json.dumps(summary, indent=1))
    for (kind, outcome), n in sorted(tally.items()):
        print(f"  {kind:38s} {outcome:9s} {n}")
    assert total >= 1000
    assert not internal, internal[:10]
    assert not accepted_changed, accepted_changed[:10]
    assert {k.split(" (")[0] for k in no_content} <= NO_CONTENT_KINDS, no_content
