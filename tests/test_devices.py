"""Device profiles, includes and extends, and the memory and time budgets on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetlint.units import UnitError, format_time, parse_bandwidth, parse_rate, parse_time
from tests.conftest import ROOT

PROFILE = """
version: 1
devices:
  board:
    dtype: float32
    compute: {float32: 1TFLOPS, int8: 4TOPS}
    bandwidth: 10GB/s
    budgets:
      size: 100MB
"""
# one 1x1 conv, 16 → 16 channels on 32x32, no bias, float32 everywhere:
MACS = 16 * 32 * 32 * 16
FLOPS = 2 * MACS
BYTES = 4 * (16 * 32 * 32 + 16 * 16 + 16 * 32 * 32)
SPEC = """
version: 1
include: [profiles/board.yaml]
devices:
  fast:
    extends: board
    budgets:
      mac_bytes: {mac_bytes}
      peak_activations: {peak}
      latency: {latency}
models:
  m:
    input: [1, 16, 32, 32]
    devices: [fast]
    layers: [conv2d: {{out: 16, kernel: 1, bias: false}}]
"""


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "board.yaml").write_text(PROFILE.lstrip("\n"))

    def write(mac_bytes: str, peak: str, latency: str) -> Path:
        path = tmp_path / "spec.yaml"
        path.write_text(SPEC.format(mac_bytes=mac_bytes, peak=peak, latency=latency).lstrip("\n"))
        return Path("spec.yaml")

    return write


def test_memory_and_time_verdicts_at_their_lines(spec, cli) -> None:  # type: ignore[no-untyped-def]
    # memory-bound: BYTES / 10 GB/s = 13.2 us > FLOPS / 1 TFLOPS = 0.5 us
    assert BYTES / 10e9 > FLOPS / 1e12
    path = spec(mac_bytes=f"{BYTES - 1}B", peak="128KiB", latency="10us")
    run = cli("check", str(path), "--format", "json")
    verdicts = {(v["budget"], v["file"], v["line"]): v for v in run.json()["verdicts"]}
    assert run.code == 1
    mac = verdicts[("mac_bytes", "spec.yaml", 7)]
    assert (mac["value"], mac["ok"]) == (BYTES, False)
    peak = verdicts[("peak_activations", "spec.yaml", 8)]
    assert (peak["value"], peak["ok"]) == (4 * 2 * 16 * 32 * 32, True)
    time = verdicts[("latency", "spec.yaml", 9)]
    assert time["value"] == pytest.approx(BYTES / 10e9)
    assert time["ok"] is False
    size = verdicts[("size", "profiles/board.yaml", 8)]  # inherited: reported where written
    assert (size["value"], size["ok"]) == (4 * 16 * 16, True)


def test_all_memory_and_time_budgets_hold(spec, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("check", str(spec(mac_bytes=f"{BYTES}B", peak="128KiB", latency="30us"))).code == 0


def test_latency_needs_roofline_figures(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("s.yaml").write_text(
        "version: 1\ndevices:\n  d:\n    dtype: int8\n    compute: {float32: 1TFLOPS}\n"
        "    budgets: {latency: 1ms}\n"
        "models: {m: {devices: [d], input: [1, 4], layers: [relu]}}\n"
    )
    run = cli("check", "s.yaml")
    assert run.code == 2
    assert (
        "s.yaml:6:24: a latency budget needs the device's bandwidth and its compute for int8"
        in run.err
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  loop1: {extends: loop2}\n  loop2: {extends: loop1}\n", "circular extends"),
        ("  child: {extends: bord}\n", "extends unknown device 'bord' (did you mean 'board'?)"),
        ("  board: {budgets: {params: 1}}\n", "device 'board' is already defined in"),
    ],
)
def test_extends_problems(spec, cli, extra: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = spec(mac_bytes="1MB", peak="1MB", latency="1ms")
    text = path.read_text().replace("devices:\n", "devices:\n" + extra, 1)
    path.write_text(text)
    run = cli("check", str(path))
    assert run.code == 2 and message in run.err


def test_circular_include(tmp_path: Path, cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text("version: 1\ninclude: [b.yaml]\ndevices: {}\n")
    Path("b.yaml").write_text("version: 1\ninclude: [a.yaml]\ndevices: {}\n")
    run = cli("check", "a.yaml")
    assert run.code == 2 and "circular include: a.yaml → b.yaml → a.yaml" in run.err


def test_editing_a_profile_rechecks_the_specs_that_include_it(spec, cli) -> None:  # type: ignore[no-untyped-def]
    spec(mac_bytes="1MB", peak="1MB", latency="1ms")
    Path("pyproject.toml").write_text('[tool.budgetlint]\nspecs = ["spec.yaml"]\n')
    from budgetlint.config import load_config
    from budgetlint.hook import specs_to_check

    chosen = specs_to_check([Path("profiles/board.yaml")], load_config(Path.cwd()), Path.cwd())
    assert chosen == [Path("spec.yaml")]


@pytest.mark.parametrize(
    "profile", sorted((ROOT / "specs" / "devices").glob("*.yaml")), ids=lambda p: p.name
)
def test_shipped_profiles_load_and_name_their_sources(profile: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("check", str(profile)).code == 0
    assert "Source" in profile.read_text() or "source" in profile.read_text()


UNITS = [
    (parse_rate, "26TOPS", 26e12),
    (parse_rate, "13 TFLOPS", 13e12),
    (parse_rate, "900GFLOPS", 900e9),
    (parse_bandwidth, "51.2GB/s", 51.2e9),
    (parse_bandwidth, "68GiB/s", 68 * 2**30),
    (parse_time, "5ms", 5e-3),
    (parse_time, "250us", 250e-6),
    (parse_time, "1.5s", 1.5),
]


@pytest.mark.parametrize(("parse", "text", "value"), UNITS)
def test_rate_bandwidth_time_units(parse, text: str, value: float) -> None:  # type: ignore[no-untyped-def]
    assert parse(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("parse", "text"),
    [(parse_rate, "26T"), (parse_bandwidth, "51GB"), (parse_time, "5"), (parse_time, 5)],
)
def test_ambiguous_rate_bandwidth_time(parse, text: object) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnitError):
        parse(text)


def test_format_time() -> None:
    assert [format_time(t) for t in (2.5, 1.82e-3, 64e-6, 5e-9)] == [
        "2.50 s",
        "1.82 ms",
        "64.0 us",
        "5 ns",
    ]


def test_report_on_a_device_sorted_and_cut(cli) -> None:  # type: ignore[no-untyped-def]
    spec = str(ROOT / "specs" / "edge.yaml")
    args = ("report", spec, "--model", "resnet18", "--device", "orin-int8")
    data = cli(*args, "--format", "json").json()
    (model,) = data["models"]
    layers = model["layers"]
    assert model["device"] == "orin-int8"
    assert sum(layer["seconds"] for layer in layers) == pytest.approx(
        model["totals"]["latency_seconds"]
    )
    assert all(layer["bound"] in ("compute", "memory", "-") for layer in layers)
    moved = sum(layer["bytes_read"] + layer["bytes_written"] for layer in layers)
    assert moved == model["totals"]["mac_bytes"]
    slowest = sorted(layers, key=lambda layer: -layer["seconds"])[:3]
    text = cli(*args, "--sort", "latency", "--top", "3").out.splitlines()
    assert "[top 3 by latency]" in text[0]
    assert [row.split()[0] for row in text[3:6]] == [layer["name"] for layer in slowest]
    assert text[6].startswith("total")
    assert cli(*args[:-2], "--device", "nope").code == 2


FIGURES = {"compute": "{float32: 1TFLOPS}", "bandwidth": "1GB/s"}


@pytest.mark.parametrize(
    ("figure", "message"),
    [
        ("efficiency: 0%", "efficiency must be more than zero"),
        ("efficiency: 150%", "efficiency can't exceed 100%"),
        ("compute: {float32: 0TFLOPS}", "compute.float32 must be more than zero"),
        ("bandwidth: 0GB/s", "bandwidth must be more than zero"),
    ],
)
def test_impossible_device_figures(
    tmp_path: Path, cli, monkeypatch, figure: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    key, value = figure.split(": ", 1)
    figures = {**FIGURES, key: value}
    device = "".join(f"    {name}: {text}\n" for name, text in figures.items())
    Path("s.yaml").write_text(
        f"version: 1\ndevices:\n  d:\n{device}    budgets: {{latency: 1ms}}\n"
        "models: {m: {devices: [d], input: [1, 4], layers: [relu]}}\n"
    )
    run = cli("check", "s.yaml")
    assert run.code == 2 and message in run.err, run.err


# ---- issue 8: messages that say what to write instead; one problem per include cycle

GIGA_FIXES = [
    # (budget, written, the same amount in 10^9 = count / 10^9, the budget without g)
    ("gmacs", "60M", f"{60e6 / 1e9:g}", "macs"),
    ("gflops", "600M", f"{600e6 / 1e9:g}", "flops"),
    ("gflops", "1.5G", f"{1.5e9 / 1e9:g}", "flops"),
    ("gmacs", "250k", f"{250e3 / 1e9:.6f}".rstrip("0"), "macs"),
]


@pytest.mark.parametrize(("budget", "written", "giga", "plain"), GIGA_FIXES)
def test_a_count_in_a_giga_budget_says_both_ways_to_write_it(
    tmp_path: Path, cli, monkeypatch, budget: str, written: str, giga: str, plain: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(
        "version: 1\n"
        f"devices: {{d: {{budgets: {{{budget}: {written}}}}}}}\n"
        "models: {m: {input: [1, 4], devices: [d], layers: [linear: {out: 2}]}}\n"
    )
    run = cli("check", "s.yaml")
    assert run.code == 2
    (line,) = run.err.splitlines()
    assert line.startswith("s.yaml:2:")
    assert f"write `{budget}: {giga}`, or `{plain}: {written}`" in line
    assert "flops: 600M" not in line or written == "600M"


def test_an_include_cycle_is_one_problem_without_a_cascade(
    tmp_path: Path, cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(
        "version: 1\ninclude: [b.yaml]\ndevices: {phone: {budgets: {params: 1M}}}\n"
        "models: {m: {input: [1, 4], devices: [phone, watch], layers: [linear: {out: 2}]}}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "version: 1\ninclude: [a.yaml]\ndevices: {watch: {budgets: {params: 10k}}}\n"
    )
    run = cli("check", "a.yaml")
    assert run.code == 2
    assert run.err.splitlines() == ["b.yaml:2:11: circular include: a.yaml → b.yaml → a.yaml"]
    # the devices of both files are still judged
    assert [line.split()[:2] for line in run.out.splitlines()[2:4]] == [
        ["m", "phone"],
        ["m", "watch"],
    ]


def test_a_missing_include_does_not_cascade_into_unknown_devices(
    tmp_path: Path, cli, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(
        "version: 1\ninclude: [gone.yaml]\ndevices: {phone: {budgets: {params: 1M}}}\n"
        "models: {m: {input: [1, 4], devices: [phone, watch], layers: [linear: {out: 2}]}}\n"
    )
    run = cli("check", "a.yaml", "--format", "json")
    assert run.code == 2
    data = run.json()
    assert [(p["line"], p["code"]) for p in data["problems"]] == [(2, "file.missing")]
    assert [v["device"] for v in data["verdicts"]] == ["phone"]
    assert data["unchecked"]["devices"] == 1
