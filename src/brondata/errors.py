"""Every error brondata raises, in one tree.

Each error carries a stable ``code`` (snake_case, part of the public API: match on it, not on
the message) and a message a person can act on. Catch ``BrondataError`` to catch them all.

    BrondataError
    ├── RequestError                  the DataRequest itself is not acceptable
    │   ├── UnknownAttributeError     a name not in the catalogue (suggests the closest)
    │   ├── LegalBasisError           e.g. person.bsn without a legal obligation (art. 46 UAVG)
    │   ├── NoSourceError             attributes no configured source provides
    │   └── UnknownSourceError        a source kind or instance not registered or configured
    ├── SessionError                  the consent session
    │   ├── SessionNotFoundError
    │   ├── SessionStateError         a call out of order (the transition table says no)
    │   │   ├── NoFiscalPartnerError  a partner's session for a session whose data name no
    │   │   │                         fiscal partner, or whose request needs none
    │   │   └── PartnerSessionEndedError  the partner's session ended (withdrawn, erased,
    │   │                             denied, its consent's term over): start a new
    │   │                             application session for the couple
    │   └── ConsentDeniedError        collecting after the consumer said no, or withdrew
    ├── AuthorizationError            the OAuth 2.0 round trip with a source
    │   ├── StateMismatchError        callback `state` missing or not ours (CSRF, mix-up)
    │   ├── IssuerMismatchError       callback `iss` is not the source's issuer (RFC 9207)
    │   ├── AuthorizationDeniedError  the source returned `error=` to the callback
    │   ├── TokenExchangeError        the token endpoint refused the code (reused, forged, PKCE)
    │   ├── ConsumerLoginError        the scripted consumer (brondata.mock) found no usable form
    │   ├── LoginNotRecordedError     a grant obtained but not kept (store down): given up
    │   └── IdentityMismatchError     the person at one source is not the person at the others
    │       └── PartnerMismatchError  the person in a partner's session is not the fiscal
    │                                 partner the applicant's data name
    ├── ConnectorError                a source's API misbehaved; per source, never fatal to others
    │   ├── SourceUnavailableError    5xx, connection refused
    │   ├── SourceTimeoutError        no answer within the source's timeout
    │   ├── SourceRateLimitedError    429 / ACCESS_EXCEEDED
    │   ├── SourceRejectedError       4xx with the source's own error payload
    │   └── SourceProtocolError       malformed JSON, a payload that violates the schema
    ├── MappingError                  raw data that cannot be mapped to the catalogue
    ├── JourneyError                  the consumer's web journey (brondata.web)
    │   ├── JourneyLinkError          a forged, expired or replayed journey link; another browser
    │   ├── CsrfError                 a form without the right CSRF token
    │   └── WebhookError              a webhook whose signature, body hash or age does not hold
    │       └── WebhookReplayError    a webhook whose jti was received before (a replay)
    ├── SourceKindError               a source kind registration that does not hold together
    ├── RecordError                   signed records (SD-JWT)
    │   ├── MalformedRecordError      not a parseable SD-JWT
    │   ├── SignatureError            the issuer signature does not verify
    │   ├── UnknownKeyError           no key with that `kid` in the JWKS
    │   ├── AlgorithmError            `alg` not on the allow-list
    │   ├── DisclosureError           a disclosure is malformed, unreferenced or duplicated
    │   ├── RecordExpiredError        `exp` in the past / `iat` or `nbf` in the future
    │   ├── KeyBindingError           KB-JWT missing, wrong audience/nonce/sd_hash/signature
    │   ├── IssuanceError             claims or attributes a record cannot carry; a bad selection
    │   └── InvalidKeyError           a JWK or PEM key that is not acceptable (type, curve, private
    │                                 material in a JWKS, duplicate `kid`)
    ├── LedgerError                   the consent ledger
    │   ├── LedgerAppendOnlyError     an UPDATE or DELETE reached the store
    │   ├── LedgerIntegrityError      entries or tree do not match
    │   ├── LedgerDurabilityUnknownError  an append committed, but its flush could not be
    │   │                             confirmed: it is in the ledger; do not append it again
    │   ├── LedgerKeyringElsewhereError  a keyring given `ledger=` is not in the ledger's
    │   │                             database (SQLite: its file)
    │   ├── InvalidEventError         an event the ledger does not take: a field it does not
    │   │                             carry, a value where a name belongs, a subject that is
    │   │                             not a pseudonym
    │   ├── ProofError                an inclusion or consistency proof does not verify
    │   ├── LogKeyError               a log signing or verifier key that cannot be used
    │   ├── ConsentRecordError        no consent record can be built (e.g. never given)
    │   │   ├── ConsentNotFoundError  the ledger has no entry of that consent
    │   │   └── SubjectErasedError    the subject was erased: their pseudonym cannot be read
    │   └── CheckpointError           a signed checkpoint (C2SP signed note) is not acceptable
    │       ├── MalformedCheckpointError  not a checkpoint: truncated, bad lines, bad base64
    │       ├── CheckpointSignatureError  no valid signature by the log's key (forged, altered)
    │       └── CheckpointOriginError     a checkpoint of another log
    ├── StoreError                    a storage backend failed or is misconfigured (e.g. a
    │   │                             database in a directory that does not exist)
    │   ├── StoreUnavailableError     the database cannot be reached, or is busy past the timeout
    │   ├── ConcurrentUpdateError     a compare-and-set lost: another writer changed it first
    │   └── KeyStoreError             a signing key store: unsafe file permissions, no active key
    ├── ConfigurationError            a Gateway built with unusable settings (issuer, redirect
    │                                 URI, keys)
    ├── DecisionError                 decisions computed from rules as data (brondata.dossier)
    │   ├── FactsError                application facts of the wrong type or out of range
    │   ├── MissingDecisionInputError a decision asked without a fact or input it needs
    │   ├── InvalidDecisionInputError a decision input of the wrong type or out of range
    │   ├── UnknownDecisionError      a decision name no rule defines
    │   ├── RuleTableNotFoundError    no rule table for that decision and year
    │   ├── DecisionsUnavailableError the rules engine is not installed (the `decisions` extra)
    │   └── RuleNotApplicableError    the rule table cannot decide these inputs (why, named)
    └── DossierError                  first-time-right checks over the collected data
        ├── DossierInputError         a DossierInput of the wrong shape
        └── UnknownPresetError        a purpose preset that is not defined
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AlgorithmError",
    "AuthorizationDeniedError",
    "AuthorizationError",
    "BrondataError",
    "CheckpointError",
    "CheckpointOriginError",
    "CheckpointSignatureError",
    "ConcurrentUpdateError",
    "ConfigurationError",
    "ConnectorError",
    "ConsentDeniedError",
    "ConsentNotFoundError",
    "ConsentRecordError",
    "ConsumerLoginError",
    "CsrfError",
    "DecisionError",
    "DecisionsUnavailableError",
    "DisclosureError",
    "DossierError",
    "DossierInputError",
    "FactsError",
    "IdentityMismatchError",
    "InvalidDecisionInputError",
    "InvalidEventError",
    "InvalidKeyError",
    "IssuanceError",
    "IssuerMismatchError",
    "JourneyError",
    "JourneyLinkError",
    "KeyBindingError",
    "KeyStoreError",
    "LedgerAppendOnlyError",
    "LedgerDurabilityUnknownError",
    "LedgerError",
    "LedgerIntegrityError",
    "LedgerKeyringElsewhereError",
    "LegalBasisError",
    "LogKeyError",
    "LoginNotRecordedError",
    "MalformedCheckpointError",
    "MalformedRecordError",
    "MappingError",
    "MissingDecisionInputError",
    "NoFiscalPartnerError",
    "NoSourceError",
    "PartnerMismatchError",
    "PartnerSessionEndedError",
    "ProofError",
    "RecordError",
    "RecordExpiredError",
    "RequestError",
    "RuleNotApplicableError",
    "RuleTableNotFoundError",
    "SessionError",
    "SessionNotFoundError",
    "SessionStateError",
    "SignatureError",
    "SourceKindError",
    "SourceProtocolError",
    "SourceRateLimitedError",
    "SourceRejectedError",
    "SourceTimeoutError",
    "SourceUnavailableError",
    "StateMismatchError",
    "StoreError",
    "StoreUnavailableError",
    "SubjectErasedError",
    "TokenExchangeError",
    "UnknownAttributeError",
    "UnknownDecisionError",
    "UnknownKeyError",
    "UnknownPresetError",
    "UnknownSourceError",
    "WebhookError",
    "WebhookReplayError",
]


class BrondataError(Exception):
    """Root of every brondata error: a stable ``code`` and a human ``message``."""

    code: ClassVar[str] = "brondata_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def to_dict(self) -> dict[str, str]:
        """A JSON-safe form for results, logs and the CLI's ``--json``."""
        return {"code": self.code, "message": self.message}


