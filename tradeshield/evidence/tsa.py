"""RFC 3161 trusted timestamps: a request (.tsq) for a SHA-256 digest, and the check of a TSA's reply (.tsr).

    >>> from tradeshield.evidence import tsa
    >>> tsq = tsa.build_request("ab" * 32, nonce=42)
    >>> tsa.read_request(tsq)["nonce"]
    42
    >>> info = tsa.check_response(open("case.tsr", "rb").read(), "ab" * 32, nonce=42)   # doctest: +SKIP
    >>> info.problems, info.gen_time                                                   # doctest: +SKIP
    ([], datetime.datetime(2026, 11, 22, 1, 6, 54, tzinfo=datetime.timezone.utc))

The user sends the .tsq to any public TSA (docs/timestamp.md) and keeps the .tsr. ``check_response``
raises ``InputError`` only when the reply cannot be used at all (not DER, TSA refused, no token); everything
else it finds is a problem code in ``info.problems`` so ``verify`` can report it beside other findings:

- ``imprint-mismatch``      the token timestamps another digest (or another hash algorithm)
- ``nonce-mismatch``        the token does not answer our request's nonce (replayed or foreign reply)
- ``signature-invalid``     messageDigest or the CMS signature does not hold: the token was altered
- ``signer-missing``        no certificate for the signer (request sent without certReq; pass the TSA cert)
- ``signer-not-tsa``        the signer's certificate lacks the timeStamping extended key usage
- ``signer-cert-mismatch``  no ESS signing-certificate attribute, or it names another certificate
- ``chain-untrusted``       ``openssl ts -verify`` rejects the chain against the given CA file, checked at the
                          token's genTime (``-attime``): a token stays valid after its TSA certificate expires

The signature is checked in Python (asn1crypto + cryptography) so it works without the openssl binary;
only the certificate chain needs ``openssl ts -verify`` (``chain_ok`` is None without it or without a CA).
"""
from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from asn1crypto import cms, core, pem, tsp
from asn1crypto import x509 as asn1_x509

from tradeshield import i18n
from tradeshield.errors import InputError, UsageError

i18n.register({
    "tsa.bad_digest": ("时间戳摘要必须是 64 位十六进制 SHA-256 值：{digest}",
                       "a timestamp digest must be a SHA-256 value in 64 hex digits: {digest}"),
    "tsa.bad_request": ("不是 RFC 3161 时间戳请求（.tsq）：{path}", "not an RFC 3161 timestamp request (.tsq): {path}"),
    "tsa.not_der": ("无法读取时间戳回执 {path}：不是 RFC 3161 回执（.tsr）或令牌",
                    "cannot read timestamp reply {path}: not an RFC 3161 response (.tsr) or token"),
    "tsa.web_page": ("时间戳回执 {path} 是一个网页或报错信息，不是 .tsr；请检查 TSA 网址和 Content-Type 后重新发送",
                     "timestamp reply {path} is a web page or error message, not a .tsr; check the TSA address "
                     "and the Content-Type header, then send the .tsq again"),
    "tsa.rejected": ("时间服务机构拒绝了请求 {path}：{status}（{reason}）；请重新发送 .tsq",
                     "the TSA refused the request {path}: {status} ({reason}); send the .tsq again"),
    "tsa.no_token": ("时间戳回执 {path} 中没有时间戳令牌", "timestamp reply {path} holds no timestamp token"),
    "tsa.bad_ca": ("无法读取 CA 证书文件 {path}（需要 PEM 格式的证书）",
                   "cannot read CA file {path} (PEM certificates expected)"),
    "tsa.problem.imprint-mismatch": ("时间戳对应的不是这个摘要", "the timestamp is for another digest"),
    "tsa.problem.nonce-mismatch": ("时间戳的随机数与请求不符", "the timestamp's nonce does not match the request"),
    "tsa.problem.signature-invalid": ("时间戳签名无效（令牌被改动过）", "the timestamp signature is invalid (token altered)"),
    "tsa.problem.signer-missing": ("回执不含签名证书；请用 --ca 提供时间服务机构证书",
                                   "the reply carries no signer certificate; give the TSA certificate as CA file"),
    "tsa.problem.signer-not-tsa": ("签名证书不是时间戳专用证书", "the signer certificate is not a timestamping certificate"),
    "tsa.problem.signer-cert-mismatch": ("签名属性未注明签名证书或注明的是另一张证书",
                                         "the signed attributes do not name the signer certificate"),
    "tsa.problem.chain-untrusted": ("时间服务机构证书链不受所给 CA 信任",
                                    "the TSA certificate chain is not trusted by the given CA"),
})

