"""The routes of the one web server, wired to an application's services."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from telegram import Update

from bot.health import HealthChecks
from bot.jobs import App, services_of
from bot.web.access import Unauthorized
from handlers.web import api
from handlers.web.auth import WebAuth

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
# No inline scripts or styles, nothing from elsewhere; Telegram's web clients frame the page.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
    " frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)  # type: ignore[arg-type]


def web_app(
    application: App,
    health: HealthChecks | None,
    kick: Callable[[], None],
) -> Starlette:
    services = services_of(application)
    settings = services.settings
    auth = WebAuth(services.web_access, secure=_https(settings.web_public_url))
    routes: list[Route | Mount] = []

    if settings.webhook_url is not None and settings.webhook_secret is not None:
        path = urlsplit(settings.webhook_url).path or "/"
        secret = settings.webhook_secret.get_secret_value()

        async def webhook(request: Request) -> Response:
            # As PTB's own server: 403 without Telegram's secret token header.
            given = request.headers.get("x-telegram-bot-api-secret-token", "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                return Response(status_code=403)
            try:
                data = await request.json()
                update = Update.de_json(data, application.bot)
            except ValueError:
                return Response(status_code=400)
            await application.update_queue.put(update)
            return Response()

        routes.append(Route(path, webhook, methods=["POST"]))

    if health is not None:
        served = health

        async def healthz(request: Request) -> Response:
            status, body, kind = await served.health()
            return Response(body, status_code=status, media_type=kind)

        async def metrics(request: Request) -> Response:
            return Response(await served.scrape(), media_type=CONTENT_TYPE_LATEST)

        routes += [Route("/healthz", healthz), Route("/metrics", metrics)]

    async def login(request: Request) -> Response:
        """The one-time link /web sends: trade it for a session cookie, then open the board
        (the token leaves the address bar at once)."""
        try:
            session = await services.web_access.open_session(request.query_params.get("t", ""))
        except Unauthorized:
            return RedirectResponse("/app/?login=expired", status_code=303)
        response = RedirectResponse("/app/", status_code=303)
        auth.set_cookie(response, session, services.web_access.session_ttl)
        return response

    page = (STATIC / "index.html").read_bytes()  # read once, not on the event loop per visit

    async def index(request: Request) -> Response:
        return Response(page, media_type="text/html")

    async def root(request: Request) -> Response:
        return RedirectResponse("/app/", status_code=307)

    routes += [
        Route("/", root),
        Route("/login", login),
        Route("/app", root),
        Route("/app/", index),
        Mount("/app/assets", StaticFiles(directory=STATIC), name="assets"),
        Mount("/api", routes=api.routes(services, auth, application, kick)),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])


def _https(url: str | None) -> bool:
    return url is not None and url.startswith("https://")
