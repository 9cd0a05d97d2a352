"""RFC 3161 timestamps against a real local TSA made with the openssl CLI (no mocks)."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from asn1crypto import tsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeshield import i18n

from tradeshield.evidence import tsa
from tradeshield.errors import InputError, UsageError

OPENSSL = shutil.which("openssl")
DIGEST = hashlib.sha256(b"merkle root of a case").hexdigest()
OTHER = hashlib.sha256(b"another case").hexdigest()
POLICY = "1.2.3.4.1"

EXT_CNF = """\
[ca_ext]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[tsa_ext]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

TSA_CNF = """\
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
other_policies = 1.2.3.4.5.6
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = {ess}
"""

KEYGEN = {
    "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "ec": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
}


def openssl(*args, cwd: Path, input: bytes | None = None) -> bytes:
    proc = subprocess.run([OPENSSL, *map(str, args)], cwd=cwd, input=input, capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(map(str, args))} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def make_ca(root: Path, name: str, key_type: str) -> tuple[Path, Path]:
    key, cert = root / f"{name}.key", root / f"{name}.pem"
    openssl("genpkey", *KEYGEN[key_type], "-out", key, cwd=root)
    openssl("req", "-x509", "-new", "-key", key, "-out", cert, "-days", "30", "-subj", f"/CN={name}",
            "-config", root / "ext.cnf", "-extensions", "ca_ext", cwd=root)
    return key, cert


class LocalTSA:
    """A CA and a TSA certificate (EKU critical timeStamping) answering with `openssl ts -reply`."""

    def __init__(self, root: Path, key_type: str):
        self.root, self.key_type = root, key_type
        (root / "ext.cnf").write_text(EXT_CNF)
        make_ca(root, "ca", key_type)
        self.ca = root / "ca.pem"
        openssl("genpkey", *KEYGEN[key_type], "-out", "tsa.key", cwd=root)
        openssl("req", "-new", "-key", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=Test TSA/O=tradeshield", cwd=root)
        openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "tsa.pem", "-days", "30", "-extfile", "ext.cnf", "-extensions", "tsa_ext", cwd=root)
        (root / "serial").write_text("01\n")
        # The EC TSA names its certificate by SHA-1 (ESS signingCertificate v1), the RSA one by SHA-256 (v2).
        ess = "sha1" if key_type == "ec" else "sha256"
        (root / "tsa.cnf").write_text(TSA_CNF.format(dir=root, policy=POLICY, ess=ess))
        self.n = 0

    def reply(self, tsq: bytes, token_out: bool = False) -> bytes:
        self.n += 1
        req, out = self.root / f"req{self.n}.tsq", self.root / f"resp{self.n}.tsr"
        req.write_bytes(tsq)
        openssl("ts", "-reply", "-queryfile", req, "-config", self.root / "tsa.cnf", "-out", out,
                *(["-token_out"] if token_out else []), cwd=self.root)
        return out.read_bytes()


    def cms_token(self, tst: bytes, signer: str, *options: str) -> bytes:
        """A bare token over ``tst`` signed by `openssl cms -sign` (which, unlike `openssl ts -reply`, can
        sign with RSA-PSS or without a timeStamping certificate; it adds no ESS signing-certificate)."""
        self.n += 1
        src, out = self.root / f"tst{self.n}.der", self.root / f"cms{self.n}.tok"
        src.write_bytes(tst)
        openssl("cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-econtent_type", "1.2.840.113549.1.9.16.1.4",
                "-in", src, "-signer", f"{signer}.pem", "-inkey", f"{signer}.key", "-md", "sha256", "-nosmimecap",
                "-out", out, *options, cwd=self.root)
        return out.read_bytes()


def need_openssl():
    if OPENSSL is None:
        pytest.skip("openssl binary not found: the local TSA needs `openssl ts` (apt-get install openssl)")


@pytest.fixture(scope="module", params=["rsa", "ec"])
def local_tsa(request, tmp_path_factory) -> LocalTSA:
    need_openssl()
    return LocalTSA(tmp_path_factory.mktemp(f"tsa-{request.param}"), request.param)


@pytest.fixture(scope="module")
def good(local_tsa) -> bytes:
    return local_tsa.reply(tsa.build_request(DIGEST, nonce=4242))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory) -> Path:
    need_openssl()
    root = tmp_path_factory.mktemp("other-ca")
    (root / "ext.cnf").write_text(EXT_CNF)
    return make_ca(root, "Other CA", "rsa")[1]


