"""The importer: rows of a file → checked model objects → one bulk write, or nothing.

1. headers are matched to the kind's columns (a missing key column refuses the file);
2. every cell is converted as a form field would convert it;
3. the referenced records (buildings, accounts, meters…) and the existing rows with the
   same keys are loaded for the whole file in a few queries;
4. each row becomes the model object a form would build — a new one, or the existing record
   with the file's columns changed — and the shared validator checks it against the facts
   of the database and of the rows accepted before it (readings: per meter in date order);
5. if any row was rejected nothing is written; else every new row is inserted (executemany,
   or COPY on PostgreSQL) and every changed row updated (executemany), in the caller's
   transaction — the caller commits it together with the import's record.

Re-importing is idempotent: a row equal to its record is *unchanged*; payments and
subsidies are never updated (a different row with the same key is rejected).
"""
import gc
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Date, bindparam, func, select, update
from sqlalchemy.orm.attributes import instance_dict, set_committed_value

from ...models import Meter, Tariff, TariffComponent
from ...models.versioned import is_versioned
from ...validation import validate_with
from ...validation.readings import local_today
from .errors import FileRefused, Problem
from .facts import BulkFacts, load_for
from .files import CONTROL_RE, XLSX_CONTROL_RE, Formula, Table
from .headers import REASON_HEADER, normalise
from ..spreadsheets import DANGEROUS
from .kinds import Kind
from .meter_events import write_meter_events
from .. import audit
from ..sql import insert_rows
from .refs import chunks
from .values import cell_text, display, to_bool, to_choice, to_date, to_decimal, to_int, to_period, to_text

SAMPLE_ROWS = 20


@dataclass
class Outcome:
    """What an import did (or, checked only, would do)."""

    kind: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list = field(default_factory=list)
    problems_total: int = 0
    warnings: list = field(default_factory=list)
    sample: list = field(default_factory=list)
    written: bool = False
    totals: dict = field(default_factory=dict)     # the control totals (:func:`control_totals`)
    rejected_rows: dict = field(default_factory=dict)  # {row number: its reasons} of the rejected rows
    partial: bool = False                          # the valid rows written, the rejected ones left out

    @property
    def ok(self) -> bool:
        return self.rejected == 0


class Row:
    __slots__ = ("number", "values", "texts", "refs", "ref_keys", "key", "existing", "failed", "action")

    def __init__(self, number):
        self.number = number
        self.values = {}
        self.texts = {}
        self.refs = {}
        self.ref_keys = {}
        self.key = None
        self.existing = None
        self.failed = False
        self.action = None


class Report:
    """The rejected-row report, kept to ``limit`` problems (all rows are still counted)."""

    def __init__(self, limit):
        self.limit = limit
        self.problems = []
        self.total = 0

    def add(self, row: Row, column: str, value: str, message, code="invalid"):
        self.total += 1
        row.failed = True
        if self.limit is None or len(self.problems) < self.limit:
            self.problems.append(Problem(row.number, column, value, str(message), code))


def map_headers(kind: Kind, headers) -> tuple[dict, list, dict]:
    """{column code: position}, the warnings and {column code: its header as written}. A column is named by its code or by one of its
    Ukrainian headers (:mod:`.headers`), in any case, the two freely mixed in one file; a column
    named twice, or a missing key column, refuses the file."""
    index, warnings, shown = {}, [], {}
    for position, header in enumerate(headers):
        name = normalise(header)
        if not name:
            continue
        written = str(header).replace("\ufeff", "").strip()
        code = kind.header_lookup.get(name)
        if code is None:
            if name != normalise(REASON_HEADER):  # the reasons of a file of rejected rows, imported again
                warnings.append(_("Unknown column «%(column)s» ignored", column=written))
            continue
        if code in index:
            if normalise(shown[code]) == name:
                raise FileRefused(_("The column «%(column)s» appears twice in the header", column=written),
                                  "duplicate_column")
            raise FileRefused(_("The columns «%(first)s» and «%(second)s» are the same column (%(code)s): keep one "
                                "of them", first=shown[code], second=written, code=code), "duplicate_column")
        index[code] = position
        shown[code] = written
    missing = [name for name in kind.key_names if name not in index]
    if missing:
        raise FileRefused(_("The header has no key column: %(columns)s (the columns of %(kind)s: %(all)s)",
                            columns=", ".join(_named(kind, name) for name in missing), kind=kind.name,
                            all=", ".join(_named(kind, c.name) for c in kind.columns)), "missing_key")
    return index, warnings, shown


