"""oblik reminders send (issue 9 §4): the beat's job by hand."""
import click


def register(invoices, reminders) -> None:
    """Add this part's commands to the ``invoices`` and ``reminders`` groups."""

    @reminders.command("send")
    @click.option("--period", default=None, metavar="YYYY-MM",
                  help="Місяць РРРР-ММ (типово: поточний за київським часом)")
    @click.option("--no-dispatch", is_flag=True, help="Лише поставити в чергу; надішле фоновий обробник")
    def send(period, no_dispatch):
        """Нагадати про показники: кожному рахунку з послугою за лічильником, адресою e-mail і
        лічильником без показника цього місяця (раз на місяць на рахунок)."""
        from .billing.periods import parse_period
        from .cli import _app

        if period is not None:
            try:
                parse_period(period)
            except ValueError:
                raise click.BadParameter("Місяць має бути у форматі РРРР-ММ, напр. 2026-12", param_hint="--period")
        app = _app()
        with app.app_context():
            from .extensions import db
            from .services import reminders as service

            result = service.send(db.session, period, dispatch=not no_dispatch)
        click.echo(f"Нагадування за {result.period}: до нагадування {result.due}, поставлено в чергу {result.queued}")