def flip(data: bytes, offset: int, mask: int = 0x01) -> bytes:
    out = bytearray(data)
    out[offset] ^= mask
    return bytes(out)


def token_parts(tsr: bytes):
    """(TSTInfo DER, signed attributes DER, signature bytes) of a response, to aim tamperings at."""
    sd = tsp.TimeStampResp.load(tsr)["time_stamp_token"]["content"]
    signer = sd["signer_infos"][0]
    return sd["encap_content_info"]["content"].contents, signer["signed_attrs"].dump(), signer["signature"].contents


def token_parts_bare(token: bytes):
    from asn1crypto import cms

    sd = cms.ContentInfo.load(token)["content"]
    signer = sd["signer_infos"][0]
    return sd["encap_content_info"]["content"].contents, signer["signed_attrs"].dump(), signer["signature"].contents


# ------------------------------------------------------------------ request

@given(digest=st.binary(min_size=32, max_size=32), nonce=st.integers(min_value=1, max_value=2**159),
       cert_req=st.booleans())
def test_request_round_trip(digest, nonce, cert_req):
    got = tsa.read_request(tsa.build_request(digest.hex(), nonce=nonce, cert_req=cert_req))
    assert got == {"digest": digest.hex(), "hash_algorithm": "sha256", "nonce": nonce, "cert_req": cert_req}


def test_request_draws_a_fresh_nonce_when_none_is_given():
    a, b = (tsa.read_request(tsa.build_request(DIGEST))["nonce"] for _ in range(2))
    assert a and b and a != b


@pytest.mark.parametrize("bad", ["", "xyz", DIGEST[:-2], DIGEST + "00", "g" * 64])
def test_request_refuses_a_digest_that_is_not_sha256(bad):
    with pytest.raises(UsageError) as exc:
        tsa.build_request(bad)
    assert exc.value.key == "tsa.bad_digest"


def test_read_request_refuses_garbage():
    with pytest.raises(InputError) as exc:
        tsa.read_request(b"\x30\x03\x02\x01", path="case.tsq")
    assert exc.value.key == "tsa.bad_request" and "case.tsq" in str(exc.value)


def test_openssl_reads_our_request(tmp_path):
    need_openssl()
    (tmp_path / "case.tsq").write_bytes(tsa.build_request(DIGEST, nonce=0xABCDEF))
    text = openssl("ts", "-query", "-in", "case.tsq", "-text", cwd=tmp_path).decode()
    assert "Hash Algorithm: sha256" in text
    assert "Nonce: 0xABCDEF" in text
    assert "Certificate required: yes" in text
    hex_dump = "".join(line.split(" - ")[1][:48] for line in text.splitlines() if " - " in line)
    assert hex_dump.replace(" ", "").replace("-", "") == DIGEST


# ------------------------------------------------------------------ good responses

def test_good_response_checks_out(local_tsa, good):
    info = tsa.check_response(good, DIGEST, nonce=4242, ca_file=str(local_tsa.ca))
    assert info.problems == [] and info.ok
    assert info.signature_ok is True and info.chain_ok is True and info.chain_error is None
    assert info.digest_hex == DIGEST and info.hash_algorithm == "sha256" and info.nonce == 4242
    assert info.policy == POLICY and info.serial >= 1
    assert "Test TSA" in info.tsa_name and "Test TSA" in info.signer_subject
    now = datetime.now(timezone.utc)
    assert info.gen_time.tzinfo is not None and now - timedelta(minutes=10) < info.gen_time <= now + timedelta(minutes=1)
    d = json.loads(json.dumps(info.to_dict()))
    assert d["gen_time"] == info.gen_time.isoformat() and d["nonce"] == "4242" and d["ok"] is True


def test_without_ca_the_chain_is_not_judged(good):
    info = tsa.check_response(good, DIGEST, nonce=4242)
    assert info.problems == [] and info.signature_ok and info.chain_ok is None


def test_bare_token_is_accepted(local_tsa):
    token = local_tsa.reply(tsa.build_request(DIGEST, nonce=7), token_out=True)
    with pytest.raises(ValueError):  # it really is a bare token, not a TimeStampResp
        tsp.TimeStampResp.load(token, strict=True)["status"]["status"].native
    info = tsa.check_response(token, DIGEST, nonce=7, ca_file=str(local_tsa.ca))
    assert info.problems == [] and info.signature_ok and info.chain_ok is True


