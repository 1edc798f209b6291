"""Акти-претензії and outages on the network scheme: the life of a claim act (billing.md §8,
Закон № 2189-VIII ст. 27), the provider's deadline, the scheme as a tree, outage acts on a
node and the network's losses.

An act is drafted (its number from :func:`numbering.next_number` when left empty: ``АП-…``, an
outage act ``АВ-…``), covers buildings, network nodes or accounts (``ClaimActTarget``), and is
approved by an accountant; only approved acts reduce charges. An approved act is never edited
nor deleted: it is undone only by cancelling it (``cancelled``), which takes its reductions
away — in the open period by the next billing run, in a closed period by recalculation lines
(the change log's triggers of migration 0003 see the status leave ``approved``). What a saved
act must satisfy is its validator's (``app.validation.rules``)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ..billing.calendar import add_working_days  # the one working-day rule (penalties use it too)
from ..models import (
    Account, Building, ClaimAct, ClaimActTarget, Meter, MeterType, NetworkNode, Premise, PublicHoliday, Reading,
)
from ..validation.readings import utcnow

DRAFT, APPROVED, CANCELLED = "draft", "approved", "cancelled"
DEADLINE_WORKING_DAYS = 5  # Закон № 2189-VIII ст. 27: the provider answers within 5 working days
# the provider did not come, or refused to sign: the consumer and at least two other consumers sign
WITHOUT_PROVIDER = ("absent", "refused")
MIN_WITNESSES = 2


class ClaimActRefused(ValueError):
    """The act cannot be changed that way (message for the user)."""


# --- the deadline ------------------------------------------------------------------------------
def holidays_between(session, first: date, last: date) -> set[date]:
    return set(session.scalars(select(PublicHoliday.day).where(PublicHoliday.day.between(first, last))))


def deadline_of(session, notified: date | datetime | None) -> date | None:
    """The provider's deadline: 5 working days from the consumer's notification."""
    if notified is None:
        return None
    start = notified.date() if isinstance(notified, datetime) else notified
    # 5 working days never span more than a month, however many holidays
    return add_working_days(start, DEADLINE_WORKING_DAYS, holidays_between(session, start, start + timedelta(days=40)))


DEADLINE_SPAN = timedelta(days=40)  # 5 working days never span more than this, however many holidays


def refresh_deadlines(session, days) -> int:
    """A public holiday added, moved or removed: the deadlines of the open acts (drafts the
    provider has not visited yet) notified within the span before one of ``days`` are computed
    again. The acts of that span are read in one query, the holidays of the span in another.
    Approved, cancelled and visited acts keep the deadline they had. Returns how many moved."""
    days = sorted(set(days))
    if not days:
        return 0
    first, last = days[0] - DEADLINE_SPAN, days[-1]
    acts = session.scalars(select(ClaimAct).where(
        ClaimAct.status == DRAFT, ClaimAct.visited_at.is_(None), ClaimAct.notified_at.is_not(None),
        ClaimAct.notified_at >= datetime.combine(first, datetime.min.time()),
        ClaimAct.notified_at < datetime.combine(last + timedelta(days=1), datetime.min.time()))).all()
    if not acts:
        return 0
    holidays = holidays_between(session, first, last + DEADLINE_SPAN)
    moved = 0
    for act in acts:
        start = act.notified_at.date() if isinstance(act.notified_at, datetime) else act.notified_at
        deadline = add_working_days(start, DEADLINE_WORKING_DAYS, holidays)
        if act.deadline != deadline:
            act.deadline = deadline
            moved += 1
    return moved


def _holidays_flushed(session, _context) -> None:
    """Remember the days of public holidays written by this flush (added, changed, deleted)."""
    from sqlalchemy.orm import attributes

    days = session.info.setdefault("oblik_holiday_days", set())
    for obj in list(session.new) + list(session.deleted):
        if isinstance(obj, PublicHoliday) and obj.day is not None:
            days.add(obj.day)
    for obj in session.dirty:
        if isinstance(obj, PublicHoliday):
            history = attributes.get_history(obj, "day")
            days.update(d for d in (*history.added, *history.deleted, *history.unchanged) if d is not None)
    if not days:
        session.info.pop("oblik_holiday_days", None)


def _refresh_before_commit(session) -> None:
    """Whatever path changed the holidays (the screen, an import, a script), the open acts'
    deadlines move in the same transaction."""
    if any(isinstance(obj, PublicHoliday) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.flush()  # the commit flushes after this event: the holidays' days are known after it
    days = session.info.pop("oblik_holiday_days", None)
    if days:
        refresh_deadlines(session, days)
        session.flush()


event.listen(Session, "after_flush", _holidays_flushed)
event.listen(Session, "before_commit", _refresh_before_commit)


def witness_names(text: str | None) -> list[str]:
    """The other consumers who signed: one a line (or separated by «;»)."""
    names = []
    for line in (text or "").replace(";", "\n").splitlines():
        if line.strip():
            names.append(line.strip())
    return names


def is_overdue(act, today: date | None = None) -> bool:
    return act.status == DRAFT and act.deadline is not None and act.deadline < (today or date.today())


# --- the life of an act ------------------------------------------------------------------------
def start_draft(session, act, user: str | None) -> None:
    """A new act is a draft, whatever the form said; it gets a number if it has none."""
    from .documents.numbering import next_number

    act.status = DRAFT
    act.created_by = act.created_by or user
    if act.outage is None:
        act.outage = False
    pending = act in session and act.id is None
    if pending:  # the act is saved with its number, not before (next_number flushes)
        session.expunge(act)
    if not (act.number or "").strip():
        year = (act.act_date or date.today()).year
        act.number = next_number(session, "outage" if act.outage else "claim_act", year)
    fill_deadline(session, act)
    if pending:
        session.add(act)


def fill_deadline(session, act) -> None:
    with session.no_autoflush:
        act.deadline = deadline_of(session, act.notified_at)


def refuse_delete(act) -> None:
    if act.status != DRAFT:
        raise ClaimActRefused(_("An approved or cancelled claim act cannot be deleted: cancel it instead."))


def refuse_coverage_change(target) -> None:
    """What an approved (or cancelled) act covers does not change (add, edit or delete of a target)."""
    if target.act is not None and target.act.status != DRAFT:
        raise ClaimActRefused(_("The claim act is no longer a draft: its coverage cannot change."))


def approve(session, acts, user: str | None) -> tuple[int, list[str]]:
    """Approve the draft acts that cover something. Commits. Returns (approved, numbers of the
    acts left as drafts because they cover nothing)."""
    done, empty = 0, []
    for act in acts:
        if act.status != DRAFT:
            continue
        if not act.targets:
            empty.append(act.number)
            continue
        act.status, act.approved_by, act.approved_at = APPROVED, user, utcnow()
        done += 1
    session.commit()
    return done, empty


def cancel(session, acts, user: str | None) -> int:
    """Cancel the acts (an approved one's reductions go away). Commits. Returns how many."""
    done = 0
    for act in acts:
        if act.status == CANCELLED:
            continue
        act.status, act.cancelled_by, act.cancelled_at = CANCELLED, user, utcnow()
        done += 1
    session.commit()
    return done


def add_targets(session, act, building_ids=(), node_ids=(), account_ids=()) -> int:
    """Add coverage to a draft act (what it already covers is skipped). Flushes."""
    if act.status != DRAFT:
        raise ClaimActRefused(_("The claim act is no longer a draft: its coverage cannot change."))
    have = {(t.building_id, t.network_node_id, t.account_id) for t in act.targets}
    added = 0
    for key in ([(b, None, None) for b in building_ids] + [(None, n, None) for n in node_ids]
                + [(None, None, a) for a in account_ids]):
        if key not in have:
            act.targets.append(ClaimActTarget(building_id=key[0], network_node_id=key[1], account_id=key[2]))
            have.add(key)
            added += 1
    session.flush()
    return added


def create_outage(session, node, service_id: int, date_from: date, date_to: date, user: str | None,
                  act_date: date | None = None, note: str | None = None, notified_at: datetime | None = None):
    """An outage act on ``node``: a claim act of kind ``not_provided`` covering every building
    downstream of the node (one target: the node), numbered ``АВ-…``. Flushes; the caller commits."""
    act = ClaimAct(act_date=act_date or date.today(), service_id=service_id, kind="not_provided",
                   date_from=date_from, date_to=date_to, outage=True, note=note, notified_at=notified_at,
                   place=str(node))
    session.add(act)
    start_draft(session, act, user)
    act.targets.append(ClaimActTarget(network_node_id=node.id))
    session.flush()
    return act


# --- the communication scheme ------------------------------------------------------------------
@dataclass
class SchemeNode:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    meter: str | None
    children: list = field(default_factory=list)
    buildings: list = field(default_factory=list)  # (id, code, address, accounts)

    @property
    def accounts(self) -> int:
        return sum(b[3] for b in self.buildings) + sum(c.accounts for c in self.children)

    @property
    def building_count(self) -> int:
        return len(self.buildings) + sum(c.building_count for c in self.children)


def _parents(session) -> dict[int, int | None]:
    return dict(session.execute(select(NetworkNode.id, NetworkNode.parent_id)).all())


def downstream_nodes(parents: dict[int, int | None], node_id: int) -> set[int]:
    """The node and every node below it (a loop in the data stops the walk)."""
    children = defaultdict(list)
    for child, parent in parents.items():
        children[parent].append(child)
    seen, todo = set(), [node_id]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(children.get(n, ()))
    return seen


def downstream_buildings(session, node_id: int) -> list[int]:
    nodes = downstream_nodes(_parents(session), node_id)
    return list(session.scalars(select(Building.id).where(Building.network_node_id.in_(nodes))
                                .order_by(Building.code)))


def scheme(session) -> list[SchemeNode]:
    """The scheme as a tree (roots first, by code), each node with its buildings and their
    number of accounts — three queries, whatever the size of the town."""
    nodes = {}
    for r in session.execute(select(NetworkNode.id, NetworkNode.code, NetworkNode.name, NetworkNode.kind,
                                    NetworkNode.parent_id, Meter.serial)
                             .outerjoin(Meter, Meter.id == NetworkNode.meter_id).order_by(NetworkNode.code)):
        nodes[r.id] = SchemeNode(r.id, r.code, r.name, r.kind, r.parent_id, r.serial)
    counts = dict(session.execute(select(Premise.building_id, func.count(Account.id))
                                  .join(Account, Account.premise_id == Premise.id)
                                  .join(Building, Building.id == Premise.building_id)
                                  .where(Building.network_node_id.is_not(None))
                                  .group_by(Premise.building_id)).all())
    for r in session.execute(select(Building.id, Building.code, Building.address, Building.network_node_id)
                             .where(Building.network_node_id.is_not(None)).order_by(Building.code)):
        if r.network_node_id in nodes:
            nodes[r.network_node_id].buildings.append((r.id, r.code, r.address, counts.get(r.id, 0)))
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id)
        # a node whose chain of parents loops back is shown at the top (the validator refuses new loops)
        if parent is None or node.id in _ancestors(nodes, node.parent_id):
            roots.append(node)
        else:
            parent.children.append(node)
    return roots


