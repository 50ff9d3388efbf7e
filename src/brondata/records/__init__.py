"""Signed records: SD-JWT (RFC 9901) issuance, presentation and verification, and keys.

``issue_record`` signs a record in the brondata profile, ``SignedRecord.present`` makes a
presentation of a subset (optionally key-bound), ``verify_record`` checks either against a
``KeySet`` (JWKS). ``SigningKey`` is an ES256 or EdDSA key whose ``kid`` is its RFC 7638
thumbprint; a ``KeyStore`` (``FileKeyStore``, ``MemoryKeyStore``) keeps the active key,
rotates it and publishes the JWKS.

Names are imported on first use (PEP 562), so a verifier that never touches a key store
does not load it.
"""

import importlib as _importlib

TYPE_CHECKING = False  # not typing's: see brondata/__init__.py
if TYPE_CHECKING:
    from brondata.records._keys import (
        Algorithm,
        KeySet,
        SigningKey,
        VerificationKey,
        jwk_thumbprint,
    )
    from brondata.records._keystore import FileKeyStore, KeyInfo, KeyStore, MemoryKeyStore
    from brondata.records._record import (
        NEVER_DISCLOSABLE,
        RECORD_TYP,
        KeyBinding,
        KeyBindingPolicy,
        SignedRecord,
        VerifiedRecord,
        issue_record,
        verify_record,
    )
    from brondata.records._sdjwt import Disclosable
del TYPE_CHECKING

__all__ = [
    "NEVER_DISCLOSABLE",
    "RECORD_TYP",
    "Algorithm",
    "Disclosable",
    "FileKeyStore",
    "KeyBinding",
    "KeyBindingPolicy",
    "KeyInfo",
    "KeySet",
    "KeyStore",
    "MemoryKeyStore",
    "SignedRecord",
    "SigningKey",
    "VerificationKey",
    "VerifiedRecord",
    "issue_record",
    "jwk_thumbprint",
    "verify_record",
]

_LAZY: dict[str, str] = {
    "NEVER_DISCLOSABLE": "_record",
    "RECORD_TYP": "_record",
    "Algorithm": "_keys",
    "Disclosable": "_sdjwt",
    "FileKeyStore": "_keystore",
    "KeyBinding": "_record",
    "KeyBindingPolicy": "_record",
    "KeyInfo": "_keystore",
    "KeySet": "_keys",
    "KeyStore": "_keystore",
    "MemoryKeyStore": "_keystore",
    "SignedRecord": "_record",
    "SigningKey": "_keys",
    "VerificationKey": "_keys",
    "VerifiedRecord": "_record",
    "issue_record": "_record",
    "jwk_thumbprint": "_keys",
    "verify_record": "_record",
}


def __getattr__(name: str) -> object:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
