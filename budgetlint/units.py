"""Quantities as people write them: `5M`, `0.6`, `8MB`, `7.5MiB`, `1e9`.

Counts take an SI suffix (k, M, G or B for billions, T). Byte sizes need a
unit: decimal kB, MB, GB, TB (10^3k) or binary KiB, MiB, GiB, TiB (2^10k).
A unit that could mean two things (M for bytes, Mb, KB, mb) is an error
rather than a guess. YAML 1.1 reads `1e9` as a string, so strings with an
exponent are accepted everywhere a number is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from budgetlint.problems import short_repr

# The grammar of a number, shared by the parsers below and the JSON Schema's patterns
# (QUANTITIES). Matched against stripped text with fullmatch, and no two repeats can share
# a character: linear time whatever the text (`\d[\d_]*\.?\d*` or `\s*x*\s*$` backtrack
# quadratically). ASCII digits, as in the editor's (JavaScript) patterns.
_EXPONENT = r"(?:[eE][+-]?[0-9]+)?"
NUMBER = rf"(?:[0-9][0-9_]*(?:\.[0-9]*)?|\.[0-9]+){_EXPONENT}"
TIME_NUMBER = rf"[0-9][0-9_]*(?:\.[0-9]*)?{_EXPONENT}"
_NUMBER = re.compile(rf"([+-]?{NUMBER})\s*([A-Za-z]*)")
MAX_QUANTITY_LENGTH = 100  # characters of a quantity as written; longer is refused

COUNT_SUFFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}
BYTE_UNITS = {
    "B": 1,
    "kB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KiB": 2**10,
    "MiB": 2**20,
    "GiB": 2**30,
    "TiB": 2**40,
}
_AMBIGUOUS_BYTES = {
    "KB": "KB is 1000 or 1024 bytes depending on who writes it: write kB or KiB",
    "K": "write kB (10^3 bytes) or KiB (2^10 bytes)",
    "k": "write kB (10^3 bytes) or KiB (2^10 bytes)",
    "M": "write MB (10^6 bytes) or MiB (2^20 bytes)",
    "G": "write GB (10^9 bytes) or GiB (2^30 bytes)",
    "Mb": "Mb is megabits: write MB (10^6 bytes) or MiB (2^20 bytes)",
    "Gb": "Gb is gigabits: write GB (10^9 bytes) or GiB (2^30 bytes)",
    "kb": "kb is kilobits: write kB or KiB",
    "mb": "write MB (10^6 bytes) or MiB (2^20 bytes)",
    "gb": "write GB (10^9 bytes) or GiB (2^30 bytes)",
    "MIB": "write MiB",
    "mib": "write MiB",
}
_AMBIGUOUS_COUNTS = {
    "m": "m could mean milli or million: write M for millions",
    "b": "write B or G for billions",
    "g": "write G for billions",
    "t": "write T for trillions",
}


class UnitError(ValueError):
    """A quantity that can't be read; the caller adds the position."""


_LARGEST = Decimal(10) ** 30  # beyond any real budget; keeps arithmetic and output finite


def _split(value: object) -> tuple[Decimal, str]:
    """The number, exactly (4.1M is 4,100,000, not 4,099,999.999…), and its suffix."""
    if isinstance(value, bool):
        raise UnitError(f"expected a number, got {short_repr(value)}")
    if isinstance(value, int | float):
        number, suffix = Decimal(repr(value)), ""
    elif isinstance(value, str):
        if len(value) > MAX_QUANTITY_LENGTH:
            raise UnitError(f"a quantity of {len(value):,} characters: too long to read")
        match = _NUMBER.fullmatch(value.strip())
        if match is None:
            raise UnitError(f"can't read {short_repr(value)} as a quantity")
        number, suffix = Decimal(match.group(1).replace("_", "")), match.group(2) or ""
    else:
        raise UnitError(f"expected a number or a quantity like '5M', got {short_repr(value)}")
    if not number.is_finite():
        raise UnitError(f"{short_repr(value)} is not a finite number")
    if number.adjusted() > _LARGEST.adjusted():  # before any arithmetic can overflow
        raise UnitError(f"{short_repr(value)} is too large")
    return number, suffix


