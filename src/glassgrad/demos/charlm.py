"""``glassgrad train charlm``: a small causal-attention character language model.

The model reads ``BLOCK`` characters and predicts each next one: a character embedding plus a
learned position embedding, two transformer blocks (pre-LayerNorm; causal multi-head self-attention
written out as in the chapter, ``softmax(Q Kᵀ / √d) V``, with the future masked to ``-inf``; an MLP
with ReLU; residual connections), a final LayerNorm and a linear head over the characters. It is
trained with AdamW on chapters 1–15 of *Pride and Prejudice* (public domain, shipped in
``glassgrad/demos/data``); 90% of the text to train, the last 10% to validate.

It learns when its validation loss (cross-entropy in nats per character) falls well below the
unigram entropy of the text, the loss of the best model that ignores context; both are printed.

As in ``digits``, the code is PyTorch code written against a ``torch`` argument, so that
``bench/compare_training.py`` runs the same lines on real PyTorch. ``examples/train_charlm.py`` is
the same program as one readable script.
"""

from __future__ import annotations

import math
import os
import textwrap
import time
from dataclasses import dataclass, field
from importlib import resources
from types import ModuleType
from typing import Any

import numpy as np

from ._common import Progress, framework_name, save_curves

DEFAULT_STEPS = 600
BLOCK = 32        # context length (characters)
BATCH = 32
D_MODEL = 64
N_HEADS = 4
N_LAYERS = 2
LR = 3e-3
EVAL_EVERY = 50
SAMPLE_EVERY = 200  # a short sample during training shows what the model has learned so far
EVAL_BATCHES = 4  # fixed validation windows: EVAL_BATCHES × BATCH of them
TEXT_FILE = "pride_and_prejudice.txt"


def load_text() -> str:
    """The shipped text (about 125 kB): chapters 1–15 of *Pride and Prejudice*."""
    return resources.files("glassgrad.demos").joinpath("data", TEXT_FILE).read_text(encoding="utf-8")


def unigram_entropy(ids: np.ndarray, vocab_size: int) -> float:
    """Entropy in nats of the characters' frequencies: the loss of a model that ignores context."""
    p = np.bincount(ids, minlength=vocab_size) / len(ids)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def build_charlm(torch: ModuleType, vocab_size: int, block: int = BLOCK, d_model: int = D_MODEL,
                 n_heads: int = N_HEADS, n_layers: int = N_LAYERS) -> Any:
    """The language model, built with ``torch.nn``: ``model(idx)`` maps ``(B, T)`` ids to ``(B, T, V)`` logits."""
    nn, F = torch.nn, torch.nn.functional

    class CausalSelfAttention(nn.Module):
        """The chapter's attention, ``softmax(Q Kᵀ / √d) V``, with several heads and a causal mask."""

        def __init__(self) -> None:
            super().__init__()
            self.n_heads, self.d_head = n_heads, d_model // n_heads
            self.W_q = nn.Linear(d_model, d_model)
            self.W_k = nn.Linear(d_model, d_model)
            self.W_v = nn.Linear(d_model, d_model)
            self.W_o = nn.Linear(d_model, d_model)
            # position i may look at positions 0..i only
            self.register_buffer("mask", torch.tril(torch.ones(block, block)) == 0, persistent=False)

        def forward(self, x: Any) -> Any:
            B, T, C = x.shape

            def heads(t: Any) -> Any:  # (B, T, C) -> (B, heads, T, d_head)
                return t.view(B, T, self.n_heads, self.d_head).transpose(1, 2)

            Q, K, V = heads(self.W_q(x)), heads(self.W_k(x)), heads(self.W_v(x))
            scores = Q @ K.transpose(-2, -1) / math.sqrt(self.d_head)
            scores = scores.masked_fill(self.mask[:T, :T], float("-inf"))
            weights = F.softmax(scores, dim=-1)
            out = (weights @ V).transpose(1, 2).reshape(B, T, C)
            return self.W_o(out)

    class Block(nn.Module):
        """Pre-LayerNorm transformer block: ``x + attn(ln(x))``, then ``x + mlp(ln(x))``."""

        def __init__(self) -> None:
            super().__init__()
            self.ln1 = nn.LayerNorm(d_model)
            self.attn = CausalSelfAttention()
            self.ln2 = nn.LayerNorm(d_model)
            self.fc = nn.Linear(d_model, 4 * d_model)
            self.proj = nn.Linear(4 * d_model, d_model)

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln1(x))
            return x + self.proj(F.relu(self.fc(self.ln2(x))))

    class CharLM(nn.Module):
        """Embeddings, ``n_layers`` blocks, a final LayerNorm and the head over the characters."""

        def __init__(self) -> None:
            super().__init__()
            self.block = block
            self.tok_emb = nn.Embedding(vocab_size, d_model)
            self.pos_emb = nn.Embedding(block, d_model)
            self.blocks = nn.ModuleList([Block() for _ in range(n_layers)])
            self.ln_f = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, vocab_size)

        def forward(self, idx: Any) -> Any:
            T = idx.shape[1]
            x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
            for blk in self.blocks:
                x = blk(x)
            return self.head(self.ln_f(x))

    return CharLM()


