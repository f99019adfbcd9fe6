"""dav.conditions: RFC 9110 §13 preconditions for GET/HEAD and PUT."""

from __future__ import annotations

import pytest

from ocis.core.errors import PreconditionFailed
from ocis.dav import conditions
from ocis.storage.api import NodeInfo

INFO = NodeInfo(id="n", space_id="s", parent_id="p", name="f", path="/f", is_dir=False, size=1,
                mtime=1_000_000_000.7, etag="abc", owner_id="u")
BEFORE = "Sat, 08 Sep 2001 00:00:00 GMT"      # < mtime (Sun, 09 Sep 2001 01:46:40 GMT)
SAME = "Sun, 09 Sep 2001 01:46:40 GMT"        # = int(mtime)
AFTER = "Mon, 10 Sep 2001 00:00:00 GMT"


@pytest.mark.parametrize("value, weak, strong", [
    (None, None, None), ("*", "*", "*"), (' "abc" ', ["abc"], ["abc"]),
    ('W/"abc", "d,e"', ["abc", "d,e"], ["d,e"]), ("abc", ["abc"], ["abc"]), ("W/abc", ["abc"], []),
])
def test_etags(value: str | None, weak: object, strong: object) -> None:
    assert conditions.etags(value, weak=True) == weak
    assert conditions.etags(value, weak=False) == strong


@pytest.mark.parametrize("headers, status", [
    ({}, None),
    ({"if-match": '"abc"'}, None), ({"if-match": '"x", "abc"'}, None), ({"if-match": '"x"'}, 412),
    ({"if-match": 'W/"abc"'}, 412), ({"if-none-match": 'W/"abc"'}, 304),  # strong vs weak comparison
    ({"if-unmodified-since": BEFORE}, 412), ({"if-unmodified-since": SAME}, None),
    ({"if-match": '"abc"', "if-unmodified-since": BEFORE}, None),  # If-Match wins (§13.2.2 step 2)
    ({"if-none-match": '"abc"'}, 304), ({"if-none-match": "*"}, 304), ({"if-none-match": '"x"'}, None),
    ({"if-modified-since": SAME}, 304), ({"if-modified-since": AFTER}, 304), ({"if-modified-since": BEFORE}, None),
    ({"if-none-match": '"x"', "if-modified-since": SAME}, None),  # If-None-Match wins (step 4)
    ({"if-modified-since": "garbage"}, None), ({"if-unmodified-since": "garbage"}, None),
])
def test_read_status(headers: dict[str, str], status: int | None) -> None:
    assert conditions.read_status(INFO, headers) == status


@pytest.mark.parametrize("existing, headers, ok", [
    (INFO, {}, True), (None, {}, True),
    (INFO, {"if-match": '"abc"'}, True), (INFO, {"if-match": '"x", "abc"'}, True), (INFO, {"if-match": '"x"'}, False),
    (INFO, {"if-match": 'W/"abc"'}, False), (INFO, {"if-none-match": 'W/"abc"'}, False),
    (None, {"if-match": "*"}, False), (INFO, {"if-match": "*"}, True),
    (INFO, {"if-none-match": "*"}, False), (None, {"if-none-match": "*"}, True),
    (INFO, {"if-none-match": '"abc"'}, False), (INFO, {"if-none-match": '"x"'}, True),
    (INFO, {"if-unmodified-since": BEFORE}, False), (INFO, {"if-unmodified-since": AFTER}, True),
    (None, {"if-unmodified-since": BEFORE}, True),
])
def test_check_write(existing: NodeInfo | None, headers: dict[str, str], ok: bool) -> None:
    if ok:
        conditions.check_write(existing, headers)
    else:
        with pytest.raises(PreconditionFailed):
            conditions.check_write(existing, headers)
