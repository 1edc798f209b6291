"""Пошта (issue 9 §3–4): invoices and reading reminders by e-mail.

* :mod:`.outbox` — the delivery log (``mail_delivery``) and the one sender: at most once per
  kind, account and period, retried on temporary errors, rate-limited (owned by the mail work);
* :mod:`.templates` — the editable subject and body of each kind of message, Ukrainian and
  English (owned by the reminders work).
"""
