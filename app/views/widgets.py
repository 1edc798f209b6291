"""The model form's widget: FAB's form, plus the errors of the fields it does not show.

FAB renders a hidden field (``HiddenField``, the CSRF token) with ``form.hidden_tag()`` and
leaves out the columns in ``exclude_cols`` — with their error messages. A form refused for
such a field came back with no message at all and nothing saved. Here every error of a field
not rendered in its row is listed at the top of the form, with the field's label."""
from flask_appbuilder.widgets import FormWidget


def _shown_columns(include_cols, exclude_cols, fieldsets) -> set:
    if fieldsets:
        columns = {name for _, spec in fieldsets for name in spec.get("fields", ())}
    else:
        columns = set(include_cols or ())
    return columns - set(exclude_cols or ())


def unshown_errors(form, include_cols=(), exclude_cols=(), fieldsets=None) -> list[tuple[str, list]]:
    """[(label, messages)] of the fields with errors that the form does not show beside them."""
    if form is None:
        return []
    shown = _shown_columns(include_cols, exclude_cols, fieldsets)
    found = []
    for field in form:
        if not field.errors:
            continue
        hidden = field.type in ("HiddenField", "CSRFTokenField") or field.id == "csrf_token"
        if hidden or field.name not in shown:
            messages = field.errors if isinstance(field.errors, (list, tuple)) else [field.errors]
            found.append((str(field.label.text), [str(m) for m in messages]))
    return found


class OblikFormWidget(FormWidget):
    template = "oblik/widgets/form.html"

    def __call__(self, **kwargs):
        args = {**self.template_args, **kwargs}
        kwargs["unshown_errors"] = unshown_errors(args.get("form"), args.get("include_cols"),
                                                  args.get("exclude_cols"), args.get("fieldsets"))
        return super().__call__(**kwargs)
