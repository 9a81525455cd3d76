"""--format html: one self-contained page, escaped, with the folded table, the per-stage
bars and a roofline; rendered in a real headless Chromium when the machine has one."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.pngread import read_png

EDGE = ROOT / "specs" / "edge.yaml"
DEVICE_ARGS = ("report", str(EDGE), "--model", "resnet18", "--device", "orin-int8")

# compute 1 TFLOPS and bandwidth 10 GB/s at float32: the ridge is at 1e12 / 1e10 = 100 FLOP/byte
ROOFED = """
version: 1
devices:
  box:
    dtype: float32
    compute: {float32: 1TFLOPS}
    bandwidth: 10GB/s
models:
  m: {devices: [box], input: [1, 3, 8, 8], layers: [
      {name: "<script>alert(1)</script>", conv2d: {out: 4, kernel: 3}}, relu, flatten,
      {name: head, linear: {out: 2}}]}
"""


def _page(cli, *args: str) -> str:  # type: ignore[no-untyped-def]
    run = cli(*args, "--format", "html")
    assert run.code == 0, run.err
    out: str = run.out
    return out


def test_the_page_needs_no_network(cli) -> None:  # type: ignore[no-untyped-def]
    page = _page(cli, *DEVICE_ARGS)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower()
    for fetches in ("src=", "href=", "@import", "url(", "<link", "<iframe", "<object"):
        assert fetches not in page.lower(), fetches
    # the only URL is SVG's namespace, an identifier that is never fetched
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_user_text_is_escaped(cli, write) -> None:  # type: ignore[no-untyped-def]
    page = _page(cli, "report", str(write("s.yaml", ROOFED)), "--device", "box")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # a problem quotes what the user wrote: escaped too
    bad = write("bad.yaml", ROOFED.replace("  m: {", '  "m<&>\\"": {'))
    run = cli("report", str(bad), "--format", "html")
    assert run.code == 2 and "m&lt;&amp;&gt;&quot;" in run.out and 'm<&>"' not in run.out


def test_ridge_point_and_every_layer_with_work_on_the_roofline(cli, write) -> None:  # type: ignore[no-untyped-def]
    page = _page(cli, "report", str(write("s.yaml", ROOFED)), "--device", "box")
    assert "ridge point 100 FLOP/byte" in page
    plot = page[page.index("<h3>Roofline") :]
    points = re.findall(r"<circle [^>]*r=\"3.5\"[^>]*><title>([^:]*) \(", plot)
    # conv, relu and linear do work; flatten is a view and is not drawn
    assert points == ["&lt;script&gt;alert(1)&lt;/script&gt;", "layers.1", "head"]


def test_the_table_is_folded_by_default(cli) -> None:  # type: ignore[no-untyped-def]
    path = str(ROOT / "specs" / "zoo" / "resnet50.yaml")
    page = _page(cli, "report", path)
    names = re.findall(r"<tr><td>([^<]*)</td>", page)
    rows = cli("report", path, "--depth", "1", "--format", "json").json()["models"][0]["rows"]
    assert names == [row["name"] for row in rows]
    assert "<h3>Params, MACs and bytes moved per stage</h3>" in page
    assert "Roofline" not in page  # no device, no roofline


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _non_background(png: Path) -> tuple[float, int]:
    """The share of pixels that are not the page's white, and how many are bar blue."""
    pixels = read_png(png).pixels()
    drawn = sum(1 for pixel in pixels if pixel != (255, 255, 255))
    blue = sum(1 for r, g, b in pixels if abs(r - 0x09) + abs(g - 0x69) + abs(b - 0xDA) < 30)
    return drawn / len(pixels), blue


@pytest.mark.skipif(_chromium() is None, reason="no chromium (apt-get install chromium)")
def test_chromium_draws_the_page(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "report.html"
    page.write_text(_page(cli, *DEVICE_ARGS), encoding="utf-8")
    shot = tmp_path / "shot.png"
    command = [
        str(_chromium()),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1100,2300",
        f"--screenshot={shot}",
        page.as_uri(),
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    subprocess.run(command, capture_output=True, timeout=300, check=False, env=env)
    assert shot.is_file(), "chromium wrote no screenshot"
    drawn, blue = _non_background(shot)
    assert drawn > 0.02  # text, table rules, bars and the plot: not a blank page
    assert blue > 500  # the params bars and the memory-bound points are drawn


def _png(width: int, rows: list[tuple[int, list[int]]]) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
    raw = b"".join(bytes([kind, *line]) for kind, line in rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_the_png_reader_undoes_every_filter(tmp_path: Path) -> None:
    path = tmp_path / "f.png"
    path.write_bytes(
        _png(
            2,
            [
                (0, [10, 20, 30, 40, 50, 60]),  # none
                (1, [1, 2, 3, 5, 5, 5]),  # sub: + the pixel to the left
                (2, [1, 1, 1, 1, 1, 1]),  # up: + the pixel above
                (3, [10, 10, 10, 0, 0, 0]),  # average: + (left + up) // 2
                (4, [0, 0, 0, 0, 0, 0]),  # paeth: + whichever of left, up, up-left is nearest
            ],
        )
    )
    assert read_png(path).pixels() == [
        (10, 20, 30), (40, 50, 60),
        (1, 2, 3), (1 + 5, 2 + 5, 3 + 5),
        (1 + 1, 2 + 1, 3 + 1), (6 + 1, 7 + 1, 8 + 1),
        (10 + (0 + 2) // 2, 10 + (0 + 3) // 2, 10 + (0 + 4) // 2),
        ((11 + 7) // 2, (11 + 8) // 2, (12 + 9) // 2),
        (11, 11, 12), (9, 9, 10),
    ]  # fmt: skip
