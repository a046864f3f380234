"""Rendering pages and the POST-redirect-GET answers of forms.

A form's outcome travels to the next page in the query string (`msg`, `level`): there is no
session to keep it in, and the page can be reloaded without posting again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def _when(value: dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


templates.env.filters["when"] = _when


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("flash", request.query_params.get("msg"))
    context.setdefault("flash_level", request.query_params.get("level", "ok"))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def back(path: str, message: str, ok: bool = True) -> RedirectResponse:
    """303 See Other: the browser follows with a GET, so a reload never posts twice."""
    query = urlencode({"msg": message, "level": "ok" if ok else "error"})
    return RedirectResponse(f"{path}?{query}", status_code=303)
