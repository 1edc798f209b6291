"""The billing commands of ``oblik`` (formats.md): ``billing run``, ``period close``, ``report``.

Thin wrappers around :mod:`app.services.billing` (runs and the close) and
:mod:`app.services.reports`; registered on the main group by :func:`register`."""
import os
import sys
import time

import click


def _app():
    from app import create_app
    from app.services import audit

    app = create_app()
    audit.act_as_os_user()  # what this command writes is logged as the server's user, from «cli»
    return app


def _user() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in a container
        return "cli"


def parallel_options(doing: str):
    """``--jobs`` and ``--quiet`` of a command that works buildings in parallel processes
    (``billing run``, ``invoices build``); ``doing``: what the processes do, in the help."""
    def decorate(command):
        command = click.option("--quiet", is_flag=True, help="Без ходу виконання в stderr")(command)
        return click.option("--jobs", type=int, default=None,
                            help=f"Процесів, що {doing} будинки паралельно (типово: кількість ядер на PostgreSQL, "
                                 "1 на SQLite)")(command)

    return decorate


class Parallel:
    """The shell of such a command (inside the app's context): how many processes (``--jobs``,
    default the cores on PostgreSQL, 1 on SQLite), its progress lines in stderr (``line(done,
    total)``, none with ``--quiet``) and, at the end, its time and rate."""

    def __init__(self, jobs: int | None, quiet: bool, line):
        from .extensions import db

        if jobs is None:
            jobs = (os.cpu_count() or 1) if db.engine.dialect.name == "postgresql" else 1
        self.jobs = max(1, jobs)
        self.quiet, self.line = quiet, line
        self.started = time.monotonic()

    def progress(self, done, total) -> None:
        if not self.quiet:
            click.echo(self.line(done, total), err=True)

    def timing(self, count: int) -> tuple[str, str]:
        """(seconds, ``count`` per second) since the start, as the summary line shows them."""
        seconds = max(time.monotonic() - self.started, 1e-6)
        return f"{seconds:.1f}", f"{count / seconds:.0f}"


def register(main, period_group):
    @main.group()
    def billing():
        """Розрахунок (нарахування) за період."""

    @billing.command("run")
    @click.option("--period", default=None, help="Період РРРР-ММ (типово: відкритий)")
    @click.option("--building", "building_code", default=None, help="Розрахувати один будинок (його код)")
    @parallel_options("рахують")
    def billing_run(period, building_code, jobs, quiet):
        """Розрахувати чернетку відкритого періоду: нарахування, небаланс, пільги і перерахунки."""
        app = _app()
        with app.app_context():
            from flask_babel import gettext as _

            from .services.billing import BillingError, run_billing

            shell = Parallel(jobs, quiet, lambda done, total: _("Chunks of buildings: %(done)s of %(total)s",
                                                                done=done, total=total))
            try:
                run = run_billing(period, building_code, _user(), jobs=shell.jobs, progress=shell.progress)
            except BillingError as error:
                click.echo(str(error), err=True)
                sys.exit(1)
            if run.status != "done":
                click.echo(run.message or _("The billing run failed."), err=True)
                sys.exit(1)
            seconds_text, rate_text = shell.timing(run.accounts)
            click.echo(_("Billed %(period)s: %(buildings)s buildings, %(accounts)s accounts, %(lines)s charge lines, "
                         "%(warnings)s warnings in %(seconds)s s (%(rate)s accounts/s).",
                         period=run.period, buildings=run.buildings_done, accounts=run.accounts, lines=run.lines,
                         warnings=run.warnings, seconds=seconds_text, rate=rate_text))

    @period_group.command("close")
    @click.argument("period")
    def period_close(period):
        """Закрити відкритий період P: провести його в журнал і відкрити наступний місяць."""
        app = _app()
        with app.app_context():
            from flask_babel import gettext as _

            from .services.billing import BillingError
            from .services.billing import close_period

            try:
                summary = close_period(period, _user())
            except BillingError as error:
                click.echo(str(error), err=True)
                sys.exit(1)
            click.echo(_("Period %(period)s closed: %(entries)s journal entries, %(payments)s payments, "
                         "%(subsidies)s subsidies posted. Open period: %(next)s.",
                         period=summary.period, entries=summary.entries, payments=summary.payments,
                         subsidies=summary.subsidies, next=summary.next_period))

    @main.command("report")
    @click.argument("kind")
    @click.option("--period", default=None, help="РРРР-ММ (типово: відкритий період)")
    @click.option("--format", "fmt", default="csv",
                  help="csv (машинний, formats.md), xlsx (для людей), csv-uk (для Excel: «;», кома, BOM) "
                       "або власний формат звіту (dbf)")
    @click.option("--output", type=click.Path(dir_okay=False), default=None, help="Файл (типово: стандартний вивід)")
    @click.option("--building", default=None, help="Код будинку")
    @click.option("--service", default=None, help="Код послуги")
    @click.option("--account", default=None, help="Номер особового рахунку")
    @click.option("--from", "date_from", default=None, help="Початок діапазону дат (ДД.ММ.РРРР)")
    @click.option("--to", "date_to", default=None, help="Кінець діапазону дат (ДД.ММ.РРРР)")
    @click.option("--filter", "own", multiple=True, help="Власний фільтр звіту: НАЗВА=ЗНАЧЕННЯ")
    def report(kind, period, fmt, output, building, service, account, date_from, date_to, own):
        """Звіти: будь-який вид з `oblik report --help`; типово машинний CSV (formats.md)."""
        app = _app()
        with app.app_context():
            from flask_babel import gettext as _

            from .services.reports import ReportError, build, kinds, parse_filters
            from .services.reports.writers import FORMATS, write

            known = kinds()
            args = {"period": period, "building": building, "service": service, "account": account,
                    "date_from": date_from, "date_to": date_to}
            try:
                if kind not in known:
                    raise ReportError(_("Unknown report %(kind)s; available: %(kinds)s", kind=kind,
                                        kinds=", ".join(sorted(known))))
                spec = known[kind]
                if fmt not in FORMATS and fmt not in spec.writers:
                    raise ReportError(_("Unknown format %(format)s; available: %(formats)s", format=fmt,
                                        formats=", ".join([*FORMATS, *spec.writers])), "format")
                for item in own:
                    name, sep, value = item.partition("=")
                    if not sep or name not in {o.name for o in spec.own_filters}:
                        raise ReportError(_("Unknown filter %(name)s; available: %(names)s", name=name,
                                            names=", ".join(o.name for o in spec.own_filters) or "—"), name)
                    args[name] = value
                filters = parse_filters(spec, args)
                if fmt in spec.writers and fmt not in FORMATS:
                    def produce(stream):
                        from .extensions import db

                        spec.writers[fmt](db.session, filters, stream)
                else:
                    built = build(kind, filters)

                    def produce(stream):
                        write(built, fmt, stream)
                if output:
                    with open(output, "wb") as stream:
                        produce(stream)
                else:
                    produce(sys.stdout.buffer)
                    sys.stdout.flush()
            except ReportError as error:
                field = f" ({error.field})" if error.field else ""
                click.echo(f"{error}{field}", err=True)
                sys.exit(2)
