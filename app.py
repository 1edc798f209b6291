"""WSGI entry point: ``gunicorn 'app:create_app()'`` or ``flask --app app.py run``."""
from app import create_app  # the package app/ takes precedence over this file

application = create_app()

if __name__ == "__main__":
    application.run(host="127.0.0.1", port=8080)
