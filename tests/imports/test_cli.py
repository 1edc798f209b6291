"""``oblik import KIND FILE [--dry-run]``: exit 0 written, 1 rejected rows (one line per problem
on stderr, nothing written), 2 unreadable file or a key column missing (formats.md)."""
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.models import Building, ImportRecord
from tests.conftest import DATABASE_URL

from .helpers import Town, counts, write_csv


@pytest.fixture()
def oblik(monkeypatch, ctx):
    monkeypatch.setenv("OBLIK_DATABASE_URL", DATABASE_URL)

    def invoke(*args):
        result = CliRunner().invoke(main, ["import", *map(str, args)], catch_exceptions=False)
        ctx.expire_all()
        return result

    return invoke


def _buildings(tmp_path, p, rows=None, name="buildings.csv"):
    path = tmp_path / name
    path.write_bytes(write_csv(rows or [{"code": f"{p}-1", "address": "вул. Тестова, 1", "floors": "5"},
                                        {"code": f"{p}-2", "address": "вул. Тестова, 2", "floors": "9"}],
                               encoding="cp1251", delimiter=";"))
    return path


def test_exit_0_written_and_dry_run(ctx, oblik, tmp_path):
    p = Town().p
    path = _buildings(tmp_path, p)
    before = counts(ctx)
    dry = oblik("buildings", path, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert counts(ctx) == before
    result = oblik("buildings", path)
    assert result.exit_code == 0, result.stderr
    assert counts(ctx)["building"] == before["building"] + 2
    assert ctx.scalar(select(Building.floors).where(Building.code == f"{p}-2")) == 9
    record = ctx.scalar(select(ImportRecord).order_by(ImportRecord.id.desc()).limit(1))
    assert (record.kind, record.status, record.channel, record.created, record.file_name) == (
        "buildings", "committed", "cli", 2, "buildings.csv")
    assert len(record.sha256) == 64 and record.file_size == path.stat().st_size and record.username
    after = counts(ctx)
    again = oblik("buildings", path)
    assert again.exit_code == 0 and counts(ctx) == after


def test_exit_1_rejected_rows_reported_one_line_each(ctx, oblik, tmp_path):
    p = Town().p
    path = _buildings(tmp_path, p, [{"code": f"{p}-1", "address": "вул. Тестова, 1", "floors": "п'ять"},
                                    {"code": f"{p}-2", "address": "", "floors": "9"},
                                    {"code": f"{p}-3", "address": "вул. Тестова, 3", "floors": "300"}])
    before = counts(ctx)
    result = oblik("buildings", path)
    assert result.exit_code == 1
    assert counts(ctx) == before
    lines = result.stderr.splitlines()
    problems = [line for line in lines if "п'ять" in line or "300" in line or "address" in line]
    assert len(problems) == 3, lines
    assert any(" 2" in line and "floors" in line for line in problems)
    assert any(" 4" in line and "300" in line for line in problems)
    record = ctx.scalar(select(ImportRecord).order_by(ImportRecord.id.desc()).limit(1))
    assert record.status == "rejected" and record.rejected == 3 and len(record.problems) == 3


def test_exit_2_unreadable_file_or_missing_key(ctx, oblik, tmp_path):
    before = counts(ctx)
    missing_key = tmp_path / "no-key.csv"
    missing_key.write_text("address;floors\nвул. Тестова, 1;5\n", encoding="utf-8")
    result = oblik("buildings", missing_key)
    assert result.exit_code == 2 and "code" in result.stderr
    assert oblik("buildings", tmp_path / "does-not-exist.csv").exit_code == 2
    pdf = tmp_path / "scan.xlsx"
    pdf.write_bytes(b"%PDF-1.4\n\x00\x01\x02binary")
    assert oblik("buildings", pdf).exit_code == 2
    assert oblik("no_such_kind", missing_key).exit_code == 2
    assert counts(ctx) == before
