"""The validators' facts for a whole import file (the bulk twin of
``app.validation.facts.SessionFacts``): loaded in a few queries before the rows are checked,
then kept up to date with every accepted row — so row 7 of a file is checked against the
database *and* rows 1–6, as if they had been entered on the form one after another."""
from collections import defaultdict

from sqlalchemy import and_, func, select

from ...models import Account, AccountService, Reading, Registration
from ...validation.facts import Neighbours, ReadingPoint, Span, group_meters_of, group_premises_of
from .refs import chunks


class FactsNotLoaded(RuntimeError):
    """A validator asked for facts the import did not load: a programming error, never data."""


class SpanStore:
    """Spans grouped by a key, findable by record id (an update may move a record)."""

    def __init__(self):
        self.by_key = defaultdict(list)
        self.key_of = {}

    def get(self, key):
        return self.by_key.get(key, [])

    def add(self, key, span):
        self.by_key[key].append(span)
        if span.id is not None:
            self.key_of[span.id] = key

    def replace(self, key, span):
        """Put ``span`` under ``key``, removing the record's old span wherever it was."""
        old_key = self.key_of.get(span.id) if span.id is not None else None
        if old_key is not None:
            spans = self.by_key[old_key]
            spans[:] = [s for s in spans if s.id != span.id]
        self.add(key, span)


class BulkFacts:
    def __init__(self):
        self._registrations = None   # (resident_id, premise_id) -> [Span]
        self._accounts = None        # premise_id -> [Span]
        self._account_services = None  # (account_id, service_id) -> [Span]
        self._reading_dates = None   # meter_id -> (first, last)
        self._readings = None        # meter_id -> [[date, value, id]] sorted by date
        self._organisations = 0
        self._group_meters = None    # premise_id -> [(serial, building_id)] of the house meters serving it
        self._group_premises = None  # meter_id -> [(premise label, building_id)] it serves

    # --- the questions of app.validation.facts.Facts ------------------------------------
    def organisation_count(self, exclude_id):
        return self._organisations

    def registration_spans(self, resident_id, premise_id):
        return self._need(self._registrations, "registrations").get((resident_id, premise_id))

    def premise_accounts(self, premise_id):
        return self._need(self._accounts, "accounts").get(premise_id)

    def account_service_spans(self, account_id, service_id):
        return self._need(self._account_services, "account services").get((account_id, service_id))

    def meter_reading_dates(self, meter_id):
        return self._need(self._reading_dates, "reading dates").get(meter_id)

    def premise_group_meters(self, premise_id):
        return self._need(self._group_meters, "group meters").get(premise_id, [])

    def meter_group_premises(self, meter_id):
        return self._need(self._group_premises, "group premises").get(meter_id, [])

    def reading_neighbours(self, meter_id, day, exclude_id):
        entries = self._need(self._readings, "readings").get(meter_id, ())
        same_day, previous, nxt = False, None, None
        for entry_date, value, entry_id in entries:  # a meter has a few entries in the window
            if exclude_id is not None and entry_id == exclude_id:
                continue
            if entry_date < day:
                previous = ReadingPoint(entry_date, value)
            elif entry_date == day:
                same_day = True
            elif nxt is None:
                nxt = ReadingPoint(entry_date, value)
                break
        return Neighbours(same_day, previous, nxt)

    @staticmethod
    def _need(store, what):
        if store is None:
            raise FactsNotLoaded(what)
        return store

    # --- loading ------------------------------------------------------------------------
    def load_registrations(self, session, resident_ids):
        store = self._registrations = SpanStore()
        for chunk in chunks(set(resident_ids)):
            rows = session.execute(select(Registration.id, Registration.resident_id, Registration.premise_id,
                                          Registration.date_from, Registration.date_to)
                                   .where(Registration.resident_id.in_(chunk)))
            for rid, resident_id, premise_id, date_from, date_to in rows:
                store.add((resident_id, premise_id), Span(rid, date_from, date_to))

    def load_accounts(self, session, premise_ids):
        store = self._accounts = SpanStore()
        for chunk in chunks(set(premise_ids)):
            rows = session.execute(select(Account.id, Account.premise_id, Account.opened_on, Account.closed_on,
                                          Account.account_number).where(Account.premise_id.in_(chunk))
                                   .order_by(Account.account_number))
            for aid, premise_id, opened_on, closed_on, number in rows:
                store.add(premise_id, Span(aid, opened_on, closed_on, number))

    def load_account_services(self, session, account_ids):
        store = self._account_services = SpanStore()
        for chunk in chunks(set(account_ids)):
            rows = session.execute(select(AccountService.id, AccountService.account_id, AccountService.service_id,
                                          AccountService.date_from, AccountService.date_to)
                                   .where(AccountService.account_id.in_(chunk)))
            for sid, account_id, service_id, date_from, date_to in rows:
                store.add((account_id, service_id), Span(sid, date_from, date_to))

    def load_group_meters(self, session, premise_ids):
        self._group_meters = defaultdict(list)
        for ids in chunks(set(premise_ids)):
            for premise_id, serial, building_id in group_meters_of(session, ids):
                self._group_meters[premise_id].append((serial, building_id))

    def load_group_premises(self, session, meter_ids):
        self._group_premises = defaultdict(list)
        for ids in chunks(set(meter_ids)):
            for meter_id, label, building_id in group_premises_of(session, ids):
                self._group_premises[meter_id].append((label, building_id))

    def load_reading_dates(self, session, meter_ids):
        store = self._reading_dates = {}
        for chunk in chunks(set(meter_ids)):
            rows = session.execute(select(Reading.meter_id, func.min(Reading.date), func.max(Reading.date))
                                   .where(Reading.meter_id.in_(chunk)).group_by(Reading.meter_id))
            for meter_id, first, last in rows:
                store[meter_id] = (first, last)

    def load_readings(self, session, meter_ids, first_day, last_day):
        """Per meter: its readings from ``first_day`` to ``last_day`` (the file's dates), the
        last one before and the first one after — all a reading's neighbours can be."""
        store = self._readings = defaultdict(list)

        def add(rows):  # the three queries find disjoint dates: no reading comes twice
            for rid, meter_id, day, value in rows:
                store[meter_id].append([day, value, rid])

        columns = (Reading.id, Reading.meter_id, Reading.date, Reading.value)
        for chunk in chunks(set(meter_ids)):
            add(session.execute(select(*columns).where(Reading.meter_id.in_(chunk),
                                                       Reading.date.between(first_day, last_day))))
            for bound, compare in ((func.max, Reading.date < first_day), (func.min, Reading.date > last_day)):
                edge = (select(Reading.meter_id.label("meter_id"), bound(Reading.date).label("day"))
                        .where(Reading.meter_id.in_(chunk), compare).group_by(Reading.meter_id).subquery())
                add(session.execute(select(*columns).join(edge, and_(Reading.meter_id == edge.c.meter_id,
                                                                     Reading.date == edge.c.day))))
        for entries in store.values():
            entries.sort(key=lambda e: e[0])

    # --- accepted rows become facts for the next rows -----------------------------------
    def accept(self, obj):
        handler = _ACCEPT.get(type(obj))
        if handler is not None:
            handler(self, obj)

    def _accept_registration(self, obj):
        self._registrations.replace((obj.resident.id, obj.premise.id), Span(obj.id, obj.date_from, obj.date_to))

    def _accept_account(self, obj):
        self._accounts.replace(obj.premise.id, Span(obj.id, obj.opened_on, obj.closed_on, obj.account_number))

    def _accept_account_service(self, obj):
        self._account_services.replace((obj.account.id, obj.service.id), Span(obj.id, obj.date_from, obj.date_to))

    def _accept_reading(self, obj):
        values = obj.__dict__  # the import's transient object: plain values, no ORM events
        entries = self._readings[values["meter_id"]]
        reading_id, day, value = values.get("id"), values["date"], values["value"]
        if reading_id is not None:
            for entry in entries:
                if entry[2] == reading_id:
                    entry[1] = value
                    return
        if not entries or entries[-1][0] < day:
            entries.append([day, value, reading_id])  # the usual case: checked in date order
        else:
            entries.append([day, value, reading_id])
            entries.sort(key=lambda e: e[0])


