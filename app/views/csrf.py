"""CSRF for the hand-written POST screens (Розрахунок, Імпорт): Flask-AppBuilder's model views
check their forms' tokens themselves; these screens post plain HTML forms, so the token is
checked here — once, for both."""
from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError


def check_csrf() -> None:
    """Refuse (400, in Ukrainian) a POST whose form has no valid token."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.form.get("csrf_token"))
        except (ValidationError, CSRFError):
            abort(400, _("The form has expired: open the page again"))
