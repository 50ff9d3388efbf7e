"""``Population``: the deterministic synthetic population, a cache over ``_generate``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from brondata.mock.population._common import _bijection_inverse
from brondata.mock.population._identity import _constant_time_equal, elfproef
from brondata.mock.population._partner import partner_person
from brondata.mock.population._person import Person, _generate
from brondata.mock.population._scenarios import _MAX_INDEX, SCENARIOS, _scenario_index


class Population:
    """A deterministic synthetic population; ``person(n)`` is cheap and cached.

    Indices below ``SCENARIO_BASE`` are the general population: salaried persons, about half
    of them owning their home with a mortgage. ``scenario(name, n)`` reaches the named
    scenarios, which live from ``SCENARIO_BASE`` up, in blocks (``_SCENARIO_BLOCKS``);
    ``person(i)`` at such an index gives the same person.
    """

    def __init__(self, seed: int, as_of: date) -> None:
        self.seed = seed
        self.as_of = as_of
        self._cache: dict[int, Person] = {}
        self._partners: dict[int, Person | None] = {}

    def __repr__(self) -> str:
        return f"Population(seed={self.seed!r}, as_of={self.as_of.isoformat()!r})"

    def person(self, index: int) -> Person:
        if index < 0 or index >= _MAX_INDEX:
            raise IndexError(f"person index out of range: {index}")
        found = self._cache.get(index)
        if found is None:
            found = self._cache[index] = _generate(self.seed, self.as_of, index)
        return found

    def scenario(self, name: str, n: int = 0) -> Person:
        """The ``n``-th person of the scenario ``name`` (one of ``SCENARIOS``)."""
        if name not in SCENARIOS:
            raise ValueError(
                f"unknown scenario {name!r}; the scenarios are: {', '.join(SCENARIOS)}"
            )
        return self.person(_scenario_index(name, n))

    def people(self, count: int) -> Iterator[Person]:
        """Persons ``0 .. count-1``."""
        return (self.person(i) for i in range(count))

    def partner_of(self, person: Person) -> Person | None:
        """``person``'s fiscal partner as a person who logs in themselves (``None`` without
        one): the ``two_incomes`` partner's own sources (``_partner``)."""
        if person.index not in self._partners:
            self._partners[person.index] = partner_person(self.seed, self.as_of, person)
        return self._partners[person.index]

    def _either(self, index: int, matches: Callable[[Person], bool]) -> Person | None:
        """The person at ``index`` or their fiscal partner, whichever ``matches``."""
        candidate = self.person(index)
        if matches(candidate):
            return candidate
        partner = self.partner_of(candidate) if candidate.partner is not None else None
        return partner if partner is not None and matches(partner) else None

    def by_username(self, username: str) -> Person | None:
        """The person with this login name; the index is the name's last dotted part (a
        fiscal partner's name ends in their partner's index)."""
        _, _, tail = username.rpartition(".")
        if not tail.isdigit() or len(tail) > 7:
            return None
        return self._either(int(tail), lambda p: p.username == username)

    def by_bsn(self, bsn: str) -> Person | None:
        """The person with this BSN. A mock registry's lookup: persons carry their index in a
        keyed map, so this inverts the BSN construction instead of searching."""
        if not elfproef(bsn):
            return None
        index = _bijection_inverse(self.seed, int(bsn[:7]), 10**7)
        return self._either(index, lambda p: p.bsn == bsn)

    def check_credentials(self, username: str, password: str) -> Person | None:
        """The person if ``password`` is theirs; used by the mock login pages."""
        person = self.by_username(username)
        if person is None or not _constant_time_equal(person.password, password):
            return None
        return person
