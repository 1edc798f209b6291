"""oblik invoices send (issue 9 §3): queue the period's invoices for every account that agreed
to e-invoices and send them — in this process (the counts printed at the end), or with
``--background`` by the Celery worker. Thin: :mod:`app.services.mail`."""
import sys

import click


def register(invoices, reminders) -> None:
    """Add this part's commands to the ``invoices`` and ``reminders`` groups."""

    @invoices.command("send")
    @click.argument("period")
    @click.option("--background", is_flag=True, help="Надіслати у фоні (Celery worker), не чекати")
    def invoices_send(period, background):
        """Надіслати рахунки за період P (РРРР-ММ) e-mail усім, хто погодився на електронні рахунки."""
        from .cli_billing import _app, _user

        app = _app()
        with app.app_context():
            from flask_babel import gettext as _

            from .extensions import db
            from .models import MAIL_STATUSES
            from .services.mail import invoices as mail_invoices
            from .services.mail import outbox

            try:
                period = mail_invoices.check_period(period)
                queued = mail_invoices.queue_period(db.session, period, _user())
            except mail_invoices.MailRefused as error:
                click.echo(str(error), err=True)
                sys.exit(2)
            click.echo(_("Queued %(n)s new messages for %(period)s.", n=queued, period=period))
            if background:
                outbox.dispatch(mail_invoices.KIND, period, _user())
                click.echo(_("Sending started in the background; see the «Mailing» screen."))
                return
            result = outbox.send_pending(mail_invoices.KIND, period, _user())
            if result.busy:
                click.echo(_("Another process is sending the invoices of %(period)s now; it will send these too.",
                             period=period), err=True)
            if result.disabled:
                click.echo(_("Sending e-mail is switched off in the mail settings."), err=True)
            if result.stopped:
                click.echo(_("Sending stopped: %(reason)s", reason=result.stopped), err=True)
            click.echo(_("Sent now: %(sent)s, to retry: %(retry)s, failed: %(failed)s, skipped: %(skipped)s, "
                         "unknown: %(unknown)s.", sent=result.sent, retry=result.retry, failed=result.failed,
                         skipped=result.skipped, unknown=result.unknown))
            totals = outbox.counts(db.session, mail_invoices.KIND, period)
            click.echo(_("In all for %(period)s: ", period=period) + ", ".join(
                f"{MAIL_STATUSES.label(code)}: {totals[code]}" for code in MAIL_STATUSES.codes if totals.get(code)))
            if result.busy or result.disabled:
                sys.exit(1)
