"""core.timeutil.http_date: the same text as the standard library's formatter, for any timestamp."""

from __future__ import annotations

import email.utils
import random

from ocis.core.timeutil import http_date


def test_http_date_matches_email_utils() -> None:
    rng = random.Random(7)
    stamps = [0.0, 0.999, 951782400.0, 1709164800.5, 4102444799.0] + [rng.uniform(0, 4.2e9) for _ in range(20000)]
    for ts in stamps:
        assert http_date(ts) == email.utils.formatdate(ts, usegmt=True), ts


def test_http_date_example() -> None:
    assert http_date(1136214245) == "Mon, 02 Jan 2006 15:04:05 GMT"
