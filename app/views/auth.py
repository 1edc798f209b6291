"""Signing in and out, on the screens and the API — thin: the decisions are
``app.services.sessions`` (revocable sessions, idle expiry, failed sign-ins shared by every
process, lockouts) and ``app.services.users`` (the password policy).

``OblikSecurityManager`` is Flask-AppBuilder's security manager with:

* ``load_user`` — a session cookie is accepted only with the user's current session version
  and while not idle (one query: the user with the version);
* ``load_user_jwt`` — an API token likewise carries the version (claim ``sv``);
* ``auth_user_db`` — the only password check of the login screen and ``/api/v1/security/login``:
  refused while the account or the address is locked, every failure counted in the database;
* ``reset_password`` — a new password ends the user's sessions and tokens;
* the login screen, a logout that is a POST (GET shows a confirmation), the API's login
  answering 429 while locked, and the unlock of a lockout by an admin.
"""
import math

from flask import abort, flash, g, redirect, request, session
from flask_appbuilder import BaseView
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import has_access, no_cache
from flask_appbuilder.security.forms import LoginForm_db, ResetPasswordForm
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import (
    AuthDBView,
    ResetMyPasswordView,
    ResetPasswordView,
)
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_appbuilder.views import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from wtforms import PasswordField
from wtforms.validators import DataRequired

from ..security import role_of
from . import fab_screens
from ..services import sessions


def _blocked_message(blocked: sessions.LoginBlocked) -> str:
    minutes = max(1, math.ceil(blocked.seconds / 60))
    return _("Too many failed sign-ins: signing in is locked for %(minutes)d min; "
             "try again later or ask an administrator", minutes=minutes)


def _client_address() -> str | None:
    return request.remote_addr


# A browser where the user has signed in before carries a signed "known device" cookie for the
# username: there the account's lockout does not apply (the address's limit still does), so an
# attacker who keeps failing on the admin's account from elsewhere does not lock the admin out.
DEVICE_COOKIE = "oblik_device"
DEVICE_MAX_AGE = 90 * 24 * 3600


def _device_serializer():
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="oblik-known-device")


