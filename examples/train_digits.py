"""Train an MLP on scikit-learn's 8x8 handwritten digits — plain PyTorch code.

    glassgrad run examples/train_digits.py [--steps 1000] [--seed 0]   # on glassgrad
    python examples/train_digits.py [--steps 1000] [--seed 0]          # on real PyTorch

Needs scikit-learn (`pip install 'glassgrad[examples]'`). `glassgrad train digits` is the same
training with a progress bar and a plot (src/glassgrad/demos/digits.py).
"""

import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=1000)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

# 1,797 images of 8x8 pixels with values 0..16; a fixed 80/20 split
digits = load_digits()
x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
y = torch.tensor(digits.target, dtype=torch.int64)
order = torch.from_numpy(np.random.default_rng(0).permutation(len(x)))
test, train = order[: len(x) // 5], order[len(x) // 5:]
x_train, y_train, x_test, y_test = x[train], y[train], x[test], y[test]


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


torch.manual_seed(args.seed)
model = MLP()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True,
                    generator=torch.Generator().manual_seed(args.seed))


def evaluate():
    with torch.no_grad():
        logits = model(x_test)
        loss = F.cross_entropy(logits, y_test).item()
        accuracy = (logits.argmax(dim=1) == y_test).float().mean().item()
    return loss, accuracy


step = 0
while step < args.steps:
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        step += 1
        if step % 200 == 0 or step == args.steps:
            test_loss, accuracy = evaluate()
            print(f"step {step:5d}  train loss {loss.item():.4f}  test loss {test_loss:.4f}  "
                  f"test accuracy {accuracy:.2%}")
        if step == args.steps:
            break
