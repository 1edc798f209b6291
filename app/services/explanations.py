"""The charge explanations in the reader's language: the one place a screen, a report or a
document turns the stored phrases (:mod:`app.billing.phrases`) into sentences.

``renderer()`` is bound to the request's language (Flask-Babel); outside an application
context (a script) it is the Ukrainian one. Keep the renderer for a loop over many lines:
it remembers each phrase it has rendered."""
from __future__ import annotations

from ..billing.phrases import Renderer, ukrainian


def renderer() -> Renderer:
    try:
        from flask_babel import get_locale, pgettext

        lang = str(get_locale() or "uk")
    except Exception:  # noqa: BLE001 - no application context: the default language
        return ukrainian()
    return Renderer(lambda context, msgid: pgettext(context, msgid), comma=lang != "en")


def lines(stored: str | None) -> list[str]:
    """The sentences of one stored explanation."""
    return renderer().lines(stored)
