"""Signing in to the engine's web app and REST API.

- The admin pages use a session cookie (signed with a key derived from the engine's secret
  key) set by `/login`; it carries the id of a session the engine keeps, so signing out
  ends it for good. A page asked for without a live session redirects to the sign-in page.
  Repeated failed sign-ins are throttled (429 with `Retry-After`).
- Every form POST carries the session's CSRF token in a hidden field (`csrf_token`);
  without the right one the POST is refused (403), so another site cannot make a signed-in
  browser post to the engine.
- The REST API takes bearer tokens (`Authorization: Bearer cpl_…`, from `couplet tokens
  create`); without a valid one it answers 401.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.middleware.sessions import SessionMiddleware

from .deps import get_integration
from .ui.render import page, templates

CSRF_FIELD = "csrf_token"
_bearer = HTTPBearer(auto_error=False, description="An API token from `couplet tokens create`")


class SignInRequired(Exception):
    """A page was asked for without signing in: the answer is the sign-in page."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created with the session)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


templates.env.globals["csrf_token"] = csrf_token


def signed_in(request: Request) -> str:
    """Dependency of the admin pages: the signed-in user, or off to the sign-in page."""
    user = get_integration(request).session_user(request.session.get("sid"))
    if not user:
        request.session.pop("sid", None)
        raise SignInRequired()
    request.state.user = user  # for the page header
    return user


async def csrf_checked(request: Request) -> None:
    """Dependency of the forms: the POST must carry the session's CSRF token."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or "")
    expected = str(request.session.get("csrf") or "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "The form is missing its CSRF token; reload the page.")


def token_checked(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Dependency of the REST API: a valid bearer token."""
    if credentials is None or not get_integration(request).credentials.check_token(
        credentials.credentials
    ):
        raise HTTPException(
            401,
            "A valid API token is needed (Authorization: Bearer …; `couplet tokens create`).",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "login.html", next=_local(next))


@router.post("/login", dependencies=[Depends(csrf_checked)])
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    address = request.client.host if request.client else "unknown"
    outcome = get_integration(request).sign_in(username, password, address)
    if outcome.throttled:
        answer = page(request, "login.html", 429, next=_local(next), wait=outcome.retry_after)
        answer.headers["Retry-After"] = str(outcome.retry_after)
        return answer
    if outcome.session_id is None:
        return page(request, "login.html", 401, next=_local(next), failed=True)
    request.session.clear()
    request.session["sid"] = outcome.session_id
    request.session["csrf"] = secrets.token_urlsafe(24)  # a new session, a new token
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout", dependencies=[Depends(csrf_checked)])
def logout(request: Request) -> RedirectResponse:
    get_integration(request).sign_out(request.session.get("sid"))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _local(path: str) -> str:
    """Only paths of this site are followed after sign-in (no open redirect)."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


def install(app: FastAPI, session_key: str) -> None:
    app.add_middleware(SessionMiddleware, secret_key=session_key, session_cookie="couplet_session")

    @app.exception_handler(SignInRequired)
    def to_sign_in(request: Request, exc: SignInRequired) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)

    app.include_router(router)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