def _named(kind: Kind, code: str) -> str:
    return f"«{kind.titles[code]}» ({code})"


def _same(a, b) -> bool:
    if a is None or a == "":
        return b is None or b == ""
    if isinstance(a, Decimal) and b is not None:
        return a == Decimal(b)
    return a == b


def _amounts(kind: Kind, rows, key: str) -> dict:
    """{key: the sum of the money column over ``rows``, as a decimal string} (kinds with money)."""
    if not kind.total_of:
        return {}
    field_name = kind.by_name[kind.total_of].field
    total = sum((r.values[field_name] for r in rows if isinstance(r.values.get(field_name), Decimal)), Decimal("0"))
    return {key: format(total, "f")}


def control_totals(kind: Kind, rows) -> dict:
    """The figures to compare with the bank's covering letter, from the file as it was read:
    its rows, the sum of its money column (``amount_unread``: rows whose amount could not be
    read, so not summed) and the range of its dates or months. JSON-ready (decimal strings,
    ISO dates)."""
    totals = {"rows": len(rows)}
    if kind.total_of:
        field_name = kind.by_name[kind.total_of].field
        totals.update(_amounts(kind, rows, "amount"))
        totals["amount_unread"] = sum(1 for r in rows if not isinstance(r.values.get(field_name), Decimal))
    if kind.dated_by:
        col = kind.by_name[kind.dated_by]
        days = [r.values[col.field] for r in rows if r.values.get(col.field) not in (None, "")]
        shown = str if col.period else date.isoformat  # a month is already «2026-11»
        totals["dated"] = "period" if col.period else "date"
        totals["date_from"] = shown(min(days)) if days else None
        totals["date_to"] = shown(max(days)) if days else None
    return totals


