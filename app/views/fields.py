"""Form fields that speak Ukrainian: ``дд.мм.рррр`` dates, decimal commas, and related-record
pickers that search the server as you type instead of loading a whole table."""
import math
from decimal import Decimal

from flask import url_for
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.forms import FieldConverter
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import Field, StringField
from wtforms.widgets import TextInput
from wtforms.validators import ValidationError

from ..billing.money import parse_decimal
from ..billing.periods import parse_date
from .formatting import format_date, format_decimal, format_price


class UkDateWidget(BS3TextFieldWidget):
    def __call__(self, field, **kwargs):
        # BS3TextFieldWidget would overwrite the class and put the label as the placeholder.
        kwargs["placeholder"] = "дд.мм.рррр"
        kwargs.setdefault("autocomplete", "off")
        kwargs["class"] = "form-control oblik-date"
        return TextInput.__call__(self, field, **kwargs)


class UkDateField(Field):
    """A date typed as ``дд.мм.рррр`` (ISO accepted too)."""

    widget = UkDateWidget()

    def __init__(self, label=None, validators=None, format=None, **kwargs):
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return format_date(self.data)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_date(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Not a valid date: use дд.мм.рррр"))


class UkDateTimeWidget(BS3TextFieldWidget):
    def __call__(self, field, **kwargs):
        kwargs["placeholder"] = "дд.мм.рррр гг:хх"
        kwargs.setdefault("autocomplete", "off")
        kwargs["class"] = "form-control oblik-datetime"
        return TextInput.__call__(self, field, **kwargs)


class UkDateTimeField(Field):
    """A date and time typed as ``дд.мм.рррр гг:хх`` (the time may be left out: 00:00)."""

    widget = UkDateTimeWidget()

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return f"{self.data:%d.%m.%Y %H:%M}" if self.data else ""

    def process_formdata(self, valuelist):
        from datetime import datetime, time

        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        day, _sep, clock = text.replace("T", " ").partition(" ")
        try:
            moment = datetime.strptime(clock.strip()[:5], "%H:%M").time() if clock.strip() else time(0, 0)
            self.data = datetime.combine(parse_date(day), moment)
        except ValueError:
            self.data = None
            raise ValueError(_l("Not a valid date and time: use дд.мм.рррр гг:хх"))


class UkDecimalField(Field):
    """A decimal typed with a comma or a point."""

    widget = BS3TextFieldWidget()

    def __init__(self, label=None, validators=None, places=None, rounding=None, **kwargs):
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_decimal(self.data)

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = parse_decimal(str(valuelist[0]))
        except ValueError:
            self.data = None
            raise ValueError(_l("Not a valid number"))


class UkIntegerField(UkDecimalField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            if self.data != self.data.to_integral_value():
                self.data = None
                raise ValueError(_l("A whole number is required"))
            self.data = int(self.data)


class AjaxSelectWidget:
    """A ``<select>`` holding only the chosen option; select2 fetches the rest from
    ``/lookup/<name>`` page by page as the user types (see static/oblik.js)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        url = url_for("LookupView.lookup", name=field.lookup)
        options = ['<option value=""></option>']
        if field.data is not None:
            from .lookup import option_label

            label = option_label(field.lookup, field.data)  # as the picker shows it
            options.append(f'<option value="{field.data.id}" selected>{escape(label)}</option>')
        return Markup(
            f'<select class="form-control oblik-ajax" name="{escape(field.name)}" id="{escape(kwargs["id"])}"'
            f' data-url="{escape(url)}" data-placeholder="{escape(str(_l("Start typing to search")))}"'
            f' data-allow-clear="{"false" if field.flags.required else "true"}">'
            + "".join(options) + "</select>"
        )


class AjaxSelectField(Field):
    """A related record chosen by id; the lookup applies the same role and building scope
    as the lists, and so does ``pre_validate`` for ids typed by hand."""

    widget = AjaxSelectWidget()

    def __init__(self, label=None, validators=None, lookup=None, model=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.lookup = lookup
        self.model = model

    def _value(self):
        return str(self.data.id) if self.data is not None else ""

    def process_formdata(self, valuelist):
        from ..extensions import db
        from .scope import scoped_get

        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            pk = int(valuelist[0])
        except ValueError:
            raise ValueError(_l("Not a valid choice"))
        self.data = scoped_get(db.session, self.model, pk)
        if self.data is None:
            raise ValueError(_l("Not a valid choice"))

    def populate_obj(self, obj, name):
        setattr(obj, name, self.data)


class ChoiceField(StringField):
    """A code from a closed list (``app.models.choices``) shown by its label."""

    def __init__(self, label=None, validators=None, choices=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.choices_obj = choices
        self.widget = _ChoiceWidget()

    def iter_choices(self):
        for code, label in self.choices_obj:
            yield code, label, code == self.data

    def process_formdata(self, valuelist):
        value = valuelist[0] if valuelist else None
        self.data = value or None

    def pre_validate(self, form):
        if self.data and self.data not in self.choices_obj.codes:
            raise ValidationError(_l("Not a valid choice"))


class _ChoiceWidget:
    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        html = [f'<select class="form-control oblik-choice" name="{escape(field.name)}" id="{escape(kwargs["id"])}"'
                f' data-allow-clear="{"false" if field.flags.required else "true"}">']
        if not field.flags.required:
            html.append('<option value=""></option>')
        for code, label, selected in field.iter_choices():
            sel = " selected" if selected else ""
            html.append(f'<option value="{escape(code)}"{sel}>{escape(str(label))}</option>')
        html.append("</select>")
        return Markup("".join(html))


def install_converters():
    """Make FAB's model forms use these fields for dates and numbers."""
    table = []
    for marker, field, widget in FieldConverter.conversion_table:
        if marker == "is_date":
            field, widget = UkDateField, UkDateWidget
        elif marker in ("is_numeric", "is_float"):
            field, widget = UkDecimalField, BS3TextFieldWidget
        elif marker == "is_integer":
            field, widget = UkIntegerField, BS3TextFieldWidget
        table.append((marker, field, widget))
    FieldConverter.conversion_table = tuple(table)


# --- the REST API ------------------------------------------------------------------------


def _api_decimal_field():
    from marshmallow import fields as ma

    class ApiDecimal(ma.Decimal):
        """A number of the REST API read by the forms' parser: a JSON text such as ``"12,5"`` or
        ``"1 234,50"`` (``"1e3"``, ``"NaN"`` refused, as on a form), a JSON integer, or a JSON
        number with a fraction (read by its shortest decimal form: ``0.1`` is 0.1)."""

        def _format_num(self, value):
            if isinstance(value, bool):
                raise TypeError("a boolean is not a number")
            if isinstance(value, str):
                value = parse_decimal(value)
            elif isinstance(value, float):
                if not math.isfinite(value):
                    raise ValueError("not a finite number")
                value = Decimal(repr(value))
            return super()._format_num(value)

    return ApiDecimal


def _api_related_field():
    from marshmallow import ValidationError
    from marshmallow_sqlalchemy.fields import Related

    from .guard import is_id

    class ApiRelated(Related):
        """A related record of the REST API: its id, a whole number (``{"building": 5}``); an
        object, a text or a number past any id is no choice (422), never a lookup the
        database cannot make."""

        def _deserialize(self, value, *args, **kwargs):
            if not isinstance(value, int) or not is_id(value):
                raise ValidationError(str(_l("Not a valid choice: the id of a record (a whole number) is required")))
            return super()._deserialize(value, *args, **kwargs)

    return ApiRelated


def api_schema_converter():
    """FAB's model-to-schema converter with :class:`ApiDecimal` for every numeric column."""
    from flask_appbuilder.api.convert import Model2SchemaConverter
    from marshmallow import fields as ma

    api_decimal = _api_decimal_field()

    api_related = _api_related_field()

    class Converter(Model2SchemaConverter):
        def _column2field(self, datamodel, column, nested=True, parent_schema_name=None):
            field = super()._column2field(datamodel, column, nested=nested, parent_schema_name=parent_schema_name)
            if type(field) is ma.Decimal:
                field.__class__ = api_decimal  # the same field (places, required…), read by our parser
            elif type(field) is api_related.__bases__[0]:
                field.__class__ = api_related  # a related record given by its id only
            return field

    return Converter


class UkPriceField(UkDecimalField):
    """A price or tariff: shown with at least two places (``38,50``), as on every screen."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_price(self.data)


class SettingValueField(StringField):
    """A billing setting's value (stored as text, ``10.5``) shown and typed with a decimal
    comma (``10,5``); the model stores what is typed as the engine reads it."""

    widget = BS3TextFieldWidget()

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return format_setting_value(self.data)


def format_setting_value(value) -> str:
    """``10.5`` → ``10,5``; a text that is no number as it is."""
    if value is None:
        return ""
    try:
        return format_decimal(parse_decimal(str(value)))
    except ValueError:
        return str(value)
