"""Card keys (卡密): commit before delivery, deliver in segments, prove each code afterwards.

    >>> from tradeshield.cardkey import seal, split, prove, verify, read_codes
    >>> codes = read_codes("AAAA-1111\\nBBBB-2222\\n")
    >>> sealed = seal(case, codes)               # doctest: +SKIP
    >>> print(sealed["message"])                 # paste into the chat BEFORE delivery   # doctest: +SKIP
    >>> for seg in split(case, codes)["segments"]: print(seg["text"])                     # doctest: +SKIP
    >>> verify(prove(case), codes)["ok"]         # doctest: +SKIP
    True

How the commitment works (algorithm ``ts-cardkey-merkle-v2``; v1 is v2 without normalising the codes):

* Codes are normalised before hashing and verifying: spaces, dashes and underscores dropped, letters
  upper-cased (``abcd-1234 efgh`` and ``ABCD1234EFGH`` are the same code), so a code retyped by
  the buyer still verifies.

* A random 32-byte master salt is made at ``seal`` time and kept only in the case, in
  ``facts/cardkey-secret.json`` (mode 0600; bundles leave it out unless ``--include-secrets``).
* Code *i* (1-based, in input order) gets its own salt ``s_i = HMAC-SHA256(master, "salt" ‖ i)[:16]``
  and a leaf ``L_i = SHA-256(0x00 ‖ "tradeshield-cardkey-v1" ‖ i (4 bytes) ‖ s_i ‖ UTF-8(code))``.
* The leaves form a Merkle tree: ``node = SHA-256(0x01 ‖ left ‖ right)``, an odd node is promoted
  (as in the bundle's manifest tree). The root is the commitment pasted into the chat before delivery.
* ``prove`` reveals, per code, only ``i``, ``s_i`` and the sibling hashes up to the root. A third
  party hashes the delivered code with them and must reach the pasted root. Revealing ``s_i``
  exposes nothing about the other codes; without the salts the leaves and root cannot be brute-forced
  even for short codes, which is why the salt is per code and secret until proof.

Codes are never stored: only leaves (salted hashes) go into ``facts/cardkey.json``; ``split``
prints the codes to stdout and records when each segment was produced, never what it held.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
from pathlib import Path

from tradeshield import i18n
from tradeshield.config import LIMITS
from tradeshield.errors import InputError, UsageError

ALGORITHM = "ts-cardkey-merkle-v2"
ALGORITHMS = ("ts-cardkey-merkle-v1", ALGORITHM)
PROOF_FORMAT = "tradeshield-cardkey-proof/1"
_TAG = b"tradeshield-cardkey-v1"
MAX_CODE_CHARS = 150

i18n.register({
    "cardkey.none": ("没有读到卡密（每行一个，来自标准输入或 --file）", "no card keys read (one per line, from stdin or --file)"),
    "cardkey.duplicate": ("卡密重复：第 {first} 行与第 {second} 行相同", "duplicate card key: line {second} repeats line {first}"),
    "cardkey.too_long": ("第 {line} 行的卡密过长（最多 {max} 个字符）", "the card key on line {line} is too long (at most {max} characters)"),
    "cardkey.not_text": ("卡密输入不是 UTF-8 文本", "the card-key input is not UTF-8 text"),
    "cardkey.already_sealed": ("本案件已有卡密承诺（{time}）；--force 会替换它，已发出的承诺将不再匹配",
                               "this case already has a card-key commitment ({time}); --force replaces it and the one you pasted will no longer match"),
    "cardkey.not_sealed": ("本案件还没有卡密承诺：先运行 tradeshield cardkey seal", "no card-key commitment in this case: run tradeshield cardkey seal first"),
    "cardkey.secret_missing": ("缺少 facts/cardkey-secret.json（盐），无法生成证明", "facts/cardkey-secret.json (the salt) is missing; no proof can be made"),
    "cardkey.count_mismatch": ("卡密数量 {found} 与承诺的 {expected} 个不符", "{found} card keys given, the commitment covers {expected}"),
    "cardkey.not_committed": ("第 {n} 个卡密与发送前的承诺不符（是否改动或换了顺序？）",
                              "card key #{n} does not match the commitment made before delivery (changed or reordered?)"),
    "cardkey.bad_per_message": ("每段卡密数必须 ≥ 1：{value}", "codes per message must be at least 1: {value}"),
    "cardkey.bad_segment": ("没有第 {n} 段（共 {total} 段）", "there is no segment {n} (there are {total})"),
    "cardkey.bad_index": ("没有第 {n} 个卡密（共 {total} 个）", "there is no card key #{n} (there are {total})"),
    "cardkey.bad_proof": ("证明文件无效：{path}（{reason}）", "invalid proof file: {path} ({reason})"),
    "cardkey.proof_text": ("证明文件不是 UTF-8 文本：{path}（应为 cardkey commit 写出的 .json）",
                           "the proof file is not UTF-8 text: {path} (expected the .json that cardkey commit wrote)"),
    "cardkey.proof_json": ("证明文件不是 JSON：{path}（应为 cardkey commit 写出的 .json）",
                           "the proof file is not JSON: {path} (expected the .json that cardkey commit wrote)"),
    "cardkey.bad_commitment": ("给定的承诺中找不到承诺码（CK-…）或 64 位十六进制根：{value}",
                               "no commitment code (CK-…) or 64-hex-digit root in the given commitment: {value}"),
    "cardkey.message": ("【卡密承诺】{time} 发送前已锁定这 {n} 个卡密，承诺码 {code}。"
                        "之后发出的每个卡密都能证明是此刻锁定的那个，任何一方都无法事后替换。",
                        "[Card-key commitment] {n} code(s) locked at {time}, before delivery: {code}. Each code "
                        "sent later can be proved to be one locked now; no one can swap it."),
    "cardkey.segment_head": ("【卡密 第{k}段/共{m}段】第{a}个到第{b}个，共{n}个", "[Card keys {k}/{m}] #{a}–{b} of {n}"),
    "cardkey.segment_head_one": ("【卡密 第{k}段/共{m}段】第{a}个，共{n}个", "[Card keys {k}/{m}] #{a} of {n}"),
    "cardkey.terms": ("【交易须知】卡密属虚拟商品，一经发送不支持退款。请在收到后 {minutes} 分钟内兑换核对，"
                      "如有问题请在此时限内录屏或截图反馈。{segments}如同意请回复“同意”。",
                      "[Terms] Card keys: no refund once sent. Redeem within {minutes} min and report any "
                      "problem in that time with a screen recording. {segments}Reply \"agree\" to accept."),
    "cardkey.terms_segments": ("卡密将分 {segments} 段发送，每段确认无误后再发下一段。",
                               "Sent in {segments} parts, each once you confirm the last. "),
    "cardkey.terms_one_by_one": ("卡密将分段发送，每段确认无误后再发下一段。",
                                 "Sent in parts, each once you confirm the last. "),
    "cardkey.bad_minutes": ("核对时限必须在 1–1440 分钟之间：{value}", "the checking window must be 1–1440 minutes: {value}"),
})


# ---------------------------------------------------------------- short code

def short_code(root_hex: str) -> str:
    """The commitment as people quote it: ``CK-`` and 16 base32 characters of the root (80 bits).

    Finding another set of codes with the same 80-bit prefix takes about 2^80 hashes; a 客服 compares
    16 characters where 64 hex digits would be read as noise."""
    import base64

    b32 = base64.b32encode(bytes.fromhex(root_hex)[:10]).decode("ascii")
    return "CK-" + "-".join(b32[i:i + 4] for i in range(0, 16, 4))


# ---------------------------------------------------------------- input

def read_codes(data: str | bytes) -> list[str]:
    """One code per line; surrounding spaces and blank lines dropped; duplicates (after normalising) refused."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("cardkey.not_text") from None
    codes, seen = [], {}
    for n, line in enumerate(data.splitlines(), start=1):
        code = line.strip()          # delivered as typed; compared and hashed normalised
        if not code:
            continue
        if len(code) > MAX_CODE_CHARS:
            raise InputError("cardkey.too_long", line=n, max=MAX_CODE_CHARS)
        key = normalize_code(code)
        if key in seen:
            raise InputError("cardkey.duplicate", first=seen[key], second=n)
        seen[key] = n
        codes.append(code)
    if not codes:
        raise InputError("cardkey.none")
    return codes


