"""Hugging Face config.json imports: params equal transformers' count, as measured."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from budgetlint.cli import main
from budgetlint.engine.conventions import DEFAULT
from budgetlint.engine.evaluate import ModelReport, evaluate
from budgetlint.spec.expand import read_spec

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MEASURED = json.loads((DATA / "measured_hf_configs.json").read_text())["models"]


def _imported(tmp_path: Path, name: str, *args: str) -> tuple[ModelReport, str]:
    out = tmp_path / f"{name}.yaml"
    config = DATA / "hf_configs" / name / "config.json"
    assert main(["import", str(config), "-o", str(out), *args]) == 0
    spec, problems = read_spec(out)
    assert not problems and spec is not None
    return evaluate(spec.models[0].architecture, DEFAULT), out.read_text()


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_params_equal_transformers(tmp_path: Path, name: str) -> None:
    report, _ = _imported(tmp_path, name, "--tokens", "8")
    assert report.params == MEASURED[name]["params"]


REQUIRED = {
    "qwen2.5-0.5b",
    "llama-3.2-1b",
    "phi-3-mini-4k",
    "mistral-7b-v0.1",
    "smollm2-135m",
    "gpt2",
}


def test_the_issues_configs_are_measured() -> None:
    assert set(MEASURED) >= REQUIRED


def test_gpt2_decode_step_macs_by_hand(tmp_path: Path) -> None:
    d, layers, vocab, context = 768, 12, 50257, 100
    report, text = _imported(tmp_path, "gpt2", "--decode", "--context", str(context))
    assert "input: [1, 1]" in text
    # per layer: q, k, v, out projections 4·d², the MLP 8·d², attention over the cache
    # and the new token 2·d·(context + 1); then the (tied) head
    per_layer = 4 * d * d + 8 * d * d + 2 * d * (context + 1)
    assert report.macs == layers * per_layer + vocab * d


def test_prefill_tokens(tmp_path: Path) -> None:
    report, text = _imported(tmp_path, "smollm2-135m", "--tokens", "32")
    assert "input: [1, 32]" in text
    assert report.layers[0].output == (1, 32, 576)


def test_reimport_is_byte_identical(tmp_path: Path) -> None:
    _, first = _imported(tmp_path, "phi-3-mini-4k", "--tokens", "8")
    _, second = _imported(tmp_path, "phi-3-mini-4k", "--tokens", "8")
    assert first == second


@pytest.mark.parametrize(
    "name", ["qwen2.5-0.5b", "llama-3.2-1b", "mistral-7b-v0.1", "gpt2", "bert-base-uncased"]
)
def test_zoo_spec_verifies_against_its_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "specs" / "zoo" / f"{name}.yaml", "zoo.yaml")
    shutil.copytree(DATA / "hf_configs" / name, "model")
    assert main(["verify", "zoo.yaml", "--against", "model/config.json"]) == 0


def test_arch_config_json_in_a_budget_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(DATA / "hf_configs" / "smollm2-135m", "smollm")
    Path("budget.yaml").write_text(
        "version: 1\n"
        "devices:\n  phone: {dtype: int8, budgets: {params: 134515008}}\n"
        "models:\n"
        "  prefill:\n    arch: smollm/config.json\n    input: [1, 64]\n    devices: [phone]\n"
        "  decode:\n    arch: smollm/config.json\n    input: [1, 1]\n"
        "    params: {context: 512}\n    devices: [phone]\n"
    )
    assert main(["check", "budget.yaml"]) == 0
    Path("budget.yaml").write_text(Path("budget.yaml").read_text().replace("134515008", "134M"))
    assert main(["check", "budget.yaml"]) == 1


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"model_type": "mamba"}', "mamba"),
        ('{"hidden_size": 8}', "model_type"),
        ('{"model_type": "llama", "hidden_size": 64}', "intermediate_size"),
        ('{"model_type": "llama", "hidden_size": -1}', "hidden_size"),
        ("[1, 2", "JSON"),
    ],
)
def test_bad_config_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    config = tmp_path / "config.json"
    config.write_text(text)
    assert main(["import", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0] and err[0].startswith(str(config))


def test_logits_to_keep_heads_the_last_position_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """transformers' logits_to_keep=1: the LM head on the last token, hidden·vocab MACs."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(DATA / "hf_configs" / "smollm2-135m", "smollm")
    heads = []
    for keep in (0, 1):
        Path("b.yaml").write_text(
            "version: 1\nmodels:\n  m:\n    arch: smollm/config.json\n    input: [1, 64]\n"
            f"    params: {{logits_to_keep: {keep}}}\n    devices: []\n"
        )
        spec, problems = read_spec(Path("b.yaml"))
        assert not problems and spec is not None
        report = evaluate(spec.models[0].architecture, DEFAULT)
        heads.append(next(row for row in report.layers if row.name == "lm_head"))
    hidden, vocab, tokens = 576, 49152, 64
    assert [row.macs for row in heads] == [tokens * hidden * vocab, hidden * vocab]
    assert [row.output for row in heads] == [(1, tokens, vocab), (1, vocab)]  # as the zoo selects
