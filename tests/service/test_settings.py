"""Service settings: flags over environment over the config file over defaults; the admin token
made once and kept; bad values named with where they came from."""

import stat

import pytest

from vitrine.app.settings import SettingsError, load_settings, with_token


def test_flags_win_over_the_environment_over_the_config_file(tmp_path):
    config = tmp_path / "serve.toml"
    config.write_text('max_queue = 3\nindex = "hnsw"\ncors_origins = ["https://shop.example"]\nmax_inflight = 9\n')
    env = {"VITRINE_MAX_QUEUE": "5", "VITRINE_MAX_INFLIGHT": "7"}
    settings = load_settings(tmp_path, {"max_inflight": 11, "index": None}, str(config), environ=env)
    assert settings.max_queue == 5 and settings.index == "hnsw" and settings.max_inflight == 11
    assert settings.cors_origins == ("https://shop.example",)
    assert load_settings(tmp_path, {}, None, environ={}).max_queue == 16  # the default


@pytest.mark.parametrize("text,needle", [("max_queue = 0", "at least 1"), ("colour = 1", "unknown setting 'colour'"),
                                         ("index = 'annoy'", "one of exact, ivf, hnsw"), ("token = 'short'", "16 characters"),
                                         ("max_queue = 'many'", "not a valid value"), ("[[", "not valid TOML")])
def test_a_bad_config_names_the_file_and_setting(tmp_path, text, needle):
    config = tmp_path / "serve.toml"
    config.write_text(text)
    with pytest.raises(SettingsError, match="--config") as caught:
        load_settings(tmp_path, {}, str(config), environ={})
    assert needle in str(caught.value)


def test_a_bad_environment_value_names_the_variable(tmp_path):
    with pytest.raises(SettingsError, match=r"\$VITRINE_MAX_QUEUE"):
        load_settings(tmp_path, {}, None, environ={"VITRINE_MAX_QUEUE": "-2"})


def test_the_token_is_made_once_kept_private_and_reused(tmp_path):
    first, new = with_token(load_settings(tmp_path, {}, None, environ={}))
    assert new and len(first.token) >= 16
    assert stat.S_IMODE((tmp_path / "service-token").stat().st_mode) == 0o600
    again, new_again = with_token(load_settings(tmp_path, {}, None, environ={}))
    assert again.token == first.token and not new_again
    configured, _ = with_token(load_settings(tmp_path, {}, None, environ={"VITRINE_TOKEN": "x" * 20}))
    assert configured.token == "x" * 20