# ---------------------------------------------------------------- hashing

def code_salt(master: bytes, index: int) -> bytes:
    return hmac.new(master, b"salt" + index.to_bytes(4, "big"), hashlib.sha256).digest()[:16]


def normalize_code(code: str) -> str:
    """A code as it is hashed: no spaces, dashes or underscores, letters upper-cased."""
    return re.sub(r"[\s\-_\u2010-\u2015\u3000]+", "", code).upper()


def leaf_hash(index: int, salt: bytes, code: str, algorithm: str = ALGORITHM) -> bytes:
    if algorithm != "ts-cardkey-merkle-v1":
        code = normalize_code(code)
    return hashlib.sha256(b"\x00" + _TAG + index.to_bytes(4, "big") + salt + code.encode("utf-8")).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        cur = levels[-1]
        nxt = [_node(cur[i], cur[i + 1]) if i + 1 < len(cur) else cur[i] for i in range(0, len(cur), 2)]
        levels.append(nxt)
    return levels


def merkle_path(levels: list[list[bytes]], pos: int) -> list[dict]:
    """Sibling hashes from leaf ``pos`` (0-based) to the root; side says where the sibling sits."""
    path = []
    for level in levels[:-1]:
        sib = pos ^ 1
        if sib < len(level):
            path.append({"side": "L" if sib < pos else "R", "hash": level[sib].hex()})
        pos //= 2
    return path