def test_response_without_certificates_needs_the_tsa_cert(local_tsa, tmp_path):
    tsr = local_tsa.reply(tsa.build_request(DIGEST, nonce=9, cert_req=False))
    info = tsa.check_response(tsr, DIGEST, nonce=9)
    assert info.problems == ["signer-missing"] and info.signature_ok is False
    bundle = tmp_path / "ca+tsa.pem"
    bundle.write_bytes(local_tsa.ca.read_bytes() + (local_tsa.root / "tsa.pem").read_bytes())
    info = tsa.check_response(tsr, DIGEST, nonce=9, ca_file=str(bundle))
    assert info.problems == [] and info.signature_ok and info.chain_ok is True


# ------------------------------------------------------------------ wrong or altered responses

def test_response_for_another_digest_is_an_imprint_mismatch(local_tsa):
    tsr = local_tsa.reply(tsa.build_request(OTHER, nonce=5))
    info = tsa.check_response(tsr, DIGEST, nonce=5, ca_file=str(local_tsa.ca))
    assert info.problems == ["imprint-mismatch"]
    assert info.signature_ok and info.chain_ok is True and info.digest_hex == OTHER


def test_response_to_another_request_is_a_nonce_mismatch(good):
    info = tsa.check_response(good, DIGEST, nonce=4243)
    assert info.problems == ["nonce-mismatch"] and info.signature_ok


def test_flipped_signature_byte_is_signature_invalid(local_tsa, good):
    _, _, sig = token_parts(good)
    at = good.index(sig) + len(sig) - 1  # the last byte: still a well-formed ECDSA DER / RSA block
    bad = flip(good, at)
    assert tsa.check_response(bad, DIGEST, nonce=4242).problems == ["signature-invalid"]
    info = tsa.check_response(bad, DIGEST, nonce=4242, ca_file=str(local_tsa.ca))
    assert not info.signature_ok and info.chain_ok is False  # openssl rejects it as well
    assert info.problems == ["signature-invalid", "chain-untrusted"]


def test_flipped_serial_in_tstinfo_is_signature_invalid(good):
    tst, _, _ = token_parts(good)
    serial = tsp.TSTInfo.load(tst)["serial_number"]
    at = good.index(tst) + tst.index(serial.dump()) + len(serial.dump()) - 1
    bad = flip(good, at)
    info = tsa.check_response(bad, DIGEST, nonce=4242)
    assert info.serial == serial.native ^ 1  # the altered TSTInfo is what was read
    assert info.problems == ["signature-invalid"] and info.signature_ok is False


def test_swapped_imprint_cannot_be_passed_off(good):
    """An attacker rewriting the imprint to another digest breaks the signature."""
    tst, _, _ = token_parts(good)
    at = good.index(tst) + tst.index(bytes.fromhex(DIGEST))
    bad = good[:at] + bytes.fromhex(OTHER) + good[at + 32:]
    info = tsa.check_response(bad, OTHER, nonce=4242)
    assert info.digest_hex == OTHER and info.problems == ["signature-invalid"]


def test_flipped_signed_attribute_is_signature_invalid(good):
    _, attrs, _ = token_parts(good)
    at = good.index(attrs) + len(attrs) - 1  # inside the last attribute value (a hash)
    assert tsa.check_response(flip(good, at), DIGEST, nonce=4242).problems == ["signature-invalid"]


def test_chain_to_another_ca_is_untrusted(good, other_ca):
    info = tsa.check_response(good, DIGEST, nonce=4242, ca_file=str(other_ca))
    assert info.signature_ok and info.chain_ok is False
    assert info.problems == ["chain-untrusted"] and info.chain_error


def test_ess_signing_certificate_attribute_is_the_one_checked(local_tsa, good):
    """v2 (SHA-256) for the RSA TSA, v1 (SHA-1) for the EC TSA: both name the TSA certificate."""
    _, attrs, _ = token_parts(good)
    oid = bytes.fromhex("060b2a864886f70d010910022f" if local_tsa.key_type == "rsa" else "060b2a864886f70d010910020c")
    assert oid in attrs
    info = tsa.check_response(good, DIGEST, nonce=4242)
    assert "signer-cert-mismatch" not in info.problems