def _ancestors(nodes, node_id):
    seen = set()
    while node_id is not None and node_id not in seen and node_id in nodes:
        seen.add(node_id)
        node_id = nodes[node_id].parent_id
    return seen


# --- the network's losses ----------------------------------------------------------------------
@dataclass
class NodeLoss:
    node_id: int
    node: str
    resource: str
    node_volume: Decimal | None  # None: the node's meter has no reading in the month
    buildings_volume: Decimal
    buildings_without_reading: list[str]

    @property
    def loss(self) -> Decimal | None:
        return None if self.node_volume is None else self.node_volume - self.buildings_volume

    @property
    def loss_pct(self) -> Decimal | None:
        if self.node_volume is None or not self.node_volume:
            return None
        from ..billing.money import round_qty

        return round_qty(self.loss * 100 / self.node_volume, 2)


def node_losses(session, period: str) -> list[NodeLoss]:
    """Per node with a meter of its own: its consumption in ``period`` against the sum of the
    house meters (same resource) of every building downstream of it — the network's losses.
    Consumption = the last reading of the month − the last one before it (or the initial
    reading of a meter installed in the month), with the rollover of the meter's digits
    (billing.md §4 steps 1–3; no estimates: a meter without a reading is named)."""
    from ..billing.periods import first_day, last_day

    first, last = first_day(period), last_day(period)
    nodes = session.execute(select(NetworkNode.id, NetworkNode.code, NetworkNode.name, NetworkNode.meter_id,
                                   MeterType.resource)
                            .join(Meter, Meter.id == NetworkNode.meter_id)
                            .join(MeterType, MeterType.id == Meter.meter_type_id)
                            .order_by(NetworkNode.code)).all()
    if not nodes:
        return []
    parents = _parents(session)
    below = {n.id: downstream_nodes(parents, n.id) for n in nodes}
    all_below = set().union(*below.values())
    node_meters = {n.meter_id for n in nodes}
    house = session.execute(select(Meter.id, Meter.serial, Building.network_node_id, MeterType.resource,
                                   Building.code)
                            .join(Building, Building.id == Meter.building_id)
                            .join(MeterType, MeterType.id == Meter.meter_type_id)
                            .where(Meter.premise_id.is_(None), Building.network_node_id.in_(all_below),
                                   Meter.installed_on <= last,
                                   (Meter.removed_on.is_(None)) | (Meter.removed_on >= first))).all()
    house = [h for h in house if h.id not in node_meters]
    volumes = _consumption(session, node_meters | {h.id for h in house}, first, last)
    result = []
    for n in nodes:
        total, missing = Decimal(0), []
        for h in house:
            if h.network_node_id in below[n.id] and h.resource == n.resource:
                if volumes.get(h.id) is None:
                    missing.append(f"{h.code}: {h.serial}")
                else:
                    total += volumes[h.id]
        result.append(NodeLoss(n.id, f"{n.code} {n.name}", n.resource, volumes.get(n.meter_id), total, missing))
    return result


