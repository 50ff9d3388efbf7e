"""The SD-JWT core of RFC 9901, as pure functions over JSON values.

Three walks over the same structure, and nothing else (no keys, no time, no profile):

* ``conceal``: issuer side. Plain claims, in which ``Disclosable`` marks what may be hidden,
  and the attributes to disclose one by one (whole arrays, or element by element) become an
  SD-JWT payload (digests in ``_sd`` and ``{"...": digest}`` array elements, with decoys)
  plus the disclosures. Markers may nest: recursive disclosures. Each object or array
  encodes its digests, real and decoy, in one base64url call.
* ``reveal``: verifier side (RFC 9901 §7.1 steps 3-5). Payload plus the presented
  disclosures becomes the disclosed claims; every rule that makes a presentation ambiguous is
  a ``DisclosureError`` or ``MalformedRecordError``.
* ``select``: holder side. Which disclosures to keep so that chosen paths, and everything
  under them, are disclosed (plus the enclosing disclosures they need).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, TypeAlias

from brondata.errors import DisclosureError, IssuanceError, MalformedRecordError
from brondata.records._encoding import (
    b64url_bytes,
    b64url_decode,
    b64url_encode,
    json_bytes,
    json_bytes_finite,
    json_loads,
    sha256_b64url,
)

__all__ = [
    "ALL",
    "SD_ALG",
    "Disclosable",
    "Disclosure",
    "Selection",
    "conceal",
    "make_disclosure",
    "parse_disclosure",
    "reveal",
    "select",
    "selection_from_paths",
]

SD_ALG: Final = "sha-256"
_SALT_BYTES: Final = 16  # 128 bits, RFC 9901 §9.3
_RESERVED: Final = frozenset({"_sd", "...", "_sd_alg"})
_sha256: Final = hashlib.sha256

Path: TypeAlias = str | int


@dataclass(frozen=True, slots=True)
class Disclosable:
    """Marks a value as selectively disclosable where it stands.

    As an object member's value (``{"street": Disclosable("Main St")}``) it becomes an object
    property disclosure; as an array element (``[Disclosable("NL"), "DE"]``) an array element
    disclosure. The wrapped value may itself contain markers (recursive disclosures).
    """

    value: Any


class Disclosure(NamedTuple):
    """One disclosure: its encoded form, digest, salt, claim name (``None`` for an array
    element) and value. (A named tuple, not a frozen dataclass: a record makes a dozen of
    them, and a tuple is built several times faster.) ``plain``: its JSON text cannot hold
    a digest (no ``"_sd"``, no ``"..."``, no escape that could spell one), so a verifier
    takes the value as it is instead of walking it."""

    encoded: str
    digest: str
    salt: str
    name: str | None
    value: Any
    plain: bool = False


def make_disclosure(name: str | None, value: Any, *, salt: str | None = None) -> Disclosure:
    """A fresh disclosure ``[salt, name, value]`` (or ``[salt, value]`` for an element)."""
    salt = salt if salt is not None else b64url_encode(secrets.token_bytes(_SALT_BYTES))
    array: list[Any] = [salt, value] if name is None else [salt, name, value]
    encoded = b64url_encode(json_bytes(array))
    return Disclosure(encoded, sha256_b64url(encoded), salt, name, value)


def parse_disclosure(encoded: str) -> Disclosure:
    """Decode one disclosure as presented; its digest is over the string exactly as given."""
    return parse_disclosures((encoded,))[0]


def parse_disclosures(encoded: Iterable[str]) -> list[Disclosure]:
    """Decode disclosures as presented, their digests (over each string exactly as given)
    encoded in one call."""
    parts: list[tuple[str, str, str | None, Any, bool]] = []
    digests: list[bytes] = []
    for text in encoded:
        try:
            decoded = b64url_decode(text).decode("utf-8")
            array = json_loads(decoded)
        except UnicodeDecodeError:  # its message would show a byte of the disclosure
            raise DisclosureError("a disclosure is not base64url JSON: not UTF-8") from None
        except ValueError as exc:
            raise DisclosureError(f"a disclosure is not base64url JSON: {exc}") from None
        if type(array) is not list or len(array) not in (2, 3):
            raise DisclosureError("a disclosure must be a JSON array of two or three elements")
        salt = array[0]
        if type(salt) is not str:
            raise DisclosureError("a disclosure's salt must be a string")
        name: str | None = None
        if len(array) == 3:
            name = array[1]
            if type(name) is not str:
                raise DisclosureError("a disclosure's claim name must be a string")
            if name in ("_sd", "..."):
                raise DisclosureError(f"a disclosure must not name the claim {name!r}")
        plain = "\\" not in decoded and '"_sd"' not in decoded and '"..."' not in decoded
        parts.append((text, salt, name, array[-1], plain))
        digests.append(_sha256(text.encode("ascii")).digest())
    # tuple.__new__ rather than Disclosure(...): a named tuple's own __new__ is Python code.
    return [
        tuple.__new__(Disclosure, (text, digest, salt, name, value, plain))
        for (text, salt, name, value, plain), digest in zip(
            parts, b64url_digests(digests), strict=True
        )
    ]


_MIN_SALTS: Final = 32  # salts per further draw, when a record needs more than counted
_CONTROL_BYTES: Final = 256  # decoys' random numbers, decoy counts and positions
# base64url of 16 bytes is 20 characters for the first 15 (no padding: 15 is a multiple of
# 3) and 2 for the last byte, looked up here: a whole pool of salts is encoded in one call.
_HEAD: Final = 15
_TAIL: Final = tuple(b64url_encode(bytes([byte])) for byte in range(256))
_DIGEST_CHARS: Final = 43  # base64url of a 32-byte SHA-256 digest, unpadded


def b64url_digests(digests: Sequence[bytes]) -> list[str]:
    """The unpadded base64url of each 32-byte digest, in one encoding call.

    Each digest followed by one zero byte is 33 bytes, a multiple of 3, so it encodes to 44
    characters on its own, whatever stands before it; the first 43 are exactly the digest's
    unpadded encoding (its last character holds the digest's last 4 bits and two zero bits).
    """
    if not digests:
        return []
    text = b64url_encode(b"\0".join(digests) + b"\0")
    return [text[at : at + _DIGEST_CHARS] for at in range(0, len(text), _DIGEST_CHARS + 1)]


class _Entropy:
    """The randomness of one record: drawn from the OS once, then sliced.

    Salts, decoys' random numbers, decoy counts and decoy positions all come from one
    ``os.urandom`` call instead of one system call each, and the salts' base64url from one
    encoding call. The draw is sized from the markers at the top level and in top-level
    arrays (counting the whole tree would cost more than it saves); a record that needs more
    gets a further draw when a pool runs out, never a reused byte.
    """

    __slots__ = ("_control", "_control_at", "_heads", "_salt", "_salts", "_tails")

    def __init__(self, salts: int) -> None:
        self._salt = 0
        self._salts = 0
        self._heads = ""
        self._tails = b""
        self._control = b""
        self._control_at = 0
        self._draw(salts, _CONTROL_BYTES)

    def _draw(self, salts: int, control: int) -> None:
        raw = os.urandom(salts * _SALT_BYTES + control)
        if salts:
            self._heads = b64url_encode(raw[: salts * _HEAD])
            self._tails = raw[salts * _HEAD : salts * _SALT_BYTES]
            self._salt, self._salts = 0, salts
        if control:
            self._control, self._control_at = raw[salts * _SALT_BYTES :], 0

    def salt(self) -> str:
        """A fresh 128-bit salt, base64url."""
        if self._salt == self._salts:
            self._draw(_MIN_SALTS, 0)
        i = self._salt
        self._salt = i + 1
        start = i * 20
        return self._heads[start : start + 20] + _TAIL[self._tails[i]]

    def take(self, size: int) -> bytes:
        end = self._control_at + size
        if end > len(self._control):
            self._draw(0, max(size, _CONTROL_BYTES))
            end = size
        out = self._control[self._control_at : end]
        self._control_at = end
        return out

    def below(self, bound: int) -> int:
        """Uniform in ``[0, bound)``, without modulo bias (``bound`` < 2**32)."""
        limit = 2**32 - 2**32 % bound
        while True:
            drawn = int.from_bytes(self.take(4), "big")
            if drawn < limit:
                return drawn % bound

    def decoy_count(self) -> int:
        return 2 + (self.take(1)[0] & 3)  # 2..5, uniform: 256 is a multiple of 4

    def decoys(self, count: int) -> list[bytes]:
        """``count`` SHA-256 digests, each over a fresh 128-bit random number (RFC 9901
        §4.2.5): indistinguishable from the digest of a disclosure. Raw bytes, for the
        caller to encode with the real digests in one call."""
        raw = self.take(count * _SALT_BYTES)
        ends = range(_SALT_BYTES, len(raw) + 1, _SALT_BYTES)
        return [_sha256(raw[end - _SALT_BYTES : end]).digest() for end in ends]


_SCALARS: Final = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> bool:
    """Whether ``value`` is JSON of the builtin types themselves, with no marker and no
    reserved member name anywhere: then it goes into the record as it is, neither walked
    again nor copied. Anything else (a float, a tuple, another mapping, a marker) takes the
    concealing walk, which converts, conceals or refuses it."""
    kind = type(value)
    if kind is dict:
        for name, member in value.items():
            if type(name) is not str or name in _RESERVED:
                return False
            if type(member) not in _SCALARS and not _plain(member):
                return False
        return True
    if kind is list:
        return all(type(member) in _SCALARS or _plain(member) for member in value)
    return kind in _SCALARS


class _Concealer:
    """The issuer's walk. Each object or array gathers the raw SHA-256 digests of its
    disclosures and decoys and encodes them all in one call (``b64url_digests``)."""

    __slots__ = ("decoys", "disclosures", "entropy")

    def __init__(self, decoys: int | None, entropy: _Entropy) -> None:
        if decoys is not None and decoys < 0:
            raise IssuanceError("decoys must be zero or more")
        self.decoys = decoys
        self.disclosures: list[str] = []
        self.entropy = entropy

    def _decoys(self) -> list[bytes]:
        entropy = self.entropy
        return entropy.decoys(entropy.decoy_count() if self.decoys is None else self.decoys)

    def _disclose(self, name: str | None, value: Any, every: bool = False) -> bytes:
        """Append the disclosure of ``value`` (under ``name``, or as an array element; an
        array with ``every`` element concealed) and return its raw digest."""
        inner = self.array(value, every=True) if every else self.value(value)
        salt = self.entropy.salt()
        array: list[Any] = [salt, inner] if name is None else [salt, name, inner]
        encoded = b64url_bytes(json_bytes_finite(array))
        self.disclosures.append(encoded.decode("ascii"))
        return _sha256(encoded).digest()

    def object(
        self,
        value: Mapping[Any, Any],
        attributes: Mapping[str, Any] | None = None,
        elements: AbstractSet[str] = frozenset(),
    ) -> dict[str, Any]:
        """``value`` with its markers concealed, and each of ``attributes`` (the top level
        only) concealed as a member; of those named in ``elements``, each element too."""
        out: dict[str, Any] = {}
        digests: list[bytes] = []
        for name, member in value.items():
            if type(name) is not str or name in _RESERVED:
                if not isinstance(name, str):
                    raise IssuanceError(f"object member names must be strings, not {name!r}")
                if name in _RESERVED:
                    raise IssuanceError(f"the member name {name!r} is reserved by SD-JWT")
            if type(member) in _SCALARS:
                out[name] = member
            elif isinstance(member, Disclosable):
                digests.append(self._disclose(name, member.value))
            else:
                out[name] = self.value(member)
        if attributes:
            for name, member in attributes.items():
                digests.append(self._disclose(name, member, name in elements))
        if digests:
            digests += self._decoys()
            out["_sd"] = sorted(b64url_digests(digests))
        return out

    def array(self, value: Sequence[Any], every: bool = False) -> list[Any]:
        """``value`` with its marked elements concealed (``every``: all its elements)."""
        out: list[Any] = []
        slots: list[dict[str, str]] = []  # the concealed elements, their digests to come
        digests: list[bytes] = []
        for element in value:
            marked = isinstance(element, Disclosable)
            if marked or every:
                digests.append(self._disclose(None, element.value if marked else element))
                slot = {"...": ""}
                slots.append(slot)
                out.append(slot)
            else:
                out.append(self.value(element))
        if digests:
            # Decoy elements at random places hide how many elements were concealed.
            decoys = self._decoys()
            for _ in decoys:
                slot = {"...": ""}
                slots.append(slot)
                out.insert(self.entropy.below(len(out) + 1), slot)
            for slot, digest in zip(slots, b64url_digests(digests + decoys), strict=True):
                slot["..."] = digest
        return out

    def value(self, value: Any) -> Any:
        # Exact types first: they are nearly every value, and cheaper to test than the ABCs.
        kind = type(value)
        if kind in _SCALARS:
            return value
        if (kind is dict or kind is list) and _plain(value):
            return value
        if kind is dict:
            return self.object(value)
        if kind is list:
            return self.array(value)
        if isinstance(value, Disclosable):
            raise IssuanceError("Disclosable must wrap an object member or array element")
        if isinstance(value, Mapping):
            return self.object(value)
        if isinstance(value, (list, tuple)):
            return self.array(value)
        if isinstance(value, (str, bool, int)):
            return value
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise IssuanceError("JSON has no NaN or infinity")
            return value
        raise IssuanceError(f"{type(value).__name__} is not a JSON value; use str for decimals")


def conceal(
    claims: Mapping[str, Any],
    attributes: Mapping[str, Any],
    *,
    elements: AbstractSet[str] = frozenset(),
    decoys: int | None,
) -> tuple[dict[str, Any], list[str]]:
    """The SD-JWT payload and its disclosures, encoded.

    ``claims`` stay in the clear (``Disclosable`` markers within them are concealed where
    they stand); each of ``attributes`` becomes a top-level disclosure, and each element of
    the arrays named in ``elements`` one too. ``decoys`` is the number of decoy digests added
    to each ``_sd`` array and each array with concealed elements; ``None`` draws 2..5 at
    random for each. The randomness is drawn once, sized for the attributes and elements.
    """
    salts = len(attributes) + sum(len(attributes[name]) for name in elements)
    concealer = _Concealer(decoys, _Entropy(salts))
    payload = concealer.object(claims, attributes, elements)
    return payload, concealer.disclosures


class _Revealer:
    __slots__ = ("by_digest", "used")

    def __init__(self, disclosures: Sequence[Disclosure]) -> None:
        self.by_digest = {disclosure.digest: disclosure for disclosure in disclosures}
        if len(self.by_digest) != len(disclosures):
            raise DisclosureError("the same disclosure is presented twice")
        self.used: set[str] = set()  # every digest met, decoys included

    def disclose(self, out: dict[str, Any], digests: Any) -> dict[str, Any]:
        """Add to ``out`` the claims an ``_sd`` array's digests disclose."""
        if type(digests) is not list:
            raise MalformedRecordError("'_sd' must be an array of digests")
        used, by_digest = self.used, self.by_digest
        for digest in digests:
            if type(digest) is not str:
                raise MalformedRecordError("a digest must be a string")
            if digest in used:
                raise MalformedRecordError("a digest is referenced more than once")
            used.add(digest)
            disclosure = by_digest.get(digest)
            if disclosure is None:
                continue  # a decoy, or a claim the holder did not disclose
            name = disclosure.name
            if name is None:
                raise DisclosureError("an array element disclosure is referenced from '_sd'")
            if name in out:
                raise DisclosureError(f"the disclosed claim {name!r} already exists")
            value = disclosure.value
            out[name] = value if disclosure.plain else self.value(value)
        return out

    def object(self, node: dict[str, Any]) -> dict[str, Any]:
        out = {
            name: member if type(member) in _SCALARS else self.value(member)
            for name, member in node.items()
            if name != "_sd"
        }
        return self.disclose(out, node["_sd"]) if "_sd" in node else out

    def array(self, node: list[Any]) -> list[Any]:
        out: list[Any] = []
        used, by_digest = self.used, self.by_digest
        for element in node:
            if type(element) is dict and "..." in element:
                if len(element) != 1:
                    raise MalformedRecordError("an array element digest must stand alone")
                digest = element["..."]
                if type(digest) is not str:
                    raise MalformedRecordError("a digest must be a string")
                if digest in used:
                    raise MalformedRecordError("a digest is referenced more than once")
                used.add(digest)
                disclosure = by_digest.get(digest)
                if disclosure is None:
                    continue
                if disclosure.name is not None:
                    raise DisclosureError("an object property disclosure is used as an element")
                value = disclosure.value
                out.append(value if disclosure.plain else self.value(value))
            else:
                out.append(element if type(element) in _SCALARS else self.value(element))
        return out

    def value(self, node: Any) -> Any:
        kind = type(node)
        if kind is dict:
            return self.object(node)
        if kind is list:
            return self.array(node)
        return node


def reveal(
    payload: Mapping[str, Any], disclosures: Sequence[Disclosure]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Process a verified payload with its disclosures: (plain claims, disclosed claims).

    Both halves are fully processed (nested digests replaced or removed). Raises
    ``DisclosureError`` for a disclosure no digest references, one presented twice, one used
    in the wrong place, or a claim name that collides; ``MalformedRecordError`` for a
    digest referenced twice or a malformed ``_sd``.
    """
    revealer = _Revealer(disclosures)
    plain = {
        name: value if type(value) in _SCALARS else revealer.value(value)
        for name, value in payload.items()
        if name != "_sd" and name != "_sd_alg"
    }
    disclosed_only = revealer.disclose({}, payload.get("_sd", []))
    if not plain.keys().isdisjoint(disclosed_only):
        name = next(name for name in disclosed_only if name in plain)
        raise DisclosureError(f"the disclosed claim {name!r} collides with a plain claim")
    if not revealer.by_digest.keys() <= revealer.used:
        unused = len(revealer.by_digest.keys() - revealer.used)
        raise DisclosureError(f"{unused} disclosure(s) not referenced by any digest")
    return plain, disclosed_only


class _All:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ALL"


#: Selects a value and everything beneath it.
ALL: Final = _All()

Selection: TypeAlias = "_All | dict[Path, Selection]"


def selection_from_paths(paths: Iterable[Sequence[Path]]) -> dict[Path, Selection]:
    """The selection tree for ``paths``; a path that is a prefix of another wins (selects all)."""
    root: dict[Path, Selection] = {}
    for path in paths:
        if not path:
            raise IssuanceError("an empty path selects nothing")
        node: dict[Path, Selection] = root
        for step in path[:-1]:
            child = node.setdefault(step, {})
            if isinstance(child, _All):
                break
            node = child
        else:
            node[path[-1]] = ALL
    return root


class _Selector:
    __slots__ = ("by_digest", "chosen", "found")

    def __init__(self, disclosures: Iterable[Disclosure]) -> None:
        self.by_digest = {d.digest: d for d in disclosures}
        self.chosen: list[Disclosure] = []
        self.found: set[tuple[Path, ...]] = set()

    def _visit(
        self,
        step: Path,
        value: Any,
        disclosure: Disclosure | None,
        selection: Selection,
        where: tuple[Path, ...],
    ) -> None:
        sub: Selection
        if isinstance(selection, _All):
            sub = ALL
        else:
            chosen = selection.get(step)
            if chosen is None:
                return
            sub = chosen
            self.found.add((*where, step))
        if disclosure is not None:
            self.chosen.append(disclosure)
        self.value(value, sub, (*where, step))

    def value(self, node: Any, selection: Selection, where: tuple[Path, ...]) -> None:
        if isinstance(node, Mapping):
            for name, member in node.items():
                if name not in _RESERVED:
                    self._visit(name, member, None, selection, where)
            digests = node.get("_sd", [])
            for digest in digests if isinstance(digests, list) else []:
                disclosure = self.by_digest.get(digest) if isinstance(digest, str) else None
                if disclosure is not None and disclosure.name is not None:
                    self._visit(disclosure.name, disclosure.value, disclosure, selection, where)
        elif isinstance(node, list):
            index = 0
            for element in node:
                if isinstance(element, Mapping) and "..." in element:
                    digest = element["..."]
                    disclosure = self.by_digest.get(digest) if isinstance(digest, str) else None
                    if disclosure is None:
                        continue  # a decoy or an element the holder lacks: it takes no position
                    self._visit(index, disclosure.value, disclosure, selection, where)
                else:
                    self._visit(index, element, None, selection, where)
                index += 1


def select(
    payload: Mapping[str, Any], disclosures: Sequence[Disclosure], selection: Selection
) -> list[Disclosure]:
    """The disclosures, in their original order, that disclose ``selection`` in ``payload``.

    Array positions count the elements as issued (plain and concealed, decoys excluded).
    Raises ``IssuanceError`` when a selected path does not exist in the record.
    """
    selector = _Selector(disclosures)
    selector.value(payload, selection, ())
    _check_found(selection, selector.found, ())
    chosen = {d.digest for d in selector.chosen}
    return [d for d in disclosures if d.digest in chosen]


def _check_found(
    selection: Selection, found: set[tuple[Path, ...]], where: tuple[Path, ...]
) -> None:
    if isinstance(selection, _All):
        return
    for step, sub in selection.items():
        path = (*where, step)
        if path not in found:
            shown = "/".join(str(p) for p in path)
            raise IssuanceError(f"the record has nothing at {shown!r} to disclose")
        _check_found(sub, found, path)