@pytest.mark.parametrize("local_tsa", ["rsa"], indirect=True)
def test_rsa_pss_signature_is_verified(local_tsa, good):
    tst, _, _ = token_parts(good)
    token = local_tsa.cms_token(tst, "tsa", "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32")
    assert bytes.fromhex("06092a864886f70d01010a") in token  # id-RSASSA-PSS really is the signature algorithm
    info = tsa.check_response(token, DIGEST, nonce=4242)
    # openssl cms adds no ESS signing-certificate attribute, which RFC 3161 requires: reported, signature fine
    assert info.signature_ok and info.problems == ["signer-cert-mismatch"]
    _, _, sig = token_parts_bare(token)
    bad = flip(token, token.index(sig) + 100)
    assert tsa.check_response(bad, DIGEST, nonce=4242).problems == ["signature-invalid"]


def test_token_without_signed_attributes_is_verified_over_tstinfo(local_tsa, good):
    tst, _, _ = token_parts(good)
    token = local_tsa.cms_token(tst, "tsa", "-noattr")
    info = tsa.check_response(token, DIGEST, nonce=4242)
    assert info.signature_ok and info.problems == ["signer-cert-mismatch"]
    tst_at = token.index(tst)
    bad = flip(token, tst_at + tst.index(bytes.fromhex(DIGEST)))
    assert tsa.check_response(bad, DIGEST, nonce=4242).problems == ["imprint-mismatch", "signature-invalid"]


def test_signer_without_timestamping_usage_is_reported(local_tsa, good):
    tst, _, _ = token_parts(good)
    token = local_tsa.cms_token(tst, "ca")  # the CA signs: a valid signature by a non-TSA certificate
    info = tsa.check_response(token, DIGEST, nonce=4242, ca_file=str(local_tsa.ca))
    assert info.signature_ok and info.chain_ok is False
    assert info.problems == ["signer-not-tsa", "signer-cert-mismatch", "chain-untrusted"]


@pytest.mark.parametrize("data", [b"", b"garbage\n" * 10, b"\x30\x82\x01", bytes(range(256))])
def test_garbage_is_an_input_error(data):
    with pytest.raises(InputError) as exc:
        tsa.check_response(data, DIGEST, path="case.tsr")
    assert exc.value.key == "tsa.not_der" and "case.tsr" in exc.value.message("en")
    assert i18n.has(exc.value.key) and exc.value.message("zh") != exc.value.message("en")


@pytest.mark.parametrize("data", [b"<html><body>502 Bad Gateway</body></html>", b'  {"error": "rate limited"}'])
def test_error_page_saved_as_tsr_is_named_as_such(data):
    with pytest.raises(InputError) as exc:
        tsa.check_response(data, DIGEST, path="case.tsr")
    assert exc.value.key == "tsa.web_page" and "case.tsr" in exc.value.message("zh")


def test_der_ca_file_works_like_pem(local_tsa, good, tmp_path):
    der = tmp_path / "ca.der"
    openssl("x509", "-in", local_tsa.ca, "-outform", "DER", "-out", der, cwd=tmp_path)
    info = tsa.check_response(good, DIGEST, nonce=4242, ca_file=str(der))
    assert info.chain_ok is True and info.problems == []


