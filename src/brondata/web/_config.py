"""``JourneyConfig``: what a lender sets for its journey (name, colours, return URL, cookie)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from brondata.errors import ConfigurationError

__all__ = ["JourneyConfig"]

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@dataclass(frozen=True, slots=True)
class JourneyConfig:
    """The lender's settings. ``secret`` signs cookies, links and CSRF tokens: at least 32
    random bytes, the same on every instance serving the journey, never in a page.

    Colours must reach the WCAG 2.2 AA contrast of 4.5:1 (``primary`` as a button under
    ``primary_text``; ``primary`` as link text on white): a brand colour that does not is
    refused here rather than shipped as an inaccessible page.
    """

    lender_name: str
    secret: bytes
    return_url: str
    #: Where the journey is mounted in the lender's app (``/journey``): cookie path, links.
    mount_path: str = "/journey"
    primary: str = "#1f4e79"
    primary_text: str = "#ffffff"
    languages: tuple[str, ...] = ("nl", "en")
    cookie_name: str = "brondata_journey"
    #: Off only for a plain-HTTP development server other than localhost; browsers keep
    #: ``Secure`` cookies on http://localhost and 127.0.0.1.
    cookie_secure: bool = True
    #: How long a journey link may be opened after it was made.
    link_ttl_seconds: int = 15 * 60
    #: How long the page waits between checks of a running collection (no-JS refresh too).
    refresh_seconds: int = 2
    #: Display names of source instances and kinds, by id (``{"bank.noordbank": "NoordBank"}``).
    source_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.secret) < 32:
            raise ConfigurationError("the journey secret must be at least 32 bytes")
        if not self.languages or any(lang not in ("nl", "en") for lang in self.languages):
            raise ConfigurationError("languages must be a non-empty choice of 'nl' and 'en'")
        for colour in (self.primary, self.primary_text):
            if not _COLOUR.fullmatch(colour):
                raise ConfigurationError(f"colours are #rrggbb, not {colour!r}")
        if contrast(self.primary, self.primary_text) < 4.5:
            raise ConfigurationError(
                "primary and primary_text do not reach 4.5:1 contrast (WCAG AA)"
            )
        if contrast(self.primary, "#ffffff") < 4.5:
            raise ConfigurationError("primary does not reach 4.5:1 contrast on white (WCAG AA)")
        if not self.mount_path.startswith("/") or self.mount_path.endswith("/"):
            raise ConfigurationError(
                "mount_path starts with '/' and does not end with one ('/journey')"
            )
