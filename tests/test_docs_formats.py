"""docs/formats.md against the code: every import kind and column (key, required, default,
format, codes of closed lists), every ``oblik`` command with its arguments and options, every
REST API resource with its fields, every report column — documented, and nothing documented
that the code does not have.

The account resource's ``balance`` and ``balance_by_service`` are computed by the ledger and added to
the answer: the API class names them in ``computed_fields``.
"""
from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "formats.md"

ROW_RE = re.compile(r"^\|\s*`([a-z_]+)`\s*\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|\s*(.*?)\s*\|\s*$")
API_ROW_RE = re.compile(r"^\|\s*`([a-z_]+)`\s*\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|\s*$")
HEADING_RE = re.compile(r"^### `([^`]+)`", re.M)


def _section(text: str, number: int) -> str:
    start = re.search(rf"^## {number}\. ", text, re.M)
    assert start, f"docs/formats.md has no section {number}"
    end = re.search(rf"^## {number + 1}\. ", text[start.end():], re.M)
    return text[start.start(): start.end() + end.start()] if end else text[start.start():]


def _subsections(section: str) -> dict[str, str]:
    """{heading text inside backticks: its body up to the next ### heading}."""
    found = {}
    headings = list(HEADING_RE.finditer(section))
    for n, match in enumerate(headings):
        end = headings[n + 1].start() if n + 1 < len(headings) else len(section)
        nxt = re.search(r"^#{1,3} ", section[match.end():end], re.M)  # a plain ### ends it too
        body_end = match.end() + nxt.start() if nxt else end
        assert match.group(1) not in found, f"{match.group(1)} documented twice"
        found[match.group(1)] = section[match.end():body_end]
    return found


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


# --- import kinds -------------------------------------------------------------------------------


def _kind_tables(doc: str) -> dict[str, list[tuple[str, str, str, str]]]:
    tables = {}
    for name, body in _subsections(_section(doc, 1)).items():
        rows = [ROW_RE.match(line) for line in body.splitlines()]
        tables[name] = [m.groups() for m in rows if m]
    return tables


def _required_columns(kind) -> set[str]:
    """Columns a row cannot leave empty: the key, and those whose field the kind's validator
    requires on an empty record unless the import fills a default."""
    from app.validation.core import validate_with

    fields = {error.field for error in validate_with(None, kind.model())}
    columns = set()
    for field in fields:
        if field in kind.ref_by_field:
            columns |= set(kind.ref_by_field[field].columns)
        else:
            columns |= {c.name for c in kind.columns if c.field == field}
    return {c.name for c in kind.columns if c.key or (c.name in columns and c.default is None)}


def _format_of(kind, col) -> str | re.Pattern:
    if col.field is None:
        return re.compile(r"^(code|number|serial) of an existing [a-z ]+( in that building)?$")
    type_, size, scale = kind.column_type(col)
    if type_ == "choice":
        return "one of " + ", ".join(f"`{code}`" for code in col.choices.codes)
    return {"period": "month `YYYY-MM`", "date": "date", "int": "whole number", "bool": "yes/no",
            "decimal": f"number, {scale} places", "text": f"text ≤ {size}" if size else "text"}[type_]


def test_every_import_kind_is_documented_and_nothing_else(app, doc):
    from app.services.imports.kinds import KINDS

    documented = set(_kind_tables(doc))
    assert documented == set(KINDS)


