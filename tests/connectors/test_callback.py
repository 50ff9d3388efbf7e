"""``check_callback``: what a redirect back from a source must carry before its code is used.

The order is the rule: a callback that is not ours (wrong URI or ``state``) is refused before
its ``error`` is believed, and the issuer must be the source's own (RFC 9207)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from brondata.connectors import check_callback
from brondata.errors import AuthorizationDeniedError, IssuerMismatchError, StateMismatchError

REDIRECT = "https://lender.example/callback/bank.noordbank"
ISSUER = "https://noordbank.example"


def back(base: str = REDIRECT, **params: str) -> str:
    return f"{base}?{urlencode(params)}"


def check(url: str) -> str:
    return check_callback("bank.noordbank", url, state="s-1", issuer=ISSUER, redirect_uri=REDIRECT)


def test_a_good_callback_gives_the_code() -> None:
    assert check(back(code="c-1", state="s-1", iss=ISSUER)) == "c-1"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (
            back("https://evil.example/callback/bank.noordbank", code="c", state="s-1", iss=ISSUER),
            StateMismatchError,
        ),
        (back(REDIRECT + "x", code="c", state="s-1", iss=ISSUER), StateMismatchError),
        (back(code="c", iss=ISSUER), StateMismatchError),
        (back(code="c", state="s-2", iss=ISSUER), StateMismatchError),
        (back(code="c", state="s-1"), IssuerMismatchError),
        (back(code="c", state="s-1", iss="https://mockbank.example"), IssuerMismatchError),
        (back(state="s-1", iss=ISSUER), AuthorizationDeniedError),
        (back(error="access_denied", state="s-1", iss=ISSUER), AuthorizationDeniedError),
    ],
    ids=[
        "another-host",
        "another-path",
        "no-state",
        "wrong-state",
        "no-iss",
        "another-bank-iss",
        "no-code",
        "denied",
    ],
)
def test_a_bad_callback_is_a_typed_error_naming_the_instance(
    url: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        check(url)
    assert "bank.noordbank" in str(caught.value)


def test_a_forged_error_without_our_state_is_not_believed() -> None:
    # Someone else's error=access_denied must not end the consumer's login.
    with pytest.raises(StateMismatchError):
        check(back(error="access_denied", state="forged", iss=ISSUER))


def test_what_the_source_writes_back_is_not_repeated_in_the_error() -> None:
    """``error_description`` and ``iss`` come from whoever built the redirect: free text that
    may carry a name or be an attacker's. The error keeps the instance and an RFC 6749 code."""
    description = "Rekening NL91ABNA0417164300 van J. Jansen geblokkeerd"
    with pytest.raises(AuthorizationDeniedError) as denied:
        check(back(error="access_denied", error_description=description, state="s-1", iss=ISSUER))
    assert "Jansen" not in str(denied.value)
    assert "NL91" not in str(denied.value)
    assert "access_denied" in str(denied.value)
    with pytest.raises(AuthorizationDeniedError) as odd:
        check(back(error="<script>alert(1)</script>", state="s-1", iss=ISSUER))
    assert "<script>" not in str(odd.value)
    with pytest.raises(IssuerMismatchError) as mixed:
        check(back(code="c", state="s-1", iss="https://evil.example/?u=J.Jansen"))
    assert "Jansen" not in str(mixed.value)
