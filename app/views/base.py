"""The base screen and API classes: every Oblik view and API derives from these, so role
permissions, the inspector's building scope, Ukrainian fields, formatting, domain validation
and the "nothing depends on it" delete rule are declared once."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.api import expose, permission_name, protect, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterRelationOneToManyEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.utils.base import get_column_root_relation, is_column_dotted
from flask_appbuilder.urltools import get_filter_args, get_order_args, get_page_args, get_page_size_args
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect as sa_inspect, select, text
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from wtforms import BooleanField, HiddenField
from wtforms.validators import InputRequired, Optional

from ..extensions import db
from ..models.types import PRICE, is_money
from ..models.versioned import is_versioned
from ..services import concurrency
from ..services.audit import AUDITED
from ..validation import FieldError, validate
from .fields import AjaxSelectField, ChoiceField, UkPriceField, api_schema_converter
from .formatting import (
    WALL_TIME_COLUMNS, format_blank, format_date, format_datetime, format_decimal, format_money, format_price,
    format_wall_time, format_yes_no,
)
from .back import next_url, with_next
from .guard import is_id
from .integrity import RecordRefused, integrity_errors
from .lookup import lookup_name_for
from .scope import BuildingScopeFilter, scoped_get
from .widgets import OblikFormWidget

VIEW_METHOD_PERMISSIONS = {
    "list": "list", "show": "show", "add": "add", "edit": "edit", "delete": "delete",
    "download": "show", "action": "edit", "action_post": "edit",
}
API_METHOD_PERMISSIONS = {
    "get_list": "list", "get": "show", "post": "add", "put": "edit", "delete": "delete",
    "info": "list", "related": "list", "distinct": "list",
}


def dependants(session, item) -> list[tuple[str, int]]:
    """(table, count) of rows that refer to ``item`` by a foreign key."""
    table = item.__table__
    found = []
    for other in table.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table and other.name not in ("ab_user",):
                count = session.scalar(
                    select(func.count()).select_from(other).where(fk.parent == item.id)
                )
                if count:
                    found.append((other.name, count))
    return found


TABLE_LABELS = {
    "premise": _l("Premises"), "account": _l("Personal accounts"), "meter": _l("Meters"),
    "reading": _l("Meter readings"), "registration": _l("Registrations"),
    "account_service": _l("Account services"), "beneficiary": _l("Beneficiaries"),
    "tariff": _l("Price lists"), "norm": _l("Consumption norms"), "journal_entry": _l("Journal entries"),
    "payment": _l("Payments"), "subsidy": _l("Subsidies"), "building": _l("Buildings"),
    "network_node": _l("Network nodes"), "meter_event": _l("Meter history"),
    "group_meter_premise": _l("Group metering"), "tariff_component": _l("Tariff components"),
    "inspector_building": _l("Inspector buildings"),
}


def dependants_message(found) -> str:
    parts = ", ".join(f"{TABLE_LABELS.get(name, name)}: {count}" for name, count in found)
    return _("The record cannot be deleted: other records refer to it (%(parts)s)", parts=parts)


def _refusals() -> tuple:
    """The exceptions by which a service refuses a record with a message for the user (any
    other exception is a bug: logged, a 500 — never flashed as if it were a rule); a busy
    SQLite database is «try again», told the same way."""
    from ..services.ledger import LedgerError

    return (ValueError, LedgerError, concurrency.DatabaseBusy)


class ModelFormMixin:
    """Generates the form fields and list formatters of a model view from its columns."""

    choice_columns: dict = {}

    def _auto_fields(self, columns, search=False):
        fields = {}
        for col in columns:
            label = self.label_columns.get(col, col)
            if self.datamodel.is_relation_many_to_one(col):
                rel_model = self.datamodel.get_related_model(col)
                required = _relation_required(self.datamodel.obj, col)
                fields[col] = AjaxSelectField(
                    label, validators=[InputRequired()] if required and not search else [Optional()],
                    lookup=lookup_name_for(rel_model), model=rel_model,
                )
            elif self.datamodel.is_boolean(col) and not search:
                # a checkbox left unticked is «no», never a missing value (FAB would require it)
                fields[col] = BooleanField(label, description=(self.description_columns or {}).get(col, ""))
            elif col in self.choice_columns:
                required = not self.datamodel.is_nullable(col)
                fields[col] = ChoiceField(label, validators=[InputRequired()] if required and not search else [Optional()],
                                          choices=self.choice_columns[col])
            elif not search and _is_price(self.datamodel.obj, col):  # a price keeps its kopiyky: 38,50
                required = not self.datamodel.is_nullable(col)
                fields[col] = UkPriceField(label, validators=[InputRequired()] if required else [Optional()],
                                           description=(self.description_columns or {}).get(col, ""))
        return fields

    def _auto_formatters(self):
        formatters = {}
        mapper = sa_inspect(self.datamodel.obj)
        for column in mapper.columns:
            name = column.key
            if name in self.choice_columns:
                choices = self.choice_columns[name]
                formatters[name] = choices.label
            elif self.datamodel.is_datetime(name):  # a stamp in Kyiv time; a typed-in moment as typed
                formatters[name] = format_wall_time if name in WALL_TIME_COLUMNS else format_datetime
            elif self.datamodel.is_date(name):
                formatters[name] = format_date
            elif self.datamodel.is_boolean(name):
                formatters[name] = format_yes_no
            elif self.datamodel.is_numeric(name) or self.datamodel.is_float(name):
                formatters[name] = (format_money if _is_money(column.type)
                                    else format_price if column.type is PRICE else format_decimal)
            else:
                formatters[name] = format_blank
        for relation in mapper.relationships:
            formatters[relation.key] = format_blank
        formatters.update(self.formatters_columns or {})
        self.formatters_columns = formatters


class VersionField(HiddenField):
    """The row version the edit form was opened with (:mod:`app.services.concurrency`):
    compared on save, never written into the record (the ORM moves the version on)."""

    def populate_obj(self, obj, name):
        pass


def _is_price(model, name) -> bool:
    column = sa_inspect(model).columns.get(name)
    return column is not None and column.type is PRICE


def _is_money(column_type) -> bool:
    return is_money(column_type)


def _relation_required(model, relation):
    prop = sa_inspect(model).relationships[relation]
    return all(not c.nullable for c in prop.local_columns)


# An unfiltered list of a PostgreSQL table at least this big gets the planner's row estimate
# for its pager instead of an exact count(*) (a parallel scan of 2 M readings: ≈ 200 ms).
ESTIMATE_COUNT_FROM = 100_000

_PG_ROW_ESTIMATE = text(
    # What the planner itself assumes: rows per page at the last ANALYZE × the pages now.
    "SELECT CASE WHEN c.relpages > 0 AND c.reltuples >= 0"
    " THEN c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int)"
    " ELSE c.reltuples END"
    " FROM pg_class c WHERE c.oid = to_regclass(:table)"
)


class OblikInterface(SQLAInterface):
    """FAB's data interface with cheaper counts for big tables:

    * the REST API counts without the outer joins of its dotted many-to-one columns
      (``meter.serial`` of a reading): such a join cannot change the number of rows;
    * with ``estimate_count`` (list screens), an unfiltered list of a PostgreSQL table of at
      least ``ESTIMATE_COUNT_FROM`` rows takes its pager count from the planner's estimate —
      made exact when the page shows that the estimate is short (a page past it, or the last
      page). Any WHERE (a search, an inspector's building scope) keeps the exact count, and so
      does SQLite.
    """

    def __init__(self, obj, session=None, estimate_count=False):
        super().__init__(obj, session)
        self.estimate_count = estimate_count

    @classmethod
    def of(cls, datamodel, **options):
        """A view's own ``OblikInterface`` of the model of ``datamodel`` (the view class's
        ``SQLAInterface``); another interface class is kept as it is."""
        if type(datamodel) not in (SQLAInterface, cls):
            return datamodel
        return cls(datamodel.obj, datamodel._session, **options)

    def _count_query(self, query, filters=None, select_columns=None):
        if select_columns and self._joins_only_to_one(select_columns):
            select_columns = None
        return self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})

    def _joins_only_to_one(self, select_columns) -> bool:
        """True if every dotted column joins a many-to-one relation on the related primary
        key (FAB joins it LEFT OUTER: at most one row per row, never none)."""
        relationships = sa_inspect(self.obj).relationships
        for column in select_columns:
            if not is_column_dotted(column):
                continue
            root = get_column_root_relation(column)
            prop = relationships.get(root)
            if prop is None or prop.direction.name != "MANYTOONE" or prop.secondary is not None:
                return False
            if set(prop.remote_side) != set(prop.mapper.local_table.primary_key.columns):
                return False
        return True

    # --- ids and writes the database would refuse -------------------------------------------
    def get(self, id, filters=None, select_columns=None, outer_default_load=False):
        """The record ``id``; None (404) for what cannot be an id (``abc``, a number past
        the widest integer), which the database would refuse instead of finding nothing."""
        if not self.is_pk_composite() and not is_id(id):
            return None
        return super().get(id, filters, select_columns, outer_default_load)

    def _write(self, method, item, commit=True):
        try:
            return _busy_raised(method, item, commit)
        except IntegrityError as error:  # FAB has rolled back
            raise RecordRefused(integrity_errors(error, item, self.session)) from error
        except Exception as error:  # noqa: BLE001 — FAB wraps it (DatabaseException): re-raised unless an IntegrityError
            cause = error.__cause__
            if isinstance(cause, IntegrityError):
                raise RecordRefused(integrity_errors(cause, item, self.session)) from error
            raise

    def add(self, item, commit=True):
        return self._write(super().add, item, commit)

    def edit(self, item, commit=True):
        return self._write(super().edit, item, commit)

    def delete(self, item, commit=True):
        try:
            return self._write(super().delete, item, commit)
        except RecordRefused as refused:  # a row that refers to it appeared since pre_delete
            raise RecordRefused([FieldError("id", _("The record cannot be deleted: other records refer to it"))]) from refused

    def query_count(self, query, filters=None, select_columns=None) -> int:
        count_query = self._count_query(query, filters, select_columns)
        estimate = self.row_estimate(count_query) if self.estimate_count else None
        if estimate is not None:
            return _Estimate(estimate, count_query)
        return count_query.count()

    def row_estimate(self, count_query) -> int | None:
        """The planner's row count of the model's table if ``count_query`` counts the whole
        table (no WHERE, no join) on PostgreSQL and it is big enough to be worth it; else
        None (count exactly)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return None
        stmt = count_query.statement
        table = self.obj.__table__
        froms = stmt.get_final_froms()
        if (stmt.whereclause is not None or len(froms) != 1 or froms[0] is not table
                or stmt._group_by_clauses or stmt._having_criteria or stmt._distinct
                or stmt._limit_clause is not None or stmt._offset_clause is not None):
            return None
        name = f"{table.schema}.{table.name}" if table.schema else table.name
        estimate = self.session.scalar(_PG_ROW_ESTIMATE, {"table": name})
        if estimate is None or estimate < ESTIMATE_COUNT_FROM:
            return None
        return int(round(estimate))

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        count, result = super().query(filters, order_column, order_direction, page, page_size,
                                      select_columns, outer_default_load)
        if isinstance(count, _Estimate):  # made exact where the page shows it may be short
            offset = page * page_size if page and page_size else 0
            if not page_size or 0 < len(result) < page_size or (not result and not offset):
                count = offset + len(result)  # the last page: exact
            elif not result or count <= offset + page_size:
                count = count.count_query.count()  # at or past the estimated end
            else:
                count = int(count)
        return count, result