def root_from_path(leaf: bytes, path: list[dict]) -> bytes:
    h = leaf
    for step in path:
        sib = bytes.fromhex(step["hash"])
        h = _node(sib, h) if step["side"] == "L" else _node(h, sib)
    return h


# ---------------------------------------------------------------- seal / split / prove

def _now(case=None) -> str:
    """Now, in the case's zone (a +08:00 case never shows +00:00)."""
    tz = case.tz if case is not None else None
    return (dt.datetime.now(tz) if tz else dt.datetime.now().astimezone()).isoformat(timespec="seconds")


def _short_time(iso: str) -> str:
    t = dt.datetime.fromisoformat(iso)
    off = t.strftime("%z")
    return t.strftime("%Y-%m-%d %H:%M") + f" {off[:3]}:{off[3:]}"


def terms_message(minutes: int = 30, segments: int | None = None, lang: str | None = None) -> str:
    """The terms to agree in the chat before any code is sent (no refund once sent, a checking window, parts)."""
    if not 1 <= int(minutes) <= 1440:
        raise UsageError("cardkey.bad_minutes", value=minutes)
    seg = (i18n.t("cardkey.terms_segments", lang, segments=segments) if segments and segments > 1
           else i18n.t("cardkey.terms_one_by_one", lang) if segments is None else "")
    return i18n.t("cardkey.terms", lang, minutes=int(minutes), segments=seg)


def seal(case, codes: list[str], *, force: bool = False, lang: str | None = None) -> dict:
    """Commit to ``codes``: store the leaves and salt in the case, return the message to paste."""
    old = case.read_facts("cardkey")
    if old and not force:
        raise UsageError("cardkey.already_sealed", time=old.get("sealed_at", "?"))
    master = secrets.token_bytes(32)
    leaves = [leaf_hash(i, code_salt(master, i), c) for i, c in enumerate(codes, start=1)]
    root = merkle_levels(leaves)[-1][0].hex()
    sealed_at = _now(case)
    message = i18n.t("cardkey.message", lang, n=len(codes), code=short_code(root), time=_short_time(sealed_at))
    secret_path = case.write_facts("cardkey-secret", {"algorithm": ALGORITHM, "master_salt": master.hex(),
                                                      "commitment": root})
    os.chmod(secret_path, 0o600)
    facts = {"commitment": root, "short_code": short_code(root), "algorithm": ALGORITHM, "count": len(codes),
             "sealed_at": sealed_at, "message": message, "leaves": [x.hex() for x in leaves], "segments": []}
    case.write_facts("cardkey", facts)
    return {k: v for k, v in facts.items() if k != "leaves"}


def _load(case) -> tuple[dict, bytes]:
    facts = case.read_facts("cardkey")
    if not facts or "commitment" not in facts:
        raise UsageError("cardkey.not_sealed")
    secret = case.read_facts("cardkey-secret")
    if not secret or secret.get("commitment") != facts["commitment"]:
        raise InputError("cardkey.secret_missing")
    return facts, bytes.fromhex(secret["master_salt"])


def check_codes(case, codes: list[str]) -> dict:
    """The sealed facts, after checking ``codes`` are exactly the committed ones in the committed order."""
    facts, master = _load(case)
    if len(codes) != facts["count"]:
        raise InputError("cardkey.count_mismatch", found=len(codes), expected=facts["count"])
    for i, code in enumerate(codes, start=1):
        if leaf_hash(i, code_salt(master, i), code, facts.get("algorithm", ALGORITHM)).hex() != facts["leaves"][i - 1]:
            raise InputError("cardkey.not_committed", n=i)
    return facts


def plan_segments(codes: list[str], per_message: int | None = None, lang: str | None = None,
                  limit: int | None = None) -> list[dict]:
    """Greedy packing into numbered messages of at most ``limit`` characters each."""
    limit = limit or LIMITS.message_chars
    if per_message is not None and per_message < 1:
        raise UsageError("cardkey.bad_per_message", value=per_message)
    n = len(codes)
    head_room = len(i18n.t("cardkey.segment_head", lang, k=n, m=n, a=n, b=n, n=n)) + 1
    groups, cur, size = [], [], head_room
    for i, code in enumerate(codes, start=1):
        line = f"{i}. {code}"
        if cur and (size + 1 + len(line) > limit or (per_message and len(cur) >= per_message)):
            groups.append(cur)
            cur, size = [], head_room
        if head_room + len(line) > limit:
            raise InputError("cardkey.too_long", line=i, max=limit - head_room - len(str(i)) - 2)
        cur.append((i, line))
        size += 1 + len(line)
    groups.append(cur)
    segments = []
    for k, group in enumerate(groups, start=1):
        key = "cardkey.segment_head_one" if group[0][0] == group[-1][0] else "cardkey.segment_head"
        head = i18n.t(key, lang, k=k, m=len(groups), a=group[0][0], b=group[-1][0], n=n)
        segments.append({"n": k, "of": len(groups), "first": group[0][0], "last": group[-1][0],
                         "text": "\n".join([head, *(line for _, line in group)])})
    return segments


