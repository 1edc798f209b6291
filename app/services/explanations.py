"""The charge explanations in the reader's language: the one place a screen, a report or a
document turns the stored phrases (:mod:`app.billing.phrases`) into sentences.

``renderer()`` is bound to the request's language (Flask-Babel); outside an application
context (a script) it is the Ukrainian one. Keep the renderer for a loop over many lines:
it remembers each phrase it has rendered."""
from __future__ import annotations

from flask import has_app_context

from ..billing.phrases import Renderer, ukrainian
from .language import uses_comma


def renderer() -> Renderer:
    if not has_app_context():  # a script: the default language
        return ukrainian()
    from flask_babel import pgettext

    return Renderer(lambda context, msgid: pgettext(context, msgid), comma=uses_comma())


def lines(stored: str | None) -> list[str]:
    """The sentences of one stored explanation."""
    return renderer().lines(stored)