def _amount(number: Decimal, text: object) -> float:
    """Non-negative and finite; an int when whole, so limits compare exactly."""
    if number < 0:
        raise UnitError(f"{short_repr(text)} is negative")
    if number > _LARGEST:
        raise UnitError(f"{short_repr(text)} is too large")
    return int(number) if number == number.to_integral_value() else float(number)


def parse_count(value: object) -> float:
    """`5M` → 5e6; `1e9` → 1e9; `0.6G` → 6e8."""
    number, suffix = _split(value)
    if suffix in _AMBIGUOUS_COUNTS:
        raise UnitError(
            f"ambiguous unit '{suffix}' in {short_repr(value)}: {_AMBIGUOUS_COUNTS[suffix]}"
        )
    if suffix not in COUNT_SUFFIXES and (suffix in BYTE_UNITS or suffix in _AMBIGUOUS_BYTES):
        raise UnitError(f"{short_repr(value)} is a size in bytes, but this budget counts elements")
    if suffix not in COUNT_SUFFIXES:
        raise UnitError(f"unknown suffix '{suffix}' in {short_repr(value)}: use k, M, G or T")
    return _amount(number * COUNT_SUFFIXES[suffix], value)


class CountInGigaError(UnitError):
    """A count with a suffix (`60M`) where a number in 10^9 is expected: `in_giga` is
    the same amount in 10^9 (`0.06`), for a message that says what to write instead."""

    def __init__(self, message: str, in_giga: str) -> None:
        super().__init__(message)
        self.in_giga = in_giga


def parse_giga(value: object) -> float:
    """A plain number in units of 10^9 (gflops: 0.6); returns the raw count."""
    number, suffix = _split(value)
    if suffix in COUNT_SUFFIXES and suffix:
        in_giga = number * COUNT_SUFFIXES[suffix] / 10**9
        shown = f"{in_giga.normalize():f}"
        raise CountInGigaError(
            f"{value!r}: this budget is already in 10^9: write {shown}, "
            f"or the budget without the g prefix with {value}",
            shown,
        )
    if suffix:
        raise UnitError(
            f"{short_repr(value)}: this budget is already in 10^9; write a plain number like 0.6, "
            "or use the budget without the g prefix (flops: 600M)"
        )
    return _amount(number * 10**9, value)


def parse_bytes(value: object) -> float:
    """`8MB` → 8e6; `7.5MiB` → 7.5·2^20; a bare number is refused as ambiguous."""
    number, suffix = _split(value)
    if suffix in _AMBIGUOUS_BYTES:
        raise UnitError(
            f"ambiguous unit '{suffix}' in {short_repr(value)}: {_AMBIGUOUS_BYTES[suffix]}"
        )
    if suffix == "":
        raise UnitError(f"{short_repr(value)} needs a unit: B, kB, MB, GB or KiB, MiB, GiB")
    if suffix not in BYTE_UNITS:
        raise UnitError(
            f"unknown unit '{suffix}' in {short_repr(value)}: use B, kB, MB, GB, KiB, MiB, GiB"
        )
    return _amount(number * BYTE_UNITS[suffix], value)


def format_count(value: float) -> str:
    """61610 → '61.6k'; 3504872 → '3.50M' (three significant digits)."""
    for suffix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{_three_digits(value / scale)}{suffix}"
    return f"{value:g}"