def test_every_column_of_every_kind_as_the_code_declares_it(app, doc):
    from app.services.imports.headers import HEADERS
    from app.services.imports.kinds import KINDS

    tables = _kind_tables(doc)
    with app.app_context():
        for name, kind in KINDS.items():
            rows = tables[name]
            assert [r[0] for r in rows] == [c.name for c in kind.columns], f"{name}: columns or their order"
            required = _required_columns(kind)
            for (column, role, fmt, meaning), col in zip(rows, kind.columns):
                where = f"{name}.{column}"
                assert meaning, f"{where}: no meaning"
                titles = HEADERS[name][col.name]  # the Ukrainian headers, the first as the templates show it
                also = " (also " + ", ".join(f"«{t}»" for t in titles[1:]) + ")" if len(titles) > 1 else ""
                assert meaning.startswith(f"«{titles[0]}»{also} — "), f"{where}: the Ukrainian headers {titles}"
                if col.key:
                    assert role.startswith("key"), f"{where} is a key column: {role!r}"
                elif col.name in required:
                    assert role == "required", f"{where} is required: {role!r}"
                else:
                    default = {False: "no", True: "yes"}.get(col.default, col.default) \
                        if isinstance(col.default, bool) else col.default
                    expected = "optional" + (f", default `{default}`" if default is not None else "")
                    assert role == expected, f"{where}: {role!r}, expected {expected!r}"
                wanted = _format_of(kind, col)
                if isinstance(wanted, re.Pattern):
                    assert wanted.match(fmt), f"{where} is a reference: {fmt!r}"
                else:
                    assert fmt == wanted, f"{where}: format {fmt!r}, expected {wanted!r}"


def test_the_kind_tables_parse(doc):
    tables = _kind_tables(doc)
    assert len(tables) >= 16 and all(tables.values()), "a kind without a column table"


# --- the command line ---------------------------------------------------------------------------


def _commands(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        path = prefix + (name,)
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield " ".join(path), command


def test_every_command_argument_and_option_is_documented_and_nothing_else(doc):
    from app.cli import main

    documented = {}
    for heading, body in _subsections(_section(doc, 2)).items():
        words = heading.split()
        assert words[0] == "oblik", heading
        path = " ".join(w for w in words[1:] if not w.isupper())
        arguments = [w for w in words[1:] if w.isupper()]
        documented[path] = (arguments, set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", body)))
    code = dict(_commands(main))
    assert sorted(documented) == sorted(code)
    for path, command in code.items():
        arguments, options = documented[path]
        assert arguments == [p.name.upper() for p in command.params if isinstance(p, click.Argument)], path
        wanted = {opt for p in command.params if isinstance(p, click.Option) for opt in p.opts}
        assert options == wanted, f"oblik {path}: documented {sorted(options)}, code {sorted(wanted)}"


def test_import_help_names_every_kind(doc):
    """``oblik import --help`` lists the kinds; the doc's list and the code's agree."""
    from app.cli import import_
    from app.services.imports.kinds import KINDS

    help_text = import_.help
    missing = [k for k in KINDS if k not in help_text]
    assert not missing, f"oblik import --help does not name {missing}"


# --- the REST API ---------------------------------------------------------------------------------


def _api_classes():
    from app.views import CATEGORIES

    return {api.resource_name: api for _, _, _, module in CATEGORIES for api in module.APIS}


def _fields(cell: str) -> set[str]:
    """The backticked field names of a cell, without the defaults mentioned beside them."""
    return set(re.findall(r"`([a-z_.]+)`", re.sub(r"\(default `[^`]*`\)", "", cell)))


def test_every_api_resource_and_field_is_documented_and_nothing_else(doc):
    rows = {}
    for line in _section(doc, 3).splitlines():
        match = API_ROW_RE.match(line)
        if match:
            rows[match.group(1)] = (_fields(match.group(2)), _fields(match.group(3)))
    apis = _api_classes()
    assert sorted(rows) == sorted(apis)
    for name, api in apis.items():
        shown, written = rows[name]
        computed = set(getattr(api, "computed_fields", ()))  # added to the answer, e.g. the balance from the ledger
        assert shown == set(api.list_columns) | computed, f"{name}: list and show fields"
        assert set(api.show_columns) <= shown
        assert written == set(api.add_columns or []) | set(api.edit_columns or []), f"{name}: create and edit fields"


# --- reports ------------------------------------------------------------------------------------


def test_every_report_and_column_is_documented(doc):
    from app.services.reports import kinds

    sections = _subsections(_section(doc, 4))
    code = {name: kind.codes for name, kind in kinds().items()}
    assert all(code.values()), "a report kind without its machine columns"
    documented = {name: [m.group(1) for m in map(re.compile(r"^\|\s*`([a-z0-9_]+)`\s*\|").match, body.splitlines()) if m]
                  for name, body in sections.items()}
    assert sorted(documented) == sorted(code)
    for name, columns in code.items():
        assert documented[name] == list(columns), name