def _busy_raised(method, *args):
    """FAB's write with SQLite's «database is locked» raised as
    :class:`~app.services.concurrency.DatabaseBusy` (FAB's API answers any database error as a
    422 with the driver's English text)."""
    try:
        return method(*args)
    except Exception as error:
        if concurrency.is_busy(error):
            raise concurrency.DatabaseBusy(concurrency.busy_message()) from error
        raise


class _Estimate(int):
    """A pager count taken from the planner's estimate, with the query that counts exactly."""

    def __new__(cls, value: int, count_query):
        obj = super().__new__(cls, value)
        obj.count_query = count_query
        return obj


class OblikModelView(ModelFormMixin, ModelView):
    """A CRUD screen of one resource (``class_permission_name``).

    Added or edited from a card's tab (a service on the account card: FAB links
    ``/accountserviceview/add?_flt_0_account=5``), the form shows the parent's field filled
    in with the card's record — a field like any other, posted by the browser, checked by the
    same rules and with its error beside it. (FAB itself leaves the parent out of the form
    and fills it in on the POST without its raw value, so the required parent failed its check
    and the form came back with no message and nothing saved.)"""

    method_permission_name = VIEW_METHOD_PERMISSIONS
    base_filters = [["id", BuildingScopeFilter, None]]
    page_size = 25
    list_template = "oblik/list.html"  # FAB's, with the search box of ``quick_search_hint``
    show_template = "oblik/show.html"  # FAB's, with the «Історія змін» tab
    show_history = True  # the card's tab of the record's audit log (if its table is audited)
    add_widget = OblikFormWidget
    edit_widget = OblikFormWidget

    def __init__(self, **kwargs):
        datamodel = kwargs.pop("datamodel", None) or self.datamodel
        self.datamodel = OblikInterface.of(datamodel, estimate_count=True)
        super().__init__(**kwargs)

    def _init_forms(self):
        self.add_form_extra_fields = {**self._auto_fields(self.add_columns or []),
                                      **(self.add_form_extra_fields or {})}
        self.edit_form_extra_fields = {**self._auto_fields(self.edit_columns or []),
                                       **(self.edit_form_extra_fields or {})}
        # Search filters on a related column use the same search-as-you-type picker.
        self.search_form_extra_fields = {**self._auto_fields(self.search_columns or [], search=True),
                                         **(self.search_form_extra_fields or {})}
        self._auto_formatters()
        super()._init_forms()
        if is_versioned(self.datamodel.obj):  # rendered by the form's hidden_tag()
            self.edit_form = type(self.edit_form.__name__, (self.edit_form,), {"version": VersionField()})

    def _get_show_widget(self, pk, item, **kwargs):
        widgets = super()._get_show_widget(pk, item, **kwargs)
        table = self.datamodel.obj.__table__.name
        if self.show_history and table in AUDITED:
            from .audit import history

            widgets["history"] = history(table, int(pk))
        widgets["edit_url"] = self._card_edit_url(pk)
        return widgets

    def _card_edit_url(self, pk) -> str | None:
        """The card's «Редагувати»: the edit form, back to this card when saved (None: the user
        may not edit, or the screen has no edit form)."""
        if "can_edit" not in (self.base_permissions or ()) or "edit" in self.exclude_route_methods or (
                self.include_route_methods is not None and "edit" not in self.include_route_methods):
            return None  # a screen without editing (payments are facts)
        if not self.appbuilder.sm.has_access("can_edit", self.class_permission_name):
            return None
        card = url_for(f"{type(self).__name__}.show", pk=pk)
        return with_next(url_for(f"{type(self).__name__}.edit", pk=pk), card)

    # --- back to the card the form was opened from (app/views/back.py) --------------------
    def _back(self):
        default = self.get_redirect()  # FAB's page history, kept in step
        return redirect(next_url() or default)

    def post_add_redirect(self):
        return self._back()

    def post_edit_redirect(self):
        return self._back()

    def post_delete_redirect(self):
        return self._back()

    # --- domain validation on the forms -------------------------------------------------
    def _attach_errors(self, form, item) -> bool:
        errors = validate(db.session, item)
        self._show_errors(form, errors)
        return bool(errors)

    def _show_errors(self, form, errors) -> None:
        """Each message beside its field; one without a field on the form, flashed."""
        for error in errors:
            field = form._fields.get(error.field) or form._fields.get(error.field.removesuffix("_id"))
            if field is not None:
                field.errors = list(field.errors) + [error.message]
            else:
                flash(error.message, "danger")

    # --- the card a form was opened from ------------------------------------------------
    def _parents(self) -> dict:
        """{relation: id} of the card whose tab opened this form (``?_flt_0_account=5``)."""
        found = {}
        for flt, value in self._filters.get_filters_values():
            if isinstance(flt, FilterRelationOneToManyEqual):
                value = value[0] if isinstance(value, (list, tuple)) and value else value
                if value not in (None, ""):
                    found[flt.column_name] = value
        return found

    def _prefill_parents(self, form) -> None:
        """Fill the parent's field of a new record from the card (same scope as a posted id:
        an inspector's foreign meter is no choice), then :meth:`prefill_add`."""
        for name, value in self._parents().items():
            field = form._fields.get(name)
            if field is None or field.data is not None:
                continue
            try:
                field.process_formdata([str(value)])
            except ValueError as error:
                field.errors = [error.args[0]]
        self.prefill_add(form)

    def prefill_add(self, form) -> None:
        """Override to fill in more of a new record's form from what is already chosen."""

    def _add(self):
        is_valid_form = True
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = []  # the parent is shown, filled in (see the class docstring)
        form = self.add_form.refresh()
        if request.method != "POST":
            self._prefill_parents(form)
        if request.method == "POST":
            if form.validate():
                self.process_form(form, True)
                item = self.datamodel.obj()
                with db.session.no_autoflush:
                    form.populate_obj(item)
                    invalid = self._attach_errors(form, item)
                if invalid:
                    if item in db.session:
                        db.session.expunge(item)
                    is_valid_form = False
                else:
                    try:
                        self.pre_add(item)
                        self.datamodel.add(item)
                        self.post_add(item)
                        flash(self.add_row_message, "success")
                        return None
                    except RecordRefused as refused:  # the database refused: beside the field
                        db.session.rollback()
                        self._show_errors(form, refused.errors)
                        is_valid_form = False
                    except _refusals() as e:  # a rule of pre_add: its message
                        db.session.rollback()
                        message = concurrency.busy_message() if concurrency.is_busy(e) else \
                            _("The record was not saved: %(error)s", error=_short(e))
                        flash(message, "danger")
                        is_valid_form = False
            else:
                is_valid_form = False
        if is_valid_form:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        is_valid_form = True
        pages = get_page_args()
        page_sizes = get_page_size_args()
        orders = get_order_args()
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = []  # the parent is shown with the record's value (see the class docstring)
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            form._id = pk
            stale = self._stale(form, item)
            if stale:  # another user saved the record since this form was opened
                db.session.rollback()
                item = self.datamodel.get(pk, self._base_filters)
                flash(stale, "danger")
                form = self.edit_form(formdata=None, obj=item)  # the current values and version, not the post
                self.prefill_form(form, pk)
            elif form.validate():
                self.process_form(form, False)
                with db.session.no_autoflush:
                    form.populate_obj(item)
                    invalid = self._attach_errors(form, item)
                if invalid:
                    db.session.rollback()
                    item = self.datamodel.get(pk, self._base_filters)
                    is_valid_form = False
                else:
                    try:
                        self.pre_update(item)
                        self._save_edit(item)
                        self.post_update(item)
                        flash(self.edit_row_message, "success")
                        return None
                    except concurrency.StaleEdit as e:  # the other save came between the check and ours
                        db.session.rollback()
                        item = self.datamodel.get(pk, self._base_filters)
                        flash(str(e), "danger")
                        form = self.edit_form(formdata=None, obj=item)
                        self.prefill_form(form, pk)
                    except RecordRefused as refused:  # the database refused: beside the field
                        db.session.rollback()
                        item = self.datamodel.get(pk, self._base_filters)
                        self._show_errors(form, refused.errors)
                        is_valid_form = False
                    except _refusals() as e:  # a rule of pre_update: its message
                        db.session.rollback()
                        item = self.datamodel.get(pk, self._base_filters)
                        message = concurrency.busy_message() if concurrency.is_busy(e) else \
                            _("The record was not saved: %(error)s", error=_short(e))
                        flash(message, "danger")
                        is_valid_form = False
            else:
                is_valid_form = False
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        widgets = self._get_related_views_widgets(item, filters={}, orders=orders, pages=pages,
                                                  page_sizes=page_sizes, widgets=widgets)
        if is_valid_form:
            self.update_redirect()
        return widgets

    def _stale(self, form, item) -> str | None:
        """The refusal of a form opened on an older version of ``item`` (None: it is current)."""
        field = form._fields.get("version")
        if field is None:
            return None
        try:
            concurrency.check_version(item, concurrency.read_version(field.data))
        except ValueError:
            return concurrency.bad_version_message(field.data)
        except concurrency.StaleEdit as stale:
            return str(stale)
        return None

    def _save_edit(self, item):
        """FAB's ``datamodel.edit`` with the ORM's version check (the other save came between
        :meth:`_stale` and this ``UPDATE``) turned into :class:`~app.services.concurrency.StaleEdit`."""
        try:
            self.datamodel.edit(item)
        except Exception as error:
            if concurrency.is_stale(error):
                raise concurrency.StaleEdit(concurrency.stale_message(None)) from None
            raise

    def pre_delete(self, item):
        found = dependants(db.session, item)
        if found:
            raise ValueError(dependants_message(found))

    # The one search box at the top of the list (``?q=``, :mod:`app.services.search`): a
    # screen whose model has a search shows it; FAB's filters («Додати фільтр») stay below.
    quick_search_hint = None  # the box's placeholder: what it finds

    def _main_list(self, filters) -> bool:
        return filters is self._filters and request.endpoint == f"{type(self).__name__}.list"

    def searched_filters(self, filters):
        """The list's filters as FAB reads them (:func:`typed_filters`) with the search box's
        words (the main list only): what the page shows — and what its totals count."""
        main_list = self._main_list(filters)
        filters = typed_filters(self.datamodel, filters)
        if main_list and self.quick_search_hint is not None:
            typed = quick_search_text()
            if typed:
                filters.add_filter("id", QuickSearchFilter, typed)
        return filters

    def _get_list_widget(self, filters, **kwargs):
        main_list = self._main_list(filters)
        widgets = super()._get_list_widget(self.searched_filters(filters), **kwargs)
        if main_list and self.quick_search_hint is not None:
            widgets["quick_search"] = {"text": quick_search_text(), "hint": self.quick_search_hint}
        return widgets

    # FAB's ``/download/<filename>`` serves uploaded files of File columns; Oblik has none, so
    # the route is not registered (an attribute without ``@expose``).
    def download(self, filename):
        abort(404)


