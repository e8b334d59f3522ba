"""Goal matching: RE2 for patterns (checked, bounded, linear), SQL for the plain match types."""

from __future__ import annotations

import ast
import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.goals import matching
from appliance.goals.models import MATCH_TYPES, MatchType
from appliance.goals.values import numeric

GOALS = Path(__file__).parents[2] / "appliance" / "goals"


def test_user_patterns_never_reach_pythons_backtracking_engine() -> None:
    imported = {
        alias.name
        for path in GOALS.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import)
        for alias in node.names
    }

    assert "re2" in imported
    assert "re" not in imported


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(", "The regular expression is not valid: missing ): (."),
        ("[a-", "The regular expression is not valid: missing ]: [a-."),
        ("(?=x)", "The regular expression is not valid: invalid perl operator: (?=."),
        ("(a)\\1", "The regular expression is not valid: invalid escape sequence: \\1."),
        ("a{2000}", "The regular expression is not valid: invalid repetition size: {2000}."),
        ("\\pL{1000}", "The regular expression is not valid: pattern too large - compile failed."),
        ("a" * 501, "The regular expression may not be longer than 500 characters."),
    ],
)
def test_bad_or_costly_patterns_are_refused_with_a_sentence(pattern: str, message: str) -> None:
    with pytest.raises(matching.PatternError) as caught:
        matching.compile_pattern(pattern)

    assert str(caught.value) == message


def test_catastrophic_backtracking_patterns_run_in_linear_time() -> None:
    evil = "a" * 100_000 + "!"
    started = time.perf_counter()

    results = [matching.search(p, evil) for p in ("(a+)+$", "(a|aa)+$", "(a*)*b", "^(a|a?)+$")]

    assert results == [False, False, False, False]
    assert time.perf_counter() - started < 0.5


def test_search_finds_a_pattern_anywhere_unless_anchored() -> None:
    assert matching.search("thanks", "/shop/thanks/1")
    assert not matching.search("^thanks", "/shop/thanks/1")
    assert matching.search("(?i)^/SHOP", "/shop/thanks")
    assert not matching.search("x", None)


def test_the_sql_function_matches_nothing_rather_than_failing() -> None:
    assert matching.sql_search("(", "anything") == 0
    assert matching.sql_search(None, "x") == 0
    assert matching.sql_search("^/a", "/ab") == 1


def python_match(match_type: MatchType, value: str, text: str) -> bool:
    return {
        "equals": text == value,
        "contains": value in text,
        "starts_with": text.startswith(value),
        "ends_with": text.endswith(value),
        "regex": matching.search(value, text),
    }[match_type]


strings = st.text(alphabet="aAé€😀/_-.", max_size=6)


@settings(max_examples=400, deadline=None)
@given(match_type=st.sampled_from(MATCH_TYPES), value=strings.filter(bool), text=strings)
def test_the_sql_of_each_match_type_means_what_python_means(
    match_type: MatchType, value: str, text: str
) -> None:
    if match_type == "regex":
        value = "^" + "".join(c if c.isalnum() else "." for c in value)
    conn = sqlite3.connect(":memory:")
    conn.create_function(matching.SQL_FUNCTION, 2, matching.sql_search, deterministic=True)
    conn.execute("CREATE TABLE events (path TEXT, name TEXT)")
    conn.execute("INSERT INTO events VALUES (?, ?)", (text, text))

    sql = f"SELECT count(*) FROM events WHERE {matching.predicate(match_type, 'path')}"
    found = conn.execute(sql, {"match": value}).fetchone()[0]
    conn.close()

    assert bool(found) == python_match(match_type, value, text)


def test_only_known_columns_are_matched() -> None:
    with pytest.raises(ValueError, match="not a matchable column"):
        matching.predicate("equals", "path; DROP TABLE goals")


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        (12, 12.0),
        (12.5, 12.5),
        (-3, -3.0),
        ("12.50", 12.5),
        (" 7 ", 7.0),
        ("1e3", 1000.0),
        ("-.5", -0.5),
        (True, None),
        (False, None),
        (None, None),
        ("", None),
        ("12 EUR", None),
        ("1_000", None),
        ("1,5", None),
        ("inf", None),
        ("nan", None),
        ("1e999", None),
        ({"a": 1}, None),
    ],
)
def test_values_read_from_properties(raw: object, number: float | None) -> None:
    assert numeric(raw) == number
