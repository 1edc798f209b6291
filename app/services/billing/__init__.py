"""Розрахунок за період: the open period's draft, computed by building (billing.md §10).

A run covers the open period — every building, or one. Modules, in the order a run goes
through them:

* :mod:`.run` — the run's lifecycle, the single writer of its status: the request checked,
  the lock taken, the buildings split into chunks; each chunk billed and added to the
  progress; the run finished, or failed with its message and traceback;
* :mod:`.building` — the one function that bills a building for the months it needs: the
  closed months to recalculate and the open one, in one loop, one load per month;
* :mod:`.recalculation` — which closed months a building needs, what the journal holds for
  them, and the difference as ``recalculation`` lines;
* :mod:`.draft` — storing a building's draft (lines, warnings, meter volumes) whole or not
  at all;
* :mod:`.pool` — a run's chunks in a pool of processes (the command line, the benchmark;
  the «Розрахунок» screen runs them as Celery tasks, ``app.tasks.billing``);
* :mod:`.screens` — what the «Розрахунок» screen and the close ask about the draft;
* :mod:`.load` — the chunk's data in a fixed number of set-based queries;
* :mod:`.lock` — one run or close of a period at a time; a run's lock is its heartbeat;
* :mod:`.close` — closing the period: the draft frozen into the journal by the ledger
  (:mod:`app.services.ledger`), the closing balances stored, the next month opened.

A re-run on unchanged data stores identical lines.
"""
from .lock import BillingBusy  # noqa: F401
from .run import (  # noqa: F401
    BillingError, bill_chunk, fail_run, failure, finish_run, run_billing, start_run, sweep_orphans,
)
from .screens import draft_totals, latest_run, unbilled_buildings  # noqa: F401
from .close import CloseSummary, close_period, close_problems, stale_buildings  # noqa: F401
