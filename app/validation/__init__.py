"""Domain validation: one function per model, shared by forms, the REST API and imports.

``validate(session, obj)`` returns a list of ``FieldError`` (field, Ukrainian message). A
form shows each message next to its field; the API answers 422 with them; the import
reports them per row. So a record is accepted by every entry path exactly when it is valid.
The rules never query the database themselves: what they need to know about other records
comes from a facts provider (``facts.py``) — read per record for a form, loaded in bulk for
an import file (``validate_with``).
"""
from .core import FieldError, validate, validate_with  # noqa: F401
from . import rules  # noqa: F401  (registers the validators)