def quick_search_text() -> str:
    """The list's search box as typed (``?q=``), at most :data:`~app.services.search.MAX_TEXT` characters."""
    from ..services.search import MAX_TEXT

    return (request.args.get("q") or "").strip()[:MAX_TEXT]


class QuickSearchFilter(BaseFilter):
    """FAB's filter of the search box: every word of the value matches the record
    (:func:`app.services.search.condition`); РНОКПП only for who may see personal data."""

    name = "Search"

    def apply(self, query, value):
        from ..security import may_see_personal_data
        from ..services import search

        condition = search.condition(self.model, value, may_see_personal_data())
        return query if condition is None else query.filter(condition)


def typed_value(datamodel, column, value):
    """A search value as typed on a Ukrainian screen (``01.11.2026``, ``10,5``) in the form
    FAB's filters read (ISO date, a decimal with a point); the value itself for a text column;
    None if a date or number column gets no date or number."""
    from ..billing.money import parse_decimal
    from ..billing.periods import parse_date

    if not isinstance(value, str) or not value.strip():
        return value
    try:
        if datamodel.is_date(column) or datamodel.is_datetime(column):
            return parse_date(value).isoformat()
        if datamodel.is_numeric(column) or datamodel.is_float(column):
            number = parse_decimal(value)
            return str(number) if number.is_finite() and abs(number) < 10**15 else None
    except (ValueError, ArithmeticError):
        return None
    return value