_DECIMAL = (("GB", 1e9), ("MB", 1e6), ("kB", 1e3))
_BINARY = (("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10))


def format_bytes(value: float, binary: bool = False) -> str:
    """3538984 → '3.54 MB'; with binary=True → '3.38 MiB' (for limits written in MiB)."""
    for suffix, scale in _BINARY if binary else _DECIMAL:
        if abs(value) >= scale:
            return f"{_three_digits(value / scale)} {suffix}"
    return f"{value:g} B"


def _three_digits(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def parse_fraction(value: object) -> float:
    """`90%` → 0.9; a plain number is taken as a fraction and must be in [0, 1]."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number, suffix = _split(value.strip()[:-1])
        if suffix:
            raise UnitError(f"can't read {short_repr(value)} as a percentage")
        return float(_amount(number, value)) / 100
    number, suffix = _split(value)
    if suffix or not 0 <= number <= 1:
        raise UnitError(
            f"{short_repr(value)}: write a percentage like 90% (or a fraction from 0 to 1)"
        )
    return float(number)


_PREFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
_TIMES = {
    "s": Decimal(1),
    "ms": Decimal("1e-3"),
    "us": Decimal("1e-6"),
    "µs": Decimal("1e-6"),
    "ns": Decimal("1e-9"),
}
_TIME = re.compile(rf"({TIME_NUMBER})\s*({'|'.join(map(re.escape, _TIMES))})")
_RATE_UNITS = ("FLOPS", "OPS")


def parse_rate(value: object) -> float:
    """Peak compute: `26TOPS`, `13 TFLOPS`, `900GFLOPS` → operations per second."""
    number, suffix = _split(value)
    for unit in _RATE_UNITS:
        if suffix.endswith(unit) and suffix[: -len(unit)] in _PREFIXES:
            return _amount(number * _PREFIXES[suffix[: -len(unit)]], value)
    raise UnitError(f"{short_repr(value)} needs a unit like TOPS, TFLOPS or GFLOPS")


def parse_bandwidth(value: object) -> float:
    """Memory bandwidth: `51.2GB/s`, `68GiB/s` → bytes per second."""
    if isinstance(value, str) and value.strip().endswith("/s"):
        return parse_bytes(value.strip()[:-2])
    raise UnitError(f"{short_repr(value)} needs a unit like GB/s or GiB/s")


def parse_time(value: object) -> float:
    """`5ms`, `250us`, `1.5s` → seconds; a bare number is refused as ambiguous."""
    if isinstance(value, str) and len(value) > MAX_QUANTITY_LENGTH:
        raise UnitError(f"a quantity of {len(value):,} characters: too long to read")
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise UnitError(f"{short_repr(value)} needs a unit: s, ms, us or ns")
    number = Decimal(match.group(1).replace("_", ""))
    if number.adjusted() > _LARGEST.adjusted():
        raise UnitError(f"{short_repr(value)} is too large")
    seconds = number * _TIMES[match.group(2)]
    if seconds > _LARGEST:
        raise UnitError(f"{short_repr(value)} is too large")
    return float(seconds)


def format_time(seconds: float) -> str:
    for suffix, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if abs(seconds) >= scale:
            return f"{_three_digits(seconds / scale)} {suffix}"
    return f"{seconds / 1e-9:.3g} ns"


# Token throughput, per second: `50tok/s`, `1.5ktok/s`.
TOKEN_RATES = {"tok/s": 1, "ktok/s": 10**3, "Mtok/s": 10**6}


def parse_throughput(value: object) -> float:
    """`50tok/s`, `1.5ktok/s` → tokens per second; a bare number is refused as ambiguous."""
    text = value.strip() if isinstance(value, str) else ""
    if not text.endswith("/s"):
        raise UnitError(f"{short_repr(value)} needs a unit: tok/s (tokens per second)")
    number, suffix = _split(text[:-2])
    unit = f"{suffix}/s"
    if unit not in TOKEN_RATES:
        raise UnitError(f"unknown unit '{unit}' in {short_repr(value)}: use tok/s or ktok/s")
    return _amount(number * TOKEN_RATES[unit], value)


def format_throughput(tokens_per_second: float) -> str:
    if abs(tokens_per_second) >= 1e3:
        return f"{_three_digits(tokens_per_second / 1e3)} ktok/s"
    return f"{_three_digits(tokens_per_second)} tok/s"


def _alternatives(units: Iterable[str]) -> str:
    return "|".join(re.escape(unit) for unit in sorted(units, key=lambda u: (-len(u), u)))


def _pattern(number: str, units: Iterable[str], tail: str = "", sign: bool = True) -> str:
    """`number unit tail`, spaces allowed between; a "" unit makes the unit optional;
    `sign`: a leading + is read (a - too, and refused as negative: not in the pattern)."""
    written = [unit for unit in units if unit]
    unit = f"\\s*(?:{_alternatives(written)})" if written else ""
    if "" in units and written:
        unit = f"(?:{unit})?"
    tail = f"\\s*{re.escape(tail)}" if tail else ""
    plus = "\\+?" if sign else ""
    return f"^\\s*{plus}{number}{unit}{tail}\\s*$"


# A plain fraction from 0 to 1 (0.9, .5, 1, 1.0), without an exponent.
_UNIT_FRACTION = r"\+?(?:0[0_]*(?:\.[0-9]*)?|(?:0[0_]*)?1_*(?:\.0*)?|\.[0-9]+)"


@dataclass(frozen=True)
class Quantity:
    """A kind of value a spec writes, with the parser that reads it and the pattern a
    string must match for that parser: the JSON Schema is generated from this table."""

    name: str
    parse: Callable[[object], float]
    pattern: str  # a string's form: the parser's own grammar and unit tables
    numbers: bool  # a YAML number (no unit) is read too; non-negative
    maximum: float | None  # the largest YAML number accepted (fractions: 1)
    examples: tuple[str, ...]
    doc: str


QUANTITIES: dict[str, Quantity] = {
    "count": Quantity(
        "count",
        parse_count,
        _pattern(NUMBER, COUNT_SUFFIXES),
        True,
        None,
        ("5M", "250k", "1.5G", "5e6"),
        "a count: a number with k, M, G (or B) or T",
    ),
    "giga": Quantity(
        "giga",
        parse_giga,
        _pattern(NUMBER, [""]),
        True,
        None,
        ("0.6", "12"),
        "a plain number in units of 10^9",
    ),
    "bytes": Quantity(
        "bytes",
        parse_bytes,
        _pattern(NUMBER, BYTE_UNITS),
        False,
        None,
        ("8MB", "7.5MiB", "256KiB"),
        "bytes with a unit: kB MB GB TB (powers of 10) or KiB MiB GiB TiB (powers of 2)",
    ),
    "time": Quantity(
        "time",
        parse_time,
        _pattern(TIME_NUMBER, _TIMES, sign=False),
        False,
        None,
        ("5ms", "250us", "1.5s"),
        "a time with a unit: s, ms, us or ns",
    ),
    "rate": Quantity(
        "rate",
        parse_rate,
        _pattern(NUMBER, [prefix + unit for prefix in _PREFIXES for unit in _RATE_UNITS]),
        False,
        None,
        ("26TOPS", "13TFLOPS", "900GFLOPS"),
        "peak compute: a number with OPS or FLOPS and a prefix (k M G T P)",
    ),
    "bandwidth": Quantity(
        "bandwidth",
        parse_bandwidth,
        _pattern(NUMBER, BYTE_UNITS, tail="/s"),
        False,
        None,
        ("51.2GB/s", "68GiB/s"),
        "bytes per second: a size unit and /s",
    ),
    "throughput": Quantity(
        "throughput",
        parse_throughput,
        _pattern(NUMBER, [unit.removesuffix("/s") for unit in TOKEN_RATES], tail="/s"),
        False,
        None,
        ("50tok/s", "1.5ktok/s"),
        "tokens per second: tok/s, ktok/s or Mtok/s",
    ),
    "fraction": Quantity(
        "fraction",
        parse_fraction,
        f"^\\s*(?:\\+?{NUMBER}\\s*%|{_UNIT_FRACTION})\\s*$",
        True,
        1,
        ("90%", "0.9"),
        "a percentage (90%) or a fraction from 0 to 1",
    ),
}
PERCENT_PATTERN = _pattern(NUMBER, ["%"])


def quantity_of(parse: Callable[[object], float]) -> Quantity:
    """The table's row for a parser: a parser without a row fails loudly (a new budget
    unit must be described to the schema too)."""
    for quantity in QUANTITIES.values():
        if quantity.parse is parse:
            return quantity
    raise KeyError(f"no Quantity in budgetlint.units.QUANTITIES parses with {parse.__name__}")
