"""A write the database refuses is told as the field it concerns (``app.views.integrity``), on
SQLite and PostgreSQL alike: a duplicate key, a code outside its closed list, a reference to no
record, an empty required column — each a Ukrainian message on its field."""
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from tests.webtools import is_ukrainian, make_building, uid


def _refusal(app, make):
    from app.extensions import db
    from app.views.integrity import integrity_errors

    with app.test_request_context():
        item = make()
        db.session.add(item)
        with pytest.raises(IntegrityError) as raised:
            db.session.flush()
        db.session.rollback()
        errors = integrity_errors(raised.value, item, db.session)
    assert errors and all(is_ukrainian(e.message) for e in errors), errors
    return {e.field: e.message for e in errors}


def _premise(building_id, number="1", **over):
    from app.models import Premise

    data = {"building_id": building_id, "number": number, "kind": "apartment", "total_area": Decimal(40),
            "heated_area": Decimal(40), "heating": "central"}
    data.update(over)
    return Premise(**data)


def test_a_duplicate_key_names_the_users_column_not_the_parent(app):
    building_id, _ = make_building(app)  # has premise «1»
    errors = _refusal(app, lambda: _premise(building_id, "1"))
    assert list(errors) == ["number"], errors


def test_a_code_outside_its_list_names_the_column_and_the_codes(app):
    building_id, _ = make_building(app)
    errors = _refusal(app, lambda: _premise(building_id, uid("N"), kind="bogus"))
    assert list(errors) == ["kind"] and "apartment" in errors["kind"], errors


def test_a_reference_to_no_record_names_the_relation(app):
    errors = _refusal(app, lambda: _premise(2_000_000_000, uid("N")))
    assert list(errors) == ["building"], errors


def test_an_empty_required_column_names_it(app):
    building_id, _ = make_building(app)
    errors = _refusal(app, lambda: _premise(building_id, None))
    assert list(errors) == ["number"], errors
