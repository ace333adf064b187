"""The ``glassgrad`` command line.

``glassgrad run SCRIPT.py [ARGS...]``   run a PyTorch program with glassgrad standing in for torch
``glassgrad chapter [--check]``         run the founding chapter's programs (and compare with real PyTorch's output)
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence


def _cmd_run(args: argparse.Namespace) -> int:
    import os

    from ._torch_shim import run_script
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glassgrad", description="glassgrad: PyTorch's autograd, readable, on NumPy.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    r = sub.add_parser("run", help="run a PyTorch script with glassgrad standing in for torch")
    r.add_argument("script", help="path of the PyTorch program")
    r.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the program")
    r.set_defaults(func=_cmd_run)
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
