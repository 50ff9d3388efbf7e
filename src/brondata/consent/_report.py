"""The access report of one data subject (GDPR art. 15), from the ledger.

For a pseudonym, ``subject_report`` reads every entry still tied to it (sealed under the
subject's current key) and says: which consents, for which purposes, on which legal basis,
which categories and attributes from which sources, to which recipients, kept how long, with
the lifecycle of each consent; and which records were retrieved and delivered when, with the
digest of each delivered record.

An erased subject's entries cannot be found any more (that is the erasure), so the report can
say only that an erasure happened: not when, nor under which key, since either would lead
back to the entries. Data a subject generated after an erasure, under a new key, is reported
as usual beside that statement.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from brondata.consent._events import LedgerEvent
from brondata.consent._records import ConsentRecord, fold_consent

if TYPE_CHECKING:
    from brondata.consent._log import ConsentLog

__all__ = ["DataEvent", "SubjectReport", "subject_report"]


class DataEvent(BaseModel):
    """One retrieval from a source, or one delivery of a signed record to a recipient."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # "retrieved" | "delivered" | "failed"
    consent_id: str
    source: str
    attributes: tuple[str, ...]
    at: str
    index: int
    recipient: str | None = None
    record_digest: str | None = None
    error_code: str | None = None
    kept_until: str | None = None  # delivered + the consent's retention
    supersedes: str | None = None  # delivered: the record of the source it replaces


class SubjectReport(BaseModel):
    """What the ledger says about one subject; ``to_dict`` for JSON, ``to_text`` to read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str
    generated_at: str
    ledger_size: int
    erased: bool
    consents: tuple[ConsentRecord, ...]
    data: tuple[DataEvent, ...]

    @property
    def deliveries(self) -> tuple[DataEvent, ...]:
        return tuple(d for d in self.data if d.kind == "delivered")

    def to_dict(self) -> dict[str, Any]:
        out = self.model_dump(mode="json")
        out["deliveries"] = len(self.deliveries)
        return out

    def to_text(self) -> str:
        lines = [
            f"Access report (GDPR art. 15) for {self.subject}",
            f"generated {self.generated_at} from a ledger of {self.ledger_size} entries",
        ]
        if self.erased:
            lines += [
                "",
                "ERASED (GDPR art. 17): this subject's key was destroyed. The ledger entries",
                "about them are sealed for good and can no longer be read or tied to them;",
                "the ledger itself still verifies.",
            ]
        if not self.consents:
            if not self.erased:
                lines += ["", "The ledger holds nothing about this subject."]
            return "\n".join(lines) + "\n"
        lines += ["", f"Consents ({len(self.consents)})"]
        for c in self.consents:
            lines.append(f"  {c.consent_id}: {c.state} since {c.state_time}")
            if c.controller is not None:
                contact = f" ({c.controller.contact})" if c.controller.contact else ""
                lines.append(f"    controller      {c.controller.name}{contact}")
            for p in c.purposes:
                lines.append(f"    purpose         {p.term}" + (f": {p.text}" if p.text else ""))
            rows = [
                ("legal basis", c.legal_basis),
                ("data categories", ", ".join(c.personal_data_categories)),
                ("attributes", ", ".join(c.attributes)),
                ("sources", ", ".join(c.sources)),
                ("recipients", ", ".join(c.recipients)),
                ("retention", f"{c.retention_days} days" if c.retention_days is not None else ""),
                ("stored in", c.storage_location),
                ("withdraw at", c.withdrawal_method),
                ("notice", " ".join(x for x in (c.notice_hash, c.notice_language) if x)),
                ("history", ", ".join(f"{h.state} {h.at}" for h in c.history)),
            ]
            lines += [f"    {name:<15} {value}" for name, value in rows if value]
        lines += ["", f"Retrievals and deliveries ({len(self.data)})"]
        for d in self.data:
            what = ", ".join(d.attributes)
            if d.kind == "delivered":
                tail = f" to {d.recipient}" if d.recipient else ""
                tail += f", record {d.record_digest}" if d.record_digest else ""
                tail += f", replacing {d.supersedes}" if d.supersedes else ""
                tail += f", kept until {d.kept_until}" if d.kept_until else ""
            elif d.kind == "failed":
                tail = f": {d.error_code}"
            else:
                tail = ""
            lines.append(f"  {d.at} {d.kind:<9} {d.source} [{what}]{tail}")
        return "\n".join(lines) + "\n"


def _plus_days(at: str, days: int) -> str:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00")) + timedelta(days=days)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def subject_report(log: ConsentLog, subject: str, *, now: datetime | None = None) -> SubjectReport:
    """The art. 15 report of ``subject`` (the pseudonym): one scan of the ledger."""
    size = log.size()
    by_consent: dict[str, list[tuple[int, LedgerEvent]]] = {}
    for entry, event in log.entries_of_subject(subject):
        if event.consent_id is not None and entry.index < size:
            by_consent.setdefault(event.consent_id, []).append((entry.index, event))
    consents: list[ConsentRecord] = []
    data: list[DataEvent] = []
    for consent_id, entries in by_consent.items():
        record = fold_consent(log, consent_id, entries)
        consents.append(record)
        for index, event in entries:
            if event.event not in ("data.retrieved", "data.delivered", "data.failed"):
                continue
            delivered = event.event == "data.delivered"
            kept = (
                _plus_days(event.at, record.retention_days)
                if delivered and record.retention_days is not None
                else None
            )
            data.append(
                DataEvent(
                    kind=event.event.removeprefix("data."),
                    consent_id=consent_id,
                    source=event.source or "",
                    attributes=event.attributes or (),
                    at=event.at,
                    index=index,
                    recipient=event.recipient,
                    record_digest=event.record_digest,
                    error_code=event.error_code,
                    kept_until=kept,
                    supersedes=event.supersedes,
                )
            )
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return SubjectReport(
        subject=subject,
        generated_at=moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
        ledger_size=size,
        erased=log.keyring.was_erased(subject),
        consents=tuple(consents),
        data=tuple(sorted(data, key=lambda d: d.index)),
    )
