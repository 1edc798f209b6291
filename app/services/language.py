"""The reader's language: the one place that asks Flask-Babel for it.

``current_language()`` is the code of the request's locale (``"uk"`` or ``"en"``), and the
default language, Ukrainian, where there is no request or application (a script, a worker
before it enters a report's language). ``uses_comma()``: whether numbers are written with a
decimal comma — every language but English."""
from __future__ import annotations

DEFAULT = "uk"


def current_language() -> str:
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except Exception:  # noqa: BLE001 - outside an application or request context
        return DEFAULT
    return str(locale or DEFAULT)


def uses_comma(language: str | None = None) -> bool:
    return (language or current_language()) != "en"
