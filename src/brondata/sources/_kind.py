"""What a source kind declares, and the registry that holds the kinds.

A ``SourceKind`` is the one place a kind of source (a bank, the tax authority, DUO) is
described: its name, the catalogue attributes it provides (with their texts and
sensitivity), its connector factory, its raw response models, its mapping and mapping
version, how the raw data of several instances combine (two banks), and optionally its mock.
The catalogue (``brondata.attributes.CATALOGUE``), the mapping table, ``brondata.testing``
and ``brondata mock serve`` are all read from the registry; nothing else lists source names.

The registry loads lazily, on first use: the built-in kinds (each subpackage of
``brondata.sources`` exposes ``KIND``), then the kinds of installed packages (entry point
group ``brondata.sources``), then whatever ``register`` adds at run time. A registration
that does not hold together fails at once with ``SourceKindError``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from brondata.errors import SourceKindError, UnknownSourceError

if TYPE_CHECKING:
    from brondata.attributes import Attribute
    from brondata.connectors._base import SourceConnector

__all__ = [
    "ENTRY_POINT_GROUP",
    "MockInstance",
    "MockSpec",
    "SourceKind",
    "SourceMapping",
    "get",
    "instance_id",
    "kind_of",
    "kinds",
    "names",
    "register",
]

#: The entry point group a package registers its own source kinds under.
ENTRY_POINT_GROUP = "brondata.sources"

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_INSTANCE = re.compile(r"^[a-z][a-z0-9_]{0,31}(\.[a-z][a-z0-9_]{0,31})?$")

#: ``map(raw, attributes, today) -> {attribute: value}``: pure, no I/O.
MapFunction = Callable[[Mapping[str, Any], Sequence[str], date], dict[str, Any]]
#: ``facts(raw, today) -> {name: value}``: what the dossier checks need of one instance that no
#: catalogue attribute carries (a bank's covered months); pure, no I/O, never released.
FactsFunction = Callable[[Mapping[str, Any], date], dict[str, Any]]
#: ``inputs(raw, today) -> {decision input: value}``: what a decision reads of the kind's raw
#: data (its instances combined) that no catalogue attribute carries; pure, never released.
InputsFunction = Callable[[Mapping[str, Any], date], dict[str, Any]]
#: Several instances' raw data (``{instance id: raw}``) as one raw input of the mapping.
CombineFunction = Callable[[Mapping[str, Mapping[str, Any]]], dict[str, Any]]
#: ``factory(base_url=..., client_id=..., transport=..., clock=..., timeout=..., name=...)``.
ConnectorFactory = Callable[..., "SourceConnector"]


@dataclass(frozen=True, slots=True)
class SourceMapping:
    """A kind's mapping: a pure function of the raw data, and its version.

    ``provides`` names every attribute the function can compute; registration checks that it
    is exactly the kind's declared attributes. The version goes into every record's
    provenance, so a lender can tell which rules produced a derived figure.

    ``facts``, if given, computes from one instance's raw data the few facts the dossier
    checks (``brondata.dossier``) need and no attribute carries; they stay in the gateway.
    ``inputs``, if given, computes from the kind's raw data (its instances combined) the
    decision inputs (``brondata.dossier.INPUTS``) no attribute carries (a bank's income of Rv
    art. 475dc); they stay in the gateway too.
    """

    version: str
    provides: frozenset[str]
    map: MapFunction
    facts: FactsFunction | None = None
    inputs: InputsFunction | None = None


@dataclass(frozen=True, slots=True)
class MockInstance:
    """One mock source of a kind: its instance name (``None`` for a kind's only instance,
    whose id is then the kind's name), what the consumer sees it called, where it pretends to
    live in-process, and options for the kind's app factory (a bank's name and colours)."""

    name: str | None
    title: str
    host: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MockSpec:
    """A kind's mock, loaded only with the ``mock`` extra and only when asked for.

    ``app`` is the import path of the app factory (``"package.module:function"``), called as
    ``factory(population, base_url=..., clients=..., clock=..., [digid=...], **options)``;
    ``digid`` says the app logs in through the mock DigiD; ``api`` is the path prefix of the
    data API (where a test injects a fault so that the fetch, not the login, meets it);
    ``samples``, the import path of ``sample_requests(person, **options)``: the data requests
    a connector makes for a person once logged in, as ``(method, path, JSON body)``.
    """

    app: str
    instances: tuple[MockInstance, ...]
    api: str
    digid: bool = False
    samples: str | None = None

    def load(self) -> Callable[..., Any]:
        """The app factory."""
        factory: Callable[..., Any] = _imported(self.app)
        return factory

    def sample_requests(
        self, person: Any, instance: MockInstance
    ) -> list[tuple[str, str, dict[str, Any] | None]]:
        """What a connector asks of ``instance`` for ``person`` (none without ``samples``)."""
        if self.samples is None:
            return []
        requests: list[tuple[str, str, dict[str, Any] | None]] = _imported(self.samples)(
            person, **instance.options
        )
        return requests


def _imported(path: str) -> Any:
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True, slots=True)
class SourceKind:
    """Everything brondata knows of one kind of source, declared once.

    Register your own from your package, by a call::

        import brondata.sources
        from brondata import Attribute, Sensitivity, SourceKind, SourceMapping, ValueType
        from brondata.connectors import OAuthSourceConnector

        MONTHLY = Attribute(
            "lease.monthly_payment",
            ValueType.MONEY,
            "Monthly lease payment",
            "Maandelijkse leasetermijn",
            Sensitivity.FINANCIAL,
            category="dpv-pd:LoanRecord",
        )

        class LeaseConnector(OAuthSourceConnector):
            name = "lease"
            scope = "contracts"

            async def read(self, api, grant, attributes, today):
                return {"contracts": await api.get("/api/contracts")}

        def map_lease(raw, attributes, today):
            total = sum(Decimal(c["monthly"]) for c in raw["contracts"])
            return {"lease.monthly_payment": {"amount": f"{total:.2f}", "currency": "EUR"}}

        brondata.sources.register(
            SourceKind(
                name="lease",
                title="Leasemaatschappij",
                attributes=(MONTHLY,),
                connector=LeaseConnector,
                mapping=SourceMapping("lease.v1", frozenset({MONTHLY.name}), map_lease),
            )
        )

    From then on ``lease.monthly_payment`` is in ``CATALOGUE``, a ``DataRequest`` may ask
    for it, and a gateway configured with ``{"lease": LeaseConnector(...)}`` collects it.

    or, so that it is there in every process, by an entry point in your ``pyproject.toml``::

        [project.entry-points."brondata.sources"]
        leasing = "my_package.leasing:KIND"

    Fields:

    * ``name``: lower-case, ``[a-z][a-z0-9_]*``; an instance of the kind has the id
      ``<name>`` (its only instance) or ``<name>.<instance>`` (one of several, e.g.
      ``bank.noordbank``).
    * ``title``: what the consumer reads (``"Bank"``, ``"DUO"``).
    * ``attributes``: the catalogue attributes the kind provides, with their English and Dutch
      texts, sensitivity and category. An attribute two kinds provide (``household.partner``)
      is declared identically by both.
    * ``connector``: the connector factory (usually a ``brondata.connectors
      .OAuthSourceConnector`` subclass); it gets ``name=`` the instance id.
    * ``mapping``: a ``SourceMapping``; its ``provides`` must equal the attribute names.
    * ``models``: the raw response models the mapping reads (documentation and tests).
    * ``combine``: how the raw data of several instances of this kind become one input of
      the mapping (two banks: their accounts side by side). Without it, a session uses one
      instance of the kind.
    * ``mock``: the mock, if any (``MockSpec``).
    * ``order``: where the kind comes in the consumer's list of logins (lower first), and
      which kind provides an attribute that several provide.
    """

    name: str
    title: str
    attributes: tuple[Attribute, ...]
    connector: ConnectorFactory
    mapping: SourceMapping
    models: tuple[type, ...] = ()
    combine: CombineFunction | None = None
    mock: MockSpec | None = None
    order: int = 100

    @property
    def attribute_names(self) -> frozenset[str]:
        return frozenset(a.name for a in self.attributes)

    def instance_ids(self) -> tuple[str, ...]:
        """The ids of the kind's mock instances (empty without a mock)."""
        if self.mock is None:
            return ()
        return tuple(instance_id(self.name, i.name) for i in self.mock.instances)


