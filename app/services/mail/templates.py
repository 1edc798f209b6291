"""Mail templates (PLACEHOLDER — the contract; the reminders work implements the editable
templates): the subject and body of each kind of message, in Ukrainian and English, editable on
a screen with a preview; the defaults live in the code.

``render(kind, lang, context) -> (subject, text)``: ``context`` holds the message's values
(for ``invoice``: ``account_number``, ``owner``, ``address``, ``period`` (the month's name),
``amount_due`` (formatted), ``qr_url``, ``unsubscribe_url``, ``provider``; for ``reminder``:
``account_number``, ``owner``, ``address``, ``month``, ``meters`` (text lines), ``link``,
``expires``, ``provider``, ``unsubscribe_url``).
"""
from __future__ import annotations

DEFAULTS = {
    ("invoice", "uk"): ("Рахунок за {period}, о/р {account_number}",
                        "Шановний(а) {owner}!\n\nДо сплати за {period}: {amount_due} грн.\n"
                        "Оплатити: {qr_url}\n\nРахунок — у вкладенні.\n\n{provider}\n"
                        "Відписатися від рахунків e-mail: {unsubscribe_url}\n"),
    ("reminder", "uk"): ("Передайте показники лічильників за {month}",
                         "Шановний(а) {owner}!\n\nЗа {month} ще не передано показники:\n{meters}\n\n"
                         "Передати: {link} (до {expires})\n\n{provider}\n"),
}


def render(kind: str, lang: str, context: dict) -> tuple[str, str]:
    subject, body = DEFAULTS.get((kind, lang)) or DEFAULTS[(kind, "uk")]
    values = _Missing(context)
    return subject.format_map(values), body.format_map(values)


class _Missing(dict):
    def __missing__(self, key):
        return ""
