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


# ---- the release check (`make mp-config`, `make mp-release`): scripts/mp_release.py ----

RELEASE_APP_ID = "wx1234567890abcdef"


def a_deployment(tmp_path, **changes):
    """A deployment other than the demo: its own app id and an https server, unless changed."""
    path = tmp_path / "mp_config" / "prod.json"
    path.parent.mkdir(exist_ok=True)
    raw = json.loads(mp_config.DEFAULT_PATH.read_text()) | {
        "app_id": RELEASE_APP_ID,
        "server_url": "https://dangwu.example.cn",
        "checkin_link_prefix": "https://dangwu.example.cn/m/checkin",
    }
    path.write_text(json.dumps(raw | changes, ensure_ascii=False, indent=2))
    return path


def a_miniprogram(tmp_path, appid="touristappid", url_check=True):
    """A copy of miniprogram/'s project.config.json (as committed, but for appid and urlCheck)."""
    from scripts.mp_release import MINIPROGRAM

    folder = tmp_path / "miniprogram"
    folder.mkdir()
    text = (MINIPROGRAM / "project.config.json").read_text(encoding="utf-8")
    project = json.loads(text)
    assert project["appid"] == "touristappid" and project["setting"]["urlCheck"] is False  # what main ships
    text = text.replace('"touristappid"', json.dumps(appid)).replace(
        '"urlCheck": false', f'"urlCheck": {json.dumps(url_check)}'
    )
    (folder / "project.config.json").write_text(text, encoding="utf-8")
    return folder


def project_of(folder):
    return json.loads((folder / "project.config.json").read_text(encoding="utf-8"))


def test_the_demo_is_written_as_it_is_without_release_checks(tmp_path):
    from scripts.mp_config_js import render
    from scripts.mp_release import check, prepare

    folder = a_miniprogram(tmp_path, url_check=False)
    assert prepare(mp_config.DEFAULT_PATH, folder) == [f"wrote {folder / 'config.js'}"]
    assert (folder / "config.js").read_text(encoding="utf-8") == render(mp_config.load())
    # the demo keeps DevTools' test id, urlCheck off and its http://127.0.0.1 server
    assert project_of(folder)["appid"] == "touristappid"
    assert check(mp_config.DEFAULT_PATH, folder) == []


def test_a_ready_release_gets_its_config_and_its_app_id(tmp_path):
    from scripts.mp_config_js import render
    from scripts.mp_release import check, prepare

    deployment = a_deployment(tmp_path)
    folder = a_miniprogram(tmp_path, url_check=True)
    before = (folder / "project.config.json").read_text(encoding="utf-8")
    done = prepare(deployment, folder)
    assert done[1] == f'wrote "appid": "{RELEASE_APP_ID}" into {folder / "project.config.json"}'
    assert done[-1].endswith("ready to upload")
    assert (folder / "config.js").read_text(encoding="utf-8") == render(mp_config.load(deployment))
    after = (folder / "project.config.json").read_text(encoding="utf-8")
    assert after == before.replace('"touristappid"', f'"{RELEASE_APP_ID}"')  # only the app id changes
    assert check(deployment, folder) == []


def test_touristappid_is_refused_for_a_release(tmp_path):
    from scripts.mp_config_js import render
    from scripts.mp_release import check

    deployment = a_deployment(tmp_path)
    folder = a_miniprogram(tmp_path, appid="touristappid")
    (folder / "config.js").write_text(render(mp_config.load(deployment)), encoding="utf-8")
    [problem] = check(deployment, folder)
    assert '"appid" is "touristappid"' in problem
    assert f'set it to "{RELEASE_APP_ID}"' in problem
    assert "make mp-config MP_CONFIG=" in problem


def test_an_app_id_of_another_mini_program_is_refused(tmp_path):
    from scripts.mp_release import check

    deployment = a_deployment(tmp_path)
    folder = a_miniprogram(tmp_path, appid="wx0000000000other")
    problems = check(deployment, folder)
    assert any(
        '"appid" is "wx0000000000other" but' in p and f'set "appid" to "{RELEASE_APP_ID}"' in p for p in problems
    ), problems


def test_url_check_off_is_refused_before_anything_is_written(tmp_path):
    from scripts.mp_release import ReleaseRefused, prepare

    deployment = a_deployment(tmp_path)
    folder = a_miniprogram(tmp_path, url_check=False)
    with pytest.raises(ReleaseRefused, match='"urlCheck": false') as refused:
        prepare(deployment, folder)
    assert 'set "urlCheck": true' in str(refused.value)
    assert not (folder / "config.js").exists()
    assert project_of(folder)["appid"] == "touristappid"


def test_a_plain_http_server_is_refused_for_a_release(tmp_path):
    from scripts.mp_release import ReleaseRefused, prepare

    deployment = a_deployment(tmp_path, server_url="http://dangwu.example.cn")
    folder = a_miniprogram(tmp_path)
    with pytest.raises(ReleaseRefused) as refused:
        prepare(deployment, folder)
    [problem] = refused.value.problems
    assert problem.startswith(f'{deployment}: "server_url" is "http://dangwu.example.cn"')
    assert 'set "server_url" to an https:// address, such as "https://dangwu.example.cn"' in problem
    assert not (folder / "config.js").exists()


@pytest.mark.parametrize(
    ("prefix", "refused"),
    [
        ("http://dangwu.example.cn/m/checkin", True),
        ("dangwu.example.cn/m/checkin", True),
        ("https://dangwu.example.cn/m/checkin", False),
    ],
)
def test_the_checkin_link_must_be_https_when_the_deployment_has_one(tmp_path, prefix, refused):
    from scripts.mp_release import address_problems

    problems = address_problems(a_deployment(tmp_path, checkin_link_prefix=prefix))
    assert bool(problems) is refused
    if refused:
        assert f'"checkin_link_prefix" is "{prefix}"' in problems[0]
        assert 'set "checkin_link_prefix" to an https:// address' in problems[0]
    # an https prefix beside an https server has nothing to refuse
    assert address_problems(a_deployment(tmp_path)) == []


def test_the_release_check_notices_config_js_written_for_another_deployment(tmp_path):
    from scripts.mp_release import check, prepare

    folder = a_miniprogram(tmp_path)
    prepare(a_deployment(tmp_path), folder)
    (folder / "config.js").write_text("module.exports = {};\n")
    [problem] = check(a_deployment(tmp_path), folder)
    assert problem.startswith(f"{folder / 'config.js'} was not written from")


def test_the_make_targets_refuse_the_committed_folder_for_a_release_and_change_nothing(tmp_path, monkeypatch, capsys):
    """`make mp-release` and `make mp-config` with a release's file, against miniprogram/ as committed."""
    from scripts import mp_config_js, mp_release

    committed = {
        path: path.read_bytes() for path in (mp_config_js.TARGET, mp_release.MINIPROGRAM / "project.config.json")
    }
    monkeypatch.setenv("MP_CONFIG", str(a_deployment(tmp_path, server_url="http://dangwu.example.cn")))
    assert mp_release.main([]) == 1
    assert mp_config_js.main() == 1
    errors = capsys.readouterr().err
    assert errors.count("Refusing to release the mini-program for") == 2
    for complaint in ('"appid" is "touristappid"', '"urlCheck": false', '"server_url" is "http://'):
        assert complaint in errors
    assert {path: path.read_bytes() for path in committed} == committed

    monkeypatch.setenv("MP_CONFIG", str(mp_config.DEFAULT_PATH))
    assert mp_release.main([]) == 0
    assert "demo deployment: release checks do not apply" in capsys.readouterr().out
