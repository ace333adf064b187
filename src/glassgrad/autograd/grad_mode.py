"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

The state is thread-local (a new thread starts with gradients enabled, as in
PyTorch) and is read in exactly one place on the op path: ``is_recording()``.
Each mode is both a context manager and a decorator.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
    "is_grad_enabled", "is_inference_mode_enabled",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
]

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    # class attributes are the per-thread defaults
    grad_enabled: bool = True
    inference: bool = False
    saved_hooks: list[Any] | None = None  # autograd.graph.saved_tensors_hooks, innermost last


STATE = _State()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return STATE.grad_enabled


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return STATE.inference


class _DecoratorContextManager:
    """Shared machinery: use as ``with mode():`` or ``@mode()`` (also bare ``@no_grad``)."""

    def __call__(self, func: F) -> F:
        if inspect.isclass(func):
            raise RuntimeError("Cannot decorate classes; it is ambiguous")
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                # the mode holds while the generator runs, not while the caller does
                gen = func(*args, **kwargs)
                try:
                    with self.clone():
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with self.clone():
                                gen.close()
                            raise
                        except BaseException as e:
                            with self.clone():
                                response = gen.throw(e)
                        else:
                            with self.clone():
                                response = gen.send(request)
                except StopIteration as e:
                    return e.value
            return gen_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)
        return wrapper  # type: ignore[return-value]

    def clone(self) -> _DecoratorContextManager:
        return self.__class__()


class no_grad(_DecoratorContextManager):
    """Disable gradient recording: results of ops inside have ``requires_grad=False``.

    >>> import glassgrad as torch
    >>> x = torch.tensor(2.0, requires_grad=True)
    >>> with torch.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # bare @no_grad

    def __init__(self, orig_func: Any = None) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self.prev


class enable_grad(_DecoratorContextManager):
    """Enable gradient recording inside a ``no_grad`` block."""

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __init__(self, orig_func: Any = None) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = True

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Set gradient recording on or off; takes effect immediately (also usable as a function)."""

    def __init__(self, mode: bool) -> None:
        self.prev = STATE.grad_enabled
        self.mode = bool(mode)
        STATE.grad_enabled = self.mode

    def __call__(self, func: F) -> F:  # used as a decorator: undo the eager switch
        STATE.grad_enabled = self.prev
        return super().__call__(func)

    def __enter__(self) -> None:
        STATE.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self.prev

    def clone(self) -> set_grad_enabled:
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad``, and tensors made inside are inference tensors."""

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare @inference_mode

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode
        self.prev = (True, False)

    def __enter__(self) -> None:
        self.prev = (STATE.grad_enabled, STATE.inference)
        PLAIN.inference += 1
        PLAIN.refresh()
        if self.mode:
            STATE.grad_enabled = False
            STATE.inference = True
        else:  # inference_mode(False) re-enables gradients, as PyTorch's does
            STATE.grad_enabled = True
            STATE.inference = False

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled, STATE.inference = self.prev
        PLAIN.inference -= 1
        PLAIN.refresh()

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)


# ---------------------------------------------------------------------- plain recording
class _Plain:
    """``PLAIN.on``: recording an op is the plain work — no thread is in inference mode or inside
    ``saved_tensors_hooks``, anomaly mode is off and forward AD is not in use.

    Why: every op would otherwise test those four things (two of them thread-local, ~55 ns a
    read) to find, nearly always, that there is nothing to do; ``ops/_base.py`` tests this one flag
    and does the extra work only when it is off.  The thread-local modes are counted over all
    threads (a thread in inference mode sends every thread to the full path: slower, still right).
    """

    __slots__ = ("on", "anomaly", "forward_ad", "inference", "saved_hooks")

    def __init__(self) -> None:
        self.on = True
        self.anomaly = False
        self.forward_ad = False
        self.inference = 0    # inference_mode contexts open, over all threads
        self.saved_hooks = 0  # saved_tensors_hooks contexts open, over all threads

    def refresh(self) -> None:
        self.on = not (self.anomaly or self.forward_ad or self.inference or self.saved_hooks)


PLAIN = _Plain()


# ---------------------------------------------------------------------- anomaly mode
class _Anomaly:
    """Process-wide, as PyTorch's AnomalyMode: record forward tracebacks, check backward outputs for NaN."""

    check_nan: bool = True

    @property
    def enabled(self) -> bool:
        return PLAIN.anomaly

    @enabled.setter
    def enabled(self, value: bool) -> None:
        PLAIN.anomaly = bool(value)
        PLAIN.refresh()


ANOMALY = _Anomaly()


def is_anomaly_enabled() -> bool:
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY.check_nan


class detect_anomaly(_DecoratorContextManager):
    """Context manager / decorator: nodes remember the forward traceback that created them; an error in
    backward shows it, and a backward that returns NaN raises (``check_nan``)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = ANOMALY.enabled
        self.check_nan = check_nan
        self.prev_check_nan = ANOMALY.check_nan
        import warnings
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled "
            "for debugging.", UserWarning, stacklevel=2,
        )

    def __enter__(self) -> None:
        ANOMALY.enabled = True
        ANOMALY.check_nan = self.check_nan

    def __exit__(self, *exc: object) -> None:
        ANOMALY.enabled = self.prev
        ANOMALY.check_nan = self.prev_check_nan

    def clone(self) -> detect_anomaly:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.__class__(self.check_nan)


class set_detect_anomaly(_DecoratorContextManager):
    """Turn anomaly detection on or off; takes effect at once (also a context manager restoring it)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = ANOMALY.enabled
        self.prev_check_nan = ANOMALY.check_nan
        self.mode, self.check_nan = bool(mode), check_nan
        ANOMALY.enabled = self.mode
        ANOMALY.check_nan = check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        ANOMALY.enabled = self.prev
        ANOMALY.check_nan = self.prev_check_nan

    def clone(self) -> set_detect_anomaly:
        return self.__class__(self.mode, self.check_nan)


def user_stack() -> list[str]:
    """The caller's traceback without glassgrad's own frames (what anomaly mode shows)."""
    import os
    import traceback
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [line for frame, line in zip(traceback.extract_stack(), traceback.format_stack())
            if not os.path.abspath(frame.filename).startswith(pkg)]