def lm_loss(torch: ModuleType, logits: Any, targets: Any) -> Any:
    """Mean cross-entropy of ``(B, T, V)`` logits against ``(B, T)`` next characters."""
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def sample(torch: ModuleType, model: Any, itos: list[str], prompt_ids: list[int], n: int, seed: int,
           temperature: float = 0.8) -> str:
    """``n`` characters generated after ``prompt_ids``, drawn one at a time from the softmax of the logits."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.tensor([prompt_ids], dtype=torch.int64)
    out: list[str] = []
    with torch.no_grad():
        for _ in range(n):
            logits = model(idx[:, -model.block:])[0, -1] / temperature
            nxt = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=g)
            idx = torch.cat([idx, nxt.view(1, 1)], dim=1)
            out.append(itos[int(nxt.item())])
    return "".join(out)


@dataclass
class CharLMResult:
    """What a training run gives: final losses, the unigram entropy, timings, curves and a sample."""

    framework: str
    steps: int
    train_loss: float
    val_loss: float
    unigram_entropy: float
    wall_s: float
    steps_per_s: float
    sample: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)


def train(torch: ModuleType, steps: int = DEFAULT_STEPS, seed: int = 0, progress: bool = True,
          sample_chars: int = 200, verbose: bool = True) -> CharLMResult:
    """Train the model for ``steps`` AdamW steps on the framework ``torch`` (glassgrad or torch).

    ``verbose`` prints the train and validation losses at each evaluation and a short sample every
    ``SAMPLE_EVERY`` steps; ``sample_chars`` characters are generated at the end (0: none).
    """
    text = load_text()
    itos = sorted(set(text))
    stoi = {c: i for i, c in enumerate(itos)}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    n_train = int(0.9 * len(ids))
    train_ids, val_ids = torch.from_numpy(ids[:n_train]), torch.from_numpy(ids[n_train:])
    h_unigram = unigram_entropy(ids, len(itos))

    torch.manual_seed(seed)
    model = build_charlm(torch, len(itos))
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    g = torch.Generator().manual_seed(seed)
    offsets = torch.arange(BLOCK)

    def batch(data: Any, gen: Any) -> tuple[Any, Any]:
        starts = torch.randint(len(data) - BLOCK - 1, (BATCH, 1), generator=gen)
        return data[starts + offsets], data[starts + offsets + 1]

    gv = torch.Generator().manual_seed(1234)
    val_batches = [batch(val_ids, gv) for _ in range(EVAL_BATCHES)]

    def val_loss() -> float:
        model.eval()
        with torch.no_grad():
            v = sum(lm_loss(torch, model(x), y).item() for x, y in val_batches) / len(val_batches)
        model.train()
        return v

    prompt = "Elizabeth"
    prompt_ids = [stoi[c] for c in prompt]
    hist: dict[str, list[float]] = {"step": [], "train_loss": [], "val_loss": []}
    bar = Progress(steps, f"charlm [{framework_name(torch)}]", enabled=progress)
    running, seen = 0.0, 0
    start = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = batch(train_ids, g)
        loss = lm_loss(torch, model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running, seen = running + loss.item(), seen + 1
        bar.update(loss.item())
        if step % EVAL_EVERY == 0 or step == steps:
            v = val_loss()
            for k, val in zip(hist, (step, running / seen, v)):
                hist[k].append(val)
            if verbose:
                bar.write(f"step {step:5d}  train loss {running / seen:.4f}  val loss {v:.4f}  "
                          f"(unigram entropy {h_unigram:.4f})")
            if verbose and step % SAMPLE_EVERY == 0 and step < steps:
                bar.write(f"  sample: {prompt + sample(torch, model, itos, prompt_ids, 60, seed)!r}")
            running, seen = 0.0, 0
    wall = time.perf_counter() - start
    bar.close()
    text_sample = prompt + sample(torch, model, itos, prompt_ids, sample_chars, seed) if sample_chars else ""
    return CharLMResult(framework_name(torch), steps, hist["train_loss"][-1], hist["val_loss"][-1], h_unigram,
                        wall, steps / wall, text_sample, hist)


def run(steps: int = DEFAULT_STEPS, seed: int = 0, out: str = "glassgrad-train", progress: bool = True) -> int:
    """``glassgrad train charlm``: train on glassgrad, print losses and a sample, write ``OUT/charlm.png``."""
    import glassgrad

    text = load_text()
    print(f"charlm: {len(text):,} characters of Pride and Prejudice (ch. 1-15), {len(set(text))} distinct; "
          f"{N_LAYERS} blocks, d_model {D_MODEL}, {N_HEADS} heads, context {BLOCK}, batch {BATCH}, "
          f"AdamW lr={LR}, {steps} steps, seed {seed}")
    r = train(glassgrad, steps=steps, seed=seed, progress=progress)
    h = r.history
    png = save_curves(os.path.join(out, "charlm.png"), f"glassgrad: character LM ({steps} steps)", [
        ("cross-entropy (nats/char)", {"train (mean over the interval)": (h["step"], h["train_loss"]),
                                       "validation": (h["step"], h["val_loss"]),
                                       "unigram entropy": (h["step"], [r.unigram_entropy] * len(h["step"]))}),
    ])
    print(f"sample ({len(r.sample) - len('Elizabeth')} characters after 'Elizabeth', temperature 0.8):")
    print(textwrap.indent(r.sample, "    "))
    verdict = "below" if r.val_loss < r.unigram_entropy else "NOT below"
    print(f"validation loss {r.val_loss:.4f} nats/char, {verdict} the unigram entropy {r.unigram_entropy:.4f} "
          f"(by {r.unigram_entropy - r.val_loss:.4f}); train loss {r.train_loss:.4f}")
    print(f"{r.steps} steps in {r.wall_s:.1f} s ({r.steps_per_s:.1f} steps/s); curves: {png}")
    return 0