_GRANTED = ("granted", "granted_with_mods")


class _TimeStampResp(core.Sequence):
    # asn1crypto 1.5 declares the token mandatory; RFC 3161 has it OPTIONAL, absent in every refusal.
    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def _digest_bytes(digest_hex: str) -> bytes:
    try:
        raw = bytes.fromhex(digest_hex)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise UsageError("tsa.bad_digest", digest=str(digest_hex)[:80])
    return raw


def build_request(digest_hex: str, nonce: int | None = None, cert_req: bool = True) -> bytes:
    """DER TimeStampReq for a SHA-256 digest. Without ``nonce`` a random 63-bit one is drawn, so every
    request carries one (``read_request`` gives it back) and a replayed reply can be told apart."""
    if nonce is None:
        nonce = secrets.randbits(63) | 1
    req = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": _digest_bytes(digest_hex)},
        "nonce": nonce,
        "cert_req": bool(cert_req),
    })
    return req.dump()


def read_request(tsq: bytes, path: str = "tsq") -> dict:
    """``{"digest", "hash_algorithm", "nonce", "cert_req"}`` of a DER TimeStampReq."""
    try:
        req = tsp.TimeStampReq.load(bytes(tsq), strict=True)
        imprint = req["message_imprint"]
        return {"digest": imprint["hashed_message"].native.hex(),
                "hash_algorithm": imprint["hash_algorithm"]["algorithm"].native,
                "nonce": req["nonce"].native, "cert_req": bool(req["cert_req"].native)}
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        raise InputError("tsa.bad_request", path=path) from None


@dataclass
class TimestampInfo:
    gen_time: datetime
    tsa_name: str | None
    serial: int
    policy: str
    hash_algorithm: str
    digest_hex: str
    nonce: int | None
    signer_subject: str | None
    signature_ok: bool
    chain_ok: bool | None
    problems: list[str] = field(default_factory=list)
    chain_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        d = asdict(self)
        d["gen_time"] = self.gen_time.isoformat()
        # Serials and nonces run to 160 bits: strings survive every JSON reader.
        d["serial"] = str(self.serial)
        d["nonce"] = None if self.nonce is None else str(self.nonce)
        d["ok"] = self.ok
        return d


@dataclass
class _Token:
    tst: tsp.TSTInfo
    tst_raw: bytes
    signer: cms.SignerInfo
    certs: list
    bare: bool


_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, UnicodeError)


def _load_token(tsr: bytes, path: str) -> tuple[cms.ContentInfo, bool]:
    """The TimeStampToken of a TimeStampResp, or of a file that is a bare token (``-token_out``)."""
    data = bytes(tsr)
    try:
        resp = _TimeStampResp.load(data, strict=True)
        status = resp["status"]["status"].native
    except _PARSE_ERRORS:
        try:
            token = cms.ContentInfo.load(data, strict=True)
            if token["content_type"].native != "signed_data":
                raise ValueError("not signed data")
            return token, True
        except _PARSE_ERRORS:
            # A TSA that fails often answers with an HTML or JSON error page, saved under the .tsr name.
            web = data.lstrip()[:1] in (b"<", b"{")
            raise InputError("tsa.web_page" if web else "tsa.not_der", path=path) from None
    if status not in _GRANTED:
        info = resp["status"]
        texts = [s for s in (info["status_string"].native or []) if s]
        fail = info["fail_info"].native
        reason = "; ".join(texts + sorted(map(str, fail or []))) or "-"
        raise InputError("tsa.rejected", path=path, status=status, reason=reason)
    try:
        token = resp["time_stamp_token"]
        usable = bool(token) and token["content_type"].native == "signed_data"
    except _PARSE_ERRORS:
        raise InputError("tsa.not_der", path=path) from None
    if not usable:
        raise InputError("tsa.no_token", path=path)
    return token, False


