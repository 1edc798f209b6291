"""The meter's history (installation, removal, verification, seal) is written by itself:
whenever a meter is created or those fields change — on a form, the API or an import — a
``MeterEvent`` is added in the same transaction. Nobody has to remember to record it."""
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..models import Meter, MeterEvent

TRACKED = (
    ("installed_on", "installation", "initial_reading"),
    ("removed_on", "removal", "final_reading"),
    ("verified_on", "verification", None),
    ("sealed_on", "seal", None),
)


def _changed(state, attr) -> bool:
    history = state.attrs[attr].history
    return bool(history.added) and history.added != history.deleted


def _events_for(meter, is_new):
    state = inspect(meter)
    for date_attr, kind, reading_attr in TRACKED:
        day = getattr(meter, date_attr)
        if day is None:
            continue
        if is_new or _changed(state, date_attr) or (kind == "seal" and _changed(state, "seal_number")):
            yield MeterEvent(
                meter=meter, date=day, kind=kind,
                reading=getattr(meter, reading_attr) if reading_attr else None,
                document=meter.seal_number if kind == "seal" else None,
            )


def _before_flush(session, flush_context, instances):
    new_events = []
    for obj in list(session.new):
        if isinstance(obj, Meter):
            new_events.extend(_events_for(obj, True))
    for obj in list(session.dirty):
        if isinstance(obj, Meter) and session.is_modified(obj, include_collections=False):
            new_events.extend(_events_for(obj, False))
    for ev in new_events:
        session.add(ev)


def install():
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
