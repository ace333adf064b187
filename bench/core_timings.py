"""The two core measurements the core issue asks for, glassgrad next to PyTorch in one run.

* the chapter's section-7.4 graph (``a=x*2; b=a+3; c=b**2; d=c/2; e=d+1; e.backward()``),
  time per graph (forward + backward), median of rounds;
* a chain of 100,000 ops on a 1-element tensor: forward time, backward time, and peak
  memory (each system in a fresh process, so one's memory does not count against the other).

    python bench/core_timings.py            # both systems (PyTorch if installed)
    python bench/core_timings.py --quick    # fewer rounds

Not a test: timings on a shared machine are noisy, so nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

CHAIN = 100_000


def graph_74(lib: Any) -> None:
    x = lib.tensor(2.0, requires_grad=True)
    a = x * 2
    b = a + 3
    c = b**2
    d = c / 2
    e = d + 1
    e.backward()
    assert x.grad.item() == 14.0


def time_per_call(fn: Any, n: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t) / n)
    return statistics.median(samples)


def _peak_kib() -> int:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it does not inherit the parent's)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def chain_child(name: str) -> None:
    """Run in a fresh process: the 100,000-op chain, printing a JSON line of results."""
    lib = __import__(name)
    if name == "torch":
        lib.set_num_threads(1)
    base = _peak_kib()
    x = lib.tensor([1.0], requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for i in range(CHAIN):
        y = y * 1.00001 if i % 2 == 0 else y + 0.00001
    t1 = time.perf_counter()
    y.sum().backward()
    t2 = time.perf_counter()
    peak = _peak_kib()
    print(json.dumps({"forward_s": t1 - t0, "backward_s": t2 - t1, "grad": x.grad.item(),
                      "peak_mib_above_import": (peak - base) / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        chain_child(args.child)
        return
    import glassgrad
    libs = {"glassgrad": glassgrad}
    try:
        import torch
        torch.set_num_threads(1)
        libs["torch"] = torch
    except ImportError:
        print("(PyTorch not installed: glassgrad only)")
    n, rounds = (500, 5) if args.quick else (3000, 9)
    w1 = {}
    for _ in range(2):  # interleave the systems, keep the second pass
        for name, lib in libs.items():
            w1[name] = time_per_call(lambda lib=lib: graph_74(lib), n, rounds)
    print("section 7.4 graph, forward + backward, per graph:")
    for name, t in w1.items():
        print(f"  {name:10s} {t * 1e6:8.1f} µs")
    if "torch" in w1:
        print(f"  ratio glassgrad / torch = {w1['glassgrad'] / w1['torch']:.2f}")
    print(f"chain of {CHAIN:,} ops (mul, add alternating) on a 1-element tensor, fresh process each:")
    for name in libs:
        out = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {name:10s} forward {r['forward_s']:.3f} s  backward {r['backward_s']:.3f} s  "
              f"peak memory above import {r['peak_mib_above_import']:.0f} MiB  (x.grad = {r['grad']:.6f})")


if __name__ == "__main__":
    main()
