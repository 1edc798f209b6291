"""Building the invoices of a period (issue 9 §2): chunks by building, files written once and in
delivery order, a chunk delivered twice, a build resumed, files replaced, one account or one
building, one build of a period at a time, the sweep, the command line, the migration.

The town: the billing tests' E1 (flats 1, 2, 3, one entrance) and E2 whose flats are entered
out of order — entrance 2: flat 12; entrance 1: flats 10, 2, 1 — so that delivery order
(entrance, then flat number sorted naturally) is 1, 2, 10, 12."""
import io
import os
import re
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Account, AccountService, Building, InvoiceBuild, InvoiceChunk, Premise
from app.services import invoices as document
from app.services.billing import close_period, run_billing
from app.services.invoices import builds

from .town import NOVEMBER, OCTOBER, create_town

E2_FLATS = (("10", 1), ("2", 1), ("12", 2), ("1", 1))  # as entered: (flat, entrance)
E2_ORDER = ["E2-1", "E2-2", "E2-10", "E2-12"]


def _town():
    ids = create_town()
    building = Building(code="E2", address="вул. Садова, 7", imbalance_key="volume")
    db.session.add(building)
    for number, entrance in E2_FLATS:
        premise = Premise(building=building, number=number, entrance=entrance, total_area=D(40), heated_area=D(40))
        account = Account(account_number=f"E2-{number}", premise=premise, owner_name="Власник",
                          opened_on=date(2020, 1, 1))
        db.session.add_all([premise, account, AccountService(account=account, service_id=ids["services"]["UTR"],
                                                             date_from=date(2020, 1, 1))])
    db.session.commit()
    assert run_billing(user="test").status == "done"
    return ids


def _numbers(pdf: bytes) -> list[str]:
    """The account number found on each page of a PDF."""
    numbers = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        text = page.extract_text()
        found = sorted(set(re.findall(r"(?<![\w-])E[12]-\d+(?![\w-])", text)))
        numbers.append(found[0] if len(found) == 1 else found)
    return numbers


def _files(root: Path) -> dict[str, list[str]]:
    return {folder.name: sorted(f.name for f in folder.iterdir()) for folder in sorted(root.iterdir())}


def _expected_names(period):
    return {inv.account_number: document.file_name(inv) for inv in document.load_invoices(db.session, period)}


def test_a_build_writes_a_pdf_per_account_and_one_per_building_in_delivery_order(bdb, tmp_path):
    _town()
    build = builds.build_now(OCTOBER, tmp_path / "out", user="бухгалтер")
    assert build.status == "done" and build.preliminary is True  # the open period: its draft
    assert (build.chunks_total, build.chunks_done, build.buildings_done, build.accounts, build.files) == (2, 2, 2, 7, 9)
    names = _expected_names(OCTOBER)
    assert _files(tmp_path / "out") == {
        "E1": sorted([names["E1-001"], names["E1-002"], names["E1-003"], f"budynok-E1-{OCTOBER}.pdf"]),
        "E2": sorted([names[n] for n in E2_ORDER] + [f"budynok-E2-{OCTOBER}.pdf"]),
    }
    combined = (tmp_path / "out" / "E2" / f"budynok-E2-{OCTOBER}.pdf").read_bytes()
    assert _numbers(combined) == E2_ORDER  # entrance 1: 1, 2, 10; entrance 2: 12
    assert _numbers((tmp_path / "out" / "E1" / f"budynok-E1-{OCTOBER}.pdf").read_bytes()) == [
        "E1-001", "E1-002", "E1-003"]
    for number in E2_ORDER:  # each account's own file is its one page
        assert _numbers((tmp_path / "out" / "E2" / names[number]).read_bytes()) == [number]
    chunks = db.session.execute(select(InvoiceChunk.building_code, InvoiceChunk.attempts, InvoiceChunk.accounts,
                                       InvoiceChunk.files).where(InvoiceChunk.build_id == build.id)
                                .order_by(InvoiceChunk.seq)).all()
    assert [tuple(c) for c in chunks] == [("E1", 1, 3, 4), ("E2", 1, 4, 5)]
    assert not list((tmp_path / "out").rglob("*.part"))


def test_a_closed_period_is_built_from_the_journal_and_not_preliminary(bdb, tmp_path):
    _town()
    close_period(OCTOBER)
    build = builds.build_now(OCTOBER, tmp_path / "oct")
    assert build.status == "done" and build.preliminary is False and build.accounts == 7
    build = builds.build_now(NOVEMBER, tmp_path / "nov")
    assert build.status == "done" and build.preliminary is True


