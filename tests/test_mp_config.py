"""The per-deployment mini-program configuration is checked when the server starts."""

import json

import pytest

from server import create_app, mp_config


def test_the_shipped_demo_configuration_is_valid():
    config = mp_config.load()
    assert config["app_id"] == "wx_demo_appid"
    assert mp_config.emulator_templates(config)["demo_meeting_reminder"] == ["thing1", "time2", "thing3"]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"app_id": "not-an-app-id"}, "app_id"),
        ({"server_url": "ftp://x"}, "server_url"),
        (
            {
                "subscribe_templates": {
                    "meeting_reminder": {"template_id": "t", "page": "pages/home/index", "fields": {"title": "x"}}
                }
            },
            "keywords",
        ),
        (
            {
                "subscribe_templates": {
                    "coffee_break": {"template_id": "t", "page": "pages/a", "fields": {"thing1": "x"}}
                }
            },
            "coffee_break",
        ),
    ],
)
def test_a_broken_configuration_stops_the_server_with_a_reason(tmp_path, change, complaint):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(json.loads(mp_config.DEFAULT_PATH.read_text()) | change))
    with pytest.raises(mp_config.MpConfigError, match=complaint):
        create_app({"MP_CONFIG": str(path)})


def test_app_id_must_match_the_wechat_credentials():
    with pytest.raises(mp_config.MpConfigError, match="differs from WECHAT_APPID"):
        create_app({"WECHAT_APPID": "wx_other_app"})


def test_the_mini_program_ships_the_demo_deployments_settings():
    from scripts.mp_config_js import TARGET, render

    assert TARGET.read_text(encoding="utf-8") == render(mp_config.load())
