"""Entry point for gunicorn (``gunicorn wsgi:app``) and the flask command (``flask --app wsgi``)."""

from server import create_app

app = create_app()
