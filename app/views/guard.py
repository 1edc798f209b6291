"""What a request may ask, checked before any view runs, and the answer to what it may not.

* ids in URLs: ``<int:…>`` accepts only what a database integer holds (a bigger one is no
  record: 404, never an overflow);
* pages and page sizes of every screen (``page``, ``page_<View>``, ``psize_<View>``): whole
  numbers within :data:`MAX_PAGE` and :data:`MAX_PAGE_SIZE`;
* a list screen's sort column (``_oc_<View>``) is one the screen sorts by, and its search
  filters (``_flt_<n>_<column>``) exist and hold a value of the column's kind (a number, a
  date, a record id);
* the REST API's ``q`` is rison (or JSON) of an object, its ``page``/``page_size`` whole numbers
  within the same bounds; a body, when there is one, is JSON.

A refusal is a 400 naming the parameter, in the user's language: a page for a screen, JSON
``{"message": …}`` for the API. Anything else that escapes a view is logged with its
traceback and answered by a 500 page in the user's language — a last resort, never silent.
"""
import json
import logging
import re
import urllib.parse

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)

MAX_ID = 2**63 - 1          # the widest database integer (BIGINT; SQLite's INTEGER)
MAX_PAGE = 1_000_000        # pages of a list (×100 rows: more than any table holds)
MAX_PAGE_SIZE = 1000        # rows of a screen's page (it offers 25–100; a longer list by URL)
MAX_API_PAGE_SIZE = 100     # rows of an API page (``OblikApi.max_page_size``)

_PAGE_ARG = re.compile(r"^(page|psize)(_\w+)?$")
_FILTER_ARG = re.compile(r"^_flt_(\d+)_(.+)$")
_ORDER_ARG = re.compile(r"^_oc_(.+)$")


