"""`vitrine serve` from the command line: bad settings are one line and exit status 2 before
anything listens; a good start prints the URL and the new admin token once (uvicorn stubbed)."""

import uvicorn

from vitrine.cli import main


def test_bad_settings_stop_before_serving(shop, tmp_path, capsys, monkeypatch):
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: served.append(kw))
    data = ["--data-dir", str(shop.data_dir)]
    assert main(data + ["serve", "--recommender", str(tmp_path)]) == 2
    assert "no fitted recommender here" in capsys.readouterr().err
    bad = tmp_path / "serve.toml"
    bad.write_text("max_inflight = -1\n")
    assert main(data + ["serve", "--config", str(bad)]) == 2
    assert "max_inflight must be at least 1" in capsys.readouterr().err
    monkeypatch.setenv("VITRINE_TOKEN", "short")
    assert main(data + ["serve"]) == 2
    assert "$VITRINE_TOKEN" in capsys.readouterr().err and served == []
    assert not (shop.data_dir / "service-token").exists()  # a refused start leaves nothing behind


def test_a_start_prints_the_url_and_the_new_token_once(data, capsys, monkeypatch):
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(kw))
    assert main(["--data-dir", str(data), "serve", "--port", "8124"]) == 0
    out = capsys.readouterr().out
    token = (data / "service-token").read_text().strip()
    assert "http://127.0.0.1:8124/" in out and token in out and served[0]["port"] == 8124
    assert main(["--data-dir", str(data), "serve", "--port", "8124"]) == 0
    assert token not in capsys.readouterr().out  # printed when made, not on every start


def test_forwarded_for_is_trusted_only_from_the_proxies_named(data, capsys, monkeypatch):
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(kw))
    assert main(["--data-dir", str(data), "serve"]) == 0
    assert served[-1]["proxy_headers"] is False  # by default a client cannot name its own address
    assert main(["--data-dir", str(data), "serve", "--forwarded-allow-ips", "10.0.0.7,192.168.0.0/16"]) == 0
    assert served[-1]["proxy_headers"] is True and served[-1]["forwarded_allow_ips"] == "10.0.0.7,192.168.0.0/16"
    capsys.readouterr()
    assert main(["--data-dir", str(data), "serve", "--forwarded-allow-ips", "10.0.0.7,proxy"]) == 2
    assert "--forwarded-allow-ips: 'proxy' is not an IP address" in capsys.readouterr().err and len(served) == 2