def test_a_chunk_delivered_again_does_nothing_twice(bdb, tmp_path):
    _town()
    build = builds.build_now(OCTOBER, tmp_path / "out")
    e1 = db.session.scalar(select(Building.id).where(Building.code == "E1"))
    stamp = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.pdf")}
    db.session.execute(update(InvoiceBuild).where(InvoiceBuild.id == build.id).values(status="running"))
    db.session.commit()
    assert builds.build_chunk(build.id, e1) == {"skipped": True}
    db.session.expire_all()
    again = db.session.get(InvoiceBuild, build.id)
    assert (again.chunks_done, again.accounts, again.files) == (2, 7, 9)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.pdf")} == stamp
    assert db.session.get(InvoiceChunk, (build.id, e1)).attempts == 1


def test_a_failed_build_started_again_builds_only_its_unfinished_buildings(bdb, tmp_path, monkeypatch):
    _town()
    build = builds.start_build(OCTOBER, directory=tmp_path / "out", user="перший")
    first, second = builds.pending(build.id)
    builds.build_chunk(build.id, first)
    builds.fail_build(build.id, "зупинено")
    first_files = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.pdf")}
    loaded = []
    real = builds.load_invoices
    monkeypatch.setattr(builds, "load_invoices",
                        lambda s, p, **kw: loaded.append(kw["building_ids"]) or real(s, p, **kw))

    again = builds.build_now(OCTOBER, tmp_path / "out", user="другий")
    assert again.id == build.id and again.status == "done" and again.message is None
    assert loaded == [[second]]  # only the unfinished building
    assert (again.chunks_done, again.accounts, again.files) == (2, 7, 9)
    assert all(p.stat().st_mtime_ns == t for p, t in first_files.items())
    assert db.session.scalar(select(func.count()).select_from(InvoiceBuild)) == 1

    done_again = builds.build_now(OCTOBER, tmp_path / "out")  # a done build started again: a new one, all of it
    assert done_again.id != build.id and done_again.chunks_done == 2


def test_a_rebuilt_chunk_replaces_its_files_and_removes_what_is_not_there_any_more(bdb, tmp_path):
    _town()
    builds.build_now(OCTOBER, tmp_path / "out")
    names = _expected_names(OCTOBER)
    folder = tmp_path / "out" / "E2"
    (folder / names["E2-1"]).write_bytes(b"half a file")
    (folder / "rakhunok-gone-2026-10.pdf").write_bytes(b"an account no longer there")
    stale = folder / f".{names['E2-2']}.999.abcdef12.part"  # left by a process killed while writing
    stale.write_bytes(b"partial")
    old = (builds.now() - timedelta(hours=1)).timestamp()
    os.utime(stale, (old, old))
    (folder / "notes.txt").write_text("not ours")

    build = builds.build_now(OCTOBER, tmp_path / "out", building_code="E2")
    assert build.status == "done" and build.accounts == 4
    assert sorted(f.name for f in folder.iterdir()) == sorted([names[n] for n in E2_ORDER]
                                                               + [f"budynok-E2-{OCTOBER}.pdf", "notes.txt"])
    assert _numbers((folder / names["E2-1"]).read_bytes()) == ["E2-1"]
    assert len(list((tmp_path / "out" / "E1").iterdir())) == 4  # the other building untouched


def test_one_account_and_one_building(bdb, tmp_path):
    _town()
    names = _expected_names(OCTOBER)
    one = builds.build_now(OCTOBER, tmp_path / "acc", account_number="E2-10")
    assert (one.status, one.accounts, one.files, one.chunks_total) == ("done", 1, 1, 1)
    assert _files(tmp_path / "acc") == {"E2": [names["E2-10"]]}
    assert _numbers((tmp_path / "acc" / "E2" / names["E2-10"]).read_bytes()) == ["E2-10"]
    # one account built again into a folder of the whole building leaves the others' files
    builds.build_now(OCTOBER, tmp_path / "acc", building_code="E2")
    builds.build_now(OCTOBER, tmp_path / "acc", account_number="E2-1")
    assert len(list((tmp_path / "acc" / "E2").iterdir())) == 5
    building = builds.build_now(OCTOBER, tmp_path / "bld", building_code="E1")
    assert (building.accounts, building.files, building.buildings_total) == (3, 4, 1)
    assert list(_files(tmp_path / "bld")) == ["E1"]
    for bad, message in ((dict(account_number="NOPE"), "NOPE"), (dict(building_code="Z9"), "Z9"),
                         (dict(account_number="E1-001", building_code="E2"), "E1-001"),
                         (dict(account_number="E1\x00"), "E1"), (dict(building_code="E\x002"), "E2")):
        with pytest.raises(builds.BuildError, match=message):
            builds.start_build(OCTOBER, directory=tmp_path / "x", **bad)


