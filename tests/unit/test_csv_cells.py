"""Every CSV the program writes (the mailing vendor's manifest, the dashboard, the transcript) goes
through the maintained library's writer: a cell a member typed never runs as a formula."""

import io

import pytest

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+SUM(1,2)", "@SUM(A1)", "-2+3", "%0A=1", "|cmd"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_every_csv_writer_of_the_program_neutralises_a_leading_formula_character(formula):
    from ccp import figures, notices
    from record_ce import transcript

    for module in (notices, figures, transcript):
        out = io.StringIO()
        module.csv.writer(out).writerow([formula, 12, "plain"])
        first = next(iter(__import__("csv").reader(io.StringIO(out.getvalue()))))[0]
        assert first.startswith("'"), (module.__name__, first)


def test_numbers_and_plain_text_are_written_as_they_are():
    from ccp import figures

    out = io.StringIO()
    figures.csv.writer(out).writerow(["-12.5", -3, "Ann Bee", "2026-04-01"])
    assert out.getvalue() == "-12.5,-3,Ann Bee,2026-04-01\r\n"
