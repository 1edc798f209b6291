"""The ``oblik`` command line (formats.md): a thin wrapper around the services."""
import sys

import click


def _app():
    from app import create_app
    from app.services import audit

    app = create_app()
    audit.act_as_os_user()  # what this command writes is logged as the server's user, from «cli»
    return app


@click.group()
def main():
    """Облік комунальних послуг — командний рядок."""


@main.group()
def db():
    """База даних."""


@db.command("upgrade")
def db_upgrade():
    """Створити або оновити (мігрувати) базу даних з OBLIK_DATABASE_URL."""
    app = _app()
    with app.app_context():
        from .services.setup import upgrade_database

        upgrade_database()
    click.echo("База даних оновлена.")


@main.command()
@click.option("--accounts", type=int, default=None, help="Кількість особових рахунків (типово: невелике місто)")
@click.option("--seed", type=int, default=2026)
@click.option("--if-empty", is_flag=True, help="Нічого не робити, якщо в базі вже є будинки")
def demo(accounts, seed, if_empty):
    """Завантажити демонстраційне місто (будинки, рахунки, лічильники, показники за рік)."""
    app = _app()
    with app.app_context():
        from .services.demo import DemoError, load_demo

        try:
            summary = load_demo(accounts=accounts, seed=seed, if_empty=if_empty)
        except DemoError as e:
            click.echo(str(e), err=True)
            sys.exit(1)
    click.echo(summary)


@main.group()
def user():
    """Користувачі."""


@user.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "accountant", "operator", "inspector"]))
@click.option("--buildings", default="", help="Коди будинків контролера через кому")
@click.option("--email", default=None)
@click.option("--first-name", default=None)
@click.option("--last-name", default=None)
def user_create(username, password, role, buildings, email, first_name, last_name):
    """Створити користувача з роллю (контролера — з його будинками)."""
    app = _app()
    with app.app_context():
        from .services.users import UserError, create_user

        try:
            create_user(username, password, role, buildings.split(",") if buildings else (),
                        email=email, first_name=first_name, last_name=last_name)
        except UserError as e:
            click.echo(str(e), err=True)
            sys.exit(1)
    click.echo(f"Користувача {username} створено ({role}).")


@user.command("password")
@click.option("--username", required=True)
@click.option("--password", required=True)
def user_password(username, password):
    """Змінити пароль користувача (та сама політика паролів); усі його сеанси завершуються."""
    app = _app()
    with app.app_context():
        from .services.users import UserError, change_password

        try:
            change_password(username, password)
        except UserError as e:
            click.echo(str(e), err=True)
            sys.exit(1)
    click.echo(f"Пароль користувача {username} змінено; усі його сеанси завершено.")


@user.command("unlock")
@click.option("--username", required=True)
def user_unlock(username):
    """Зняти блокування входу облікового запису після невдалих спроб."""
    app = _app()
    with app.app_context():
        from .services.sessions import unlock_account

        found = unlock_account(username, by="oblik user unlock")
    click.echo(f"Вхід для {username} розблоковано." if found else f"Вхід для {username} не заблоковано.")


@user.command("ensure-admin")
@click.option("--username", default="admin")
def user_ensure_admin(username):
    """Створити першого адміністратора, якщо його немає, і вивести його логін."""
    import os
    import secrets
    from pathlib import Path

    app = _app()
    with app.app_context():
        from .extensions import current_appbuilder
        from .services.users import UserError, create_user

        secret_file = Path(app.instance_path) / "admin-password"
        sm = current_appbuilder().sm
        if sm.find_user(username=username) is None:
            password = os.environ.get("OBLIK_ADMIN_PASSWORD") or secrets.token_urlsafe(9)
            try:
                create_user(username, password, "admin", first_name="Адміністратор", last_name="Облік")
            except UserError as e:  # OBLIK_ADMIN_PASSWORD refused by the password policy
                click.echo(f"OBLIK_ADMIN_PASSWORD: {e}", err=True)
                sys.exit(1)
            secret_file.parent.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(password + "\n")
            secret_file.chmod(0o600)
        if secret_file.exists():
            click.echo(f"Вхід адміністратора: {username} / {secret_file.read_text().strip()}")
        else:
            click.echo(f"Адміністратор {username} уже існує (пароль задано раніше).")


@main.group()
def period():
    """Періоди."""


@period.command("open")
@click.argument("period")
def period_open(period):
    """Відкрити перший період (РРРР-ММ) нової бази даних."""
    app = _app()
    with app.app_context():
        from .services.periods import PeriodError, open_first

        try:
            open_first(period)
        except PeriodError as e:
            click.echo(str(e), err=True)
            sys.exit(1)
    click.echo(f"Відкрито період {period}.")


@period.command("current")
def period_current():
    """Вивести відкритий період (РРРР-ММ) окремим рядком."""
    app = _app()
    with app.app_context():
        from .services.periods import current_period

        value = current_period()
    if not value:
        click.echo("Жоден період не відкрито (oblik period open РРРР-ММ).", err=True)
        sys.exit(1)
    click.echo(value)


@main.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Перевірити всі рядки, нічого не записувати")
def import_(kind, file, dry_run):
    """Імпортувати файл FILE (CSV або XLSX) виду KIND: buildings, premises, residents,
    registrations, accounts, services, tariffs, norms, account_services, meter_types, meters,
    readings, payments, benefit_categories, beneficiaries, subsidies, balances (вхідне сальдо). Стовпці
    названо кодами (amount) або українськими заголовками (Сума), як у шаблонах. Код виходу: 0 — записано,
    1 — є відхилені рядки (нічого не записано; звіт у stderr), 2 — файл не прочитано або бракує
    ключового стовпця."""
    app = _app()
    with app.app_context():
        from .services.imports import import_file

        code = import_file(kind, file, dry_run, out=click.echo, err=lambda line: click.echo(line, err=True))
    sys.exit(code)


from .cli_billing import register as _register_billing  # noqa: E402

_register_billing(main, period)

from .cli_invoices import register as _register_invoices  # noqa: E402

_register_invoices(main)

from .cli_ledger import register as _register_ledger  # noqa: E402

_register_ledger(period)


if __name__ == "__main__":
    main()