def _consumption(session, meter_ids: set[int], first: date, last: date) -> dict[int, Decimal | None]:
    from ..billing.money import from_db

    ids = list(meter_ids)
    if not ids:
        return {}
    meters = {r.id: r for r in session.execute(
        select(Meter.id, Meter.installed_on, Meter.initial_reading, Meter.removed_on, Meter.final_reading,
               MeterType.digits).join(MeterType, MeterType.id == Meter.meter_type_id).where(Meter.id.in_(ids)))}
    before = select(Reading.meter_id, func.max(Reading.date).label("d")).where(
        Reading.meter_id.in_(ids), Reading.date < first).group_by(Reading.meter_id).subquery()
    inside = select(Reading.meter_id, func.max(Reading.date).label("d")).where(
        Reading.meter_id.in_(ids), Reading.date.between(first, last)).group_by(Reading.meter_id).subquery()
    start = dict(session.execute(select(Reading.meter_id, Reading.value).join(
        before, (before.c.meter_id == Reading.meter_id) & (before.c.d == Reading.date))).all())
    end = dict(session.execute(select(Reading.meter_id, Reading.value).join(
        inside, (inside.c.meter_id == Reading.meter_id) & (inside.c.d == Reading.date))).all())
    result = {}
    for meter_id, m in meters.items():
        s = m.initial_reading if m.installed_on >= first else start.get(meter_id, m.initial_reading)
        e = m.final_reading if m.removed_on is not None and m.removed_on <= last else end.get(meter_id)
        if e is None or s is None:
            result[meter_id] = None
            continue
        s, e = Decimal(from_db(s)), Decimal(from_db(e))
        if e < s and m.digits:
            e += Decimal(10) ** m.digits
        result[meter_id] = e - s
    return result
