"""Security headers on every response (screens, API, static files, errors) and the CSP nonce.

Content-Security-Policy: scripts only from this server and inline scripts only with the
request's nonce — Flask-AppBuilder's templates mark their inline scripts with
``baselib.get_nonce()``, which calls ``csp_nonce()`` when it is defined; it is defined here.
Inline event handlers (``onclick=…``) are not allowed: Oblik's own live in ``static/oblik.js``.
What remains allowed: inline ``style`` attributes (``style-src 'unsafe-inline'``: FAB's
templates and widgets set them) and ``data:`` images and fonts (Select2, Font Awesome).
"""
import secrets

from flask import current_app, g, request


def csp_nonce() -> str:
    """The nonce of this request's inline scripts (made on first use)."""
    nonce = getattr(g, "_oblik_csp_nonce", None)
    if nonce is None:
        nonce = g._oblik_csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str | None) -> str:
    script = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join([
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(getattr(g, "_oblik_csp_nonce", None)))
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("SESSION_COOKIE_SECURE") and request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def install(app) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_headers)
