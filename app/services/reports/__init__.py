"""Reports of formats.md (`oblik report KIND --period P [--format csv|xlsx] [--output FILE]` and
the download links of the screens): each kind builds a :class:`Report` — its columns and a
stream of rows — and :mod:`.writers` writes it as CSV or XLSX. Add a kind to ``REPORTS``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from flask_babel import gettext as _

from ...billing.periods import parse_period


class ReportError(Exception):
    """The report cannot be made (message for the user)."""


@dataclass
class Report:
    kind: str
    period: str
    columns: list[str]
    rows: Iterable[tuple]
    money_columns: tuple[str, ...] = ()
    quantity_columns: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.kind}-{self.period}"


def _registry() -> dict[str, Callable]:
    from .charges import charges_report
    from .turnover import turnover_report

    return {"charges": charges_report, "turnover": turnover_report}


REPORT_KINDS = ("charges", "turnover")


def build_report(kind: str, period: str, session=None) -> Report:
    from ...extensions import db

    reports = _registry()
    if kind not in reports:
        raise ReportError(_("Unknown report %(kind)s; available: %(kinds)s", kind=kind, kinds=", ".join(sorted(reports))))
    try:
        parse_period(period)
    except ValueError:
        raise ReportError(_("A period is written YYYY-MM: %(value)s", value=period)) from None
    return reports[kind](session or db.session, period)