def _known_device(username: str | None) -> bool:
    value = request.cookies.get(DEVICE_COOKIE) if request else None
    if not value or not username:
        return False
    from itsdangerous import BadSignature

    try:
        names = _device_serializer().loads(value, max_age=DEVICE_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return False
    return isinstance(names, list) and username.strip().lower() in names


def _remember_device(response, username: str):
    from flask import current_app
    from itsdangerous import BadSignature

    names = []
    value = request.cookies.get(DEVICE_COOKIE)
    if value:
        try:
            names = [n for n in _device_serializer().loads(value, max_age=DEVICE_MAX_AGE) if isinstance(n, str)]
        except (BadSignature, ValueError, TypeError):
            names = []
    name = username.strip().lower()
    names = ([n for n in names if n != name] + [name])[-5:]
    response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps(names), max_age=DEVICE_MAX_AGE,
                        httponly=True, samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


class OblikAuthDBView(AuthDBView):
    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm_db()
        if form.validate_on_submit():
            next_url = get_safe_redirect(request.args.get("next", ""))
            try:
                user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            except sessions.LoginBlocked as blocked:
                flash(_blocked_message(blocked), "danger")
                page = self.render_template(self.login_template, title=self.title, form=form,
                                            appbuilder=self.appbuilder)
                return page, 429, {"Retry-After": str(blocked.seconds)}
            if not user:
                flash(as_unicode(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            login_user(user, remember=False)
            sessions.open_session(session, user.id)
            return _remember_device(redirect(next_url), form.username.data)
        return self.render_template(self.login_template, title=self.title, form=form,
                                    appbuilder=self.appbuilder)

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        """GET only asks (a link, an image or a prefetch must not sign anybody out); the
        POST of the menu's form (with its CSRF token) signs out and ends every session of the
        user — a cookie copied before stops working too."""
        if request.method == "GET":
            if g.user is None or not g.user.is_authenticated:
                return redirect(self.appbuilder.get_url_for_login)
            return self.render_template("oblik/logout.html", appbuilder=self.appbuilder,
                                        title=_("Sign out"))
        user = self._get_authenticated_user()
        if user is not None:
            sessions.bump_session_version(user.id)
        logout_user()
        session.pop(sessions.VERSION_KEY, None)
        session.pop(sessions.SEEN_KEY, None)
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(self.appbuilder.get_url_for_login)


class OblikResetPasswordForm(ResetPasswordForm):
    """FAB's form, with the policy told next to the field (FAB's text says nothing is checked)."""
    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters; not a common password; not your username"),
        validators=[DataRequired(), PasswordComplexityValidator()],
        widget=BS3PasswordFieldWidget(),
    )


class OblikResetMyPasswordView(ResetMyPasswordView):
    form = OblikResetPasswordForm
    class_permission_name = "ResetMyPasswordView"  # the rights of app/security.py stay FAB's names


class OblikResetPasswordView(ResetPasswordView):
    form = OblikResetPasswordForm
    class_permission_name = "ResetPasswordView"


class OblikSecurityApi(SecurityApi):
    @expose("/login", methods=["POST"])
    def login(self):
        """The JWT login, under the same lockouts as the screen (429 while locked)."""
        try:
            return super().login.__wrapped__(self)
        except sessions.LoginBlocked as blocked:
            response = self.response(429, message=_blocked_message(blocked))
            response.headers["Retry-After"] = str(blocked.seconds)
            return response

    # FAB's OpenAPI description of the login (its body and answers), plus the lockout's 429
    login.__doc__ = SecurityApi.login.__doc__.replace(
        "            500:\n", "            429:\n              description: Too many failed sign-ins, locked for a while\n"
        "            500:\n", 1)


class LoginLockView(BaseView):
    """An admin ends a lockout (the notice on every page of an admin lists them)."""
    route_base = "/loginlocks"
    default_view = "unlock"
    class_permission_name = "LoginLock"
    method_permission_name = {"unlock": "edit"}  # noqa: RUF012 (FAB reads it)

    @expose("/unlock/<int:pk>", methods=["POST"])
    @has_access
    def unlock(self, pk):
        if role_of(g.user) != "admin":
            abort(403)
        row = sessions.unlock(pk, by=g.user.username)
        if row is None:
            abort(404)
        flash(_("Sign-in unlocked: %(key)s", key=row.key), "info")
        return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                        else self.appbuilder.get_url_for_index)


class OblikSecurityManager(SecurityManager):
    authdbview = OblikAuthDBView
    resetmypasswordview = OblikResetMyPasswordView
    resetpasswordview = OblikResetPasswordView
    security_api = OblikSecurityApi
    # FAB's «User's Statistics» chart loads Google Charts from the internet and stays blank
    # offline (and under the CSP): no view, no menu entry. The home page draws its own charts.
    userstatschartview = None
    # FAB's screens of users, roles, groups and permissions, read in Ukrainian (app/views/fab_screens.py)
    userdbmodelview = fab_screens.OblikUserDBModelView
    rolemodelview = fab_screens.OblikRoleModelView
    groupmodelview = fab_screens.OblikUserGroupModelView
    permissionmodelview = fab_screens.OblikPermissionModelView
    viewmenumodelview = fab_screens.OblikViewMenuModelView
    permissionviewmodelview = fab_screens.OblikPermissionViewModelView

    def load_user(self, pk):
        user, version = sessions.user_and_version(self.user_model, int(pk))
        if user is None or not user.is_active:
            return None
        problem = sessions.session_problem(session, version)
        if problem:
            session.clear()
            flash(_("Your session has ended: sign in again") if problem == "revoked"
                  else _("You were signed out after a long time without activity: sign in again"), "warning")
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        user, version = sessions.user_and_version(self.user_model, int(jwt_data["sub"]))
        if user is None or not user.is_active or jwt_data.get(sessions.TOKEN_CLAIM) != version:
            return None
        g.user = user
        return user

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)

        @jwt_manager.additional_claims_loader
        def _session_version(identity):
            return {sessions.TOKEN_CLAIM: sessions.session_version(int(identity))}

        return jwt_manager

    def auth_user_db(self, username, password):
        address = _client_address()
        throttled = current_config("LOGIN_THROTTLE_ENABLED", True)
        # on a known device only the address counts (see DEVICE_COOKIE)
        account = None if _known_device(username) else username
        if throttled:
            sessions.login_blocked(account, address)
        user = super().auth_user_db(username, password)
        if throttled and username:
            if user:  # from a known device the lockout stays for everybody else
                sessions.login_succeeded(account, address)
            else:
                sessions.login_failed(account, address)
        return user

    def reset_password(self, userid, password):
        super().reset_password(userid, password)
        version = sessions.bump_session_version(int(userid))
        current = getattr(g, "user", None)
        if current is not None and getattr(current, "is_authenticated", False) and current.id == int(userid) \
                and request and session.get(sessions.VERSION_KEY) is not None:
            session[sessions.VERSION_KEY] = version  # this browser stays signed in; all others end


def current_config(name, default):
    from flask import current_app

    return current_app.config.get(name, default)


def password_policy_validator(password):
    """``FAB_PASSWORD_COMPLEXITY_VALIDATOR``: the policy on FAB's user forms (add, reset a
    user's password, own password change); the username is the form's, or the user whose
    password is reset, or the signed-in user's own."""
    from flask import current_app
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    from ..services.users import password_problem

    body = request.get_json(silent=True) if request.is_json else None
    username = request.form.get("username") or (body.get("username") if isinstance(body, dict) else None)
    pk = request.args.get("pk") or (request.view_args or {}).get("pk")
    if not username and pk:
        try:
            user = current_app.appbuilder.sm.get_user_by_id(int(pk))
        except (TypeError, ValueError):
            user = None
        username = user.username if user is not None else None
    if not username and g.user is not None and getattr(g.user, "is_authenticated", False):
        username = g.user.username
    problem = password_problem(password, username)
    if problem:
        raise PasswordComplexityValidationError(problem)


def login_locks():
    """The lockouts in force, for the notice on an admin's pages (nothing for anybody else)."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False) or role_of(user) != "admin":
        return []
    return sessions.locked_now()


def user_name(user) -> str:
    """The name in the navbar's user menu: the full name, or the login when the user has none
    (FAB's ``get_full_name`` gives «insp -» or «None None»)."""
    parts = [str(part).strip() for part in (getattr(user, "first_name", None), getattr(user, "last_name", None))]
    name = " ".join(part for part in parts if part and part not in ("-", "None"))
    return name or getattr(user, "username", "") or ""


def install(app) -> None:
    from flask_wtf.csrf import generate_csrf

    app.jinja_env.globals["oblik_csrf_token"] = generate_csrf
    app.jinja_env.globals["oblik_login_locks"] = login_locks
    app.jinja_env.globals["oblik_user_name"] = user_name
    fab_screens.install(app)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"])
    app.appbuilder.add_view_no_menu(LoginLockView)
