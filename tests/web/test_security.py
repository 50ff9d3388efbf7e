"""The journey's signed values: links expire, and each MAC is good for its own use only."""

from __future__ import annotations

import pytest

from brondata.errors import CsrfError, JourneyLinkError
from brondata.web._security import BrowserCookie, Signer

NOW = 1_800_000_000.0


def test_a_link_is_good_until_it_expires() -> None:
    signer = Signer(b"k" * 32)
    link = signer.link("session-1", 600, now=NOW)
    assert signer.open_link(link, now=NOW + 600) == "session-1"
    with pytest.raises(JourneyLinkError, match="expired"):
        signer.open_link(link, now=NOW + 601)


def test_a_value_signed_for_one_use_or_key_is_refused_for_another() -> None:
    signer = Signer(b"k" * 32)
    cookie = BrowserCookie(browser="b", session_id="session-1", language="nl")
    with pytest.raises(JourneyLinkError):
        signer.open_link(signer.cookie(cookie), now=NOW)
    with pytest.raises(JourneyLinkError):
        Signer(b"o" * 32).open_link(signer.link("session-1", 600, now=NOW), now=NOW)
    for garbage in ("", ".", "x.y", "!!!.abc"):
        with pytest.raises(JourneyLinkError):
            signer.open_cookie(garbage)


def test_a_csrf_token_belongs_to_one_browser_and_session() -> None:
    signer = Signer(b"k" * 32)
    mine = BrowserCookie(browser="b1", session_id="s1", language="nl")
    token = signer.csrf(mine)
    signer.check_csrf(mine, token)
    for other in (
        BrowserCookie(browser="b2", session_id="s1", language="nl"),
        BrowserCookie(browser="b1", session_id="s2", language="nl"),
    ):
        with pytest.raises(CsrfError):
            signer.check_csrf(other, token)
    with pytest.raises(CsrfError):
        signer.check_csrf(mine, "")


@pytest.mark.parametrize(
    "garbage", ["abc.\u00e9", "\u00e9.\u00e9", "abc.\ud800", "x" * 20 + ".\x00"]
)
def test_a_value_with_a_mac_that_is_not_ascii_is_refused_not_a_crash(garbage: str) -> None:
    signer = Signer(b"k" * 32)
    cookie = BrowserCookie(browser="b", session_id="session-1", language="nl")
    with pytest.raises(JourneyLinkError):
        signer.open_link(garbage, now=NOW)
    with pytest.raises(JourneyLinkError):
        signer.open_cookie(garbage)
    with pytest.raises(CsrfError):
        signer.check_csrf(cookie, garbage.partition(".")[2])
