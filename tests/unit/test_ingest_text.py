"""Cleaning what visitors send, and the keyed hashes that stand in for their ids."""

from __future__ import annotations

import json

import pytest

from appliance.ingest import text
from appliance.ingest.identity import Keys, Salts, derive_visitor


@pytest.mark.parametrize(
    ("raw", "limit", "clean"),
    [
        (None, 10, None),
        ("", 10, None),
        ("  plain  ", 10, "plain"),
        ("a\tb\nc\r\nd", 20, "a b c  d"),
        ("nul\x00 bell\x07 esc\x1b del\x7f c1\x85", 40, "nul bell esc del c1"),
        ("line\u2028sep", 20, "line sep"),
        ("é中文🙂", 3, "é中文"),
        ("abcdef", 3, "abc"),
        ("ab  cdef", 3, "ab"),
        ("\x00\x01", 10, None),
    ],
)
def test_clean(raw: str | None, limit: int, clean: str | None) -> None:
    assert text.clean(raw, limit) == clean


@pytest.mark.parametrize(
    ("raw", "path", "query"),
    [
        ("/", "/", ""),
        ("/a/b?x=1&utm_source=y", "/a/b", "x=1&utm_source=y"),
        ("/a?x=1#/route?y=2", "/a#/route?y=2", "x=1"),
        ("/#section", "/#section", ""),
        ("no-slash", "/no-slash", ""),
        ("https://shop.example.com/p?q=1#f", "/p#f", "q=1"),
        ("https://shop.example.com", "/", ""),
        ("HTTP://[::1", "/", ""),
        ("?only=query", "/", "only=query"),
    ],
)
def test_split_path(raw: str, path: str, query: str) -> None:
    assert text.split_path(raw) == (path, query)


def test_utm_from_query() -> None:
    assert text.utm_from_query("a=1&UTM_Source=news&utm_medium=mail&utm_medium=web&utm_x=1") == {
        "utm_source": "news",
        "utm_medium": "web",
    }
    assert text.utm_from_query("utm_term=%E2%9C%93&utm_content=%ff") == {
        "utm_term": "✓",
        "utm_content": "\ufffd",
    }
    assert text.utm_from_query("q=1") == {}


def test_clean_properties() -> None:
    props = {"": 1, "\x00": 2, " name ": " v\x00al ", "n": 1.5, "b": False, "none": None, "big": 2**53 - 1}

    assert json.loads(text.clean_properties(props, 10, 5) or "") == {
        "name": "val",
        "n": 1.5,
        "b": False,
        "none": None,
        "big": 2**53 - 1,
    }
    assert json.loads(text.clean_properties({f"k{i}": i for i in range(5)}, 2, 5) or "") == {"k0": 0, "k1": 1}
    assert text.clean_properties({"": "x"}, 5, 5) is None
    with pytest.raises(text.PropertyError):
        text.clean_properties({"huge": -(2**53)}, 5, 5)


def test_keyed_hashes_depend_on_the_secret() -> None:
    keys, other = Keys(b"a" * 32), Keys(b"b" * 32)

    assert keys.key("visitor") == keys.key("visitor")
    assert keys.key("visitor") != other.key("visitor")
    assert keys.key("visitor") != keys.key("visitor ")
    assert -(2**63) <= keys.key("visitor") < 2**63
    assert keys.session_name(1) != keys.session_name(2) != other.session_name(2)
    assert len(keys.session_name(1)) == 20


def test_derived_visitors_change_with_the_salt_site_ip_and_browser() -> None:
    base = derive_visitor(b"s" * 32, 1, "81.2.69.142", "UA")

    assert len(base) == 16 and base == derive_visitor(b"s" * 32, 1, "81.2.69.142", "UA")
    assert base not in {
        derive_visitor(b"t" * 32, 1, "81.2.69.142", "UA"),
        derive_visitor(b"s" * 32, 2, "81.2.69.142", "UA"),
        derive_visitor(b"s" * 32, 1, "81.2.69.143", "UA"),
        derive_visitor(b"s" * 32, 1, "81.2.69.142", "UA2"),
    }


def test_salts_are_made_once_per_day_and_forgotten() -> None:
    salts = Salts({10: b"x" * 32})

    assert salts.for_day(10) == (b"x" * 32, False)
    made, created = salts.for_day(11)
    assert created and len(made) == 32 and salts.for_day(11) == (made, False)
    assert salts.forget_before(11) == [10]
    assert salts.days() == [11] and salts.get(10) is None
