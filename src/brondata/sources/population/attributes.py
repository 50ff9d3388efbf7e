"""The catalogue attributes the population register (BRP) provides."""

from __future__ import annotations

from brondata.attributes import Attribute, Sensitivity, ValueType

__all__ = [
    "ATTRIBUTES",
    "HOUSEHOLD_CHILDREN_UNDER_18",
    "HOUSEHOLD_PARTNER",
    "PERSON_ADDRESS",
    "PERSON_AGE_OVER_18",
    "PERSON_BIRTH_DATE",
    "PERSON_BSN",
    "PERSON_GIVEN_NAMES",
    "PERSON_NATIONALITY",
    "PERSON_SURNAME",
]

HOUSEHOLD_CHILDREN_UNDER_18 = Attribute(
    "household.children_under_18",
    ValueType.BOOLEAN,
    "Whether a child in the person's BRP registration is under 18 today (no names or dates)",
    "Of een kind in de BRP-registratie van de persoon vandaag jonger is dan 18 (zonder namen "
    "of data)",
    Sensitivity.PERSONAL,
    category="dpv-pd:Family",
    derived=True,
)

HOUSEHOLD_PARTNER = Attribute(
    "household.partner",
    ValueType.OBJECT,
    "Partner (married, registered or fiscal): name and birth date",
    "Partner (echtgenoot, geregistreerd of fiscaal): naam en geboortedatum",
    Sensitivity.PERSONAL,
    category="dpv-pd:Family",
)

PERSON_ADDRESS = Attribute(
    "person.address",
    ValueType.OBJECT,
    "Residential address (street, house number, postcode, city)",
    "Woonadres (straat, huisnummer, postcode, woonplaats)",
    Sensitivity.PERSONAL,
    category="dpv-pd:Address",
)

PERSON_AGE_OVER_18 = Attribute(
    "person.age_over_18",
    ValueType.BOOLEAN,
    "Whether the person is 18 or older today",
    "Of de persoon vandaag 18 jaar of ouder is",
    Sensitivity.PERSONAL,
    category="dpv-pd:Age",
    derived=True,
)

PERSON_BIRTH_DATE = Attribute(
    "person.birth_date",
    ValueType.DATE,
    "Date of birth",
    "Geboortedatum",
    Sensitivity.PERSONAL,
    category="dpv-pd:BirthDate",
)

PERSON_BSN = Attribute(
    "person.bsn",
    ValueType.STRING,
    "Citizen service number (BSN)",
    "Burgerservicenummer (BSN)",
    Sensitivity.NATIONAL_IDENTIFIER,
    category="dpv-pd:NationalIdentificationNumber",
)

PERSON_GIVEN_NAMES = Attribute(
    "person.given_names",
    ValueType.STRING,
    "Given names",
    "Voornamen",
    Sensitivity.PERSONAL,
    category="dpv-pd:Name",
)

PERSON_NATIONALITY = Attribute(
    "person.nationality",
    ValueType.ARRAY,
    "Nationalities",
    "Nationaliteiten",
    Sensitivity.PERSONAL,
    category="dpv-pd:Nationality",
)

PERSON_SURNAME = Attribute(
    "person.surname",
    ValueType.STRING,
    "Surname, with prefix",
    "Geslachtsnaam, met voorvoegsel",
    Sensitivity.PERSONAL,
    category="dpv-pd:Name",
)

#: In the order the consumer reads them.
ATTRIBUTES: tuple[Attribute, ...] = (
    HOUSEHOLD_CHILDREN_UNDER_18,
    HOUSEHOLD_PARTNER,
    PERSON_ADDRESS,
    PERSON_AGE_OVER_18,
    PERSON_BIRTH_DATE,
    PERSON_BSN,
    PERSON_GIVEN_NAMES,
    PERSON_NATIONALITY,
    PERSON_SURNAME,
)
