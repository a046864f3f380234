"""Security headers on every answer of the engine's web app (docs/operations.md,
"Credentials and sign-in"): no framing (clickjacking), no referrer (page addresses carry
record ids), no content sniffing, and a content security policy on the pages."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Inline styles stay allowed while the templates still carry `style=` attributes; scripts,
# frames, plugins, forms and connections are the engine's own only.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
ALWAYS = (
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
)
# FastAPI's interactive docs run inline script; they get the other headers only.
_DOCS = ("/docs", "/redoc")


class SecurityHeaders:
    """Pure ASGI middleware (not BaseHTTPMiddleware, which would buffer streamed answers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        with_policy = not path.startswith(_DOCS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in ALWAYS if h[0] not in present]
                if with_policy and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
