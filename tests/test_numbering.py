"""Numbers of documents: per kind and year, consecutive, a rolled-back save gives its number back."""
from app.extensions import db
from app.services.documents.numbering import format_number, next_number


def test_numbers_per_kind_and_year(app):
    with app.app_context():
        first = next_number(db.session, "write_off", 2031)
        second = next_number(db.session, "write_off", 2031)
        other_year = next_number(db.session, "write_off", 2032)
        other_kind = next_number(db.session, "claim_act", 2031)
        db.session.commit()
        assert (first, second) == ("ВС-2031-0001", "ВС-2031-0002")
        assert other_year == "ВС-2032-0001"
        assert other_kind == "АП-2031-0001"
        taken = next_number(db.session, "write_off", 2031)
        db.session.rollback()
        assert next_number(db.session, "write_off", 2031) == taken == "ВС-2031-0003"
        db.session.rollback()


def test_format():
    assert format_number("restructuring", 2026, 12) == "ДР-2026-0012"
