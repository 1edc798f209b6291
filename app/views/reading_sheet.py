"""«Відомість показників» (issue 12): a building's (or entrance's) readings entered at once, the
inspector's main screen; the blank sheet of the round as PDF, and as XLSX to fill in and import.

Thin: the sheet and its save are :mod:`app.services.reading_sheet`, the files
:mod:`app.services.documents.reading_sheet`. Who may: ``ReadingSheet`` — ``can_list`` opens the
sheet and its files, ``can_add`` saves it (accountants, operators, inspectors, the admin). An
inspector opens only the buildings assigned to them: another building's id is refused (403),
whether in the address of the sheet, of its files or in the form that saves it."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..extensions import db
from ..models import Building
from ..services import reading_sheet as service
from ..services.spreadsheets import XLSX_MIME
from ..validation.readings import local_today
from .csrf import check_csrf
from .files import send_bytes
from .guard import is_id
from .scope import allowed_building_ids


def _building_id(value) -> int | None:
    """The chosen building, if the user may open it: none chosen → None; a building not theirs
    (or no such building) → 403 / 404."""
    text = str(value or "").strip()
    if not text:
        return None
    if not is_id(text):
        abort(404)
    building_id = int(text)
    ids = allowed_building_ids(db.session)
    if ids is not None and building_id not in ids:
        abort(403, _("This building is not among your buildings"))
    if db.session.get(Building, building_id) is None:
        abort(404)
    return building_id


def _entrance(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 3 else None


def _day(value) -> date:
    from ..services.imports.values import to_date

    text = str(value or "").strip()
    if text:
        try:
            return to_date(text)
        except ValueError:
            flash(_("Not a valid date: use дд.мм.рррр") + f" «{text[:20]}»", "warning")
    return local_today()


def _default_building() -> int | None:
    """An inspector with one building gets it at once."""
    ids = allowed_building_ids(db.session)
    return ids[0] if ids is not None and len(ids) == 1 else None


class ReadingSheetView(BaseView):
    """«Відомість показників»."""

    route_base = "/readings/sheet"
    class_permission_name = "ReadingSheet"
    method_permission_name = {"index": "list", "save": "add", "pdf": "list", "xlsx": "list"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        building_id = _building_id(request.args.get("building")) or _default_building()
        return self._page(building_id, _entrance(request.args.get("entrance")), _day(request.args.get("date")))

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        check_csrf()
        building_id = _building_id(request.form.get("building"))
        if building_id is None:
            abort(400, _("Choose the building"))
        entrance, on = _entrance(request.form.get("entrance")), _day(request.form.get("date"))
        sheet = service.sheet(db.session, building_id, entrance, on)
        rows = [{"row": r.number, "meter_id": r.meter_id, "value": request.form.get(f"value-{r.meter_id}", ""),
                 "date": request.form.get(f"date-{r.meter_id}", ""),
                 "confirmed": bool(request.form.get(f"confirm-{r.meter_id}"))} for r in sheet.rows]
        result = service.save(db.session, building_id, rows, current_user.username, on=on)
        if result.ok:
            flash(_("Readings saved: %(count)s", count=result.saved), "success")
            for notice in result.notices:
                flash(notice, "warning")
            return redirect(url_for("ReadingSheetView.index", building=building_id, entrance=entrance or "",
                                    date=on.strftime("%d.%m.%Y")))
        general = [p.message for p in result.problems if p.meter_id is None or p.row == 0]
        for message in general:
            flash(message, "danger")
        refused = len({p.row for p in result.problems if p.row})
        if refused:
            flash(_("Nothing was saved: rows refused: %(count)s. Correct them (the reason is shown in the row) "
                    "and save again.", count=refused), "danger")
        entered = {r["meter_id"]: r for r in rows}
        return self._page(building_id, entrance, on, sheet=sheet, entered=entered, result=result), 400

    @expose("/pdf")
    @has_access
    def pdf(self):
        from ..services.documents.reading_sheet import sheet_pdf

        sheet = self._sheet_or_400()
        data = sheet_pdf(sheet, inspector=_user_name())
        return _file(data, "application/pdf", _file_name(sheet, "pdf"))

    @expose("/xlsx")
    @has_access
    def xlsx(self):
        from ..services.documents.reading_sheet import sheet_xlsx

        sheet = self._sheet_or_400()
        return _file(sheet_xlsx(sheet), XLSX_MIME, _file_name(sheet, "xlsx"))

    # -------------------------------------------------------------------------------------
    def _sheet_or_400(self):
        building_id = _building_id(request.args.get("building"))
        if building_id is None:
            abort(400, _("Choose the building"))
        return service.sheet(db.session, building_id, _entrance(request.args.get("entrance")),
                             _day(request.args.get("date")))

    def _page(self, building_id, entrance, on, sheet=None, entered=None, result=None):
        if building_id is not None and sheet is None:
            sheet = service.sheet(db.session, building_id, entrance, on)
        problems = {}
        if result is not None:
            for p in result.problems:
                if p.meter_id is not None and p.row:
                    problems.setdefault(p.meter_id, []).append(p)
        building = db.session.get(Building, building_id) if building_id is not None else None
        return self.render_template(
            "oblik/reading_sheet.html", sheet=sheet, building=building, entrance=entrance, on=on,
            on_text=on.strftime("%d.%m.%Y"), entered=entered or {}, problems=problems,
            high=result.high if result is not None else {}, csrf_token=generate_csrf(),
            may_save=self.appbuilder.sm.has_access("can_add", "ReadingSheet"), number=_number)


def _number(value) -> str:
    if value is None:
        return ""
    from decimal import Decimal

    return format(Decimal(value).normalize(), "f").replace(".", ",")


def _user_name() -> str:
    first, last = getattr(current_user, "first_name", "") or "", getattr(current_user, "last_name", "") or ""
    return " ".join(p for p in (first, last) if p.strip(" -")) or getattr(current_user, "username", "")


def _file_name(sheet, extension: str) -> str:
    suffix = f"-{sheet.entrance}" if sheet.entrance is not None else ""
    return f"vidomist-{sheet.building_code}{suffix}-{sheet.on.isoformat()}.{extension}"


def _file(data: bytes, mime: str, name: str):
    return send_bytes(data, name, mimetype=mime, attachment=True)


VIEWS = [(ReadingSheetView, "ReadingSheet", _l("Readings sheet"), "fa-clipboard-list")]
HIDDEN_VIEWS = []
APIS = []
