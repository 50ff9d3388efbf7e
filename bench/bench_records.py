"""Signed records next to a bare JWS: what the SD-JWT layer costs.

Both sides sign and verify the same content with the same key through joserfc. The bare
side puts claims and attributes straight into one JWS payload; the record side is
``issue_record`` (salts, disclosures, digests, decoys, ``_sd`` sorting) and ``verify_record``
(header and key checks, times, digest recomputation, the RFC 9901 §7.1 walk). The ratio of
records per second to bare JWS per second is the price of selective disclosure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from joserfc import jws

from brondata.records import (
    Algorithm,
    KeySet,
    SignedRecord,
    SigningKey,
    issue_record,
    verify_record,
)

ITERATIONS = 2000
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


def _per_second(operation: Callable[[], object], iterations: int) -> float:
    operation()  # warm-up
    start = time.perf_counter()
    for _ in range(iterations):
        operation()
    return iterations / (time.perf_counter() - start)


def measure(alg: Algorithm, iterations: int = ITERATIONS) -> dict[str, float]:
    """Operations per second for one algorithm: records and bare JWS, issue and verify."""
    key = SigningKey.generate(alg)
    jwks = KeySet([key.public_jwk()])
    bare_alg = BARE_ALG[alg]
    body = json.dumps({**CLAIMS, **ATTRIBUTES}, separators=(",", ":")).encode()
    header = {"alg": bare_alg, "typ": "JWT", "kid": key.kid}

    def issue() -> SignedRecord:
        return issue_record(CLAIMS, ATTRIBUTES, key, array_elements={"bank.accounts"})

    record = issue()

    def verify() -> object:
        return verify_record(record, jwks, now=NOW)

    def bare_sign() -> str:
        return jws.serialize_compact(header, body, key.jose_key, algorithms=[bare_alg])

    token = bare_sign()

    def bare_verify() -> object:
        return json.loads(
            jws.deserialize_compact(token, key.jose_key, algorithms=[bare_alg]).payload
        )

    out = {
        "issue_per_s": _per_second(issue, iterations),
        "bare_sign_per_s": _per_second(bare_sign, iterations),
        "verify_per_s": _per_second(verify, iterations),
        "bare_verify_per_s": _per_second(bare_verify, iterations),
    }
    out["issue_ratio"] = out["issue_per_s"] / out["bare_sign_per_s"]
    out["verify_ratio"] = out["verify_per_s"] / out["bare_verify_per_s"]
    return out


def run(iterations: int = ITERATIONS) -> dict[str, Any]:
    """Measure ES256 and EdDSA, print a table, return the numbers."""
    results: dict[str, Any] = {"iterations": iterations}
    rows = []
    for alg in ("ES256", "EdDSA"):
        numbers = measure(alg, iterations)
        results[alg] = numbers
        rows.append(
            (
                alg,
                f"{numbers['issue_per_s']:>8.0f}",
                f"{numbers['bare_sign_per_s']:>8.0f}",
                f"{numbers['issue_ratio']:>5.2f}",
                f"{numbers['verify_per_s']:>8.0f}",
                f"{numbers['bare_verify_per_s']:>8.0f}",
                f"{numbers['verify_ratio']:>5.2f}",
            )
        )
    title = f"signed records vs bare JWS, per second ({iterations} iterations each)"
    print(f"\n{title}\n{'-' * len(title)}")
    print("  alg     issue/s  bare sign/s  ratio  verify/s  bare verify/s  ratio")
    for alg, issue, sign, ratio_i, verify, bare, ratio_v in rows:
        print(f"  {alg:<6} {issue}  {sign:>11}  {ratio_i}  {verify}  {bare:>13}  {ratio_v}")
    accounts = len(ATTRIBUTES["bank.accounts"])
    print(f"  ({len(ATTRIBUTES)} attributes; {accounts} accounts, each disclosable on its own)")
    return results


if __name__ == "__main__":
    run()
