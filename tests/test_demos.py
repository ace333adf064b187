"""The training demos (``glassgrad train digits|charlm``, ``python -m glassgrad.demos``) and the
example scripts: quick runs with few steps, the optional dependencies' fallbacks (tqdm,
matplotlib and scikit-learn made unimportable), and that both models learn."""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassgrad
from glassgrad.demos import add_train_parser, charlm, digits, main
from glassgrad.demos._common import Progress, blas_threads, save_curves

ROOT = Path(__file__).resolve().parents[1]
HAS = {name: importlib.util.find_spec(name) is not None for name in ("sklearn", "matplotlib", "tqdm", "torch")}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _no_module(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import NAME`` fail with ImportError, as if the package were not installed."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


# ---------------------------------------------------------------- the command line

def test_add_train_parser_gives_the_train_command() -> None:
    p = argparse.ArgumentParser(prog="glassgrad")
    add_train_parser(p.add_subparsers(dest="command"))
    args = p.parse_args(["train", "charlm", "--steps", "7", "--seed", "3", "--out", "d"])
    assert (args.command, args.demo, args.steps, args.seed, args.out) == ("train", "charlm", 7, 3, "d")
    assert callable(args.func)
    assert p.parse_args(["train", "digits"]).steps is None  # the demo's own default
    with pytest.raises(SystemExit):
        p.parse_args(["train", "mnist"])


def test_steps_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["charlm", "--steps", "0"]) == 2
    assert "--steps must be at least 1" in capsys.readouterr().out