# --- the data request -----------------------------------------------------------------------


class RequestError(BrondataError):
    code = "invalid_request"


class UnknownAttributeError(RequestError):
    code = "unknown_attribute"

    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown attribute {name!r}{hint}")
        self.name = name
        self.suggestions = suggestions


class LegalBasisError(RequestError):
    code = "legal_basis_insufficient"


class NoSourceError(RequestError):
    code = "no_source"


class UnknownSourceError(RequestError):
    """A source kind or instance id that is not registered (or not configured): the message
    names the ones there are."""

    code = "unknown_source"

    def __init__(self, name: str, known: list[str], *, what: str = "source") -> None:
        listing = ", ".join(known) or "none"
        super().__init__(f"unknown {what} {name!r}; there are: {listing}")
        self.name = name
        self.known = known


# --- the session ----------------------------------------------------------------------------


class SessionError(BrondataError):
    code = "session_error"


class SessionNotFoundError(SessionError):
    code = "session_not_found"


class SessionStateError(SessionError):
    code = "invalid_transition"


class NoFiscalPartnerError(SessionStateError):
    """``Gateway.start_partner`` for a session whose collected data name no fiscal partner
    (or name two who differ), or whose request needs no partner data."""

    code = "no_fiscal_partner"


class PartnerSessionEndedError(SessionStateError):
    """``Gateway.start_partner`` for a session whose fiscal partner's session has ended
    (withdrawn, erased, denied, its consent's term over): a couple has one partner's session,
    so the couple starts a new application session."""

    code = "partner_session_ended"