_ACCEPT = {
    Registration: BulkFacts._accept_registration,
    Account: BulkFacts._accept_account,
    AccountService: BulkFacts._accept_account_service,
    Reading: BulkFacts._accept_reading,
}


def load_for(kind_name, session, facts: BulkFacts, rows):
    """Load what the validators of ``kind_name`` will ask about ``rows`` (prepared rows with
    their merged ``values``: foreign key ids included)."""
    if kind_name == "registrations":
        facts.load_registrations(session, [r.values.get("resident_id") for r in rows])
    elif kind_name == "accounts":
        facts.load_accounts(session, [r.values.get("premise_id") for r in rows])
    elif kind_name == "account_services":
        facts.load_account_services(session, [r.values.get("account_id") for r in rows])
    elif kind_name == "premises":
        facts.load_group_meters(session, [r.existing["id"] for r in rows if r.existing is not None])
    elif kind_name == "meters":
        existing = [r.existing["id"] for r in rows if r.existing is not None]
        facts.load_reading_dates(session, existing)
        facts.load_group_premises(session, existing)
    elif kind_name == "readings":
        days = [r.values["date"] for r in rows if r.values.get("date") is not None]
        if days:
            facts.load_readings(session, [r.values.get("meter_id") for r in rows], min(days), max(days))
        else:
            facts._readings = defaultdict(list)
    return facts