def test_charlm_cli_learns_and_prints_losses_entropy_and_sample(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["charlm", "--steps", "50", "--seed", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "characters after 'Elizabeth', temperature 0.8):\n    Elizabeth" in out
    assert "50 steps in" in out and "steps/s" in out
    m = re.search(r"validation loss (\S+) nats/char, below the unigram entropy 3.1079", out)
    assert m, out
    assert float(m.group(1)) < 3.1079 - 0.3  # it learns within 50 steps
    written = {p.name for p in tmp_path.iterdir()}
    assert written == ({"charlm.png"} if HAS["matplotlib"] else {"charlm.csv"})


@pytest.mark.skipif(not (HAS["sklearn"] and HAS["matplotlib"]), reason="needs scikit-learn and matplotlib")
def test_digits_cli_default_run_reaches_97_percent_and_writes_the_png(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["digits", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"{digits.DEFAULT_STEPS} steps in" in out
    m = re.search(r"test accuracy (\S+)%", out)
    assert m, out
    assert float(m.group(1)) >= 97.0
    png = tmp_path / "out" / "digits.png"
    assert png.read_bytes()[:8] == PNG_MAGIC


def test_without_tqdm_and_matplotlib_plain_lines_and_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    _no_module(monkeypatch, "tqdm", "matplotlib")
    assert main(["charlm", "--steps", "4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "tqdm is not installed" in out and "pip install 'glassgrad[examples]'" in out
    assert "charlm [glassgrad] step     4/4  loss " in out  # the plain progress line
    assert "matplotlib is not installed" in out
    rows = (tmp_path / "charlm.csv").read_text().splitlines()
    assert rows[0] == "panel,curve,step,value"
    assert any(r.startswith("cross-entropy (nats/char),validation,4,") for r in rows)
    assert not (tmp_path / "charlm.png").exists()


def test_digits_without_scikit_learn_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _no_module(monkeypatch, "sklearn", "sklearn.datasets")
    assert main(["digits", "--steps", "1"]) == 1
    out = capsys.readouterr().out
    assert "needs scikit-learn" in out and "pip install 'glassgrad[examples]'" in out


def test_blas_threads_without_threadpoolctl_runs_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_module(monkeypatch, "threadpoolctl")
    ran = []
    with blas_threads(1):
        ran.append(True)
    assert ran == [True]


@pytest.mark.skipif(importlib.util.find_spec("threadpoolctl") is None, reason="needs threadpoolctl")
def test_blas_threads_limits_blas() -> None:
    import threadpoolctl

    with blas_threads(1):
        assert all(p["num_threads"] == 1 for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")


@pytest.mark.skipif(not HAS["tqdm"], reason="needs tqdm")
def test_progress_bar_shows_loss_and_rate(tmp_path: Path) -> None:
    with open(tmp_path / "bar.txt", "w") as f:
        bar = Progress(3, "demo", stream=f)
        for loss in (2.0, 1.5, 1.25):
            bar.update(loss)
        bar.close()
    text = (tmp_path / "bar.txt").read_text()
    assert "3/3" in text and "loss=1.2500" in text and "step/s" in text


def test_progress_disabled_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    bar = Progress(2, "demo", enabled=False)
    bar.update(1.0)
    bar.update(0.5)
    bar.close()
    assert capsys.readouterr().out == ""


@pytest.mark.skipif(not HAS["matplotlib"], reason="needs matplotlib")
def test_save_curves_png(tmp_path: Path) -> None:
    path = save_curves(str(tmp_path / "sub" / "c.png"), "t", [("loss", {"a": ([1, 2], [1.0, 0.5])}),
                                                            ("acc", {"b": ([1, 2], [0.5, 0.9])})])
    assert Path(path).read_bytes()[:8] == PNG_MAGIC


# ---------------------------------------------------------------- the models learn

def test_unigram_entropy() -> None:
    assert charlm.unigram_entropy(np.array([0, 1, 2, 3] * 5), 6) == pytest.approx(math.log(4))
    assert charlm.unigram_entropy(np.array([2, 2, 2]), 3) == 0.0


def test_shipped_text_is_small_and_plain() -> None:
    text = charlm.load_text()
    assert 100_000 < len(text.encode("utf-8")) < 1_000_000
    assert text.startswith("PRIDE AND PREJUDICE") and "Project Gutenberg" not in text
    readme = ROOT / "src" / "glassgrad" / "demos" / "data" / "README.md"
    assert "public domain" in readme.read_text()


def test_digits_trains_on_given_arrays() -> None:
    # two separable blobs stand in for the digits when scikit-learn is absent
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    x = (rng.standard_normal((200, 64)) * 0.3 + y[:, None]).astype(np.float32)
    r = digits.train(glassgrad, steps=40, progress=False, data=(x[:150], y[:150], x[150:], y[150:]))
    assert r.test_accuracy == 1.0 and r.history["step"] == [25, 40]


# ---------------------------------------------------------------- the example scripts

def _run_example(args: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("framework", ["glassgrad", "torch"])
def test_charlm_example_runs(framework: str) -> None:
    if framework == "torch" and not HAS["torch"]:
        pytest.skip("torch not installed")
    script = "examples/train_charlm.py"
    cmd = ["-m", "glassgrad", "run", script] if framework == "glassgrad" else [script]
    out = _run_example([*cmd, "--steps", "3", "--sample", "20"])
    lines = out.splitlines()
    assert lines[0].startswith("step     3  train loss") and "unigram entropy 3.1079" in lines[0]
    assert out.split("\n", 1)[1].startswith("Elizabeth")


@pytest.mark.skipif(not HAS["sklearn"], reason="needs scikit-learn")
def test_digits_example_runs() -> None:
    out = _run_example(["-m", "glassgrad", "run", "examples/train_digits.py", "--steps", "5"])
    assert out.startswith("step     5  train loss") and "test accuracy" in out


# ---------------------------------------------------------------- the side-by-side benchmark

@pytest.mark.skipif(not (HAS["sklearn"] and HAS["torch"]), reason="needs scikit-learn and torch")
def test_compare_training_prints_both_frameworks(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("compare_training", ROOT / "bench" / "compare_training.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    import torch

    threads = torch.get_num_threads()
    try:
        assert bench.main(["--digits-steps", "5", "--charlm-steps", "2"]) == 0
    finally:
        torch.set_num_threads(threads)  # the bench runs torch single-threaded
    out = capsys.readouterr().out
    for demo, steps in (("digits", 5), ("charlm", 2)):
        for fw in ("glassgrad", "torch"):
            assert re.search(rf"\| {demo} \| {fw} \| {steps} \| [\d.]+ \| [\d.]+ \| ", out), out
        assert f"{demo}: glassgrad takes" in out