class ConsentDeniedError(SessionError):
    code = "consent_denied"


# --- OAuth 2.0 with a source ----------------------------------------------------------------


class AuthorizationError(BrondataError):
    code = "authorization_error"


class StateMismatchError(AuthorizationError):
    code = "state_mismatch"


class IssuerMismatchError(AuthorizationError):
    code = "issuer_mismatch"


class AuthorizationDeniedError(AuthorizationError):
    code = "authorization_denied"


class TokenExchangeError(AuthorizationError):
    code = "token_exchange_failed"


class LoginNotRecordedError(AuthorizationError):
    """The code was exchanged but the grant could not be kept (the session store failed, the
    call was cancelled): the grant was given up, and the consumer logs in again."""

    code = "login_not_recorded"


class IdentityMismatchError(AuthorizationError):
    """The person logged in at one source is not the person logged in at the others (another
    citizen service number, or a bank account holder whose name is not the BRP's)."""

    code = "identity_mismatch"


class PartnerMismatchError(IdentityMismatchError):
    """The person who logged in at a partner's session (``Gateway.start_partner``) is not the
    fiscal partner the applicant's tax return or register entry names: nothing of theirs is
    delivered or used."""

    code = "partner_mismatch"


class ConsumerLoginError(AuthorizationError):
    """The scripted consumer could not log in: no form, refused password, no approve button."""

    code = "consumer_login_failed"


# --- source APIs ----------------------------------------------------------------------------


class ConnectorError(BrondataError):
    code = "source_error"

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source

    def to_dict(self) -> dict[str, str]:
        out = super().to_dict()
        if self.source is not None:
            out["source"] = self.source
        return out


class SourceUnavailableError(ConnectorError):
    code = "source_unavailable"


class SourceTimeoutError(ConnectorError):
    code = "source_timeout"


class SourceRateLimitedError(ConnectorError):
    code = "source_rate_limited"


class SourceRejectedError(ConnectorError):
    code = "source_rejected"


class SourceProtocolError(ConnectorError):
    code = "source_protocol_error"


class MappingError(BrondataError):
    code = "mapping_failed"


# --- the web journey ------------------------------------------------------------------------


class JourneyError(BrondataError):
    code = "journey_error"


class JourneyLinkError(JourneyError):
    """The journey link or its browser binding does not hold: forged, expired, replayed, or
    opened in another browser than the one that started the journey."""

    code = "journey_link_invalid"


class CsrfError(JourneyError):
    code = "csrf_token_invalid"


class WebhookError(JourneyError):
    code = "webhook_invalid"


class WebhookReplayError(WebhookError):
    """A webhook whose ``jti`` was accepted before: a replay."""

    code = "webhook_replayed"


