"""A file the screens hand to the browser: a record's document (PDF) or a made file.

``send_document`` is the one «found, else 404, then the file» of the documents printed from a
card (a cash receipt, a restructuring agreement, a claim act, a write-off statement): the view
finds the record as it always did — FAB's datamodel with its base filters, ``scoped_get`` or a
service, so the inspector's scope and the role checks stay the view's — and passes it here.
``send_bytes`` is the download of bytes or a file already made (invoices, statements, sheets).
Never cached (``max_age=0``); the name goes in ``Content-Disposition`` (werkzeug encodes it).
"""
import io
import os

from flask import abort, send_file

PDF = "application/pdf"


def send_bytes(content, name: str, *, mimetype: str = PDF, attachment: bool = False):
    """``content`` (bytes, a file object or a path) as the file ``name``: shown in the browser
    (``inline``), or saved (``attachment``)."""
    if isinstance(content, (bytes, bytearray)):
        content = io.BytesIO(content)
    elif not isinstance(content, (str, os.PathLike)) and not hasattr(content, "read"):
        raise TypeError(f"not a file: {type(content).__name__}")
    return send_file(content, mimetype=mimetype, as_attachment=attachment, download_name=name, max_age=0)


def send_document(item, render, file_name, *, attachment: bool = False, mimetype: str = PDF):
    """The document of ``item`` — ``render(item)`` named ``file_name(item)`` — or 404 when there is
    no such record (``item`` is None: not found, or outside what the user may see)."""
    if item is None:
        abort(404)
    return send_bytes(render(item), file_name(item), mimetype=mimetype, attachment=attachment)
