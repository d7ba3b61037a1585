"""``/api/``: JSON for the board's pages. Every call names its viewer first (401 without
one); what is not theirs to see answers 404, as something that does not exist."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram.error import TelegramError

from bot.i18n import t
from bot.jobs import App
from bot.services import Services
from bot.web.access import NotFound, Unauthorized, Viewer
from bot.web.ledger import ACTIONS, ActionRefused
from handlers.web.auth import WebAuth

log = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses as objects, dates as ISO text (asdict would deep-copy every
    row first: a third of /api/projects' time at 1,000 projects)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _json(value: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(_plain(value), status_code=status)


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def _int(raw: str | None, name: str) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number") from None


class BadRequest(Exception):
    pass


Endpoint = Callable[[Request, Viewer], Awaitable[Response]]


def routes(
    services: Services, auth: WebAuth, application: App, kick: Callable[[], None]
) -> list[Route]:
    board, ledger = services.web_board, services.web_ledger

    def guarded(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                viewer = await auth.viewer(request)
            except Unauthorized as exc:
                log.info("web: refused %s %s: %s", request.method, request.url.path, exc)
                return error(401, "unauthorized", "sign in again: open the board from the bot")
            try:
                return await endpoint(request, viewer)
            except NotFound:
                return error(404, "not_found", t(viewer.lang, "web.not_found"))
            except BadRequest as exc:
                return error(400, "bad_request", str(exc))
            except ActionRefused as exc:
                if exc.forbidden:
                    return error(403, "forbidden", exc.message)
                return error(409, "refused", exc.message)

        return run

    async def me(request: Request, viewer: Viewer) -> Response:
        return _json(
            {
                "id": viewer.user_id,
                "name": viewer.name,
                "lang": viewer.lang,
                "admin": viewer.admin,
                "projects": {str(p): sorted(r) for p, r in viewer.project_roles.items()},
                "departments": list(viewer.department_ids),
            }
        )

    async def projects(request: Request, viewer: Viewer) -> Response:
        return _json({"projects": await board.projects(viewer)})

    async def project(request: Request, viewer: Viewer) -> Response:
        project_id = _int(request.path_params["project_id"], "id")
        assert project_id is not None
        return _json(await board.project(viewer, project_id))

    async def problems(request: Request, viewer: Viewer) -> Response:
        q = request.query_params
        found = await ledger.problems(
            viewer,
            status=q.get("status", "unresolved"),
            project_id=_int(q.get("project"), "project"),
            department_id=_int(q.get("department"), "department"),
            overdue=q.get("overdue") in ("1", "true"),
            text=q.get("q", ""),
            page=_int(q.get("page"), "page") or 0,
        )
        return _json(found)

    async def problem(request: Request, viewer: Viewer) -> Response:
        problem_id = _int(request.path_params["problem_id"], "id")
        assert problem_id is not None
        return _json(await ledger.problem(viewer, problem_id))

    async def act(request: Request, viewer: Viewer) -> Response:
        problem_id = _int(request.path_params["problem_id"], "id")
        action = request.path_params["action"]
        assert problem_id is not None
        if action not in ACTIONS:
            raise NotFound
        # JSON only: a form posted from another site cannot send it without CORS.
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise BadRequest("send JSON (Content-Type: application/json)")
        try:
            body = await request.json()
        except ValueError:
            raise BadRequest("the body is not JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        message = await ledger.act(viewer, problem_id, action, body)
        kick()  # the chat hears of it as from a press: the outbox sends now
        return _json({"message": message, "problem": await ledger.problem(viewer, problem_id)})

    async def notices(request: Request, viewer: Viewer) -> Response:
        return _json({"notices": await board.notices(viewer)})

    async def digests(request: Request, viewer: Viewer) -> Response:
        return _json({"digests": await board.digests(viewer)})

    async def digest(request: Request, viewer: Viewer) -> Response:
        period = request.path_params["period"]
        return _json({"period": period, "text": await board.digest(viewer, period)})

    async def photo(request: Request, viewer: Viewer) -> Response:
        attachment_id = _int(request.path_params["attachment_id"], "id")
        assert attachment_id is not None
        attachment = await ledger.photo(viewer, attachment_id)
        try:
            file = await application.bot.get_file(attachment.file_id)
            data = await file.download_as_bytearray()
        except TelegramError as exc:
            log.warning("web: photo %s not fetched: %s", attachment_id, exc)
            return error(502, "unavailable", t(viewer.lang, "web.photo_unavailable"))
        return Response(bytes(data), media_type="image/jpeg")

    async def unknown(request: Request) -> Response:
        return error(404, "not_found", "no such endpoint")

    return [
        Route("/me", guarded(me)),
        Route("/projects", guarded(projects)),
        Route("/projects/{project_id}", guarded(project)),
        Route("/problems", guarded(problems)),
        Route("/problems/{problem_id}", guarded(problem)),
        Route("/problems/{problem_id}/{action}", guarded(act), methods=["POST"]),
        Route("/notices", guarded(notices)),
        Route("/digests", guarded(digests)),
        Route("/digests/{period}", guarded(digest)),
        Route("/photos/{attachment_id}", guarded(photo)),
        Route("/{rest:path}", unknown, methods=["GET", "POST"]),
    ]
