"""oblik invoices build (issue 9 §2): the invoices of a period as PDF files in a directory —
one per account and one combined per building in delivery order, for printing. Thin: the
build is :func:`app.services.invoices.builds.build_now`."""
import sys

import click

from .cli_billing import Parallel, _app, _user, parallel_options


def register(invoices, reminders) -> None:
    """Add this part's commands to the ``invoices`` and ``reminders`` groups."""

    @invoices.command("build")
    @click.argument("period")
    @click.option("--output", required=True, type=click.Path(file_okay=False),
                  help="Каталог, куди записати PDF (по підкаталогу на будинок)")
    @click.option("--account", "account_number", default=None, help="Лише один особовий рахунок (його номер)")
    @click.option("--building", "building_code", default=None, help="Лише один будинок (його код)")
    @parallel_options("будують")
    def invoices_build(period, output, account_number, building_code, jobs, quiet):
        """Побудувати рахунки на оплату за період P: PDF на кожен рахунок і один на будинок для друку."""
        app = _app()
        with app.app_context():
            from flask_babel import gettext as _

            from .services.invoices.builds import BuildBusy, BuildError, build_now, failure

            shell = Parallel(jobs, quiet, lambda done, total: _("Buildings: %(done)s of %(total)s",
                                                                done=done, total=total))
            try:
                build = build_now(period, output, account_number=account_number, building_code=building_code,
                                  user=_user(), jobs=shell.jobs, progress=shell.progress)
            except BuildBusy as error:
                click.echo(str(error), err=True)
                sys.exit(1)
            except BuildError as error:
                click.echo(str(error), err=True)
                sys.exit(2)
            if build.status != "done":
                click.echo(failure(build)[0] or _("The invoice build failed."), err=True)
                sys.exit(1)
            seconds_text, rate_text = shell.timing(build.accounts)
            click.echo(_("Invoices of %(period)s built into %(directory)s: %(buildings)s buildings, %(accounts)s "
                         "accounts, %(files)s files in %(seconds)s s (%(rate)s invoices/s).",
                         period=build.period, directory=build.directory, buildings=build.buildings_done,
                         accounts=build.accounts, files=build.files, seconds=seconds_text,
                         rate=rate_text))
