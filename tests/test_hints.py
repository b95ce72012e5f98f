"""hints(): collapsible Hint 1 / Hint 2 / Solution; the instructor's switch hides the solution."""

from __future__ import annotations

import pytest

from lstm_course.exercises import EXERCISES
from lstm_course.hints import HIDDEN_MESSAGE, hints


@pytest.mark.parametrize("name", list(EXERCISES))
def test_hints_show_two_hints_and_the_solution(name, monkeypatch):
    monkeypatch.delenv("LSTM_COURSE_SOLUTIONS", raising=False)
    h = hints(name)
    html = h._repr_html_()
    assert html.count("<details") == 3
    assert "<summary" in html and ">Hint 1</summary>" in html and ">Hint 2</summary>" in html
    assert ">Solution</summary>" in html
    text = str(h)
    assert repr(h) == text
    assert f"def {name}(" in text and f"def {name}(" in html
    assert text == str(hints(name)) and html == hints(name)._repr_html_()
    assert "0x" not in text


@pytest.mark.parametrize("value", ["off", "OFF", "0", "false", "no"])
def test_instructor_switch_hides_the_solution(value, monkeypatch):
    monkeypatch.setenv("LSTM_COURSE_SOLUTIONS", value)
    h = hints("learn_gate")
    assert "def learn_gate(" not in str(h) and "def learn_gate(" not in h._repr_html_()
    assert HIDDEN_MESSAGE in str(h)
    assert h.solution is None
    assert "Hint 2" in str(h)


def test_switch_on_values(monkeypatch):
    monkeypatch.setenv("LSTM_COURSE_SOLUTIONS", "on")
    assert "def forget_gate(" in str(hints("forget_gate"))


def test_unknown_exercise():
    with pytest.raises(KeyError, match="no exercise named"):
        hints("lern_gate")
