"""``oblik period ages [--period P] [--all]``: the stored debt ages (FIFO, app/services/ledger/aging.py)
computed again — for a database that closed periods before they existed (migration 0022), or after
restoring a backup. A thin shell over :func:`app.services.ledger.store_debt_ages`."""
import sys

import click


def register(period_group):
    @period_group.command("ages")
    @click.option("--period", "period", default=None, help="Закритий період РРРР-ММ (типово: останній закритий)")
    @click.option("--all", "every", is_flag=True, help="Усі закриті періоди, від першого")
    def ages(period, every):
        """Вік боргу (FIFO) закритих періодів: обчислити і зберегти знову."""
        from flask_babel import gettext as _
        from sqlalchemy import select

        from .cli_billing import _app

        app = _app()
        with app.app_context():
            from .extensions import db
            from .models import Period
            from .services import ledger

            session = db.session
            closed = list(session.scalars(select(Period.period).where(Period.status == "closed").order_by(Period.period)))
            if period is not None and period not in closed:
                click.echo(_("Period %(period)s is not closed.", period=period), err=True)
                sys.exit(2)
            if not closed:
                click.echo(_("No period is closed yet."), err=True)
                sys.exit(2)
            chosen = closed if every else [period or closed[-1]]
            if every:
                ledger.clear_debt_ages(session)
            for one in chosen:
                recomputed = ledger.store_debt_ages(session, one)
                session.commit()
                click.echo(_("Debt ages of %(period)s stored (%(accounts)s accounts from their whole journal).",
                             period=one, accounts=recomputed))
