"""The database itself refuses bad rows, whatever the Python code does (checked on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.auth.models import AdminUser, Role
from server.db import db, utcnow


def _insert_member(org_id: int, overrides: dict | None = None) -> None:
    row = {
        "name": "测试",
        "name_sort": "ce shi",
        "gender": "male",
        "ethnicity": "汉族",
        "status": "full",
        "dues_category": "employed",
        "dues_base_fen": 0,
        "org_id": org_id,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    } | (overrides or {})
    # Plain SQL: the ORM's own enum checks must not stand in for the database's.
    columns = ", ".join(row)
    db.session.execute(sa.text(f"INSERT INTO members ({columns}) VALUES ({', '.join(':' + c for c in row)})"), row)


@pytest.mark.parametrize(
    "overrides",
    [
        {"dues_base_fen": -1},
        {"name": "   "},
        {"status": "expelled"},
        {"gender": "x"},
        {"org_id": 999_999},
        {"join_date": date(2010, 1, 1), "full_member_date": date(2009, 1, 1)},
    ],
)
def test_bad_member_rows_are_refused_by_the_database(app, tree, overrides):
    with pytest.raises(IntegrityError):
        _insert_member(tree["a1"].id, overrides)
    db.session.rollback()


def test_id_card_is_unique_in_the_database(app, tree):
    _insert_member(tree["a1"].id, {"id_card": "110101199003074477"})
    with pytest.raises(IntegrityError):
        _insert_member(tree["a1"].id, {"id_card": "110101199003074477"})
    db.session.rollback()


def test_a_scoped_admin_must_have_an_organisation(app):
    db.session.add(AdminUser(username="x", password_hash="h", display_name="x", role=Role.SECRETARY, org_id=None))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
