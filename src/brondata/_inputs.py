"""Where a caller's bad input becomes a ``BrondataError``: one mapping, used at the edges.

The public functions check what they can name (a JWK without ``kty``, an unknown attribute)
and raise the right error themselves. What they cannot foresee -- a number where text
belongs, a lone surrogate that cannot be encoded, a list where a mapping was expected --
surfaces deep down as a ``TypeError``, ``ValueError``, ``UnicodeError`` or pydantic's
``ValidationError``. ``bad_input`` turns those into the function's own ``BrondataError``
subclass, naming only the kind of problem: the offending value may be personal data, so no
message built here repeats it. ``TypedModel`` does the same for pydantic models.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, ParamSpec, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from brondata.errors import BrondataError

__all__ = [
    "FOREIGN_INPUT_ERRORS",
    "TypedModel",
    "bad_input",
    "describe",
    "guarded",
    "require_text",
    "require_url",
    "same_secret",
]

#: What malformed input raises inside the standard library, pydantic and the JOSE layer.
FOREIGN_INPUT_ERRORS: tuple[type[Exception], ...] = (
    TypeError,
    ValueError,  # also UnicodeError, json.JSONDecodeError and pydantic's ValidationError
    AttributeError,
    KeyError,
    IndexError,
    OverflowError,
    RecursionError,
)

P = ParamSpec("P")
R = TypeVar("R")


def describe(exc: BaseException) -> str:
    """The kind of problem, never the value: pydantic's field locations and messages, or
    the exception's class."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)[:5]
        )
    if isinstance(exc, UnicodeError):
        return "text that is not valid Unicode (a lone surrogate?)"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return f"a value of the wrong type or form ({type(exc).__name__})"


@contextmanager
def bad_input(error: Callable[[str], BrondataError], what: str) -> Iterator[None]:
    """Inside the block, a foreign exception from bad input becomes ``error``."""
    try:
        yield
    except BrondataError:
        raise
    except FOREIGN_INPUT_ERRORS as exc:
        raise _translated(error, what, exc) from None


def _translated(
    error: Callable[[str], BrondataError], what: str, exc: BaseException
) -> BrondataError:
    return error(f"{what}: {describe(exc)}")


def guarded(
    error: Callable[[str], BrondataError], what: str
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator form of ``bad_input`` for a public function or constructor."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        # ``bad_input``'s translation without its context manager: a generator-based
        # context per call cost as much as a record's digests on the signing hot path.
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except BrondataError:
                raise
            except FOREIGN_INPUT_ERRORS as exc:
                raise _translated(error, what, exc) from None

        return wrapper

    return decorate


class TypedModel(BaseModel):
    """A pydantic model whose validation errors are the model's ``BrondataError``
    (``input_error``), from the constructor, ``model_validate`` and ``model_validate_json``
    (the validators of a model run inside these three, whatever their mode)."""

    input_error: ClassVar[type[BrondataError]] = BrondataError

    # try/except rather than ``bad_input``: these run for every event, session read and
    # source answer, and a generator-based context per call is a measurable share of that.
    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except FOREIGN_INPUT_ERRORS as exc:
            if isinstance(exc, BrondataError):
                raise
            raise _translated(self.input_error, f"invalid {type(self).__name__}", exc) from None

    # pydantic calls a model's own ``__init__`` from inside ``model_validate`` (custom
    # initialisation), which validated every input twice; this one only translates errors,
    # as ``model_validate`` itself does, so pydantic may treat it as its own.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate(obj, **kwargs)
        except FOREIGN_INPUT_ERRORS as exc:
            if isinstance(exc, BrondataError):
                raise
            raise _translated(cls.input_error, f"invalid {cls.__name__}", exc) from None

    @classmethod
    def model_validate_json(cls, json_data: Any, **kwargs: Any) -> Self:
        try:
            return super().model_validate_json(json_data, **kwargs)
        except FOREIGN_INPUT_ERRORS as exc:
            if isinstance(exc, BrondataError):
                raise
            raise _translated(cls.input_error, f"invalid {cls.__name__}", exc) from None


def require_text(
    value: object, what: str, error: Callable[[str], BrondataError], *, max_length: int
) -> str:
    """``value`` if it is non-blank text of at most ``max_length`` characters, valid
    Unicode, without NUL; else ``error`` naming ``what`` (never the value)."""
    if not isinstance(value, str) or not value.strip():
        raise error(f"{what} must be non-empty text")
    if len(value) > max_length:
        raise error(f"{what} is longer than {max_length} characters")
    if "\x00" in value:
        raise error(f"{what} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise error(f"{what} must be valid Unicode (no lone surrogates)") from None
    return value


def require_url(value: object, what: str, error: Callable[[str], BrondataError]) -> str:
    """``value`` if it is an absolute http(s) URL with a host (and a valid port)."""
    url = require_text(value, what, error, max_length=2000)
    with bad_input(error, what):
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.port == 0:
            raise error(f"{what} must be an absolute http(s) URL")
    if any(c.isspace() or c < " " for c in url):
        raise error(f"{what} must not contain spaces or control characters")
    return url


def same_secret(given: object, expected: str) -> bool:
    """Whether ``given`` (from a request: a MAC, a token, a hash) equals ``expected``, in
    constant time. Anything but an ASCII string is simply unequal: ``hmac.compare_digest``
    raises ``TypeError`` on other text, and a request must never turn into that."""
    return isinstance(given, str) and given.isascii() and hmac.compare_digest(given, expected)