def instance_id(kind: str, name: str | None) -> str:
    """``<kind>`` for a kind's only instance, ``<kind>.<name>`` for one of several."""
    return kind if name is None else f"{kind}.{name}"


def kind_of(instance: str) -> str:
    """The kind of an instance id: ``bank`` for ``bank.noordbank`` and for ``bank``."""
    return instance.partition(".")[0]


def valid_instance_id(instance: object) -> bool:
    """Whether ``instance`` is ``<kind>`` or ``<kind>.<name>``, lower-case."""
    return isinstance(instance, str) and bool(_INSTANCE.match(instance))


class _Registry:
    """The registered kinds; loaded once, extended by ``register``; safe across threads."""

    def __init__(self) -> None:
        self._kinds: dict[str, SourceKind] = {}
        self._loaded = False
        self._lock = threading.RLock()
        self._catalogue: Mapping[str, Attribute] | None = None

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._loaded = True  # before importing: a kind's module may read the registry
            import brondata.sources as package

            for module in pkgutil.iter_modules(package.__path__):
                if module.ispkg and not module.name.startswith("_"):
                    kind = importlib.import_module(f"{package.__name__}.{module.name}").KIND
                    self._add(kind)
            for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                if entry.value.startswith("brondata.sources."):
                    continue  # a built-in, found above
                try:
                    loaded = entry.load()
                except Exception as exc:
                    raise SourceKindError(
                        f"the entry point {entry.name!r} ({entry.value}) does not load: {exc}"
                    ) from exc
                self._add(loaded() if callable(loaded) else loaded)

    def register(self, kind: SourceKind) -> None:
        self._load()
        with self._lock:
            self._add(kind)

    def _add(self, kind: object) -> None:
        if not isinstance(kind, SourceKind):
            raise SourceKindError(f"not a SourceKind: {type(kind).__name__}")
        _check(kind, self._kinds)
        self._kinds[kind.name] = kind
        self._catalogue = None

    def kinds(self) -> tuple[SourceKind, ...]:
        self._load()
        return tuple(sorted(self._kinds.values(), key=lambda k: (k.order, k.name)))

    def get(self, name: str) -> SourceKind:
        self._load()
        kind = self._kinds.get(name)
        if kind is None:
            raise UnknownSourceError(name, [k.name for k in self.kinds()], what="source kind")
        return kind

    def catalogue(self) -> Mapping[str, Attribute]:
        """Every registered attribute by name, each naming the kinds that provide it."""
        self._load()
        built = self._catalogue
        if built is None:
            with self._lock:
                built = self._catalogue = _catalogue(self.kinds())
        return built

    def unregister(self, name: str) -> None:
        with self._lock:
            self._kinds.pop(name, None)
            self._catalogue = None


