"""What can go wrong with an import, in the user's words.

* :class:`FileRefused` — the file as a whole cannot be imported (not a table, damaged, too
  large, a key column missing…): nothing is read further, nothing is written; the command
  line exits with 2.
* :class:`Problem` — one rejected row's one problem (row number, column, value, reason);
  any problem means nothing is written; the command line exits with 1.
"""
from dataclasses import dataclass


class FileRefused(Exception):
    """The whole file is refused; ``str(error)`` is the Ukrainian message for the user."""

    def __init__(self, message: str, code: str = "unreadable"):
        super().__init__(message)
        self.message = message
        self.code = code  # a stable word for tests and scripts: unreadable, too_large, missing_key…


class ImportNotAllowed(Exception):
    """The user may not import this kind (or see this import)."""


@dataclass(frozen=True)
class Problem:
    row: int            # row number in the file, the header being row 1
    column: str         # the file's column (or several, comma-separated); "" = the whole row
    value: str          # the cell as written in the file
    message: str        # the reason, in Ukrainian
    code: str = "invalid"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message,
                "code": self.code}

    def line(self) -> str:
        """One line of the command line's report."""
        from flask_babel import gettext as _

        where = _("row %(row)s", row=self.row)
        if self.column:
            where += ", " + _("column %(column)s", column=self.column)
        if self.value:
            where += ", " + _("value «%(value)s»", value=self.value)
        return f"{where}: {self.message}"
