"""How a government mock is put together: a ``GovernmentMock``, which is its app factory.

The population register, tax authority, UWV, pension registry, DUO and land registry mocks
differ only in their scope, their look, what their approval page says is asked, and their
routes. ``GovernmentMock`` holds those; each source's module has one as ``MOCK``, which its
kind's registration names as the app factory. Called, it builds the ASGI app around a
``DigidSource`` (OAuth through DigiD, ``/oauth/userinfo``) and answers a request without a valid
bearer token with the mock's own 401 before any of its routes runs, a body over the cap with
its own 413 (``_limits.BodyLimit``), and an unknown path or method with its own 404 or 405.
Payloads and routes live in each source's module; the DigiD login in ``digid``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from brondata._clock import Clock, SystemClock
from brondata.mock._limits import BodyLimit, route_errors
from brondata.mock._oauth import ApprovalView, Branding
from brondata.mock.digid import (
    DigidIdP,
    DigidSource,
    json_too_large,
    json_unauthorized,
    json_unknown,
)
from brondata.mock.population import Person, Population

__all__ = ["GovernmentMock", "PersonEndpoint", "PersonRoute", "demo_clients"]

#: An endpoint that runs only for a logged-in person: the request and that person.
PersonEndpoint = Callable[[Request, Person], Awaitable[Response]]
#: (method, path, endpoint), as ``sample_requests`` names a request.
PersonRoute = tuple[str, str, PersonEndpoint]


def demo_clients(scope: str) -> Mapping[str, Sequence[str]]:
    """The demo lender and its callback for ``scope``: the clients a mock knows by default."""
    return {"brondata-demo": [f"https://lender.example/callback/{scope}"]}


@dataclass(frozen=True, slots=True)
class GovernmentMock:
    """What is a government mock's own: one scope, its look, its approval text, its routes."""

    scope: str
    branding: Branding
    asks_for: str  # the approval page's "een partij vraagt …", e.g. "uw pensioenoverzicht"
    shows: tuple[str, ...]  # the approval page's lines: what the grant gives
    routes: Callable[[DigidSource], Sequence[PersonRoute]]
    unauthorized: Callable[[Request], Response] = json_unauthorized  # the 401 in its own style
    too_large: Callable[[Request], Response] = json_too_large  # the 413 in its own style
    unknown: Callable[[Request, int], Response] = json_unknown  # the 404 and 405 likewise

    def approval(self, person: Person) -> ApprovalView:
        return ApprovalView(
            heading=f"{person.full_name}, een partij vraagt {self.asks_for}.", lines=self.shows
        )

    def __call__(
        self,
        population: Population,
        *,
        digid: DigidIdP,
        base_url: str,
        clients: Mapping[str, Sequence[str]] | None = None,
        clock: Clock | None = None,
        code_ttl_seconds: int = 60,
        token_ttl_seconds: int = 3600,
    ) -> Starlette:
        """The ASGI app over ``population``, logging in through ``digid``; ``base_url`` is the
        OAuth issuer, ``clients`` the clients and their callbacks (default: the demo lender),
        ``app.state.source`` the source."""
        source = DigidSource(
            population,
            digid=digid,
            base_url=base_url,
            clients=demo_clients(self.scope) if clients is None else clients,
            clock=SystemClock() if clock is None else clock,
            scope=self.scope,
            branding=self.branding,
            approval=self.approval,
            code_ttl_seconds=code_ttl_seconds,
            token_ttl_seconds=token_ttl_seconds,
        )
        own: list[BaseRoute] = [
            Route(path, self._signed_in(source, endpoint), methods=[method], name=endpoint.__name__)
            for method, path, endpoint in self.routes(source)
        ]
        app = Starlette(
            routes=[*own, *source.routes(self.unauthorized)],
            exception_handlers=route_errors(self.unknown),
        )
        app.add_middleware(BodyLimit, too_large=self.too_large)
        app.state.source = source
        return app

    def _signed_in(
        self, source: DigidSource, endpoint: PersonEndpoint
    ) -> Callable[[Request], Awaitable[Response]]:
        unauthorized = self.unauthorized

        async def checked(request: Request) -> Response:
            person = source.person(request)
            if person is None:
                return unauthorized(request)
            return await endpoint(request, person)

        return checked
