"""Conformance with the SD-JWT test cases in ``reference/sd-jwt/testcases``.

Each case gives ``user_claims`` (``!sd`` marks what is selectively disclosable),
``holder_disclosed_claims`` and ``expect_verified_user_claims``. For every case that fits the
brondata profile we issue with the fixed issuer key of ``settings.yml`` (top-level ``!sd``
claims become attributes, other top-level claims stay plain, nested ``!sd`` become
``Disclosable``), check that the issued structure is exactly the case's (which claims and
elements are disclosures), present what the holder discloses, verify with the public key and
compare with the expected output. ``iss``, ``iat``, ``exp`` (from settings) and a ``vct`` are
added, as the profile requires them; they are not part of the comparison.

Adapted to the profile (the expected output is unchanged, as the holder never discloses the
adapted claim):

* ``key_binding``: ``sub`` is issued plain, because ``sub`` is never selectively disclosable
  in the profile (the case's ``!sd sub`` is refused by ``issue_record``, tested below).
  Holder binding itself runs as specified: ``cnf.jwk`` with the fixed holder key, a KB-JWT
  with the fixed nonce and the verifier's identifier as ``aud``.

Out of profile, not run:

* ``header_mod``: puts ``kid: 42`` (an integer) in the issuer header; the profile's header is
  fixed (``alg``, ``typ: dc+sd-jwt``, ``kid`` = the key's RFC 7638 thumbprint), and RFC 7515
  requires ``kid`` to be a string. It also discloses ``sub`` selectively.
* ``json_serialization_flattened``, ``json_serialization_general``: the JWS JSON
  serializations of RFC 9901 §8; brondata records are compact serialization only (one line,
  one record). They too disclose ``sub`` selectively.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from brondata.errors import IssuanceError
from brondata.records import (
    Disclosable,
    KeyBindingPolicy,
    KeySet,
    SignedRecord,
    SigningKey,
    issue_record,
    verify_record,
)
from brondata.records._encoding import b64url_decode, json_loads, sha256_b64url

IN_PROFILE = (
    "array_data_types",
    "array_full_sd",
    "array_in_sd",
    "array_nested_in_plain",
    "array_none_disclosed",
    "array_of_nulls",
    "array_of_objects",
    "array_of_scalars",
    "array_recursive_sd",
    "array_recursive_sd_some_disclosed",
    "key_binding",
    "no_sd",
    "object_data_types",
    "recursions",
)
OUT_OF_PROFILE = ("header_mod", "json_serialization_flattened", "json_serialization_general")
ADAPTED_PLAIN = {"key_binding": {"sub"}}
ADDED = ("iss", "iat", "exp", "vct", "cnf")


@dataclass(frozen=True)
class SD:
    """What ``!sd`` tags in the YAML: a selectively disclosable key or value."""

    value: Any


class _Loader(yaml.SafeLoader):
    pass


def _construct_sd(loader: yaml.SafeLoader, node: yaml.Node) -> SD:
    if isinstance(node, yaml.ScalarNode):
        if node.style in ("'", '"'):
            return SD(loader.construct_scalar(node))
        # The explicit tag hides the implicit type (int, bool, null...): resolve it again.
        tag = loader.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        plain = yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark)
        return SD(loader.construct_object(plain, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return SD(loader.construct_sequence(node, deep=True))
    assert isinstance(node, yaml.MappingNode)
    return SD(loader.construct_mapping(node, deep=True))


_Loader.add_constructor("!sd", _construct_sd)


def load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader with one extra tag


def markers(node: Any) -> Any:
    """The YAML's ``SD`` tags as brondata ``Disclosable`` markers."""
    if isinstance(node, SD):
        return Disclosable(markers(node.value))
    if isinstance(node, dict):
        return {
            (k.value if isinstance(k, SD) else k): (
                Disclosable(markers(v)) if isinstance(k, SD) else markers(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [markers(v) for v in node]
    return node


def paths(selection: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """``holder_disclosed_claims`` as the paths ``SignedRecord.present`` takes."""
    if selection is True:
        yield prefix
    elif isinstance(selection, dict):
        for name, sub in selection.items():
            yield from paths(sub, (*prefix, name))
    elif isinstance(selection, list):
        for index, sub in enumerate(selection):
            yield from paths(sub, (*prefix, index))


def structure(node: Any, by_digest: dict[str, list[Any]]) -> Any:
    """An issued payload back as a marker tree, to compare with the case's ``!sd`` tags."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for name, value in node.items():
            if name not in ("_sd", "_sd_alg"):
                out[name] = structure(value, by_digest)
        for digest in node.get("_sd", []):
            if digest in by_digest:  # others are decoys
                _, claim, value = by_digest.pop(digest)
                out[claim] = Disclosable(structure(value, by_digest))
        return out
    if isinstance(node, list):
        items: list[Any] = []
        for element in node:
            if isinstance(element, dict) and "..." in element:
                if element["..."] in by_digest:
                    _, value = by_digest.pop(element["..."])
                    items.append(Disclosable(structure(value, by_digest)))
            else:
                items.append(structure(element, by_digest))
        return items
    return node


@pytest.fixture(scope="module")
def cases(reference: Path) -> Path:
    return reference / "sd-jwt" / "testcases"


@pytest.fixture(scope="module")
def settings(cases: Path) -> dict[str, Any]:
    return dict(load(cases / "settings.yml"))


def test_every_case_is_accounted_for(cases: Path) -> None:
    found = {p.name for p in cases.iterdir() if (p / "specification.yml").is_file()}
    assert found == set(IN_PROFILE) | set(OUT_OF_PROFILE)


def _split(user_claims: dict[Any, Any], plain: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    claims: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for key, value in user_claims.items():
        if isinstance(key, SD) and key.value not in plain:
            attributes[key.value] = markers(value)
        else:
            claims[key.value if isinstance(key, SD) else key] = markers(value)
    return claims, attributes


@pytest.mark.parametrize("case", IN_PROFILE)
def test_case(cases: Path, settings: dict[str, Any], case: str) -> None:
    spec = load(cases / case / "specification.yml")
    keys = settings["key_settings"]
    issuer = SigningKey.from_jwk(keys["issuer_keys"][0])
    holder = SigningKey.from_jwk(keys["holder_key"])
    jwks = KeySet([issuer.public_jwk()])
    bound = bool(spec.get("key_binding"))
    assert spec.get("serialization_format", "compact") == "compact"

    plain, attributes = _split(spec["user_claims"], ADAPTED_PLAIN.get(case, set()))
    added = {
        "iss": settings["identifiers"]["issuer"],
        "iat": settings["iat"],
        "exp": settings["exp"],
        "vct": "urn:brondata:conformance:1",
    }
    record = issue_record(
        {**added, **plain},
        attributes,
        issuer,
        holder_jwk=holder.public_jwk() if bound else None,
    )

    # The issued structure is the case's: the same claims and elements are disclosures.
    payload = json_loads(b64url_decode(record.issuer_jwt.split(".")[1]))
    by_digest = {sha256_b64url(d): json_loads(b64url_decode(d)) for d in record.disclosures}
    issued = structure(payload, by_digest)
    assert by_digest == {}, "every disclosure has its digest in the payload"
    for name in ADDED:
        issued.pop(name, None)
    expected = markers(spec["user_claims"])
    for name in ADAPTED_PLAIN.get(case, set()):
        expected[name] = expected[name].value
    assert issued == expected

    # Present what the holder discloses, verify, compare.
    selection = list(paths(spec["holder_disclosed_claims"]))
    now = datetime.fromtimestamp(settings["iat"] + 3600, UTC)
    nonce = settings["key_binding_nonce"]
    aud = settings["identifiers"]["verifier"]
    if bound:
        presentation = record.present(selection, holder_key=holder, aud=aud, nonce=nonce, now=now)
        policy = KeyBindingPolicy(aud=aud, nonce=nonce)
    else:
        presentation = record.present(selection)
        policy = None
    verified = verify_record(presentation, jwks, now=now, key_binding=policy)
    disclosed = {k: v for k, v in verified.payload.items() if k not in ADDED}
    for name in ADAPTED_PLAIN.get(case, set()):
        disclosed.pop(name)
    assert disclosed == spec["expect_verified_user_claims"]
    if bound:
        assert verified.key_binding is not None
        assert verified.key_binding.nonce == nonce

    # The full record verifies too, and discloses everything the case has.
    assert SignedRecord.parse(record.compact) == record
    verify_record(record, jwks, now=now)


def test_selectively_disclosed_sub_is_out_of_profile(cases: Path, settings: dict[str, Any]) -> None:
    spec = load(cases / "key_binding" / "specification.yml")
    issuer = SigningKey.from_jwk(settings["key_settings"]["issuer_keys"][0])
    claims = {"iss": "https://example.com/issuer", "iat": 1, "exp": 2, "vct": "urn:x"}
    _, attributes = _split(spec["user_claims"], set())
    assert "sub" in attributes
    with pytest.raises(IssuanceError):
        issue_record(claims, attributes, issuer)


def test_settings_issuer_key_kid_is_its_thumbprint(settings: dict[str, Any]) -> None:
    issuer = SigningKey.from_jwk(settings["key_settings"]["issuer_keys"][0])
    assert issuer.alg == "ES256"
    assert issuer.public_jwk()["x"] == settings["key_settings"]["issuer_keys"][0]["x"]
