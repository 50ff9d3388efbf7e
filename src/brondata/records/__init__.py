"""Signed records: SD-JWT (RFC 9901) issuance, presentation and verification, and keys.

``issue_record`` signs a record in the brondata profile, ``SignedRecord.present`` makes a
presentation of a subset (optionally key-bound), ``verify_record`` checks either against a
``KeySet`` (JWKS). ``SigningKey`` is an ES256 or EdDSA key whose ``kid`` is its RFC 7638
thumbprint; a ``KeyStore`` (``FileKeyStore``, ``MemoryKeyStore``) keeps the active key,
rotates it and publishes the JWKS.
"""

from __future__ import annotations

from brondata.records._keys import Algorithm, KeySet, SigningKey, VerificationKey, jwk_thumbprint
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
