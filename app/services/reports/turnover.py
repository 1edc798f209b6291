"""``turnover`` (оборотно-сальдова відомість), formats.md: account_number, opening, charged,
recalculated, benefits, subsidies, paid, written_off, closing with ``closing = opening + charged +
recalculated + benefits + subsidies + paid + written_off`` (credits negative) on every row and in
the totals. The figures are the ledger's (:func:`app.services.ledger.turnover`): payments,
subsidies and reversals as soon as they are recorded; for the open period the draft is added to
charged, recalculated and benefits (what the close will freeze).

Own filter ``group``: ``account`` (the default; account number, owner and address), ``building``
(one row per building: the sums of its accounts) or ``service`` (one row per service; what was
paid in advance, with no service, is its own row). Filters: building, service, account; the
scope (an inspector never sees it: it shows money)."""

from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...models import Service
from .. import ledger
from . import Column, OwnFilter, Report, ReportKind, account_directory

CODES = ["account_number", *ledger.TURNOVER_COLUMNS, "closing"]
TITLES = {"opening": _l("Opening balance"), "charged": _l("Charged"), "recalculated": _l("Recalculations"),
          "benefits": _l("Benefits"), "subsidies": _l("Subsidies"), "paid": _l("Paid"),
          "written_off": _l("Written off"), "closing": _l("Closing balance")}
MONEY = [Column(code, TITLES.get(code, code), "money", total=True) for code in CODES[1:]]
COLUMNS = [Column("account_number", _l("Account"), width=14), Column("owner", _l("Owner"), machine=False, width=28),
           Column("address", _l("Address"), machine=False, width=36), *MONEY]
BUILDING_COLUMNS = [Column("building_code", _l("Building code"), width=12),
                    Column("address", _l("Address"), machine=False, width=36),
                    Column("accounts", _l("Accounts"), "int", machine=False), *MONEY]
SERVICE_COLUMNS = [Column("service_code", _l("Service code"), width=12, people=False),
                   Column("service", _l("Service"), machine=False, width=30), *MONEY]
GROUPS = (("account", _l("by account")), ("building", _l("by building")), ("service", _l("by service")))
ZERO = Decimal("0.00")


def _zero():
    return dict.fromkeys(CODES[1:], ZERO)


def turnover_report(session, filters) -> Report:
    period = filters.period
    group = (filters.extra or {}).get("group") or "account"
    directory = account_directory(session, filters)
    narrowed = filters.building_ids is not None or filters.building_id is not None or filters.account_id is not None
    account_ids = list(directory) if narrowed else None
    by_service = group == "service" or filters.service_id is not None
    found = ledger.turnover(session, period, account_ids, by_service=by_service) if account_ids != [] else {}
    if by_service:
        wanted = {}
        for (account_id, service_id), values in found.items():
            if filters.service_id is not None and service_id != filters.service_id:
                continue
            wanted[(account_id, service_id)] = values
        found = wanted
    subtitle = [str(dict(GROUPS)[group]) if group in dict(GROUPS) else ""]
    if group == "building":
        columns, rows = BUILDING_COLUMNS, _by_building(session, found, directory, by_service)
    elif group == "service":
        columns, rows = SERVICE_COLUMNS, _by_service(session, found)
    else:
        columns, rows = COLUMNS, _by_account(found, directory, by_service)
    if filters.service_id is not None:
        subtitle.append(_("service %(code)s", code=session.get(Service, filters.service_id).code))
    return Report("turnover", str(_l("Turnover statement")), period, columns, rows,
                  subtitle="; ".join(s for s in subtitle if s),
                  notes=[_("Closing balance = opening balance + charged + recalculations + benefits + subsidies "
                           "+ paid + written off; payments, benefits and subsidies are negative.")])


def _values(values):
    return [values[c] for c in CODES[1:]]


def _by_account(found, directory, by_service):
    if by_service:  # the service filter: one account's services summed
        summed = defaultdict(_zero)
        for (account_id, _service), values in found.items():
            row = summed[account_id]
            for code in CODES[1:]:
                row[code] += values[code]
        found = summed
    keys = sorted((a for a in found if a in directory), key=lambda a: directory[a][0])
    for account_id in keys:
        values = found[account_id]
        if not any(values[c] for c in ledger.TURNOVER_COLUMNS):
            continue
        number, owner, address, _building, _code = directory[account_id]
        yield (number, owner, address, *_values(values))


def _by_building(session, found, directory, by_service):
    from ...models import Building

    summed = defaultdict(_zero)
    accounts = defaultdict(set)
    for key, values in found.items():
        account_id = key[0] if by_service else key
        if account_id not in directory or not any(values[c] for c in ledger.TURNOVER_COLUMNS):
            continue
        building_id = directory[account_id][3]
        accounts[building_id].add(account_id)
        row = summed[building_id]
        for code in CODES[1:]:
            row[code] += values[code]
    names = {i: (c, a) for i, c, a in session.execute(
        select(Building.id, Building.code, Building.address).where(Building.id.in_(list(summed) or [0])))}
    for building_id in sorted(summed, key=lambda b: names[b][0]):
        code, address = names[building_id]
        yield (code, address, len(accounts[building_id]), *_values(summed[building_id]))


def _by_service(session, found):
    summed = defaultdict(_zero)
    for (account_id, service_id), values in found.items():
        row = summed[service_id]
        for code in CODES[1:]:
            row[code] += values[code]
    names = {i: (c, n) for i, c, n in session.execute(select(Service.id, Service.code, Service.name))}
    order = sorted(summed, key=lambda s: (s is None, names.get(s, ("", ""))[0]))
    for service_id in order:
        if not any(summed[service_id][c] for c in ledger.TURNOVER_COLUMNS):
            continue
        code, name = names.get(service_id, ("", str(_("Advance (no service)"))))
        yield (code, name, *_values(summed[service_id]))


KINDS = [ReportKind("turnover", _l("Turnover statement"), turnover_report, codes=tuple(CODES),
                    filters=("period", "building", "service", "account"),
                    own_filters=(OwnFilter("group", _l("Grouping"), "choice", GROUPS, "account"),))]
__all__ = ["turnover_report", "COLUMNS", "KINDS"]
