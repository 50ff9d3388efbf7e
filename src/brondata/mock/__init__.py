"""Mock sources for integration tests and demos: ASGI apps over one synthetic population.

``population`` generates the persons (with named scenarios) so that every source tells the
same story about them; ``bank`` is a Berlin Group NextGenPSD2 bank with its OAuth 2.0 login;
``digid`` is the shared government login with single sign-on; behind it ``population_api``
(Haal Centraal BRP Personen), ``land_registry`` (BRK bevragen and WOZ bevragen), ``tax`` (the
pre-filled return), ``pension`` (Mijnpensioenoverzicht) and ``employment`` (the UWV
verzekeringsbericht). ``consumer`` clicks through a source's login pages as a person would.
A source kind may keep its mock in its own folder instead (``brondata.sources.duo.mock``);
its registration names the app factory either way.
The reusable authorization server with its login and approval pages lives in ``_oauth``.

These modules need the ``mock`` extra (Starlette); importing this package alone does not.
"""

from __future__ import annotations

__all__: list[str] = []
