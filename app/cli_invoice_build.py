"""oblik invoices build (issue 9 §2): the invoices of a period as PDF files in a directory —
one per account and one combined per building in delivery order, for printing. Thin: the
build is :func:`app.services.invoices.builds.build_now`."""
import os
import sys
import time

import click


def register(invoices, reminders) -> None:
    """Add this part's commands to the ``invoices`` and ``reminders`` groups."""

    @invoices.command("build")
    @click.argument("period")
    @click.option("--output", required=True, type=click.Path(file_okay=False),
                  help="Каталог, куди записати PDF (по підкаталогу на будинок)")
    @click.option("--account", "account_number", default=None, help="Лише один особовий рахунок (його номер)")
    @click.option("--building", "building_code", default=None, help="Лише один будинок (його код)")
    @click.option("--jobs", type=int, default=None,
                  help="Процесів, що будують будинки паралельно (типово: кількість ядер на PostgreSQL, 1 на SQLite)")
    @click.option("--quiet", is_flag=True, help="Без ходу виконання в stderr")
    def invoices_build(period, output, account_number, building_code, jobs, quiet):
        """Побудувати рахунки на оплату за період P: PDF на кожен рахунок і один на будинок для друку."""
        from .cli_billing import _app, _user

        app = _app()
        with app.app_context():
            from flask_babel import gettext as _

            from .extensions import db
            from .services.invoices.builds import BuildBusy, BuildError, build_now, failure

            if jobs is None:
                jobs = (os.cpu_count() or 1) if db.engine.dialect.name == "postgresql" else 1
            started = time.monotonic()

            def progress(done, total):
                if not quiet:
                    click.echo(_("Buildings: %(done)s of %(total)s", done=done, total=total), err=True)

            try:
                build = build_now(period, output, account_number=account_number, building_code=building_code,
                                  user=_user(), jobs=max(1, jobs), progress=progress)
            except BuildBusy as error:
                click.echo(str(error), err=True)
                sys.exit(1)
            except BuildError as error:
                click.echo(str(error), err=True)
                sys.exit(2)
            if build.status != "done":
                click.echo(failure(build)[0] or _("The invoice build failed."), err=True)
                sys.exit(1)
            seconds = max(time.monotonic() - started, 1e-6)
            seconds_text, rate_text = f"{seconds:.1f}", f"{build.accounts / seconds:.0f}"
            click.echo(_("Invoices of %(period)s built into %(directory)s: %(buildings)s buildings, %(accounts)s "
                         "accounts, %(files)s files in %(seconds)s s (%(rate)s invoices/s).",
                         period=build.period, directory=build.directory, buildings=build.buildings_done,
                         accounts=build.accounts, files=build.files, seconds=seconds_text,
                         rate=rate_text))