class Importer:
    def __init__(self, session, kind: Kind, actor, *, dry_run: bool, progress=None, max_problems=None,
                 partial: bool = False):
        self.session = session
        self.kind = kind
        self.actor = actor
        self.dry_run = dry_run
        # write the valid rows even when others are rejected (payment registers, on the user's choice)
        self.partial = partial and kind.partial_write
        self.progress = progress
        self.report = Report(max_problems)
        self.date_cache = {}

    # --- the steps ------------------------------------------------------------------------
    def run(self, table: Table) -> Outcome:
        """Check every row; write them all when none is rejected (and this is no dry run)."""
        # Hundreds of thousands of small objects live until the end: the cyclic garbage
        # collector would rescan them again and again for nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run(table)
        finally:
            if collecting:
                gc.enable()

    def _run(self, table: Table) -> Outcome:
        kind = self.kind
        refusal = kind.refused(self.session) if kind.refused else None
        if refusal:
            raise FileRefused(refusal, "refused")
        index, warnings, self.shown = map_headers(kind, table.headers)
        outcome = Outcome(kind.name, total=len(table.rows), warnings=list(table.warnings) + warnings)
        self.index = index
        self.file_fields = [kind.by_name[name].field for name in index if kind.by_name[name].field]
        self.file_refs = [r for r in kind.refs if all(c in index for c in r.columns)]
        self.total = len(table.rows)
        self.converters = self._converters()
        if kind.settle is not None and set(kind.settled) & set(self.file_fields):
            self.file_fields += [f for f in kind.settled if f not in self.file_fields]
        self.today = local_today()
        self.scan_cells = table.file_format != "csv"  # a CSV with control characters is refused whole
        self.unquote = table.file_format == "csv"
        self._tick(0, force=True)

        rows = [self._convert(number, cells) for number, cells in self._counted(table.rows, 0)]
        outcome.totals = control_totals(kind, rows)
        self._resolve(rows)
        good = [r for r in rows if not r.failed]
        self._match_existing(good)
        facts = load_for(kind.name, self.session, BulkFacts(), good)
        sample_numbers = set(sorted(r.number for r in good)[:SAMPLE_ROWS])
        sample = {}
        ordered = sorted(good, key=kind.order) if kind.order else good
        for row in self._counted(ordered, self.total):
            self._check(row, facts)
            if not row.failed and row.number in sample_numbers:
                sample[row.number] = self._display(row)
        self._tick(2 * self.total, force=True)

        outcome.rejected = sum(1 for r in rows if r.failed)
        outcome.problems = [self._as_written(p) for p in sorted(self.report.problems, key=lambda p: p.row)]
        if kind.partial_write:
            reasons = {r.number: [] for r in rows if r.failed}
            for problem in outcome.problems:
                if problem.row in reasons:
                    reasons[problem.row].append(problem.message)
            outcome.rejected_rows = reasons
        outcome.problems_total = self.report.total
        outcome.sample = [sample[n] for n in sorted(sample)]
        accepted = [r for r in rows if not r.failed]
        if kind.notices is not None and accepted:
            outcome.warnings.extend(kind.notices(self.session, [(r.number, r.values) for r in accepted
                                                                if r.action != "unchanged"]))
        outcome.created = sum(1 for r in accepted if r.action == "create")
        outcome.updated = sum(1 for r in accepted if r.action == "update")
        outcome.unchanged = sum(1 for r in accepted if r.action == "unchanged")
        outcome.totals.update(valid_rows=len(accepted), **_amounts(kind, accepted, "valid_amount"))
        if (outcome.rejected == 0 or self.partial) and not self.dry_run:
            self._write(accepted)
            if kind.after_write:
                kind.after_write(self.session, self.actor.username)
            outcome.written = True
            outcome.partial = outcome.rejected > 0
        return outcome

    def _as_written(self, problem: Problem) -> Problem:
        """A problem naming its columns by the file's own headers when the file wrote them in
        Ukrainian (``Сума``, not ``amount``)."""
        if not problem.column:
            return problem
        names = []
        for name in problem.column.split(", "):
            written = self.shown.get(name)
            names.append(written if written and normalise(written) != name else name)
        return replace(problem, column=", ".join(names))

    def _counted(self, rows, offset):
        for i, row in enumerate(rows):
            if i % 2000 == 0:
                self._tick(offset + i)
            yield row

    def _tick(self, done, force=False):
        """Progress in steps: two per row (converted, then checked)."""
        if self.progress is not None:
            self.progress(done, 2 * self.total, force)

    # 1. cells → values ------------------------------------------------------------------
    def _converters(self):
        """(name, position, column, converter) of each column of the file that the kind knows."""
        found = []
        for name, position in self.index.items():
            col = self.kind.by_name[name]
            found.append((name, position, col, self._converter(col) if col.field else None))
        return found

    def _converter(self, col):
        type_, size, scale = self.kind.column_type(col)
        if type_ == "text":
            return lambda raw: to_text(raw, size)
        if type_ == "decimal":
            return lambda raw: to_decimal(raw, size, scale)
        if type_ == "int":
            return to_int
        if type_ == "bool":
            return to_bool
        if type_ == "date":
            cache = {}
            return lambda raw: to_date(raw, cache)
        if type_ == "choice":
            return lambda raw: to_choice(raw, col.choices)
        if type_ == "period":
            return to_period
        raise AssertionError(type_)

    def _convert(self, number, cells) -> Row:
        report = self.report
        unquote = self.unquote
        row = Row(number)
        texts, values = row.texts, row.values
        width = len(cells)
        for name, position, col, convert in self.converters:
            raw = cells[position] if position < width else None
            text = cell_text(raw)
            if unquote and text[:1] == "'" and text[1:2] in DANGEROUS and text[1:2]:
                # the apostrophe a safe CSV writer (ours: the file of rejected rows) put before «=», «+», «-», «@»
                text = raw = text[1:]
            texts[name] = text
            if isinstance(raw, Formula):
                report.add(row, name, str(raw), _("The cell holds a formula: the import takes values only, never "
                                                  "what a formula computed (in Excel: copy the column, then Paste "
                                                  "Special → Values)"), "formula")
                continue
            if self.scan_cells and isinstance(raw, str) and (CONTROL_RE.search(raw) or XLSX_CONTROL_RE.search(raw)):
                report.add(row, name, text.encode("unicode_escape").decode(), _("Control characters are not allowed"),
                           "control_characters")
                continue
            if text == "":
                if col.key:
                    report.add(row, name, "", _("The key column is empty"), "required")
                elif convert is not None:
                    values[col.field] = col.default
                continue
            if convert is None:
                continue
            try:
                values[col.field] = convert(raw)
            except ValueError as e:
                report.add(row, name, text, e.args[0] if e.args else _("Not a valid value"), "format")
        return row

    # 2. references, keys, duplicates --------------------------------------------------------
    def _resolve(self, rows):
        kind, report = self.kind, self.report
        wanted = {r.field: set() for r in self.file_refs}
        for row in rows:
            for ref in self.file_refs:
                parts = tuple(row.texts[c] for c in ref.columns)
                if parts[-1] != "":
                    row.ref_keys[ref.field] = parts
                    if not row.failed:
                        wanted[ref.field].add(parts)
        loaded = {ref.field: ref.loader(self.session, wanted[ref.field]) if wanted[ref.field] else {}
                  for ref in self.file_refs}
        seen = {}
        for row in rows:
            if row.failed:
                continue
            for ref in self.file_refs:
                parts = row.ref_keys.get(ref.field)
                target = None
                if parts is not None:
                    target = loaded[ref.field].get(parts)
                    if target is None:
                        report.add(row, ", ".join(ref.columns), " / ".join(parts), ref.unknown, "unknown_reference")
                        continue
                row.refs[ref.field] = target
                row.values[kind.fk_of[ref.field]] = target.id if target is not None else None
            if row.failed:
                continue
            row.key = tuple(row.values.get(column) for column in kind.key_columns)
            first = seen.setdefault(row.key, row.number)
            if first != row.number:
                report.add(row, ", ".join(kind.key_names), " / ".join(row.texts.get(n, "") for n in kind.key_names),
                           _("The same key is already in row %(row)s of this file", row=first), "duplicate_key")

    # 3. existing rows with the same keys ------------------------------------------------
    def _match_existing(self, rows):
        kind = self.kind
        table = kind.table
        keys = {row.key for row in rows}
        found = {}
        if keys:
            columns = [table.c[name] for name in kind.key_columns]
            first = columns[0]
            ranges = []
            for position, column in enumerate(columns[1:], start=1):
                if isinstance(column.type, Date):
                    days = [k[position] for k in keys if k[position] is not None]
                    if days:
                        ranges.append(column.between(min(days), max(days)))
            names = [c.name for c in table.columns]
            positions = [names.index(c.name) for c in columns]
            for chunk in chunks({k[0] for k in keys}):
                stmt = select(table).where(first.in_(chunk), *ranges)
                for values in self.session.execute(stmt).all():
                    key = tuple(values[p] for p in positions)
                    if key in keys:
                        found[key] = dict(zip(names, values))
        # Related records of the existing rows that the file does not name (e.g. the premise
        # of an account whose file only changes the e-mail).
        missing_refs = [r for r in kind.refs if r not in self.file_refs]
        related = {}
        for ref in missing_refs:
            ids = {m[kind.fk_of[ref.field]] for m in found.values()} - {None}
            related[ref.field] = ref.by_id(self.session, ids) if ids else {}
        self.components = {}
        if kind.model is Tariff and found:
            for chunk in chunks(m["id"] for m in found.values()):
                for component in self.session.scalars(select(TariffComponent).where(TariffComponent.tariff_id.in_(chunk))):
                    self.components.setdefault(component.tariff_id, []).append(component)
        for row in rows:
            existing = found.get(row.key)
            if existing is None:
                for col in kind.columns:
                    if col.field and col.default is not None and col.field not in row.values:
                        row.values[col.field] = col.default
                for ref in missing_refs:
                    row.refs[ref.field] = None
                continue
            row.existing = existing
            merged = dict(existing)
            merged.update(row.values)
            row.values = merged
            for ref in missing_refs:
                row.refs[ref.field] = related[ref.field].get(existing[kind.fk_of[ref.field]])

    # 4. one row: classify, build, validate ----------------------------------------------
    def _check(self, row: Row, facts):
        kind, actor, report = self.kind, self.actor, self.report
        if kind.settle is not None:
            kind.settle(row.values, row.existing, self.today)
        obj = kind.model()
        # The object never joins the session: its attributes go straight into its dict (no
        # change events, and no backref appending it to the referenced record's collections).
        state = instance_dict(obj)
        state.update(row.values)
        state.update(row.refs)
        if row.existing is not None and kind.model is Tariff:
            set_committed_value(obj, "components", list(self.components.get(row.existing["id"], [])))
        if actor.building_ids is not None and kind.building_of is not None:
            building_id = kind.building_of(obj)
            if building_id is None or building_id not in actor.building_ids:
                report.add(row, "", "", _("This building is not among your buildings"), "scope")
                return
        if row.existing is None:
            row.action = "create"
        else:
            changed = [f for f in self._compared_fields() if not _same(row.values.get(f), row.existing.get(f))]
            if not changed:
                row.action = "unchanged"
            elif kind.facts_only:
                columns = sorted({c for f in changed for c in kind.columns_for_field(f)})
                report.add(row, ", ".join(columns), " / ".join(row.texts.get(c, "") for c in columns),
                           _("A record with this key already exists with other data; %(kind)s are never changed "
                             "by an import", kind=str(kind.label).lower()), "fact_differs")
                return
            elif not actor.may(kind.resource, "can_edit"):
                report.add(row, "", "", _("The record already exists and you may not change it"), "forbidden")
                return
            else:
                row.action = "update"
        errors = validate_with(facts, obj)
        if errors:
            for error in errors:
                columns = kind.columns_for_field(error.field) or [error.field]
                shown = [c for c in columns if c in row.texts] or columns
                report.add(row, ", ".join(shown), " / ".join(row.texts.get(c, "") for c in shown), error.message)
            return
        facts.accept(obj)

    def _compared_fields(self):
        fields = list(self.file_fields)
        fields.extend(self.kind.fk_of[r.field] for r in self.file_refs)
        return fields

    def _display(self, row: Row) -> dict:
        shown = {"_row": row.number, "_action": row.action}
        for col in self.kind.columns:
            if col.field:
                shown[col.name] = display(row.values.get(col.field))
            else:
                shown[col.name] = row.texts.get(col.name, "")
        return shown

    # 5. the bulk write ------------------------------------------------------------------
    def _write(self, rows):
        kind, session = self.kind, self.session
        table = kind.table
        created = [r for r in rows if r.action == "create"]
        updated = [r for r in rows if r.action == "update"]
        insert_columns = [c.field for c in kind.columns if c.field] + [kind.fk_of[r.field] for r in kind.refs]
        if kind.created_stamp:
            insert_columns.append(kind.created_stamp)
        for chunk in chunks(created, 20000):
            payload = []
            for row in chunk:
                values = {c: row.values.get(c) for c in insert_columns}
                if kind.created_stamp:
                    values[kind.created_stamp] = self.actor.username
                payload.append(tuple(values[c] for c in insert_columns))
            insert_rows(session, table, insert_columns, payload)
        if updated:
            fields = self._compared_fields()
            stamp = {}
            if kind.edited_stamp:
                user_column, time_column = kind.edited_stamp
                stamp = {user_column: self.actor.username, time_column: func.now()}
            if is_versioned(table):  # a form opened before the import is stale now
                stamp["version"] = table.c.version + 1
            stmt = (update(table).where(table.c.id == bindparam("v__id"))
                    .values({**{f: bindparam(f"v_{f}") for f in fields}, **stamp}))
            for chunk in chunks(updated, 5000):
                session.execute(stmt, [{"v__id": r.existing["id"], **{f"v_{f}": r.values.get(f) for f in fields}}
                                       for r in chunk])
                audit.record_updates(session.connection(), table, [
                    (r.existing["id"], r.existing, {f: r.values.get(f) for f in fields}) for r in chunk])
        if kind.model is Meter:
            write_meter_events(session, created, updated)
