"""Who a request speaks for: Telegram's signed init data (``Authorization: tma …``, inside
Telegram) or the session cookie a one-time link set (a browser). Checked on every call."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from bot.web.access import Unauthorized, Viewer, WebAccess

SESSION_COOKIE = "bangban_session"


class WebAuth:
    def __init__(self, access: WebAccess, *, secure: bool) -> None:
        self._access = access
        self._secure = secure

    async def viewer(self, request: Request) -> Viewer:
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "tma":
                raise Unauthorized("unknown authorization scheme")
            return await self._access.from_init_data(value.strip())
        return await self._access.from_session(request.cookies.get(SESSION_COOKIE, ""))

    def set_cookie(self, response: Response, session: str, ttl: timedelta) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=int(ttl.total_seconds()),
            path="/",
            httponly=True,
            secure=self._secure,
            samesite="strict",
        )
