"""Ed25519 signing key kept in the user's config folder.

    >>> from tradeshield.evidence.signing import load_key, sign, check
    >>> key = load_key(create=True)                              # doctest: +SKIP
    >>> sig = sign(b"manifest bytes", key)                       # doctest: +SKIP
    >>> check(sig, b"manifest bytes")                            # doctest: +SKIP
    True

The private key is created on first use with mode 0600 (``signing-ed25519.pem`` in
``config.user_config_dir()``); a signature record carries the raw public key and its
fingerprint so anyone can check the bundle, and the user can publish the fingerprint.
"""
from __future__ import annotations

import base64
import hashlib
import os

from tradeshield import i18n
from tradeshield.config import user_config_dir
from tradeshield.errors import InputError

KEY_NAME = "signing-ed25519.pem"

i18n.register({
    "sign.bad_key": ("签名私钥无法读取：{path}（{reason}）", "signing key cannot be read: {path} ({reason})"),
    "sign.no_key": ("还没有签名私钥（用 --sign 会自动创建）", "no signing key yet (--sign creates one)"),
})


def key_path():
    return user_config_dir() / KEY_NAME


def key_exists() -> bool:
    return key_path().is_file()


def load_key(create: bool = False):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = key_path()
    if not path.exists():
        if not create:
            raise InputError("sign.no_key")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        return key
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as e:
        raise InputError("sign.bad_key", path=str(path), reason=str(e)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("sign.bad_key", path=str(path), reason="not an Ed25519 key")
    return key


def public_raw(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: bytes) -> str:
    digest = hashlib.sha256(public).hexdigest()[:32]
    return "SHA256:" + ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def sign(data: bytes, key) -> dict:
    pub = public_raw(key)
    return {
        "algorithm": "ed25519",
        "signed_file": "tradeshield-manifest.json",
        "public_key": base64.b64encode(pub).decode(),
        "fingerprint": fingerprint(pub),
        "signature": base64.b64encode(key.sign(data)).decode(),
    }


def check(record: dict, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        if record.get("algorithm") != "ed25519":
            return False
        pub = base64.b64decode(record["public_key"], validate=True)
        if fingerprint(pub) != record.get("fingerprint"):
            return False
        Ed25519PublicKey.from_public_bytes(pub).verify(base64.b64decode(record["signature"], validate=True), data)
        return True
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
