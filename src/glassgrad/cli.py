"""The ``glassgrad`` command line.

``glassgrad tour [--section 7.4] [--step] [--list]``
                                        walk the founding chapter: code, run, graph, narrated backward, checks
``glassgrad train digits|charlm [--steps N] [--seed S] [--out DIR]``
                                        train the demo models (an MLP on 8x8 digits, a character transformer)
``glassgrad run SCRIPT.py [--explain | --graph DIR | --check] [ARGS...]``
                                        run a PyTorch program with glassgrad standing in for torch (narrating,
                                        drawing or checking every backward it performs)
``glassgrad chapter [--check]``         run the founding chapter's programs (and compare with real PyTorch's output)
``glassgrad explain EXPR --at x=2``     narrate the backward pass of an expression and print every partial
``glassgrad ops [--formulas]``          the table of grad_fn classes with their formulas
``glassgrad parity SCRIPT.py``          run a script with real torch and with glassgrad; report the first difference

Exit status: 0 success, 1 a failure found (a difference, a failed check, the program's own error),
2 a usage error (a missing file, a bad expression, an unsupported op).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

_RUN_FLAGS = ("--explain", "--check", "--graph")


def _split_run_flags(args: argparse.Namespace) -> None:
    """Take ``--explain``, ``--check`` and ``--graph DIR`` written after the script name (up to ``--``)."""
    rest = list(args.args)
    keep: list[str] = []
    while rest:
        a = rest.pop(0)
        if a == "--":
            keep += rest
            break
        if a in ("--explain", "--check"):
            setattr(args, a[2:], True)
        elif a == "--graph" and rest:
            args.graph = rest.pop(0)
        elif a.startswith("--graph="):
            args.graph = a.split("=", 1)[1]
        else:
            keep.append(a)
    args.args = keep


def _cmd_run(args: argparse.Namespace) -> int:
    import os

    from ._torch_shim import run_script
    _split_run_flags(args)
    if args.explain or args.check or args.graph is not None:
        from .cli_viz import cmd_run
        return cmd_run(args.script, args.args, explain=args.explain, graph=args.graph, check=args.check)
    if not os.path.isfile(args.script):
        print(f"glassgrad run: no such file: {args.script}", file=sys.stderr)
        return 2
    try:
        run_script(args.script, args.args)
    except SystemExit as e:
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException:  # the program's own error: print it as Python would
        etype, value, tb = sys.exc_info()
        # drop the frames of glassgrad's runner so the traceback starts at the program
        while tb is not None and not tb.tb_frame.f_code.co_filename.endswith(os.path.basename(args.script)):
            tb = tb.tb_next
        traceback.print_exception(etype, value, tb)
        return 1
    return 0


def _cmd_chapter(args: argparse.Namespace) -> int:
    from . import examples
    return examples.main(check=args.check, names=args.names, verbose=not args.quiet)


def _cmd_explain(args: argparse.Namespace) -> int:
    from .cli_viz import cmd_explain
    return cmd_explain(args.expression, args.at or [], html=args.html)


def _cmd_ops(args: argparse.Namespace) -> int:
    from .cli_viz import cmd_ops
    return cmd_ops(formulas=args.formulas)


def _cmd_parity(args: argparse.Namespace) -> int:
    from .cli_viz import cmd_parity
    return cmd_parity(args.script, args.args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glassgrad", description="glassgrad: PyTorch's autograd, readable, on NumPy.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    from .demos.cli import add_train_parser
    from .tour import add_tour_parser
    add_tour_parser(sub)
    add_train_parser(sub)
    r = sub.add_parser("run", help="run a PyTorch script with glassgrad standing in for torch")
    r.add_argument("--explain", action="store_true", help="narrate every backward pass, step by step")
    r.add_argument("--graph", metavar="DIR", help="write one interactive HTML page per backward call into DIR")
    r.add_argument("--check", action="store_true",
                   help="check every node's backward against finite differences before each backward call")
    r.add_argument("script", help="path of the PyTorch program (the options above may also follow it)")
    r.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the program")
    r.set_defaults(func=_cmd_run)
    e = sub.add_parser("explain", help="narrate the backward pass of an expression and print every partial",
                       description="Parse EXPR safely (numbers, variables, [lists], + - * / ** @, functions such as "
                                   "sin/exp/log/relu/sum — never eval), build its graph, narrate the backward pass "
                                   "and print every partial derivative.")
    e.add_argument("expression", help='e.g. "(2*x + 3)**2 / 2 + 1"')
    e.add_argument("--at", action="append", metavar="NAME=VALUE",
                   help="a variable's value: x=2 or w=[1,2,3] (repeat, or separate with commas)")
    e.add_argument("--html", metavar="FILE", help="also write the graph as an interactive HTML page")
    e.set_defaults(func=_cmd_explain)
    o = sub.add_parser("ops", help="the table of grad_fn classes with their forward formulas")
    o.add_argument("--formulas", action="store_true", help="also print the derivative for each input")
    o.set_defaults(func=_cmd_ops)
    q = sub.add_parser("parity", help="run a script with real PyTorch and with glassgrad; report the first difference")
    q.add_argument("script", help="path of the PyTorch program")
    q.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the program")
    q.set_defaults(func=_cmd_parity)
    c = sub.add_parser("chapter", help="run the founding chapter's programs on glassgrad")
    c.add_argument("names", nargs="*", help="only these programs (e.g. s7_4_graph)")
    c.add_argument("--check", action="store_true", help="compare each output with real PyTorch's recorded output")
    c.add_argument("-q", "--quiet", action="store_true", help="print only the comparison summary")
    c.set_defaults(func=_cmd_chapter)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