class Refused(BadRequest):
    """A 400 whose message (translated) names the parameter and the reason."""

    def __init__(self, message: str):
        super().__init__(description=message)


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` of every route: at most 18 digits (below :data:`MAX_ID`), so a longer
    number matches no route — 404, not an overflow of the database driver, nor a 405 from a
    route of another method whose pattern matched first."""

    regex = r"\d{1,18}"


def whole_number(name: str, value, low: int, high: int) -> int:
    """``value`` as an int within [low, high], else :class:`Refused` naming ``name``."""
    text = str(value).strip()
    if not re.fullmatch(r"[+-]?\d{1,30}", text) or not low <= int(text) <= high:
        raise Refused(_("Parameter «%(name)s»: a whole number from %(low)s to %(high)s is required, not «%(value)s»",
                        name=name, low=low, high=high, value=text[:40]))
    return int(text)


def is_id(value) -> bool:
    """True if ``value`` (an int or its text) can be the id of a record."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value <= MAX_ID
    text = str(value).strip()
    return bool(re.fullmatch(r"\d{1,19}", text)) and int(text) <= MAX_ID


# --- the checks ----------------------------------------------------------------------------
def check_paging() -> None:
    for name in request.args:
        found = _PAGE_ARG.match(name)
        if found:
            high = MAX_PAGE if found.group(1) == "page" else MAX_PAGE_SIZE
            whole_number(name, request.args.get(name), 0, high)


def _views_by_name() -> dict:
    views = current_app.extensions.get("oblik_views")
    if views is None:
        views = {type(v).__name__: v for v in current_app.appbuilder.baseviews}
        current_app.extensions["oblik_views"] = views
    return views


def check_list_args() -> None:
    """Sort columns and search filters of the list screen the request is for (and of its
    card's tabs): Oblik's screens and FAB's own (users, roles, permissions)."""
    from flask_appbuilder.baseviews import BaseCRUDView

    views = _views_by_name()
    for name in request.args:
        order = _ORDER_ARG.match(name)
        if order:
            view = views.get(order.group(1))
            column = request.args.get(name)
            if isinstance(view, BaseCRUDView) and column not in (view.order_columns or []):
                raise Refused(_("Unknown sort column «%(column)s» (parameter «%(name)s»)",
                                column=column[:60], name=name))
    view = views.get(request.blueprint or "")
    if not isinstance(view, BaseCRUDView):
        return
    for name in request.args:
        found = _FILTER_ARG.match(name)
        if found:
            check_filter(view, name, int(found.group(1)), found.group(2), request.args.getlist(name))


# what a yes/no column is compared with: the texts PostgreSQL reads as a boolean (SQLite: as they are)
_BOOLEAN_TEXTS = frozenset({"true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0"})


def check_filter(view, arg: str, index: int, column: str, values: list) -> None:
    """A search filter ``_flt_<index>_<column>`` of ``view``: a column with that filter (any
    column: a card's tab filters by its parent), and values of the column's kind — a record id
    or whole number, a date, a number — else :class:`Refused` naming the column."""
    from .base import typed_value

    datamodel = view.datamodel
    label = str(view.label_columns.get(column, column))
    filters = view._filters._all_filters.get(column)  # FAB's filters of every column
    if not filters or index >= len(filters):
        raise Refused(_("Unknown search filter «%(name)s»", name=arg[:80]))
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        if datamodel.is_relation(column) or datamodel.is_integer(column):
            if not is_id(value.strip().lstrip("-")):
                raise Refused(_("Search «%(field)s»: «%(value)s» is not a number", field=label, value=value[:40]))
        elif datamodel.is_boolean(column):
            if value.strip().lower() not in _BOOLEAN_TEXTS:  # PostgreSQL refuses anything else
                raise Refused(_("Search «%(field)s»: «%(value)s» is not yes or no", field=label, value=value[:40]))
        elif typed_value(datamodel, column, value) is None:
            raise Refused(_("Search «%(field)s»: «%(value)s» is not a valid %(kind)s", field=label, value=value[:40],
                            kind=_("date") if datamodel.is_date(column) else _("number")))


def _check_rison_pages(value) -> None:
    """Every ``page``/``page_size`` of a rison object, nested ones too (``_info``'s
    ``add_columns:(meter:(page:…))``): whole numbers within the bounds."""
    if isinstance(value, list):
        for item in value:
            _check_rison_pages(item)
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        high = {"page": MAX_PAGE, "page_size": MAX_API_PAGE_SIZE}.get(key)
        if high is not None and (isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= high):
            raise Refused(_("Parameter «q», «%(key)s»: a whole number from 0 to %(high)s is required",
                            key=key, high=high))
        _check_rison_pages(item)


def check_api_args() -> None:
    """The API's rison ``q`` and a JSON body."""
    value = request.args.get("q")
    if value:
        try:
            import prison

            parsed = prison.loads(value)
        except Exception:
            try:
                parsed = json.loads(urllib.parse.parse_qs(f"q={value}")["q"][0])
            except Exception:
                raise Refused(_("Parameter «q»: not valid rison or JSON")) from None
        if not isinstance(parsed, dict):
            raise Refused(_("Parameter «q»: an object is required, e.g. (page:0,page_size:50)"))
        _check_rison_pages(parsed)
    if request.method in ("POST", "PUT", "PATCH") and request.content_length:
        if request.is_json and request.get_json(silent=True) is None:
            raise Refused(_("The request body is not valid JSON"))
        body = request.get_json(silent=True)
        if request.is_json and not isinstance(body, dict):
            raise Refused(_("The request body must be a JSON object with the record's fields"))


def _before_request():
    check_paging()
    if request.path.startswith("/api/"):
        check_api_args()
    else:
        check_list_args()


# --- the answers ---------------------------------------------------------------------------
def _messages() -> dict:
    return {
        400: _("The request is not valid"),
        403: _("Access denied"),
        404: _("The page or record was not found"),
        405: _("This action is not allowed here"),
        413: _("The file is too large"),
        500: _("An unexpected error occurred on the server. It has been logged; please try again or tell the administrator."),
    }


def _answer(code: int, message: str):
    if request.path.startswith("/api/"):
        return jsonify(message=message), code
    from ..services.language import current_language

    lang = current_language()
    back = _way_back()
    if _signed_in():
        try:  # inside the app's layout, with its menu
            appbuilder = current_app.appbuilder
            return render_template("oblik/error_layout.html", code=code, message=message, back=back,
                                   appbuilder=appbuilder, base_template=appbuilder.base_template), code
        except Exception:  # the menu needs the database, which may be what failed: the plain page
            log.exception("The error page in the layout could not be rendered")
            try:
                from ..extensions import db

                db.session.rollback()
            except Exception:
                pass
    try:  # a page of its own: no menu (nothing to query)
        return render_template("oblik/error.html", code=code, message=message, lang=lang, back=back), code
    except Exception:
        log.exception("The error page could not be rendered")
        return message, code, {"Content-Type": "text/plain; charset=utf-8"}


def _signed_in() -> bool:
    try:
        from flask_login import current_user

        return bool(current_user and current_user.is_authenticated)
    except Exception:
        return False


def _way_back() -> str | None:
    """The page the user came from (this site's only), for the error page's «Back»."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url) and referrer.split("?")[0] != request.base_url:
        return referrer
    return None


def _http_error(error: HTTPException):
    if error.response is not None or error.code is None or error.code < 400:
        return error
    if isinstance(error, Refused) or (error.description and error.description != type(error).description):
        message = error.description  # the view's own reason
    else:
        message = _messages().get(error.code, error.name)
    response = _answer(error.code, message)
    methods = getattr(error, "valid_methods", None)
    return (*response, {"Allow": ", ".join(methods)}) if methods and len(response) == 2 else response


def _unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("Unexpected error on %s %s", request.method, request.path)
    try:
        from ..extensions import db

        db.session.rollback()
    except Exception:
        log.exception("Rollback after the error failed")
    return _answer(500, _messages()[500])


def install_converter(app) -> None:
    """Before any route is added."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def install_jwt(jwt_manager) -> None:
    """A malformed or wrong kind of token is a 401 (not authenticated), as an expired one is;
    every refusal of the token in the user's language, as ``{"message": …}``."""

    @jwt_manager.invalid_token_loader
    def invalid_token(reason):
        return jsonify(message=_("The access token is not valid: sign in again")), 401

    @jwt_manager.unauthorized_loader
    def no_token(reason):
        return jsonify(message=_("Sign in first: the request has no access token")), 401

    @jwt_manager.expired_token_loader
    def expired_token(header, payload):
        return jsonify(message=_("The access token has expired: sign in again")), 401

    @jwt_manager.revoked_token_loader
    def revoked_token(header, payload):
        return jsonify(message=_("The access token is not valid: sign in again")), 401


# --- Flask-AppBuilder's and marshmallow's refusals, in English in their code -----------------
def _api_texts() -> list:
    """(pattern, translation) of every English refusal FAB's REST API and marshmallow answer
    with; a pattern's groups fill the translation's placeholders."""
    return [
        (r"Not found", lambda m: _("The page or record was not found")),
        (r"Forbidden", lambda m: _("Access denied")),
        (r"Not authorized", lambda m: _("Sign in first: the request has no access token")),
        (r"Arguments are not correct", lambda m: _("The request is not valid")),
        (r"Could not process entity", lambda m: _("The record could not be processed")),
        (r"Internal error|Fatal error", lambda m: _messages()[500]),
        (r"Request (payload )?is not JSON", lambda m: _("The request body is not valid JSON")),
        (r"Not a valid rison(/json)? argument", lambda m: _("Parameter «q»: not valid rison or JSON")),
        (r"Not a valid rison schema.*", lambda m: _("Parameter «q»: not valid rison or JSON")),
        (r"Missing data for required field\.", lambda m: _("Required field")),
        (r"Field may not be null\.", lambda m: _("Required field")),
        (r"Unknown field\.", lambda m: _("Unknown field")),
        (r"Invalid input type\.", lambda m: _("Not a valid value")),
        (r"Not a valid (number|integer|decimal)\.", lambda m: _("Not a valid number")),
        (r"Not a valid date\.", lambda m: _("Not a valid date: use YYYY-MM-DD")),
        (r"Not a valid datetime\.", lambda m: _("Not a valid date and time")),
        (r"Not a valid boolean\.", lambda m: _("Not yes or no (true/false)")),
        (r"Not a valid (string|email address|URL)\.", lambda m: _("Not a valid value")),
        (r"Not a valid list\.|Not a valid mapping type\.", lambda m: _("Not a valid value")),
        (r"Special numeric values \(nan or infinity\) are not permitted\.", lambda m: _("Not a valid number")),
        (r"Longer than maximum length (\d+)\.", lambda m: _("At most %(n)s characters", n=m.group(1))),
        (r"Shorter than minimum length (\d+)\.", lambda m: _("At least %(n)s characters", n=m.group(1))),
        (r"Must be one of: (.*)\.", lambda m: _("Not a valid choice: one of %(codes)s", codes=m.group(1))),
    ]


def translate_api_message(value):
    """A refusal's ``message`` (a text, a list or a ``{field: [texts]}``) in the user's language."""
    if isinstance(value, str):
        for pattern, translated in _api_texts():
            found = re.fullmatch(pattern, value.strip())
            if found:
                return translated(found)
        return value
    if isinstance(value, list):
        return [translate_api_message(item) for item in value]
    if isinstance(value, dict):
        return {key: translate_api_message(item) for key, item in value.items()}
    return value


def _translate_api_refusal(response):
    """After every API request: a refusal of FAB's own code (``{"message": "Not found"}``,
    marshmallow's ``Missing data for required field.``) answered in the user's language."""
    if response.status_code < 400 or not request.path.startswith("/api/") or not response.is_json:
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or not any(key in body for key in ("message", "msg")):
        return response
    translated = dict(body)
    if "msg" in translated and "message" not in translated:
        translated["message"] = translated.pop("msg")
    translated["message"] = translate_api_message(translated["message"])
    if translated != body:
        response.set_data(json.dumps(translated, ensure_ascii=False))
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


def install(app) -> None:
    app.before_request(_before_request)
    app.after_request(_translate_api_refusal)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.register_error_handler(InternalServerError, _unexpected)