def typed_filters(datamodel, filters):
    """The search values made unambiguous for FAB's filters, which parse a date with dateutil
    month first (01.11.2026 would find 11 January) and compare a decimal with a comma as text
    (finding nothing); a value that is no date or number was refused by ``guard.check_filter``."""

    def typed(column, value):
        found = typed_value(datamodel, column, value)
        return value if found is None else found

    result = filters.copy()
    result.values = [[typed(flt.column_name, v) for v in value] if isinstance(value, list)
                     else typed(flt.column_name, value)
                     for flt, value in zip(result.filters, result.values)]
    return result


def _short(error) -> str:
    """The first line of a rule's message (a refusal of ``pre_add``/``pre_update``)."""
    lines = str(error).splitlines()
    return lines[0][:300] if lines and lines[0].strip() else _("the record breaks a rule")


def _screen_labels(model) -> dict:
    """The field labels of the screen of ``model`` (registered before its API), if it has one."""
    from flask import current_app

    for view in getattr(getattr(current_app, "appbuilder", None), "baseviews", []):
        if isinstance(view, OblikModelView) and getattr(view.datamodel, "obj", None) is model:
            return dict(view.label_columns or {})
    return {}


class OblikApi(ModelRestApi):
    """The REST API of one resource, with the same permissions, scope and validation as its
    screen."""

    method_permission_name = API_METHOD_PERMISSIONS
    model2schemaconverter = api_schema_converter()  # numbers read as the forms read them
    base_filters = [["id", BuildingScopeFilter, None]]
    allow_browser_login = True
    page_size = 50
    max_page_size = 100

    def __init__(self):
        # Exact counts (an API client may page by them), counted without to-one joins.
        self.datamodel = OblikInterface.of(self.datamodel)
        # the fields' names of ``_info`` and of the list's ``label_columns``: the screens' Ukrainian
        # ones (FAB would make «Common Area» of ``common_area``); an own copy, FAB adds to it
        from .labels import LABELS

        labels = {**LABELS, **_screen_labels(self.datamodel.obj), "version": _l("Row version"),
                  **(self.label_columns or {})}
        for column in {*(self.list_columns or []), *(self.show_columns or [])}:
            head, _dot, tail = column.rpartition(".")
            if head and column not in labels and head.split(".")[-1] in labels and tail in labels:
                labels[column] = f"{labels[head.split('.')[-1]]}: {labels[tail]}"  # «Вузол мережі: ID»
        self.label_columns = labels
        super().__init__()

    def __init_subclass__(cls, **kwargs):
        """A versioned record's list and show fields end with ``version`` (the row version a
        client sends back to save: :meth:`put_headless`)."""
        super().__init_subclass__(**kwargs)
        datamodel = cls.__dict__.get("datamodel")
        if datamodel is not None and is_versioned(datamodel.obj):
            for name in ("list_columns", "show_columns"):
                columns = cls.__dict__.get(name)
                if columns and "version" not in columns:
                    setattr(cls, name, [*columns, "version"])

    def _init_properties(self):
        super()._init_properties()
        scope = [["id", BuildingScopeFilter, None]]
        for col in set(self.add_columns or []) | set(self.edit_columns or []):
            if self.datamodel.is_relation(col):
                self.add_query_rel_fields.setdefault(col, scope)
                self.edit_query_rel_fields.setdefault(col, scope)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        if not self.description_columns.get(field.name):
            info["description"] = ""  # FAB translates "", which is the catalogue's header
        return info

    def _refuse(self, errors):
        messages = {}
        for error in errors:
            messages.setdefault(error.field, []).append(error.message)
        abort(self.response_422(message=messages))

    def _check(self, item):
        errors = []
        mapper = sa_inspect(type(item))
        for rel in mapper.relationships:
            if rel.direction.name != "MANYTOONE":
                continue
            target = getattr(item, rel.key)
            with db.session.no_autoflush:
                if target is not None and scoped_get(db.session, type(target), target.id) is None:
                    errors.append(FieldError(rel.key, _("Not a valid choice")))
        if not errors:  # an unknown or foreign id is a bare placeholder: nothing to validate on it
            errors.extend(validate(db.session, item))
        if errors:
            db.session.rollback()
            self._refuse(errors)

    # FAB's ``@safe`` turns any exception raised by pre_add/pre_update/pre_delete into a 500;
    # answer the prepared response of ``abort(response)`` (the 422 of ``_refuse``) instead,
    # and a write the database refused as a 422 naming its field.
    def post_headless(self):
        return self._answered(super().post_headless)

    def get_headless(self, pk, **kwargs):
        return _with_etag(super().get_headless(pk, **kwargs))

    def put_headless(self, pk):
        """The version the client saw — ``If-Match: "3"`` or ``"version": 3`` in the body —
        is taken out of the body (it is not a field the client sets) and checked by
        :meth:`pre_update`; none sent: saved without the check."""
        g.oblik_seen_version = None
        if is_versioned(self.datamodel.obj):
            body = request.get_json(silent=True)
            sent = body.pop("version", None) if isinstance(body, dict) else None
            header = request.headers.get("If-Match")
            try:
                g.oblik_seen_version = concurrency.read_version(sent if sent is not None else header)
            except ValueError:
                return self.response_422(message={"version": [concurrency.bad_version_message(sent or header)]})
        g.oblik_saved_version = None
        return _with_etag(self._answered(super().put_headless, pk), g.oblik_saved_version)

    def post_update(self, item):
        super().post_update(item)
        if is_versioned(type(item)):
            g.oblik_saved_version = item.version  # the answer's ETag

    def delete_headless(self, pk):
        return self._answered(super().delete_headless, pk)

    def _answered(self, method, *args):
        try:
            return _answered(method, *args)
        except RecordRefused as refused:
            messages = {}
            for error in refused.errors:
                messages.setdefault(error.field, []).append(error.message)
            return self.response_422(message=messages)

    # PUT and DELETE of a record by an integer id, as GET is: FAB routes them by ``<pk>``, so
    # ``PUT /api/v1/building/abc`` answered 405 (GET's route is ``<int:pk>``) — now 404.
    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk):
        return self.put_headless(pk)

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, pk):
        return self.delete_headless(pk)

    put.__doc__ = ModelRestApi.put.__doc__
    delete.__doc__ = ModelRestApi.delete.__doc__

    def pre_add(self, item):
        self._check(item)

    def pre_update(self, item):
        self._check(item)
        self._check_version(item)

    def _check_version(self, item):
        """Refuse (409) a save from an older version than the record's; the ``UPDATE`` is
        flushed here under the ORM's version check, so a save that came in between is
        refused too, and the row stays locked until this request commits."""
        try:
            concurrency.check_version(item, g.get("oblik_seen_version"))
            db.session.flush()
        except concurrency.StaleEdit as stale:
            db.session.rollback()
            abort(self.response(409, message=str(stale)))
        except IntegrityError as error:  # the flush met a UNIQUE, CHECK…: told as its field (422)
            db.session.rollback()
            raise RecordRefused(integrity_errors(error, item, db.session)) from error
        except Exception as error:
            if concurrency.is_busy(error):
                db.session.rollback()
                raise concurrency.DatabaseBusy(concurrency.busy_message()) from error
            if not concurrency.is_stale(error):
                raise
            db.session.rollback()
            abort(self.response(409, message=concurrency.stale_message()))

    def pre_delete(self, item):
        found = dependants(db.session, item)
        if found:
            abort(self.response_422(message=dependants_message(found)))


