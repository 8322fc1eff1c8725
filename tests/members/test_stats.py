"""Dashboard figures: right per unit, per band, and never counting members outside the scope."""

from __future__ import annotations

from datetime import date

from server.auth.member_services import _bind
from server.auth.models import BindMethod, Role
from server.db import db
from server.members import stats

TODAY = date(2026, 11, 23)


def test_figures_count_units_bands_and_binding_within_scope(app, tree, make_member):
    make_member(
        tree["a1"], "甲一老", birth_date=date(1960, 1, 1), join_date=date(1985, 7, 1), full_member_date=date(1986, 7, 1)
    )
    young = make_member(
        tree["a1"],
        "甲一新",
        birth_date=date(2000, 5, 1),
        join_date=date(2026, 7, 1),
        status="probationary",
        full_member_date=None,
        group_id=tree["a1_group"].id,
    )
    make_member(
        tree["a2"], "甲二", birth_date=date(1985, 3, 3), join_date=date(2010, 7, 1), full_member_date=date(2011, 7, 1)
    )
    make_member(
        tree["b1"], "乙一", birth_date=date(1990, 3, 3), join_date=date(2015, 7, 1), full_member_date=date(2016, 7, 1)
    )
    _bind(young, "openid-young", BindMethod.PHONE)
    db.session.commit()

    whole = stats.dashboard(tree["committee"].path, tree["committee"], TODAY)
    assert whole["total"] == 4 and whole["bound"] == 1
    assert dict(whole["by_unit"]) == {"甲党总支": 3, "乙党总支": 1}
    assert dict(whole["by_status"]) == {"预备党员": 1, "正式党员": 3}

    general = stats.dashboard(tree["general_a"].path, tree["general_a"], TODAY)
    assert dict(general["by_unit"]) == {"甲一支部": 2, "甲二支部": 1}
    assert [label for label, _ in general["by_age"]] == ["30岁以下", "30–39岁", "40–49岁", "50–59岁", "60岁及以上"]
    assert dict(general["by_age"]) == {"30岁以下": 1, "30–39岁": 0, "40–49岁": 1, "50–59岁": 0, "60岁及以上": 1}
    assert dict(general["by_seniority"])["5年以下"] == 1 and dict(general["by_seniority"])["30年及以上"] == 1

    branch = stats.dashboard(tree["a1"].path, tree["a1"], TODAY)
    assert dict(branch["by_unit"]) == {"第一党小组": 1, "未分党小组": 1}
    assert branch["total"] == 2


def test_dashboard_page_shows_the_secretarys_branch_only(browser, make_admin, tree, make_member):
    make_member(tree["a1"], "甲一党员")
    make_member(tree["b1"], "乙一党员")
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    html = browser("shuji").get("/admin/").get_data(as_text=True)
    assert 'id="member-total">1<' in html
