"""Entry module for Celery processes: ``celery -A app.tasks.worker worker|beat``.

Importing it builds the Flask app (configuration, database) so that tasks run with the same
settings as the web process.
"""
from pathlib import Path

from app import create_app

from .celery_app import celery  # noqa: F401  (celery -A finds it here)

flask_app = create_app()
Path(flask_app.instance_path).mkdir(parents=True, exist_ok=True)  # beat keeps its schedule there