# --- source kinds ---------------------------------------------------------------------------


class SourceKindError(BrondataError):
    """A source kind that cannot be registered: a name taken, a mapping that does not
    produce exactly the declared attributes, an attribute declared otherwise than another
    kind declares it; or a configuration the kind does not support."""

    code = "invalid_source_kind"


# --- signed records -------------------------------------------------------------------------


class RecordError(BrondataError):
    code = "invalid_record"


class MalformedRecordError(RecordError):
    code = "malformed_record"


class SignatureError(RecordError):
    code = "invalid_signature"


class UnknownKeyError(RecordError):
    code = "unknown_key"


class AlgorithmError(RecordError):
    code = "algorithm_not_allowed"


class DisclosureError(RecordError):
    code = "invalid_disclosure"


class RecordExpiredError(RecordError):
    code = "record_expired"


class KeyBindingError(RecordError):
    code = "invalid_key_binding"


class IssuanceError(RecordError):
    code = "invalid_issuance"


class InvalidKeyError(RecordError):
    code = "invalid_key"


# --- the consent ledger ---------------------------------------------------------------------


class LedgerError(BrondataError):
    code = "ledger_error"


class LedgerAppendOnlyError(LedgerError):
    code = "ledger_append_only"


class LedgerIntegrityError(LedgerError):
    code = "ledger_integrity"


class LedgerDurabilityUnknownError(LedgerError):
    """The batch committed, but the connection was lost before its flush was confirmed, and
    a flush on a fresh connection failed too: the entries are in the ledger (visible), but
    whether they survive a crash of the server is unknown. Not a failed append: appending
    the same event again would record it twice. Check the ledger (or wait for the database)
    before deciding anything."""

    code = "ledger_durability_unknown"


class LedgerKeyringElsewhereError(LedgerError):
    """A subject keyring given ``ledger=`` is not in that ledger's database (SQLite: its
    file; PostgreSQL: its database, on its server): its keys commit without a flush of their
    own, counting on the ledger's, which a keyring elsewhere would never get."""

    code = "ledger_keyring_elsewhere"


class InvalidEventError(LedgerError):
    code = "invalid_ledger_event"


class ProofError(LedgerError):
    code = "invalid_proof"


class LogKeyError(LedgerError):
    code = "invalid_log_key"


class ConsentRecordError(LedgerError):
    code = "consent_record_unavailable"


class ConsentNotFoundError(ConsentRecordError):
    code = "consent_not_found"


class SubjectErasedError(ConsentRecordError):
    code = "subject_erased"


class CheckpointError(LedgerError):
    code = "invalid_checkpoint"


class MalformedCheckpointError(CheckpointError):
    code = "malformed_checkpoint"


class CheckpointSignatureError(CheckpointError):
    code = "checkpoint_signature_invalid"


class CheckpointOriginError(CheckpointError):
    code = "checkpoint_wrong_log"


class StoreError(BrondataError):
    code = "store_error"


class StoreUnavailableError(StoreError):
    code = "store_unavailable"


class ConcurrentUpdateError(StoreError):
    code = "concurrent_update"


class KeyStoreError(StoreError):
    code = "key_store_error"


class ConfigurationError(BrondataError):
    code = "invalid_configuration"


# --- decisions and dossier checks (brondata.dossier) ----------------------------------------


class DecisionError(BrondataError):
    code = "decision_error"


class FactsError(DecisionError):
    """Application facts of the wrong type or out of range; the message names the field only."""

    code = "invalid_facts"


class MissingDecisionInputError(DecisionError):
    """A decision cannot be computed without this input; it never falls back to a default."""

    code = "decision_input_missing"

    def __init__(self, decision: str, missing: list[str]) -> None:
        super().__init__(f"{decision} needs {', '.join(missing)}; none may be left out")
        self.decision = decision
        self.missing = missing


class InvalidDecisionInputError(DecisionError):
    code = "invalid_decision_input"


class UnknownDecisionError(DecisionError):
    code = "unknown_decision"


class RuleTableNotFoundError(DecisionError):
    code = "rule_table_not_found"


class DecisionsUnavailableError(DecisionError):
    code = "decisions_unavailable"


class RuleNotApplicableError(DecisionError):
    code = "rule_not_applicable"


class DossierError(BrondataError):
    code = "dossier_error"


class DossierInputError(DossierError):
    code = "invalid_dossier_input"


class UnknownPresetError(DossierError):
    code = "unknown_preset"
