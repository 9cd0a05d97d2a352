"""The evidence spine: every command writes through it.

- ``case``     the case folder: originals in ``evidence/``, derived files, facts, events (``Case``)
- ``custody``  the hash-chained custody log (``custody.jsonl``)
- ``fsutil``   hashing, atomic writes, input checks
- ``bundle``   the BagIt bundle and the seal code
- ``verify``   checks a bundle or a case folder
- ``signing``  Ed25519 keys and signatures
- ``tsa``, ``stamp``  RFC 3161 timestamps of a bundle or a case

Modules are imported by their full name (``from tradeshield.evidence.case import Case``); this package
imports nothing itself, so ``tradeshield --help`` stays fast.
"""
