"""The process pool of a run started here (the command line, the benchmark): ``jobs`` forked
processes, each with its own application and database connection, bill the chunks in
parallel (:func:`.run.bill_chunk`)."""
from __future__ import annotations

import multiprocessing
import os

from ...extensions import db
from .run import bill_chunk


def bill_in_pool(run_id: int, chunks: list[list[int]], jobs: int, progress=None) -> None:
    from flask import current_app

    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_worker_start, initargs=(uri,)) as pool:
        done = 0
        try:
            for _chunk in pool.imap_unordered(_worker_chunk, [(run_id, seq) for seq in range(len(chunks))]):
                done += 1
                if progress:
                    progress(done, len(chunks))
        except Exception:
            pool.terminate()
            raise


_worker_app = None


def _worker_start(uri: str) -> None:
    global _worker_app
    from ... import create_app

    os.environ.setdefault("OBLIK_CELERY_EAGER", "1")
    _worker_app = create_app({"SQLALCHEMY_DATABASE_URI": uri})


def _worker_chunk(args) -> dict:
    run_id, seq = args
    with _worker_app.app_context():
        try:
            return bill_chunk(run_id, seq)
        finally:
            db.session.remove()
