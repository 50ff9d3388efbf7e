"""What a collection comes to (``CollectionResult``), and how busy collection is
(``Admission``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from brondata._session_store import SecretBox, SessionRecord
from brondata.connectors._base import Evidence
from brondata.errors import BrondataError
from brondata.flow._codec import result_parts
from brondata.records import SignedRecord
from brondata.sources._kind import kind_of

__all__ = ["Admission", "CollectionResult", "result_of"]


@dataclass(frozen=True, slots=True)
class CollectionResult:
    """One signed record per source kind, and a typed error for each source instance (or
    kind, when its mapping failed) that did not deliver."""

    session_id: str
    #: By kind (``bank``): a kind's record combines every instance of it that answered.
    records: dict[str, SignedRecord] = field(default_factory=dict)
    #: By instance id (``bank.noordbank``), or by kind for a failure after the fetch.
    errors: dict[str, BrondataError] = field(default_factory=dict)
    #: Per instance that answered, what proves its part of the record's
    #: ``source_response_digest`` (salt and response hashes): keep it with the raw
    #: responses if you keep those.
    evidence: dict[str, Evidence] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.errors

    def delivered(self, instance: str) -> bool:
        """Whether ``instance``'s data is in its kind's record."""
        return instance in self.evidence and kind_of(instance) in self.records

    def error(self, instance: str) -> BrondataError:
        """Why ``instance`` did not deliver (its own error, else its kind's)."""
        found = self.errors.get(instance) or self.errors.get(kind_of(instance))
        if found is None:
            raise KeyError(instance)
        return found


@dataclass(frozen=True, slots=True)
class Admission:
    """How many collections run now (``running``, at most ``limit``) and wait their turn."""

    limit: int
    running: int
    waiting: int


def result_of(record: SessionRecord, box: SecretBox) -> CollectionResult:
    """The result the session keeps of its collection (sealed under ``box``)."""
    records, errors, evidence = result_parts(record, box)
    return CollectionResult(session_id=record.id, records=records, errors=errors, evidence=evidence)
