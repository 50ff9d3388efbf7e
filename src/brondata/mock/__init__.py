"""Mock sources for integration tests and demos: ASGI apps over one synthetic population.

``population`` generates the persons; ``bank`` is a Berlin Group NextGenPSD2 bank with its
OAuth 2.0 login; ``consumer`` clicks through a source's login pages as a person would. The
reusable authorization server with its login and approval pages lives in ``_oauth``.

These modules need the ``mock`` extra (Starlette); importing this package alone does not.
"""

from __future__ import annotations

__all__: list[str] = []
