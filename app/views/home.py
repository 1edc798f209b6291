"""The start page: the dashboard (issue 11) — the figures of :func:`app.services.dashboard.dashboard`,
each a link to the report or screen behind it, and the counts of the registries the user may open.

What a role sees follows its rights: the money (charged, collected, debt, imbalance) needs the
reports (``Reports``: not an inspector); the readings missing need the work lists and are counted
in the user's buildings; the open period's state needs the billing screen (``Billing``)."""
import json

from flask import current_app, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Account, Building, Meter, Premise
from ..services.dashboard import dashboard
from ..services.language import current_language
from .scope import allowed_building_ids, scope_query


def report_url(kind: str, **params) -> str:
    """The screen of report ``kind``: the registered ``/reports/<kind>/`` route when there is one,
    else that plain path (the reports' screens serve it)."""
    params = {k: v for k, v in params.items() if v not in (None, "")}
    for rule in current_app.url_map.iter_rules():
        if rule.rule.rstrip("/") == "/reports/<kind>" or rule.rule.rstrip("/") == "/reports/<string:kind>":
            return url_for(rule.endpoint, kind=kind, **params)
    from urllib.parse import urlencode

    return f"/reports/{kind}/" + (f"?{urlencode(params)}" if params else "")


def _month(period: str) -> str:
    year, month = period.split("-")
    return f"{month}.{year}"


def _chart(kind: str, labels, datasets, **options) -> str:
    """The ``data-chart`` contract of static/oblik-charts.js: {type, labels, datasets[, options]}."""
    chart = {"type": kind, "labels": labels, "datasets": datasets, "locale": current_language()}
    chart.update(options)
    return json.dumps(chart, ensure_ascii=False)


def _flows_chart(flows) -> str:
    labels = [_month(f.period) + (" *" if f.open else "") for f in flows]
    return _chart("bar", labels, [
        {"label": _("Charged"), "data": [float(f.charged) for f in flows], "color": "#337ab7"},
        {"label": _("Collected"), "data": [float(f.collected) for f in flows], "color": "#5cb85c"},
    ], money=True)


def _imbalance_chart(points) -> str:
    return _chart("line", [_month(p["period"]) for p in points], [
        {"label": _("Imbalance") + ", %", "data": [float(p["imbalance_pct"]) if p.get("imbalance_pct") is not None
                                              else None for p in points], "color": "#d9534f"},
    ], percent=True)


class OblikIndexView(IndexView):
    index_template = "oblik/index.html"

    @expose("/")
    def index(self):
        counts = board = None
        charts = {}
        links = {}
        if getattr(current_user, "is_authenticated", False):
            sm = self.appbuilder.sm
            counts = {}
            for key, model, resource in (("buildings", Building, "Building"), ("premises", Premise, "Premise"),
                                         ("accounts", Account, "Account"), ("meters", Meter, "Meter")):
                if sm.has_access("can_list", resource):
                    stmt = scope_query(db.session, model, select(func.count()).select_from(model))
                    counts[key] = db.session.scalar(stmt)
            money = sm.has_access("can_list", "Reports")
            work = sm.has_access("can_list", "WorkLists")
            billing = sm.has_access("can_list", "Billing")
            if money or work or billing:
                board = dashboard(db.session, money=money, work=work, billing=billing,
                                  building_ids=allowed_building_ids(db.session))
                if board.flows:
                    charts["flows"] = _flows_chart(board.flows)
                if board.imbalance:
                    charts["imbalance"] = _imbalance_chart(board.imbalance)
                links = {
                    "periods": report_url("periods"),
                    "turnover": report_url("turnover", period=board.last_closed),
                    "payments": report_url("payments", period=board.last_closed),
                    "debtors": report_url("debtors"),
                    "consumption": report_url("consumption", period=board.open_period or board.last_closed),
                    "readings_missing": report_url("readings_missing", period=board.readings_period),
                    "billing": url_for("BillingView.index") if billing else None,
                }
        return self.render_template(self.index_template, appbuilder=self.appbuilder, counts=counts, board=board,
                                    charts=charts, links=links)