def test_bad_periods_are_refused_in_ukrainian(bdb, tmp_path):
    _town()
    with pytest.raises(builds.BuildError, match="РРРР-ММ"):
        builds.start_build("2026-13", directory=tmp_path)
    with pytest.raises(builds.BuildError, match="Немає періоду 2025-01"):
        builds.start_build("2025-01", directory=tmp_path)
    assert db.session.scalar(select(func.count()).select_from(InvoiceBuild)) == 0


def test_one_build_of_a_period_at_a_time_and_a_silent_one_is_swept(bdb, tmp_path, monkeypatch):
    _town()
    build = builds.start_build(OCTOBER, user="перший")
    with pytest.raises(builds.BuildBusy, match="уже будуються.*перший"):
        builds.start_build(OCTOBER, directory=tmp_path / "cli", user="другий")
    assert builds.sweep_orphans() == []  # alive: its heartbeat is fresh
    past = builds.now() - timedelta(minutes=5)
    db.session.execute(update(InvoiceBuild).values(heartbeat_at=past))
    db.session.commit()
    assert builds.sweep_orphans() == [build.id]
    db.session.expire_all()
    swept = db.session.get(InvoiceBuild, build.id)
    assert swept.status == "failed" and "жодного сигналу" in swept.message
    assert builds.build_chunk(build.id, builds.pending(build.id)[0]) == {"skipped": True}  # a late message
    resumed = builds.start_build(OCTOBER, user="другий")
    assert resumed.id == build.id and resumed.status == "running"
    assert Path(resumed.directory) == Path(bdb.instance_path) / "invoices" / OCTOBER / str(build.id)


def test_a_chunk_that_keeps_killing_its_worker_fails_the_build(bdb, tmp_path):
    _town()
    build = builds.start_build(OCTOBER, directory=tmp_path)
    building_id = builds.pending(build.id)[0]
    db.session.execute(update(InvoiceChunk).where(InvoiceChunk.building_id == building_id)
                       .values(attempts=builds.MAX_ATTEMPTS))
    db.session.commit()
    assert builds.build_chunk(build.id, building_id) == {"failed": True}
    db.session.expire_all()
    failed = db.session.get(InvoiceBuild, build.id)
    assert failed.status == "failed" and "E1" in failed.message and "3" in failed.message


def test_an_error_in_a_chunk_fails_the_build_with_its_message(bdb, tmp_path, monkeypatch):
    _town()
    build = builds.start_build(OCTOBER, directory=tmp_path)

    def broken(_invoice):
        raise RuntimeError("the printer caught fire")

    monkeypatch.setattr(builds, "invoice_pdf", broken)
    with pytest.raises(RuntimeError):
        builds.build_chunk(build.id, builds.pending(build.id)[0])
    db.session.expire_all()
    failed = db.session.get(InvoiceBuild, build.id)
    assert failed.status == "failed" and "the printer caught fire" in builds.failure(failed)[0]
    assert "Traceback" in builds.failure(failed)[1]


def test_unsafe_building_codes_stay_inside_the_directory(bdb, tmp_path):
    _town()
    db.session.execute(update(Building).where(Building.code == "E2").values(code="../../E2"))
    db.session.commit()
    build = builds.build_now(OCTOBER, tmp_path / "out", building_code="../../E2")
    assert build.status == "done"
    [folder] = (tmp_path / "out").iterdir()
    assert folder.name.startswith("E2-") and len(list(folder.iterdir())) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_build_in_the_background_celery_eager(bdb):
    from app.tasks.invoices import start_invoice_build

    _town()
    build = start_invoice_build(OCTOBER, user="бухгалтер")
    db.session.expire_all()
    build = db.session.get(InvoiceBuild, build.id)
    assert build.status == "done" and build.accounts == 7
    path = builds.building_file(build, db.session.scalar(select(Building.id).where(Building.code == "E2")))
    assert _numbers(path.read_bytes()) == E2_ORDER
    account = db.session.scalar(select(Account.id).where(Account.account_number == "E1-002"))
    assert _numbers(builds.account_file(build, account).read_bytes()) == ["E1-002"]


