"""Progress of long work: a bar, or a reporter told the phase and the fraction done."""

from vitrine.progress import bar


def test_a_reporter_hears_every_update_and_no_bar_is_drawn(capsys):
    heard = []
    with bar(4, "encode item texts", "text", lambda phase, fraction: heard.append((phase, fraction))) as b:
        b.update(1)
        b.update(3)
    assert heard == [("encode item texts", 0.0), ("encode item texts", 0.25), ("encode item texts", 1.0)]
    assert capsys.readouterr().err == ""
    with bar(2, "silent", "step", False) as b:
        b.update(2)
    assert capsys.readouterr().err == ""