def _answered(method, *args):
    try:
        return method(*args)
    except HTTPException as refused:
        if refused.response is None:
            raise
        return refused.response
    except concurrency.DatabaseBusy as busy:
        db.session.rollback()
        return ModelRestApi.response(503, message=str(busy))


def _with_etag(response, version=None):
    """``ETag: "<version>"`` on the answer about one versioned record (send it back as
    ``If-Match`` to save): the version saved, else the one in the answer."""
    if getattr(response, "status_code", None) != 200 or not response.is_json:
        return response
    if version is None:
        result = (response.get_json(silent=True) or {}).get("result")
        version = result.get("version") if isinstance(result, dict) else None
    if isinstance(version, int):
        response.set_etag(str(version))
    return response


def model_interface(model):
    return OblikInterface(model)


def _visible(views):
    from ..extensions import current_appbuilder

    sm = current_appbuilder().sm
    return [v for v in views if sm.has_access("can_list", v.class_permission_name)]


def _related_visibility(cls):
    """Related views (tabs on a card) appear only to users allowed to list them."""

    def _get_related_views_widgets(self, item, orders=None, pages=None, page_sizes=None, widgets=None, **args):
        widgets = widgets or {}
        widgets["related_views"] = []
        for view in _visible(self._related_views):
            order_column, order_direction = orders.get(view.__class__.__name__) or ("", "")
            widgets["related_views"].append(self._get_related_view_widget(
                item, view, order_column, order_direction,
                page=pages.get(view.__class__.__name__),
                page_size=page_sizes.get(view.__class__.__name__)))
        return widgets

    def render_template(self, template, **kwargs):
        if "related_views" in kwargs:
            kwargs["related_views"] = _visible(kwargs["related_views"])
        return ModelView.render_template(self, template, **kwargs)

    cls._get_related_views_widgets = _get_related_views_widgets
    cls.render_template = render_template
    return cls


_related_visibility(OblikModelView)