def _check(kind: SourceKind, registered: Mapping[str, SourceKind]) -> None:
    """The rules a registration must meet; ``SourceKindError`` naming what is wrong."""
    if not _NAME.match(kind.name):
        raise SourceKindError(f"source kind name {kind.name!r} is not [a-z][a-z0-9_]{{0,31}}")
    if kind.name in registered:
        raise SourceKindError(f"a source kind named {kind.name!r} is registered already")
    declared = [a.name for a in kind.attributes]
    if not declared:
        raise SourceKindError(f"source kind {kind.name!r} declares no attributes")
    if len(set(declared)) != len(declared):
        raise SourceKindError(f"source kind {kind.name!r} declares an attribute twice")
    missing = kind.attribute_names - kind.mapping.provides
    extra = kind.mapping.provides - kind.attribute_names
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"declares but cannot map {', '.join(sorted(missing))}")
        if extra:
            problems.append(f"maps but does not declare {', '.join(sorted(extra))}")
        raise SourceKindError(f"source kind {kind.name!r} {'; '.join(problems)}")
    for other in registered.values():
        theirs = {a.name: a for a in other.attributes}
        for attribute in kind.attributes:
            known = theirs.get(attribute.name)
            if known is not None and known.definition() != attribute.definition():
                raise SourceKindError(
                    f"source kind {kind.name!r} declares {attribute.name} otherwise than "
                    f"{other.name!r} does; an attribute means one thing"
                )
    if kind.mock is not None:
        ids = kind.instance_ids()
        if not ids or len(set(ids)) != len(ids) or not all(map(valid_instance_id, ids)):
            raise SourceKindError(f"source kind {kind.name!r}: mock instances need unique names")
        if len(ids) > 1 and kind.combine is None:
            raise SourceKindError(
                f"source kind {kind.name!r} has several mock instances but no combine function"
            )


def _catalogue(kinds: Iterable[SourceKind]) -> Mapping[str, Attribute]:
    """The kinds' attributes, each naming its providers, and the decisions computed from them
    (``brondata.dossier``)."""
    import dataclasses

    from brondata.dossier._catalogue import decision_attributes

    providers: dict[str, list[str]] = {}
    first: dict[str, Attribute] = {}
    for kind in kinds:  # in registry order: the first provider is the preferred one
        for attribute in kind.attributes:
            providers.setdefault(attribute.name, []).append(kind.name)
            first.setdefault(attribute.name, attribute)
    for decision in decision_attributes():
        if decision.name in first:
            raise SourceKindError(f"{decision.name} is a decision; no source kind may declare it")
        first[decision.name] = decision
    return MappingProxyType(
        {
            name: dataclasses.replace(first[name], sources=tuple(providers.get(name, ())))
            for name in sorted(first)
        }
    )


REGISTRY = _Registry()


def register(kind: SourceKind) -> None:
    """Register a source kind; ``SourceKindError`` if it does not hold together (a mapping
    that disagrees with the declared attributes, a name taken, an attribute defined
    otherwise than another kind does)."""
    REGISTRY.register(kind)


def kinds() -> tuple[SourceKind, ...]:
    """Every registered kind, in login order."""
    return REGISTRY.kinds()


def names() -> tuple[str, ...]:
    """The registered kinds' names, in login order."""
    return tuple(k.name for k in REGISTRY.kinds())


def get(name: str) -> SourceKind:
    """The kind called ``name`` (or the kind of instance id ``name``); ``UnknownSourceError``
    naming the registered kinds if there is none."""
    return REGISTRY.get(kind_of(name))
