"""``JourneyConfig`` refuses what would ship an inaccessible or insecure journey; the
package's public surface is listed once."""

from __future__ import annotations

import pytest

import brondata.web
from brondata.errors import ConfigurationError
from brondata.web import JourneyConfig
from brondata.web._config import contrast

SECRET = b"k" * 32


def test_contrast_follows_wcag() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54


@pytest.mark.parametrize(
    "options",
    [
        {"secret": b"short"},
        {"primary": "#ffcc00"},  # yellow buttons with white text
        {"primary": "#1f4e79", "primary_text": "#2a5a8a"},
        {"primary": "red"},
        {"languages": ("de",)},
        {"languages": ()},
        {"mount_path": "journey/"},
    ],
)
def test_a_bad_configuration_is_refused(options: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "lender_name": "L",
        "secret": SECRET,
        "return_url": "/back",
        **options,
    }
    with pytest.raises(ConfigurationError):
        JourneyConfig(**fields)  # type: ignore[arg-type]


def test_all_is_the_public_surface() -> None:
    public = {n for n in vars(brondata.web) if not n.startswith("_")} - {"annotations"}
    assert set(brondata.web.__all__) == public
