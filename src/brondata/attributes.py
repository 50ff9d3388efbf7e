"""The attribute catalogue: every piece of data brondata can release, by dotted name.

A name is ``<group>.<attribute>`` (``bank.balance_total``, ``person.birth_date``). Each
attribute says what it is (type, English and Dutch description), how sensitive it is, whether
it is derived from raw source data, and which source(s) can provide it. The catalogue is the
single vocabulary shared by requests, mappings, records and the ledger; nothing outside it
can be asked for or released.

This module holds data and lookups only; how a source's raw data becomes these attributes
lives in ``brondata.mappings``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from brondata.errors import RequestError, UnknownAttributeError

__all__ = [
    "CATALOGUE",
    "SOURCES",
    "Attribute",
    "AttributeCatalogue",
    "Sensitivity",
    "ValueType",
]

#: The sources brondata knows, in the order a consumer is asked to log in.
SOURCES: tuple[str, ...] = (
    "population",
    "tax",
    "employment",
    "pension",
    "land_registry",
    "bank",
)


class Sensitivity(StrEnum):
    """How careful a recipient must be with an attribute."""

    #: Ordinary personal data (GDPR art. 4(1)).
    PERSONAL = "personal"
    #: Financial data: income, balances, debts. Not a special category, but a high risk.
    FINANCIAL = "financial"
    #: A national identification number; processing needs a legal basis in law (art. 46 UAVG).
    NATIONAL_IDENTIFIER = "national_identifier"


class ValueType(StrEnum):
    """The JSON shape of an attribute's value in a record."""

    STRING = "string"
    DATE = "date"  # ISO 8601 calendar date, "YYYY-MM-DD"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    MONEY = "money"  # {"amount": "1234.56", "currency": "EUR"}; amount a decimal string
    OBJECT = "object"
    ARRAY = "array"


@dataclass(frozen=True, slots=True)
class Attribute:
    """One entry of the catalogue."""

    name: str
    type: ValueType
    description_en: str
    description_nl: str
    sensitivity: Sensitivity
    sources: tuple[str, ...]
    #: The DPV personal-data category (``dpv-pd:Income``), for consent records and receipts.
    category: str
    #: Computed from raw source data (an average, a sum, a yes/no) rather than copied.
    derived: bool = False
    #: Raw data: only released when asked for by name, never as a by-product.
    raw: bool = False

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type.value,
            "description": {"en": self.description_en, "nl": self.description_nl},
            "sensitivity": self.sensitivity.value,
            "sources": list(self.sources),
            "category": self.category,
            "derived": self.derived,
            "raw": self.raw,
        }


class AttributeCatalogue(Mapping[str, Attribute]):
    """A read-only mapping of name to ``Attribute``, with the lookups requests need."""

    __slots__ = ("_by_name",)

    def __init__(self, attributes: Iterable[Attribute]) -> None:
        by_name: dict[str, Attribute] = {}
        for attribute in attributes:
            if attribute.name in by_name:
                raise ValueError(f"attribute {attribute.name!r} declared twice")
            unknown = set(attribute.sources) - set(SOURCES)
            if unknown:
                raise ValueError(f"attribute {attribute.name!r} names unknown sources {unknown}")
            by_name[attribute.name] = attribute
        self._by_name = MappingProxyType(dict(sorted(by_name.items())))

    def __getitem__(self, name: str) -> Attribute:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def require(self, name: str) -> Attribute:
        """The attribute called ``name``, or ``UnknownAttributeError`` with suggestions."""
        if not isinstance(name, str):
            raise RequestError("an attribute name is a string such as 'bank.balance_total'")
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownAttributeError(name, self.suggest(name)) from None

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """The catalogue names closest to a misspelled ``name``."""
        close = difflib.get_close_matches(name, list(self._by_name), n=limit, cutoff=0.6)
        if close:
            return close
        # A bare attribute part ("balance_total") should still find its group.
        tail = name.rsplit(".", 1)[-1]
        return [n for n in self._by_name if n.rsplit(".", 1)[-1] == tail][:limit]

    def provided_by(self, source: str) -> list[Attribute]:
        return [a for a in self._by_name.values() if source in a.sources]


_P, _F, _N = Sensitivity.PERSONAL, Sensitivity.FINANCIAL, Sensitivity.NATIONAL_IDENTIFIER
_T = ValueType

