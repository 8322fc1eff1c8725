"""Flask extensions, created unbound here and bound in the application factory."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_session import Session
from flask_wtf import CSRFProtect

from server.db import db

migrate = Migrate()
csrf = CSRFProtect()
server_session = Session()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["csrf", "db", "limiter", "migrate", "server_session"]