def test_truncated_response_and_request_file_are_input_errors(good):
    for data in (good[:-1], good[: len(good) // 2], good + b"\n", tsa.build_request(DIGEST)):
        with pytest.raises(InputError) as exc:
            tsa.check_response(data, DIGEST)
        assert exc.value.key == "tsa.not_der"


def test_tsa_refusal_is_an_input_error(local_tsa, tmp_path):
    """The local TSA accepts sha256/384/512 only: a SHA-1 request is answered with status rejection."""
    (tmp_path / "d.txt").write_text("x")
    sha1_req = openssl("ts", "-query", "-data", "d.txt", "-sha1", "-cert", cwd=tmp_path)
    tsr = local_tsa.reply(sha1_req)
    with pytest.raises(InputError) as exc:
        tsa.check_response(tsr, DIGEST, path="case.tsr")
    assert exc.value.key == "tsa.rejected"
    assert exc.value.params["status"] == "rejection" and "bad_alg" in exc.value.params["reason"]


def test_missing_or_bad_ca_file_is_an_input_error(good, tmp_path):
    with pytest.raises(InputError) as exc:
        tsa.check_response(good, DIGEST, ca_file=str(tmp_path / "nope.pem"))
    assert exc.value.key == "file.missing"
    (tmp_path / "bad.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(InputError) as exc:
        tsa.check_response(good, DIGEST, ca_file=str(tmp_path / "bad.pem"))
    assert exc.value.key == "tsa.bad_ca"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_change_to_signed_bytes_is_detected(good, data):
    """Every byte of TSTInfo, signed attributes and signature is covered: flipping one either makes the
    reply unreadable (InputError) or shows up as a problem; no other exception escapes."""
    tst, attrs, sig = token_parts(good)
    regions = [(good.index(part), len(part)) for part in (tst, attrs, sig)]
    start, length = data.draw(st.sampled_from(regions))
    at = data.draw(st.integers(min_value=start, max_value=start + length - 1))
    bad = flip(good, at, data.draw(st.integers(min_value=1, max_value=255)))
    try:
        info = tsa.check_response(bad, DIGEST, nonce=4242)
    except InputError:
        return
    assert info.problems and not info.ok


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_byte_gives_a_result_or_an_input_error(good, data):
    at = data.draw(st.integers(min_value=0, max_value=len(good) - 1))
    bad = flip(good, at, data.draw(st.integers(min_value=1, max_value=255)))
    try:
        info = tsa.check_response(bad, DIGEST, nonce=4242)
    except InputError:
        return
    assert isinstance(info.problems, list)


def test_every_problem_code_has_both_languages():
    codes = ["imprint-mismatch", "nonce-mismatch", "signature-invalid", "signer-missing", "signer-not-tsa",
             "signer-cert-mismatch", "chain-untrusted"]
    for code in codes:
        zh, en = tsa.describe(code, "zh"), tsa.describe(code, "en")
        assert zh != en and "tsa.problem" not in zh + en
        assert f"``{code}``" in tsa.__doc__


def test_without_openssl_the_chain_is_not_judged_but_the_signature_is(good, local_tsa, monkeypatch):
    monkeypatch.setattr(tsa.shutil, "which", lambda name: None)
    info = tsa.check_response(good, DIGEST, nonce=4242, ca_file=str(local_tsa.ca))
    assert info.chain_ok is None and info.signature_ok and info.problems == []
    _, _, sig = token_parts(good)
    bad = flip(good, good.index(sig) + len(sig) - 1)
    assert tsa.check_response(bad, DIGEST, nonce=4242, ca_file=str(local_tsa.ca)).problems == ["signature-invalid"]


def test_chain_is_checked_at_gen_time_so_an_expired_tsa_certificate_still_verifies(tmp_path):
    """A token signed while the TSA certificate was valid stays valid after it expires (openssl -attime genTime);
    without -attime the same openssl call rejects it, which is what the check used to report."""
    import time

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    need_openssl()
    root = tmp_path
    (root / "ext.cnf").write_text(EXT_CNF)
    ca_key_path, ca_pem = make_ca(root, "ca", "ec")
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate(ca_pem.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    expires = now + timedelta(seconds=4)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Short TSA")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(expires)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (root / "tsa.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "tsa.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    (root / "serial").write_text("01\n")
    (root / "tsa.cnf").write_text(TSA_CNF.format(dir=root, policy=POLICY, ess="sha256"))
    (root / "req.tsq").write_bytes(tsa.build_request(DIGEST, nonce=7))
    openssl("ts", "-reply", "-queryfile", root / "req.tsq", "-config", root / "tsa.cnf", "-out", root / "resp.tsr",
            cwd=root)
    reply = (root / "resp.tsr").read_bytes()
    time.sleep(max(0.0, (expires - datetime.now(timezone.utc)).total_seconds()) + 1.5)
    plain = subprocess.run([OPENSSL, "ts", "-verify", "-digest", DIGEST, "-in", root / "resp.tsr", "-CAfile", ca_pem],
                           capture_output=True, text=True)
    assert plain.returncode != 0 and "expired" in (plain.stderr + plain.stdout).lower()
    info = tsa.check_response(reply, DIGEST, nonce=7, ca_file=str(ca_pem))
    assert info.chain_ok is True and info.problems == [], (info.problems, info.chain_error)
