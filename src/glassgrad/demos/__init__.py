"""Training demos: ``glassgrad train digits`` (an MLP on the 8×8 digits) and ``glassgrad train charlm``
(a small causal-attention character language model).

Each demo is PyTorch code written against a ``torch`` argument (``digits.train(torch, ...)``,
``charlm.train(torch, ...)``): the CLI passes ``glassgrad``, ``bench/compare_training.py`` passes
real PyTorch as well and times both. Optional dependencies (``pip install 'glassgrad[examples]'``):
scikit-learn (the digits data), tqdm (progress bar), matplotlib (PNG of the curves); without tqdm or
matplotlib the demos print plain progress lines and write the curves as CSV.
"""

from .cli import add_train_parser, main

__all__ = ["add_train_parser", "main"]
