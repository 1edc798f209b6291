"""Celery tasks: thin, idempotent wrappers around services."""