def _parse(tsr: bytes, path: str) -> _Token:
    token, bare = _load_token(tsr, path)
    try:
        sd = token["content"]
        encap = sd["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise ValueError("not a TSTInfo")
        tst_raw = encap["content"].contents
        tst = tsp.TSTInfo.load(tst_raw, strict=True)
        tst.native  # force the lazy parse here, where a broken field is an InputError
        signer = sd["signer_infos"][0]
        signer.native
        certs = [c.chosen for c in (sd["certificates"] or []) if c.name == "certificate"]
    except _PARSE_ERRORS:
        raise InputError("tsa.not_der", path=path) from None
    return _Token(tst, tst_raw, signer, certs, bare)


def _ca_certs(ca_file: str | None) -> list:
    if not ca_file:
        return []
    from tradeshield.evidence.fsutil import check_input

    data = check_input(ca_file).read_bytes()
    try:
        if pem.detect(data):
            certs = [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        else:
            certs = [asn1_x509.Certificate.load(data, strict=True)]
        for cert in certs:
            cert.native  # parse now: a broken certificate is a bad CA file, not a crash later
        return certs
    except _PARSE_ERRORS:
        raise InputError("tsa.bad_ca", path=str(ca_file)) from None


def _find_signer(sid: cms.SignerIdentifier, certs: list):
    for cert in certs:
        try:
            if sid.name == "issuer_and_serial_number":
                if cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native:
                    return cert
            elif cert.key_identifier == sid.chosen.native:
                return cert
        except _PARSE_ERRORS:
            continue
    return None


def _hash(name: str):
    from cryptography.hazmat.primitives import hashes

    cls = getattr(hashes, name.upper(), None)
    if cls is None:
        raise ValueError(f"unsupported hash {name}")
    return cls()


def _verify_signature(cert, signer: cms.SignerInfo, data: bytes) -> None:
    """Raises (InvalidSignature, ValueError, …) unless ``signer``'s signature over ``data`` holds."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

    key = x509.load_der_x509_certificate(cert.dump()).public_key()
    sig_alg = signer["signature_algorithm"]
    signature = signer["signature"].native
    digest = _hash(signer["digest_algorithm"]["algorithm"].native)
    if isinstance(key, rsa.RSAPublicKey):
        if sig_alg.signature_algo == "rsassa_pss":
            params = sig_alg["parameters"]
            digest = _hash(params["hash_algorithm"]["algorithm"].native)
            mgf = padding.MGF1(_hash(params["mask_gen_algorithm"]["parameters"]["algorithm"].native))
            key.verify(signature, data, padding.PSS(mgf, params["salt_length"].native), digest)
        else:
            key.verify(signature, data, padding.PKCS1v15(), digest)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(digest))
    elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        key.verify(signature, data)
    elif isinstance(key, dsa.DSAPublicKey):
        key.verify(signature, data, digest)
    else:
        raise ValueError(f"unsupported key {type(key).__name__}")


def _attr(signed_attrs, name: str):
    for attr in signed_attrs or []:
        if attr["type"].native == name:
            return attr["values"][0]
    return None


def _ess_ok(signed_attrs, cert) -> bool:
    """RFC 3161 2.4.2: the ESS signing-certificate attribute must be there and name the certificate that
    signed, so a look-alike certificate cannot be slipped in beside the signature."""
    der = cert.dump()
    v2 = _attr(signed_attrs, "signing_certificate_v2")
    if v2 is not None:
        first = v2["certs"][0]
        algo = first["hash_algorithm"]["algorithm"].native if first["hash_algorithm"] else "sha256"
        return first["cert_hash"].native == hashlib.new(algo, der).digest()
    v1 = _attr(signed_attrs, "signing_certificate")
    if v1 is not None:
        return v1["certs"][0]["cert_hash"].native == hashlib.sha1(der).digest()
    return False


def _signed_bytes(tok: _Token) -> bytes:
    """What the TSA's signature covers, once messageDigest is shown to be the hash of the TSTInfo."""
    signer = tok.signer
    signed_attrs = signer["signed_attrs"]
    if not signed_attrs:
        return tok.tst_raw
    want = _attr(signed_attrs, "message_digest")
    algo = signer["digest_algorithm"]["algorithm"].native
    if want is None or want.native != hashlib.new(algo, tok.tst_raw).digest():
        raise ValueError("messageDigest does not match the TSTInfo")
    if _attr(signed_attrs, "content_type").native != "tst_info":
        raise ValueError("contentType is not TSTInfo")
    # Signed over the DER of the attributes as a SET OF, not the [0] IMPLICIT tag they travel in.
    return b"\x31" + signed_attrs.dump()[1:]


def _is_tsa_cert(cert) -> bool:
    try:
        eku = cert.extended_key_usage_value
        return eku is not None and "time_stamping" in eku.native
    except _PARSE_ERRORS:
        return False


def _check_signature(tok: _Token, extra_certs: list) -> tuple[bool, object, list[str]]:
    """(signature_ok, signer cert or None, problems) — messageDigest first, then the CMS signature."""
    cert = _find_signer(tok.signer["sid"], tok.certs + extra_certs)
    if cert is None:
        return False, None, ["signer-missing"]
    problems = []
    try:
        _verify_signature(cert, tok.signer, _signed_bytes(tok))
        ok = True
    except Exception:  # InvalidSignature, a malformed key or value: all mean "does not verify"
        ok = False
        problems.append("signature-invalid")
    if not _is_tsa_cert(cert):
        problems.append("signer-not-tsa")
    try:
        ess_ok = _ess_ok(tok.signer["signed_attrs"], cert)
    except _PARSE_ERRORS:
        ess_ok = False
    if ok and not ess_ok:
        problems.append("signer-cert-mismatch")
    return ok, cert, problems


def _check_chain(tsr: bytes, tok: _Token, imprint_hex: str, ca_certs: list) -> tuple[bool | None, str | None]:
    """``openssl ts -verify`` against the CA file's certificates. It is given the token's own imprint, so its verdict is
    about signature and chain only; the imprint is compared with ours separately. A token made without
    certReq carries no certificates: the signer's must then come from the CA file, given as untrusted too.
    The CA certificates are written out as PEM, so a DER CA file works as well."""
    exe = shutil.which("openssl")
    if exe is None:
        return None, None
    with tempfile.TemporaryDirectory(prefix="tradeshield-tsa-") as tmp:
        reply = Path(tmp) / "reply.tsr"
        reply.write_bytes(tsr)
        ca = Path(tmp) / "ca.pem"
        ca.write_bytes(b"".join(pem.armor("CERTIFICATE", c.dump()) for c in ca_certs))
        cmd = [exe, "ts", "-verify", "-digest", imprint_hex, "-in", str(reply), "-CAfile", str(ca)]
        gen_time = tok.tst["gen_time"].native
        if gen_time is not None:  # the chain as it was when the TSA signed: a token outlives its TSA's certificate
            cmd += ["-attime", str(int(gen_time.timestamp()))]
        if tok.bare:
            cmd.append("-token_in")
        if not tok.certs:
            cmd += ["-untrusted", str(ca)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, str(e)
    if proc.returncode == 0 and "Verification: OK" in proc.stdout:
        return True, None
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith(("Using configuration", "Warning"))]
    detail = lines[-1] if lines else proc.stdout.strip() or f"openssl exit {proc.returncode}"
    # "…:ts_verify_cert:…:Verify error:self-signed certificate in certificate chain" -> the readable tail
    for marker in ("Verify error:", "routines:"):
        if marker in detail:
            detail = detail.rsplit(marker, 1)[1]
            break
    detail = re.sub(r":?\.\./crypto/\S*", "", detail)
    return False, detail.strip(" :")[:300]


def _tsa_name(tst: tsp.TSTInfo) -> str | None:
    name = tst["tsa"]
    if not name:
        return None
    if name.name == "directory_name":
        return name.chosen.human_friendly
    return str(name.chosen.native)


def _subject(cert) -> str | None:
    # A certificate is parsed lazily; one outside the signed bytes may still be malformed.
    try:
        return cert.subject.human_friendly if cert is not None else None
    except _PARSE_ERRORS:
        return None


def check_response(tsr: bytes, digest_hex: str, nonce: int | None = None, ca_file: str | None = None,
                   *, path: str = "tsr") -> TimestampInfo:
    """Check a .tsr (TimeStampResp or bare TimeStampToken) against the digest we asked a timestamp for.
    ``path`` only names the file in error messages."""
    want = _digest_bytes(digest_hex)
    tok = _parse(tsr, path)
    extra = _ca_certs(ca_file)
    sig_ok, cert, problems = _check_signature(tok, extra)
    imprint = tok.tst["message_imprint"]
    algo = imprint["hash_algorithm"]["algorithm"].native
    got = imprint["hashed_message"].native
    if algo != "sha256" or got != want:
        problems.insert(0, "imprint-mismatch")
    tst_nonce = tok.tst["nonce"].native
    if nonce is not None and tst_nonce != nonce:
        problems.append("nonce-mismatch")
    chain_ok, chain_error = (None, None)
    if ca_file:
        chain_ok, chain_error = _check_chain(bytes(tsr), tok, got.hex(), extra)
        if chain_ok is False:
            problems.append("chain-untrusted")
    return TimestampInfo(
        gen_time=tok.tst["gen_time"].native, tsa_name=_tsa_name(tok.tst), serial=tok.tst["serial_number"].native,
        policy=tok.tst["policy"].dotted, hash_algorithm=algo, digest_hex=got.hex(), nonce=tst_nonce,
        signer_subject=_subject(cert),
        signature_ok=sig_ok, chain_ok=chain_ok, problems=problems, chain_error=chain_error)


def describe(problem: str, lang: str | None = None) -> str:
    """One line in the user's language for a problem code of ``TimestampInfo.problems``."""
    return i18n.t("tsa.problem." + problem, lang)
