from __future__ import annotations

import re

import pytest

from budgetlint.units import (
    UnitError,
    format_bytes,
    format_count,
    parse_bytes,
    parse_count,
    parse_giga,
)

COUNTS = [
    ("5M", 5 * 10**6),
    ("250k", 250 * 10**3),
    ("250K", 250 * 10**3),
    ("0.6G", 0.6 * 10**9),
    ("1B", 10**9),
    ("2T", 2 * 10**12),
    ("1e9", 10**9),  # YAML 1.1 reads 1e9 as a string
    ("5e6", 5 * 10**6),
    ("5_000_000", 5 * 10**6),
    (5_000_000, 5 * 10**6),
    (2.5, 2.5),
    ("3.5 M", 3.5 * 10**6),
]


@pytest.mark.parametrize(("text", "value"), COUNTS)
def test_parse_count(text: object, value: float) -> None:
    assert parse_count(text) == pytest.approx(value)


BYTES = [
    ("8MB", 8 * 10**6),
    ("7.5MiB", 7.5 * 2**20),
    ("256KiB", 256 * 2**10),
    ("200kB", 200 * 10**3),
    ("1GB", 10**9),
    ("2GiB", 2 * 2**30),
    ("512B", 512),
    ("1e3B", 10**3),
]


@pytest.mark.parametrize(("text", "value"), BYTES)
def test_parse_bytes(text: str, value: float) -> None:
    assert parse_bytes(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "value"), [(0.6, 0.6e9), ("0.6", 0.6e9), ("1e-1", 1e8), (10, 1e10)]
)
def test_parse_giga(text: object, value: float) -> None:
    assert parse_giga(text) == pytest.approx(value)


ERRORS = [
    (parse_bytes, "8M", "ambiguous unit 'M'"),
    (parse_bytes, "8KB", "ambiguous unit 'KB'"),
    (parse_bytes, "8Mb", "megabits"),
    (parse_bytes, "8mb", "ambiguous unit 'mb'"),
    (parse_bytes, 8000000, "needs a unit"),
    (parse_bytes, "eight MB", "can't read"),
    (parse_bytes, "8 parsecs", "unknown unit 'parsecs'"),
    (parse_bytes, "8XB", "unknown unit 'XB'"),
    (parse_count, "5m", "could mean milli or million"),
    (parse_count, "5MB", "a size in bytes"),
    (parse_count, "5Q", "unknown suffix 'Q'"),
    (parse_count, "-5M", "negative"),
    (parse_count, True, "expected a number"),
    (parse_count, [1], "expected a number or a quantity"),
    (parse_giga, "0.6G", "already in 10^9"),
    (parse_giga, "600M", "already in 10^9"),
]


@pytest.mark.parametrize(("parse", "text", "message"), ERRORS)
def test_unit_errors(parse, text, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnitError, match=re.escape(message)):
        parse(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (61_610, "61.6k"),
        (3_504_872, "3.50M"),
        (25_557_032, "25.6M"),
        (999, "999"),
        (4.1e9, "4.10G"),
    ],
)
def test_format_count(value: float, text: str) -> None:
    assert format_count(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(3_538_984, "3.54 MB"), (512, "512 B"), (2.5e9, "2.50 GB")]
)
def test_format_bytes(value: float, text: str) -> None:
    assert format_bytes(value) == text


@pytest.mark.parametrize(
    ("parse", "text", "value"),
    [
        (parse_count, "4.1M", 4_100_000),
        (parse_count, 4.1e6, 4_100_000),
        (parse_giga, 0.3, 300_000_000),
        (parse_bytes, "4.1MB", 4_100_000),
        (parse_bytes, "0.1kB", 100),
    ],
)
def test_limits_are_exact(parse, text, value) -> None:  # type: ignore[no-untyped-def]
    # 4.1 * 10**6 in floats is 4099999.9999999995: a model at exactly 4.1M must pass
    assert parse(text) == value
    assert isinstance(parse(text), int)


@pytest.mark.parametrize("text", [float("nan"), float("inf"), ".nan", "1e400"])
def test_limits_must_be_finite_and_sane(text: object) -> None:
    with pytest.raises(UnitError):
        parse_count(text)


THROUGHPUTS = [
    ("50tok/s", 50),
    ("12.5 tok/s", 12.5),
    ("1.5ktok/s", 1500),
    ("2Mtok/s", 2 * 10**6),
]


@pytest.mark.parametrize(("text", "value"), THROUGHPUTS)
def test_parse_throughput(text: str, value: float) -> None:
    from budgetlint.units import parse_throughput

    assert parse_throughput(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("50", "needs a unit: tok/s"),
        (50, "needs a unit: tok/s"),
        ("50ms", "needs a unit: tok/s"),
        ("50tokens/s", "unknown unit 'tokens/s'"),
        ("-5tok/s", "is negative"),
        ("5Gtok/s", "unknown unit 'Gtok/s'"),
    ],
)
def test_bad_throughputs(text: object, message: str) -> None:
    from budgetlint.units import parse_throughput

    with pytest.raises(UnitError, match=re.escape(message)):
        parse_throughput(text)
