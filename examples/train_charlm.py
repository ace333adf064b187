"""Train a small causal-attention character language model — plain PyTorch code.

    glassgrad run examples/train_charlm.py [--steps 600] [--seed 0]   # on glassgrad
    python examples/train_charlm.py [--steps 600] [--seed 0]          # on real PyTorch

It reads chapters 1-15 of Pride and Prejudice (public domain), shipped with glassgrad in
src/glassgrad/demos/data/. The model: character and position embeddings, two transformer blocks
(LayerNorm, the chapter's attention softmax(Q K^T / sqrt(d)) V with a causal mask, an MLP),
a final LayerNorm and a linear head. It has learned something when the validation loss is well
below the unigram entropy of the text (the loss of the best model that ignores context).
`glassgrad train charlm` is the same training with a progress bar and a plot.
"""

import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=600)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--sample", type=int, default=200, help="characters to generate at the end")
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "src", "glassgrad", "demos", "data", "pride_and_prejudice.txt"), encoding="utf-8") as f:
    text = f.read()
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.int64)
n = int(0.9 * len(data))
train_data, val_data = data[:n], data[n:]

# the loss of the best model that ignores context: the entropy of the characters' frequencies
p = torch.tensor([text.count(c) for c in chars], dtype=torch.float64) / len(text)
unigram_entropy = -(p * p.log()).sum().item()

block, batch_size, d_model, n_heads = 32, 32, 64, 4


class CausalSelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.d_head = d_model // n_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)
        self.register_buffer("mask", torch.tril(torch.ones(block, block)) == 0, persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        Q = self.W_q(x).view(B, T, n_heads, self.d_head).transpose(1, 2)
        K = self.W_k(x).view(B, T, n_heads, self.d_head).transpose(1, 2)
        V = self.W_v(x).view(B, T, n_heads, self.d_head).transpose(1, 2)
        scores = Q @ K.transpose(-2, -1) / math.sqrt(self.d_head)
        scores = scores.masked_fill(self.mask[:T, :T], float("-inf"))   # no looking ahead
        weights = F.softmax(scores, dim=-1)
        return self.W_o((weights @ V).transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention()
        self.ln2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.proj = nn.Linear(4 * d_model, d_model)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.proj(F.relu(self.fc(self.ln2(x))))


class CharLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Embedding(len(chars), d_model)
        self.pos_emb = nn.Embedding(block, d_model)
        self.blocks = nn.ModuleList([Block(), Block()])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, len(chars))

    def forward(self, idx):
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(idx.shape[1]))
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.ln_f(x))


def get_batch(data, generator):
    starts = torch.randint(len(data) - block - 1, (batch_size, 1), generator=generator)
    offsets = torch.arange(block)
    return data[starts + offsets], data[starts + offsets + 1]


def lm_loss(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


torch.manual_seed(args.seed)
model = CharLM()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
g = torch.Generator().manual_seed(args.seed)
val_batches = [get_batch(val_data, torch.Generator().manual_seed(1234)) for _ in range(4)]

for step in range(1, args.steps + 1):
    x, y = get_batch(train_data, g)
    loss = lm_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0 or step == args.steps:
        with torch.no_grad():
            val_loss = sum(lm_loss(model(xv), yv).item() for xv, yv in val_batches) / len(val_batches)
        print(f"step {step:5d}  train loss {loss.item():.4f}  val loss {val_loss:.4f}  "
              f"unigram entropy {unigram_entropy:.4f}")

# generate: one character at a time from the softmax of the last position's logits
idx = torch.tensor([[stoi[c] for c in "Elizabeth"]])
with torch.no_grad():
    for _ in range(args.sample):
        probs = F.softmax(model(idx[:, -block:])[0, -1] / 0.8, dim=-1)
        idx = torch.cat([idx, torch.multinomial(probs, 1, generator=g).view(1, 1)], dim=1)
print("".join(chars[i] for i in idx[0].tolist()))
