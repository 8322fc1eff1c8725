"""Migrations are the schema: they go down and up again, and leave nothing the models disagree with."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from server.db import db


def test_migrations_downgrade_to_nothing_and_upgrade_again(app):
    downgrade(revision="base")
    assert set(db.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []
