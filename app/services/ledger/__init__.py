"""Книга обліку — the one owner of money in the database.

Every balance, turnover and list of entries any screen, report, document or API shows comes
from here, and this package is the one writer of ``journal_entry``. Nothing else sums journal
entries or closing balances.

The design (billing.md §7, §9):

* **The journal is the truth.** A balance is the sum of entries: at the end of a closed period
  it is stored (``closing_balance``, written at the close from the entries); in the open period
  it is the last closing balance plus the entries posted into the open period so far, and, where
  a view asks for it (the account card, the turnover of the open month, invoices), the open
  period's *draft* — the charge lines of the last billing run, which the close freezes into
  entries.
* **Money is posted on receipt.** A payment or a subsidy is written to the journal in the same
  transaction that records it — form, API or import — into the open period, with its own date;
  from that moment every view shows it, and the close does not post it again
  (``payment_posting`` / ``subsidy_posting`` mark what is posted). A payment dated after the open
  period's last day (or a subsidy of a later month) waits for its own period: it is posted the
  moment that period opens, at the close of the one before. The close also posts anything
  still waiting (rows written straight into the tables), so nothing is ever lost or counted
  twice.
* **Spread.** A payment is spread over the account's services in proportion to their positive
  balances at posting, in kopiyky by the largest remainder; what is left is an advance (an entry
  without a service). After the close freezes the charges, an advance is taken onto the services
  with a debt (pairs of entries summing to zero). Views that show the open month with its draft
  show that same offset already, so a figure per service is the same before and after the close.
* **Corrections are new entries.** A payment recorded in error is reversed (Сторнування):
  ``reversal`` entries cancel each of its entries, with a reason; the payment stays.

Modules, in the order money goes through them:

* :mod:`.books` — reading: balances (per period end, now, as of a date), the turnover of a
  period, the balance history of an account, the entries behind a figure;
* :mod:`.posting` — writing: payments, subsidies, opening balances, the draft frozen at the
  close, advances, closing balances, reversals;
* :mod:`.overdue` — the debt a penalty runs on (overdue, due, unpaid penalties, the month's
  payments) and the journal of an account under a restructuring agreement;
* :mod:`.statement` — the statement of account (акт звірки) over a range of months;
* :mod:`.trend` — charged against collected month by month (the dashboard's chart and rate);
* :mod:`.aging` — the age of a debt by FIFO (stored at every close): the write-off candidates, the
  debtors' buckets.
"""
from .aging import (  # noqa: F401
    BUCKETS, Aging, OldDebt, PairState, aging, aging_totals, debt_by_account, debts_older_than, fifo, fifo_state,
    fifo_step,
    last_month_older_than, older_than, clear_debt_ages, states, store_debt_ages,
)
from .books import (  # noqa: F401
    TURNOVER_COLUMNS, DebtTotals, LastPayment, PaymentTotals, account_balance, account_books, balance_as_of, balance_history,
    balances, debt_totals, entries_query, entries_total, last_closed, last_payment, open_period, payment_lines,
    payment_totals, payments_in, period_totals, posted_by_target, totals, turnover,
)
from .posting import (  # noqa: F401
    LedgerError, first_period_open, freeze_draft, lock_open_period, offset_advances, post_opening_balances, post_payments,
    post_pending, post_received_payments, receive_payment, post_received_subsidies, post_subsidies, post_write_off, reverse_payment,
    reverse_write_off, spread,
    store_closing_balances, waiting_payments,
)
from .overdue import (  # noqa: F401
    AgreementMoves, Overdue, agreement_moves, debt_on, entry_mark, overdue_debts, penalty_stale_buildings,
)
from .trend import MonthFlow, charged_collected, collection_rate  # noqa: F401
from .statement import Statement, StatementError, statement  # noqa: F401