def split(case, codes: list[str], *, per_message: int | None = None, segment: int | None = None,
          lang: str | None = None) -> dict:
    """Segmented delivery messages for committed codes; records when each segment was produced."""
    facts = check_codes(case, codes)
    segments = plan_segments(codes, per_message, lang)
    if segment is not None:
        if not 1 <= segment <= len(segments):
            raise UsageError("cardkey.bad_segment", n=segment, total=len(segments))
        segments = [segments[segment - 1]]
    now = _now(case)
    for seg in segments:
        facts.setdefault("segments", []).append({"n": seg["n"], "of": seg["of"], "first": seg["first"],
                                                 "last": seg["last"], "produced_at": now})
    case.write_facts("cardkey", facts)
    return {"commitment": facts["commitment"], "count": facts["count"], "segments": segments}


def prove(case, indices: list[int] | None = None) -> dict:
    """What a third party needs to check delivered codes against the commitment (no codes inside)."""
    facts, master = _load(case)
    total = facts["count"]
    for i in indices or []:
        if not 1 <= i <= total:
            raise UsageError("cardkey.bad_index", n=i, total=total)
    levels = merkle_levels([bytes.fromhex(x) for x in facts["leaves"]])
    items = [{"index": i, "salt": code_salt(master, i).hex(), "path": merkle_path(levels, i - 1)}
             for i in (sorted(set(indices)) if indices else range(1, total + 1))]
    return {"format": PROOF_FORMAT, "algorithm": facts.get("algorithm", ALGORITHM), "commitment": facts["commitment"],
            "count": total, "sealed_at": facts.get("sealed_at"), "message": facts.get("message"), "items": items}


# ---------------------------------------------------------------- verify

_HEX64 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_SHORT = re.compile(r"CK[-\s]?(?:[A-Z2-7]{4}[-\s]?){3}[A-Z2-7]{4}")


def _SHORT_NORM(code: str) -> str:  # noqa: N802
    return re.sub(r"[\s-]", "", code.upper())


def load_proof(path: str | os.PathLike) -> dict:
    from tradeshield.evidence.fsutil import check_input

    p = check_input(path)
    try:
        proof = json.loads(Path(p).read_text(encoding="utf-8-sig"))
        if proof.get("format") != PROOF_FORMAT or proof.get("algorithm") not in ALGORITHMS:
            raise ValueError("unknown format or algorithm")
        bytes.fromhex(proof["commitment"])
        for item in proof["items"]:
            int(item["index"]), bytes.fromhex(item["salt"])
            for step in item["path"]:
                bytes.fromhex(step["hash"])
                if step["side"] not in ("L", "R"):
                    raise ValueError("bad path side")
    except UnicodeDecodeError:
        raise InputError("cardkey.proof_text", path=str(path)) from None
    except json.JSONDecodeError:
        raise InputError("cardkey.proof_json", path=str(path)) from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise InputError("cardkey.bad_proof", path=str(path), reason=str(e)) from None
    return proof


def verify(proof: dict, codes: list[str], commitment: str | None = None) -> dict:
    """Check each delivered code against the proof; ``commitment`` (the pasted message or root) pins the root."""
    root = proof["commitment"].lower()
    algorithm = proof.get("algorithm", ALGORITHM)
    pinned = None
    if commitment is not None:
        m = _HEX64.search(commitment)
        short = _SHORT.search(commitment.upper())
        if m:
            pinned = m.group(0).lower() == root
        elif short:
            pinned = _SHORT_NORM(short.group(0)) == _SHORT_NORM(short_code(root))
        else:
            raise UsageError("cardkey.bad_commitment", value=commitment[:80])
    results = []
    for n, code in enumerate(codes, start=1):
        match = None
        for item in proof["items"]:
            leaf = leaf_hash(int(item["index"]), bytes.fromhex(item["salt"]), code, algorithm)
            if root_from_path(leaf, item["path"]).hex() == root:
                match = int(item["index"])
                break
        results.append({"n": n, "index": match, "ok": match is not None})
    ok = all(r["ok"] for r in results) and pinned is not False
    return {"ok": ok, "commitment": root, "commitment_matches": pinned, "codes": results}
