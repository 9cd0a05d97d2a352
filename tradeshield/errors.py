"""Error hierarchy and verification findings.

    >>> from tradeshield.errors import InputError
    >>> err = InputError("file.missing", path="x.jpg")
    >>> err.exit_code
    2

A ``TradeshieldError`` carries a message key and its parameters, never a preformatted
string, so the CLI can print it in the user's language as one line. Exit codes: 2 for bad
input or usage, 1 for a verification that found problems, 0 success.

Verification findings are data (``Finding`` subclasses with path / expected / found) that
``verify`` collects and reports together; tests assert on their fields.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tradeshield import i18n


class TradeshieldError(Exception):
    exit_code = 2

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, lang: str | None = None) -> str:
        from tradeshield.textsafe import clean

        return i18n.t(self.key, lang, **{k: clean(v) if isinstance(v, str) else v for k, v in self.params.items()})

    def __str__(self) -> str:
        return self.message("en")


class UsageError(TradeshieldError):
    """The call itself is wrong (conflicting options, bad value)."""


class InputError(TradeshieldError):
    """An input file or value cannot be used."""


class CaseError(TradeshieldError):
    """No case, or the case folder is not usable."""


class VerificationFailed(TradeshieldError):
    exit_code = 1


i18n.register({
    "file.missing": ("找不到文件：{path}", "file not found: {path}"),
    "file.not_file": ("不是普通文件：{path}", "not a regular file: {path}"),
    "file.unreadable": ("无法读取文件：{path}（{reason}）", "cannot read file: {path} ({reason})"),
    "file.empty": ("文件为空：{path}", "file is empty: {path}"),
    "file.exists": ("输出已存在：{path}（加 --force 覆盖）", "output exists: {path} (add --force to replace it)"),
    "file.write_failed": ("写入失败：{path}（{reason}）", "could not write {path} ({reason})"),
    "internal": ("内部错误：{reason}（设置 TRADESHIELD_DEBUG=1 查看详情）",
                 "internal error: {reason} (set TRADESHIELD_DEBUG=1 for details)"),
    "interrupted": ("已中断；已保存的内容不受影响", "interrupted; nothing already saved was changed"),
})


# ---------------------------------------------------------------- findings

@dataclass
class Finding:
    """One problem found by verification. ``problem`` is a stable machine code."""

    path: str
    problem: str = field(init=False, default="problem")
    expected: str | None = None
    found: str | None = None
    detail: str | None = None
    detail_zh: str | None = None  # the same detail for zh readers; JSON keeps the English ``detail`` only

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: v for k, v in d.items() if v is not None and k != "detail_zh"}

    def describe(self, lang: str | None = None) -> str:
        """One line for people; names from the bundle are shown with their control characters escaped."""
        from tradeshield.textsafe import clean

        lang = i18n.normalize(lang) if lang else i18n.get_lang()
        detail = self.detail_zh if lang == "zh" and self.detail_zh else self.detail
        return i18n.t("finding." + self.problem, lang, path=clean(self.path), expected=clean(self.expected or ""),
                      found=clean(self.found or ""), detail=clean(detail or "")).rstrip()


def _finding(name: str, code: str, zh: str, en: str):
    cls = dataclass(type(name, (Finding,), {"__annotations__": {}}))
    cls.problem = code  # type: ignore[attr-defined]
    i18n.register({"finding." + code: (zh, en)})
    return cls


HashMismatch = _finding("HashMismatch", "modified", "已被修改：{path}（应为 {expected}，实际 {found}）",
                        "modified: {path} (expected {expected}, found {found})")
SizeMismatch = _finding("SizeMismatch", "size-changed", "大小不符：{path}（应为 {expected}，实际 {found}）",
                        "size changed: {path} (expected {expected}, found {found})")
FileMissing = _finding("FileMissing", "missing", "缺失文件：{path}", "missing file: {path}")
UnexpectedFile = _finding("UnexpectedFile", "extra", "多出的文件：{path} {detail}", "unexpected file: {path} {detail}")
ChainBroken = _finding("ChainBroken", "chain-broken", "保管日志链断裂：{path} {detail}",
                       "custody chain broken: {path} {detail}")
ManifestMismatch = _finding("ManifestMismatch", "manifest-mismatch", "清单不一致：{path} {detail}",
                            "manifest does not match: {path} {detail}")
MerkleMismatch = _finding("MerkleMismatch", "merkle-mismatch", "Merkle 根不符（应为 {expected}，实际 {found}）",
                          "Merkle root does not match (expected {expected}, found {found})")
SignatureInvalid = _finding("SignatureInvalid", "signature-invalid", "签名无效：{path} {detail}",
                            "signature invalid: {path} {detail}")
CodeMismatch = _finding("CodeMismatch", "code-mismatch", "封存码不符（给定 {expected}，包内 {found}）",
                        "seal code does not match (given {expected}, bundle has {found})")
UnsafeEntry = _finding("UnsafeEntry", "unsafe-entry", "拒绝不安全的条目：{path}（{detail}）",
                       "refused unsafe entry: {path} ({detail})")
TimestampInvalid = _finding("TimestampInvalid", "timestamp-invalid", "时间戳无效：{path} {detail}",
                            "timestamp invalid: {path} {detail}")
BagInvalid = _finding("BagInvalid", "bag-invalid", "BagIt 结构错误：{path} {detail}",
                      "BagIt structure invalid: {path} {detail}")
ZipDamaged = _finding("ZipDamaged", "damaged", "zip 结构被改动或损坏：{path}（{detail}）",
                      "zip structure altered or damaged: {path} ({detail})")
