"""HTML for the journey's pages: one layout, escaped values, no inline script or style.

Every page has ``lang``, a skip link, one ``h1`` in ``main``, labelled controls and the
language switch; colours come from ``/theme.css`` (the lender's configuration) and the only
script, ``progress.js``, is a static file that improves the progress page when it runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from urllib.parse import urlencode

from brondata.web._config import JourneyConfig
from brondata.web._text import text

__all__ = ["Html", "e", "form", "layout"]


class Html(str):
    """Markup that is already escaped."""

    __slots__ = ()


def e(value: object) -> Html:
    """``value`` escaped for text and attribute values (Html passes as it is)."""
    if isinstance(value, Html):
        return value
    return Html(escape(str(value), quote=True))


def join(parts: Iterable[str]) -> Html:
    return Html("".join(parts))


def form(action: str, csrf: str, fields: dict[str, str], body: str, *, css: str = "") -> Html:
    """A POST form with its CSRF token and hidden fields."""
    hidden = "".join(
        f'<input type="hidden" name="{e(k)}" value="{e(v)}">'
        for k, v in {"csrf": csrf, **fields}.items()
    )
    klass = f' class="{e(css)}"' if css else ""
    return Html(f'<form method="post" action="{e(action)}"{klass}>{hidden}{body}</form>')


def layout(
    config: JourneyConfig,
    language: str,
    title: str,
    body: str,
    *,
    path: str,
    head: str = "",
    script: str | None = None,
) -> str:
    base = config.mount_path
    switch = join(
        f'<li><a href="{e(path)}?{urlencode({"lang": lang})}" hreflang="{lang}" lang="{lang}"'
        + (' aria-current="true"' if lang == language else "")
        + f">{'Nederlands' if lang == 'nl' else 'English'}</a></li>"
        for lang in config.languages
    )
    scripts = f'<script src="{base}/static/{e(script)}" defer></script>' if script else ""
    return f"""<!doctype html>
<html lang="{e(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} · {e(config.lender_name)}</title>
<link rel="stylesheet" href="{base}/static/journey.css">
<link rel="stylesheet" href="{base}/theme.css">
{head}{scripts}
</head>
<body>
<a class="skip" href="#main">{e(text(language, "skip"))}</a>
<header><p class="lender">{e(config.lender_name)}</p>
<nav aria-label="{e(text(language, "menu"))}"><ul class="languages">{switch}
<li><a href="{base}/consents">{e(text(language, "my_consents"))}</a></li></ul></nav>
</header>
<main id="main" tabindex="-1">
<h1>{e(title)}</h1>
{body}
</main>
</body>
</html>
"""