CATALOGUE = AttributeCatalogue(
    [
        # --- person: the population register (BRP) ---------------------------------------
        Attribute(
            "person.bsn",
            _T.STRING,
            "Citizen service number (BSN)",
            "Burgerservicenummer (BSN)",
            _N,
            ("population",),
            category="dpv-pd:NationalIdentificationNumber",
        ),
        Attribute(
            "person.given_names",
            _T.STRING,
            "Given names",
            "Voornamen",
            _P,
            ("population",),
            category="dpv-pd:Name",
        ),
        Attribute(
            "person.surname",
            _T.STRING,
            "Surname, with prefix",
            "Geslachtsnaam, met voorvoegsel",
            _P,
            ("population",),
            category="dpv-pd:Name",
        ),
        Attribute(
            "person.birth_date",
            _T.DATE,
            "Date of birth",
            "Geboortedatum",
            _P,
            ("population",),
            category="dpv-pd:BirthDate",
        ),
        Attribute(
            "person.age_over_18",
            _T.BOOLEAN,
            "Whether the person is 18 or older today",
            "Of de persoon vandaag 18 jaar of ouder is",
            _P,
            ("population",),
            category="dpv-pd:Age",
            derived=True,
        ),
        Attribute(
            "person.address",
            _T.OBJECT,
            "Residential address (street, house number, postcode, city)",
            "Woonadres (straat, huisnummer, postcode, woonplaats)",
            _P,
            ("population",),
            category="dpv-pd:Address",
        ),
        Attribute(
            "person.nationality",
            _T.ARRAY,
            "Nationalities",
            "Nationaliteiten",
            _P,
            ("population",),
            category="dpv-pd:Nationality",
        ),
        Attribute(
            "household.partner",
            _T.OBJECT,
            "Partner (married, registered or fiscal): name and birth date",
            "Partner (echtgenoot, geregistreerd of fiscaal): naam en geboortedatum",
            _P,
            ("population", "tax"),
            category="dpv-pd:Family",
        ),
        # --- income: the tax authority's pre-filled return -------------------------------
        Attribute(
            "income.taxable_annual",
            _T.MONEY,
            "Taxable income from work and home (box 1) of the last complete tax year",
            "Belastbaar inkomen uit werk en woning (box 1) van het laatste volledige belastingjaar",
            _F,
            ("tax",),
            category="dpv-pd:Income",
            derived=True,
        ),
        Attribute(
            "income.employers",
            _T.ARRAY,
            "Employers and benefit agencies with wages of the last complete tax year",
            "Werkgevers en uitkeringsinstanties met loon over het laatste volledige belastingjaar",
            _F,
            ("tax",),
            category="dpv-pd:Employer",
        ),
        Attribute(
            "income.tax_year",
            _T.INTEGER,
            "The tax year the income attributes describe",
            "Het belastingjaar waarop de inkomensgegevens betrekking hebben",
            _P,
            ("tax",),
            category="dpv-pd:Tax",
        ),
        # --- employment: UWV --------------------------------------------------------------
        Attribute(
            "employment.current",
            _T.ARRAY,
            "Current employment relations: employer, start, contract type, hours",
            "Huidige dienstverbanden: werkgever, begindatum, soort contract, uren",
            _P,
            ("employment",),
            category="dpv-pd:EmploymentHistory",
        ),
        Attribute(
            "employment.history",
            _T.ARRAY,
            "Employment relations of the last five years",
            "Dienstverbanden van de afgelopen vijf jaar",
            _P,
            ("employment",),
            category="dpv-pd:EmploymentHistory",
            raw=True,
        ),
        Attribute(
            "employment.sv_wage_12m",
            _T.MONEY,
            "Social-insurance wage (SV-loon) of the last 12 months",
            "SV-loon over de afgelopen 12 maanden",
            _F,
            ("employment",),
            category="dpv-pd:Salary",
            derived=True,
        ),
        Attribute(
            "employment.permanent_contract",
            _T.BOOLEAN,
            "Whether the person has a permanent contract now",
            "Of de persoon nu een vast contract heeft",
            _P,
            ("employment",),
            category="dpv-pd:EmploymentHistory",
            derived=True,
        ),
        # --- pension: Mijnpensioenoverzicht ---------------------------------------------
        Attribute(
            "pension.expected_annual",
            _T.MONEY,
            "Reachable gross pension a year at retirement age, AOW included",
            "Te bereiken bruto pensioen per jaar op pensioenleeftijd, inclusief AOW",
            _F,
            ("pension",),
            category="dpv-pd:Income",
            derived=True,
        ),
        Attribute(
            "pension.accrued_annual",
            _T.MONEY,
            "Accrued gross pension a year to date, AOW included",
            "Opgebouwd bruto pensioen per jaar tot nu, inclusief AOW",
            _F,
            ("pension",),
            category="dpv-pd:Income",
            derived=True,
        ),
        Attribute(
            "pension.providers",
            _T.ARRAY,
            "Pension providers with accrued and reachable amounts",
            "Pensioenuitvoerders met opgebouwde en te bereiken bedragen",
            _F,
            ("pension",),
            category="dpv-pd:FinancialStatus",
        ),
        Attribute(
            "pension.aow_age",
            _T.STRING,
            "The age at which the state pension (AOW) starts, e.g. '67 years 3 months'",
            "De AOW-leeftijd, bijvoorbeeld '67 jaar 3 maanden'",
            _P,
            ("pension",),
            category="dpv-pd:Age",
        ),
        # --- property: Kadaster BRK and WOZ ---------------------------------------------
        Attribute(
            "property.owned",
            _T.ARRAY,
            "Registered properties owned: address, cadastral designation, share",
            "Geregistreerde onroerende zaken in eigendom: adres, kadastrale aanduiding, aandeel",
            _F,
            ("land_registry",),
            category="dpv-pd:Ownership",
        ),
        Attribute(
            "property.woz_value",
            _T.MONEY,
            "Latest assessed (WOZ) value of the owned properties (your share), with its "
            "reference date; for one home, that home's WOZ value",
            "Laatste WOZ-waarde van de onroerende zaken in eigendom (uw aandeel), met "
            "waardepeildatum; bij één woning de WOZ-waarde van die woning",
            _F,
            ("land_registry",),
            category="dpv-pd:Ownership",
        ),
        Attribute(
            "property.mortgage_registered_total",
            _T.MONEY,
            "Sum of the registered mortgage amounts on owned properties",
            "Som van de ingeschreven hypotheekbedragen op eigen onroerende zaken",
            _F,
            ("land_registry",),
            category="dpv-pd:LoanRecord",
            derived=True,
        ),
        Attribute(
            "property.count",
            _T.INTEGER,
            "Number of registered properties owned",
            "Aantal geregistreerde onroerende zaken in eigendom",
            _F,
            ("land_registry",),
            category="dpv-pd:Ownership",
            derived=True,
        ),
        Attribute(
            "tax.mortgage_interest_paid",
            _T.MONEY,
            "Mortgage interest on the own home of the last complete tax year",
            "Hypotheekrente eigen woning over het laatste volledige belastingjaar",
            _F,
            ("tax",),
            category="dpv-pd:Tax",
        ),
        Attribute(
            "tax.student_debt",
            _T.BOOLEAN,
            "Whether a student debt (DUO) is reported",
            "Of er een studieschuld (DUO) is opgegeven",
            _F,
            ("tax",),
            category="dpv-pd:LoanRecord",
            derived=True,
        ),
        # --- bank: PSD2 account information ---------------------------------------------
        Attribute(
            "bank.accounts",
            _T.ARRAY,
            "Payment accounts: IBAN, currency, owner name per account",
            "Betaalrekeningen: IBAN, valuta, naam rekeninghouder per rekening",
            _F,
            ("bank",),
            category="dpv-pd:BankAccount",
        ),
        Attribute(
            "bank.balance_total",
            _T.MONEY,
            "Sum of the booked balances of all EUR accounts",
            "Som van de geboekte saldi van alle rekeningen in euro",
            _F,
            ("bank",),
            category="dpv-pd:FinancialStatus",
            derived=True,
        ),
        Attribute(
            "bank.salary_monthly_average",
            _T.MONEY,
            "Average monthly salary credit over the last 6 complete months",
            "Gemiddelde maandelijkse salarisbijschrijving over de laatste 6 volle maanden",
            _F,
            ("bank",),
            category="dpv-pd:Salary",
            derived=True,
        ),
        Attribute(
            "bank.fixed_costs_monthly_average",
            _T.MONEY,
            "Average monthly recurring debits (rent, mortgage, utilities, insurance)",
            "Gemiddelde maandelijkse vaste lasten (huur, hypotheek, nutsvoorzieningen, "
            "verzekeringen)",
            _F,
            ("bank",),
            category="dpv-pd:FinancialStatus",
            derived=True,
        ),
        Attribute(
            "bank.transactions",
            _T.ARRAY,
            "Booked transactions of the last 6 months (raw; only when asked)",
            "Geboekte transacties van de laatste 6 maanden (ruw; alleen op verzoek)",
            _F,
            ("bank",),
            category="dpv-pd:Transaction",
            raw=True,
        ),
    ]
)
