"""Back to the card (issue 12 item 7): a form opened from a card — «Додати» or edit in one of
its tabs, the card's «Редагувати» — or an approve/cancel pressed on a card returns to that
card and its tab, not to the home page or a list.

The card puts its own address (with the tab: ``/accountview/show/5#AccountServiceView``) in the
links it shows as ``next``; the form keeps it in its URL (FAB's forms post to their own
address), and the save redirects there. Only a path of this site is followed (``/…``, never
``//host``, ``https://…``, a backslash or a control character): anything else is ignored and
the screen goes where it went before — no open redirect.
"""
from urllib.parse import quote, urlsplit

from flask import g, request

MAX_LENGTH = 2000


def safe_next(value) -> str | None:
    """``value`` if it is a relative path of this site, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return None
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def next_url() -> str | None:
    """The safe ``next`` of this request (its URL's, else its form's)."""
    return safe_next(request.args.get("next")) or safe_next(request.form.get("next"))


def referrer_path() -> str | None:
    """The page the request came from, as a path, when it is a page of this site (the
    ``Referer`` of a POST: the list whose ticked rows an action was applied to)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))


def with_next(path: str, back: str | None) -> str:
    """``path`` with ``next=back`` added (``back`` None or unsafe: ``path`` as it is)."""
    back = safe_next(back)
    if not back:
        return path
    return f"{path}{'&' if '?' in path else '?'}next={quote(back, safe='/')}"


def card_return(path: str | None) -> str:
    """Set (or, with None, clear) where the links rendered next lead back to: the card's tabs
    are rendered by FAB's list widget, whose add/edit/show links go through the
    ``set_link_filters`` filter (:func:`install`)."""
    g.oblik_card_next = safe_next(path)
    return ""


def install(app) -> None:
    """``set_link_filters`` (FAB's: the related view's ``_flt_0_…``) also adds the card's
    ``next`` while a card renders its tabs; ``oblik_card_return`` and ``oblik_with_next`` for
    the templates."""
    original = app.jinja_env.filters["set_link_filters"]

    def set_link_filters(path, filters):
        return with_next(original(path, filters), g.get("oblik_card_next"))

    app.jinja_env.filters["set_link_filters"] = set_link_filters
    app.jinja_env.globals["oblik_card_return"] = card_return
    app.jinja_env.globals["oblik_with_next"] = with_next
