"""`vitrine simulate-ab`: bad input is one line and exit status 2, before any traffic."""

import socket

import pytest

from vitrine.cli import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, message", [
    (["--arms", "popularity,ranom"], "--arms: unknown 'ranom'"),
    (["--arms", "als,als"], "each arm once"),
    (["--visits", "0"], "--visits"),
    (["--visits", "200000"], "--visits: between 1 and 100,000"),
    (["--url", "http://10.0.0.7:8000"], "this machine only"),
    (["--url", "ftp://127.0.0.1"], "--url"),
    (["--no-picture-penalty", "-1"], "--no-picture-penalty"),
    (["--new-in", "101"], "--new-in"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "none"), "simulate-ab", "--out", str(tmp_path / "ab"), *args]) == 2
    err = capsys.readouterr().err.strip()
    # the verb's own checks print one line; argparse's (a flag's type) put its usage above that line
    assert message in err.splitlines()[-1] and "Traceback" not in err
    assert len(err.splitlines()) == 1 or err.startswith("usage:")
    assert not (tmp_path / "ab" / "run.json").exists()


def test_a_url_that_does_not_answer_is_refused(tmp_path, capsys):
    url = f"http://127.0.0.1:{_free_port()}"
    assert main(["simulate-ab", "--url", url, "--out", str(tmp_path / "ab")]) == 2
    assert "does not answer" in capsys.readouterr().err


def test_cleanup_needs_a_run_record(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "simulate-ab", "--cleanup", str(tmp_path)]) == 2
    assert "not a simulate-ab run record" in capsys.readouterr().err
