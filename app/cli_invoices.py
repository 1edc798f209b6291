"""The invoice and mail commands of ``oblik`` (formats.md): ``invoices build``, ``invoices send``,
``reminders send``. The groups are declared here; each part registers its commands from its own
module (:mod:`.cli_invoice_build`, :mod:`.cli_mail`, :mod:`.cli_reminders`)."""
import click


def register(main):
    @main.group()
    def invoices():
        """Рахунки на оплату: побудова PDF і розсилка e-mail."""

    @main.group()
    def reminders():
        """Нагадування про передачу показників."""

    from . import cli_invoice_build, cli_mail, cli_reminders

    for module in (cli_invoice_build, cli_mail, cli_reminders):
        module.register(invoices, reminders)
    return invoices, reminders


__all__ = ["register", "click"]
