"""How a goal's path or event name matches: SQL for the plain match types, RE2 for regexes.

User patterns run only on RE2 (google-re2), whose matching time is linear in the text: a
pattern such as `(a+)+$` cannot make it backtrack. Patterns are also limited in length and in
the memory their compiled program may take, so that a pattern cannot make compiling costly.
Python's `re` never sees one.
"""

from __future__ import annotations

import functools
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

from appliance.goals.models import MatchType

MAX_PATTERN_LENGTH = 500
MAX_PROGRAM_BYTES = 1 << 20  # RE2's memory budget for one compiled pattern (its default is 8 MiB)
SQL_FUNCTION = "almanac_re2_search"


class PatternError(ValueError):
    """Why a pattern cannot be used, as a sentence."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every bad pattern to stderr
    options.max_mem = MAX_PROGRAM_BYTES
    return options


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 program of a pattern; PatternError when it is too long or not valid RE2."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"The regular expression may not be longer than {MAX_PATTERN_LENGTH} characters.")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"The regular expression is not valid: {reason}.") from None


def search(pattern: str, text: str | None) -> bool:
    """Whether the RE2 pattern matches anywhere in the text (anchor it with ^ and $ for a whole match)."""
    if text is None:
        return False
    return compile_pattern(pattern).search(text) is not None


def sql_search(pattern: str | None, text: str | None) -> int:
    """`search` as an SQLite function. A stored pattern was valid when it was saved: if RE2 ever
    disagrees, the pattern matches nothing rather than failing every query of the site."""
    if pattern is None or text is None:
        return 0
    try:
        return int(search(pattern, text))
    except PatternError:
        return 0


# The SQL for `column <match> :match`, for each match type: case-sensitive, as Python's str
# methods are. substr() and length() count characters, as Python does.
_PREDICATES: dict[MatchType, str] = {
    "equals": "{column} = :match",
    "contains": "instr({column}, :match) > 0",
    "starts_with": "substr({column}, 1, length(:match)) = :match",
    "ends_with": "substr({column}, -length(:match)) = :match",
    "regex": f"{SQL_FUNCTION}(:match, {{column}})",
}


def predicate(match_type: MatchType, column: str) -> str:
    """The WHERE condition for a match type on a column; the value is bound as `:match`."""
    if column not in ("path", "name", "walk.path", "walk.name"):  # closed list: never a caller's text
        raise ValueError(f"not a matchable column: {column}")
    return _PREDICATES[match_type].format(column=column)
