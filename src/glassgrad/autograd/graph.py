"""``glassgrad.autograd.graph``: hooks on the values saved for backward (``saved_tensors_hooks``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .grad_mode import PLAIN, STATE

__all__ = ["saved_tensors_hooks", "Packed"]


class Packed:
    """A saved value replaced by what ``pack_hook`` returned; ``unpack()`` gives the tensor back."""

    __slots__ = ("packed", "unpack_hook")

    def __init__(self, packed: Any, unpack_hook: Callable[[Any], Any]) -> None:
        self.packed = packed
        self.unpack_hook = unpack_hook

    def unpack(self) -> Any:
        return self.unpack_hook(self.packed)


class saved_tensors_hooks:
    """Within this context, every tensor an op saves for backward is passed to ``pack_hook`` and the
    result stored instead; backward calls ``unpack_hook`` on it to get the tensor back.

    >>> import glassgrad as torch
    >>> with torch.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
    ...     y = torch.ones(2, requires_grad=True).exp()
    """

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        STATE.saved_hooks = [*(STATE.saved_hooks or []), (self.pack_hook, self.unpack_hook)]
        PLAIN.saved_hooks += 1
        PLAIN.refresh()
        return self

    def __exit__(self, *exc: object) -> None:
        STATE.saved_hooks = STATE.saved_hooks[:-1]
        PLAIN.saved_hooks -= 1
        PLAIN.refresh()


def pack_saved(saved: tuple[Any, ...]) -> tuple[Any, ...]:
    """Apply the innermost pack hook to every tensor in ``saved`` (outputs are passed as new tensors
    sharing their data, so what the hook keeps never refers back to the node)."""
    from ..engine.node import SavedOutput
    from ..tensor import Tensor
    pack, unpack = STATE.saved_hooks[-1]
    out = []
    for s in saved:
        if isinstance(s, SavedOutput):
            s = Packed(pack(Tensor._make(s.data)), unpack)
        elif isinstance(s, Tensor):
            s = Packed(pack(s), unpack)
        out.append(s)
    return tuple(out)
