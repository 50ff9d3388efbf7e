"""Signed records next to a bare JWS, and next to the IETF reference ``sd-jwt`` library.

All sides sign and verify the same content with a key of the same algorithm. The bare side
puts claims and attributes straight into one JWS payload, through joserfc (the baseline the
targets name) and through the same ``cryptography`` calls the records use (the floor: what
signing alone costs). The record side is ``issue_record`` (salts, disclosures, digests,
decoys, ``_sd`` sorting) and ``verify_record`` (header and key checks, times, digest
recomputation, the RFC 9901 §7.1 walk). The reference library (``sd-jwt``, on jwcrypto)
issues and verifies the same claims with the same disclosures; it checks no times, ``typ``
or allow-list, so it does less than ``verify_record``. Sides alternate in rounds; the
figures are CPU time of this process (nothing here waits), steadier than wall time on a
shared machine.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from joserfc import jws

from bench._util import FULL, figure, interleaved, per_second, print_table
from brondata.records import (
    Algorithm,
    KeySet,
    SignedRecord,
    SigningKey,
    issue_record,
    verify_record,
)
from brondata.records._encoding import json_loads
from brondata.records._jws import read_compact, sign_compact, verify_compact

# Many short rounds rather than a few long ones: on a shared machine a neighbour's burst
# then lands in a round or two of each side, and the median passes over it.
ROUNDS = 31 if FULL else 15
BATCH = 60
BARE_ALG = {"ES256": "ES256", "EdDSA": "Ed25519"}  # joserfc's warning-free name for Ed25519

CLAIMS: dict[str, Any] = {
    "iss": "https://gateway.example",
    "iat": 1_748_779_200,
    "exp": 1_748_779_200 + 86_400,
    "vct": "urn:brondata:bank:1",
    "sub": "pseudonym-7f3a",
    "source": "bank",
    "retrieved_at": "2025-06-01T12:00:00Z",
    "source_response_digest": "sha-256:" + "ab" * 32,
    "mapping_version": "bank-1.0",
    "consent_id": "c-123",
    "purpose": "mortgage-application",
}
ATTRIBUTES: dict[str, Any] = {
    "bank.balance_total": {"amount": "1234.56", "currency": "EUR"},
    "bank.accounts": [
        {"iban": "NL76RABO0359400371", "balance": "1000.00", "currency": "EUR"},
        {"iban": "NL91ABNA0417164300", "balance": "234.56", "currency": "EUR"},
        {"iban": "NL20INGB0001234567", "balance": "0.00", "currency": "EUR"},
    ],
    "bank.income_monthly_average": {"amount": "4200.00", "currency": "EUR"},
    "bank.fixed_costs_monthly": {"amount": "1650.00", "currency": "EUR"},
    "bank.holder_name": "J. Jansen",
}
NOW = datetime.fromtimestamp(CLAIMS["iat"] + 60, UTC)


def _reference(alg: Algorithm, key: SigningKey) -> dict[str, Any] | None:
    """Issue and verify with the IETF reference implementation, if it is installed."""
    try:
        from jwcrypto.jwk import JWK
        from sd_jwt.common import SDObj
        from sd_jwt.issuer import SDJWTIssuer
        from sd_jwt.verifier import SDJWTVerifier
    except ImportError:
        return None
    jwk = JWK.from_pem(key.to_pem())
    public = JWK.from_json(json.dumps(key.public_jwk()))
    claims: dict[Any, Any] = dict(CLAIMS)
    for name, value in ATTRIBUTES.items():
        if name == "bank.accounts":
            value = [SDObj(element) for element in value]
        claims[SDObj(name)] = value
    sign_alg = "ES256" if alg == "ES256" else "EdDSA"

    def issue() -> str:
        return str(
            SDJWTIssuer(claims, jwk, sign_alg=sign_alg, add_decoy_claims=True).sd_jwt_issuance
        )

    token = issue()

    def verify() -> object:
        return SDJWTVerifier(token, lambda issuer, header: public).get_verified_payload()

    return {"issue": issue, "verify": verify}


def measure(alg: Algorithm, rounds: int = ROUNDS, batch: int = BATCH) -> dict[str, Any]:
    """Seconds per operation of every side for one algorithm (min and median of rounds)."""
    key = SigningKey.generate(alg)
    jwks = KeySet([key.public_jwk()])
    public = jwks.get(key.kid)
    assert public is not None
    bare_alg = BARE_ALG[alg]
    body = json.dumps({**CLAIMS, **ATTRIBUTES}, separators=(",", ":")).encode()
    header = {"alg": bare_alg, "typ": "JWT", "kid": key.kid}

    def issue() -> SignedRecord:
        return issue_record(CLAIMS, ATTRIBUTES, key, array_elements={"bank.accounts"})

    record = issue()

    def joserfc_sign() -> str:
        return jws.serialize_compact(header, body, key.jose_key, algorithms=[bare_alg])

    token = joserfc_sign()

    def joserfc_verify() -> object:
        return json.loads(
            jws.deserialize_compact(token, key.jose_key, algorithms=[bare_alg]).payload
        )

    def crypto_sign() -> str:
        return sign_compact(header, body, key.jose_key)

    def crypto_verify() -> object:
        parsed = read_compact(token)
        verify_compact(parsed, public.jose_key)
        return json_loads(parsed.payload)

    sides: dict[str, Any] = {
        "issue": issue,
        "bare_joserfc_sign": joserfc_sign,
        "bare_crypto_sign": crypto_sign,
        "verify": lambda: verify_record(record, jwks, now=NOW),
        "bare_joserfc_verify": joserfc_verify,
        "bare_crypto_verify": crypto_verify,
    }
    reference = _reference(alg, key)
    if reference is not None:
        sides["reference_issue"] = reference["issue"]
        sides["reference_verify"] = reference["verify"]
    return interleaved(sides, rounds, batch)


def run(rounds: int = ROUNDS, batch: int = BATCH) -> dict[str, Any]:
    """Measure ES256 and EdDSA; the report's rows, the raw seconds, a printed table."""
    rows: list[dict[str, Any]] = []
    raw: dict[str, Any] = {}
    for alg in ("ES256", "EdDSA"):
        s = measure(alg, rounds, batch)
        raw[alg] = s
        for op, bare, target in (("issue", "sign", 0.5), ("verify", "verify", 0.7)):
            rows.append(
                figure(
                    f"SD-JWT {op} vs bare joserfc JWS {bare} ({alg})",
                    "ops/CPU-s",
                    per_second(s[op]),
                    rounds=rounds,
                    baseline=per_second(s[f"bare_joserfc_{bare}"]),
                    baseline_name=f"bare joserfc {bare}",
                    target=target,
                    target_text=f">= {target}x",
                )
            )
            rows.append(
                figure(
                    f"SD-JWT {op} vs bare cryptography JWS {bare} ({alg})",
                    "ops/CPU-s",
                    per_second(s[op]),
                    rounds=rounds,
                    baseline=per_second(s[f"bare_crypto_{bare}"]),
                    baseline_name=f"bare cryptography {bare}",
                    note="the floor: the same signature calls the records use",
                )
            )
            if f"reference_{op}" in s:
                rows.append(
                    figure(
                        f"SD-JWT {op} vs IETF reference sd-jwt ({alg})",
                        "ops/CPU-s",
                        per_second(s[op]),
                        rounds=rounds,
                        baseline=per_second(s[f"reference_{op}"]),
                        baseline_name=f"sd-jwt {op}",
                        note="the reference checks no times, typ or allow-list",
                    )
                )
    if "reference_issue" not in raw["ES256"]:
        raw["reference"] = "sd-jwt not installed (pip install sd-jwt, the bench extra)"
    print_table(
        f"signed records vs bare JWS ({rounds} interleaved rounds of {batch})",
        [
            (row["name"], f"{row['median']:8.0f} {row['unit']}  ratio {row['ratio']:.2f}x")
            for row in rows
        ],
    )
    return {"title": "SD-JWT records", "rows": rows, "raw": raw}


if __name__ == "__main__":
    run()
