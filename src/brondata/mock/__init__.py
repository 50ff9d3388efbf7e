"""Mock sources for integration tests and demos: ASGI apps over one synthetic population.

``population`` generates the persons (with named scenarios) so that every source tells the
same story about them; ``bank`` is a Berlin Group NextGenPSD2 bank with its OAuth 2.0 login;
``digid`` is the shared government login with single sign-on; behind it ``population_api``
(Haal Centraal BRP Personen), ``land_registry`` (BRK bevragen and WOZ bevragen), ``tax`` (the
pre-filled return), ``pension`` (Mijnpensioenoverzicht) and ``employment`` (the UWV
verzekeringsbericht) and ``duo`` (the student loan at Mijn DUO), each made by its module's
``MOCK`` (a ``_government.GovernmentMock``). ``consumer`` clicks through a source's login pages
as a person would. Every kind's mock lives here, and its registration names the app factory by
import path.
The reusable authorization server with its login and approval pages lives in ``_oauth``.

These modules need the ``mock`` extra (Starlette); importing this package alone does not.
"""

from __future__ import annotations

__all__: list[str] = []