# --- the command line ---------------------------------------------------------------------------

def _cli(bdb, monkeypatch, *args):
    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("OBLIK_DATABASE_URL", bdb.config["SQLALCHEMY_DATABASE_URI"])
    db.session.commit()
    return CliRunner().invoke(main, ["invoices", "build", *args])


def test_the_command_line(bdb, tmp_path, monkeypatch):
    _town()
    done = _cli(bdb, monkeypatch, OCTOBER, "--output", str(tmp_path / "out"), "--quiet")
    assert done.exit_code == 0, done.output
    assert "Рахунки за 2026-10 побудовано" in done.output and "рахунків — 7" in done.output
    assert sum(1 for _ in (tmp_path / "out").rglob("*.pdf")) == 9
    one = _cli(bdb, monkeypatch, OCTOBER, "--output", str(tmp_path / "one"), "--account", "E1-003", "--jobs", "1")
    assert one.exit_code == 0, one.output
    assert [p.name for p in (tmp_path / "one").rglob("*.pdf")] == [_expected_names(OCTOBER)["E1-003"]]
    bad = _cli(bdb, monkeypatch, "жовтень", "--output", str(tmp_path / "bad"))
    assert bad.exit_code == 2 and "РРРР-ММ" in bad.output
    nobody = _cli(bdb, monkeypatch, OCTOBER, "--output", str(tmp_path / "bad"), "--building", "Z9")
    assert nobody.exit_code == 2 and "Z9" in nobody.output
    builds.start_build(OCTOBER, user="оператор")
    busy = _cli(bdb, monkeypatch, OCTOBER, "--output", str(tmp_path / "busy"))
    assert busy.exit_code == 1 and "оператор" in busy.output


def test_the_command_line_with_two_processes(bdb, tmp_path, monkeypatch):
    _town()
    done = _cli(bdb, monkeypatch, OCTOBER, "--output", str(tmp_path / "out"), "--jobs", "2")
    assert done.exit_code == 0, done.output
    assert sum(1 for _ in (tmp_path / "out").rglob("*.pdf")) == 9


# --- the migration ------------------------------------------------------------------------------

def test_the_migration_goes_down_and_up_again(tmp_path):
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_app

    url = f"sqlite:///{tmp_path}/migrate.db"
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    directory = str(Path(__file__).resolve().parents[2] / "app" / "migrations")
    with app.app_context():
        upgrade(directory=directory, revision="0014")
        engine = sa.create_engine(url)
        assert {"invoice_build", "invoice_chunk"} <= set(sa.inspect(engine).get_table_names())
        downgrade(directory=directory, revision="0013")
        assert not {"invoice_build", "invoice_chunk"} & set(sa.inspect(engine).get_table_names())
        upgrade(directory=directory, revision="0014")
        with engine.begin() as conn:  # the partial unique index: one running build per period
            insert = ("INSERT INTO invoice_build (period, status, preliminary, directory, chunks_total, chunks_done, "
                      "buildings_total, buildings_done, accounts, files) "
                      "VALUES ('2026-10', :s, 0, 'd', 0, 0, 0, 0, 0, 0)")
            conn.execute(sa.text(insert), {"s": "done"})
            conn.execute(sa.text(insert), {"s": "running"})
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(insert), {"s": "running"})
        engine.dispose()
        from app.extensions import db as app_db

        app_db.engine.dispose()


def test_beats_sweep_fails_a_silent_build(bdb, tmp_path):
    """``oblik.sweep`` (beat, every ``SWEEP_SECONDS``) fails a build whose process died."""
    from app.tasks.housekeeping import sweep

    _town()
    build = builds.start_build(OCTOBER, directory=tmp_path)
    builds._take(db.session, build.id, builds.pending(build.id)[0])  # a worker took a building, then died
    assert sweep.delay().get()["invoice_builds"] == []
    past = builds.now() - timedelta(minutes=5)
    db.session.execute(update(InvoiceBuild).values(heartbeat_at=past))
    db.session.commit()
    assert sweep.delay().get()["invoice_builds"] == []  # its building's heartbeat is fresh: alive
    db.session.execute(update(InvoiceChunk).values(heartbeat_at=past))
    db.session.commit()
    assert sweep.delay().get()["invoice_builds"] == [build.id]
    db.session.expire_all()
    assert db.session.get(InvoiceBuild, build.id).status == "failed"
