"""Anomaly mode against PyTorch: the NaN check, the forward traceback, and where an in-place change ran."""

from __future__ import annotations

import warnings

import pytest

import glassgrad as gg


def _nan_case(m):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with m.autograd.detect_anomaly():
            x = m.tensor([0.0], requires_grad=True)
            y = x.sqrt() * 0  # 0 * inf in backward: nan
            with pytest.raises(RuntimeError) as e:
                y.backward()
    return str(e.value), [str(x.message) for x in w]


def test_nan_in_backward_is_reported_like_pytorch() -> None:
    torch = pytest.importorskip("torch")
    got, got_w = _nan_case(gg)
    want, want_w = _nan_case(torch)
    assert got == want == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert got_w[0] == want_w[0]  # "Anomaly Detection has been enabled. ..."
    assert any(s.startswith("Error detected in SqrtBackward0. Traceback of forward call that caused the error:")
               for s in got_w)
    assert any("test_anomaly.py" in s for s in got_w)  # the user's line that made the node


def test_modes_and_flags() -> None:
    assert not gg.is_anomaly_enabled()
    with gg.autograd.set_detect_anomaly(True, check_nan=False):
        assert gg.autograd.is_anomaly_enabled() and not gg.is_anomaly_check_nan_enabled()
    assert not gg.is_anomaly_enabled() and gg.is_anomaly_check_nan_enabled()

    @gg.autograd.detect_anomaly()
    def inside() -> bool:
        return gg.is_anomaly_enabled()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert inside()
    assert not gg.is_anomaly_enabled()


def test_saved_tensor_error_names_the_inplace_op_location() -> None:
    torch = pytest.importorskip("torch")

    def case(m):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with m.autograd.detect_anomaly():
                a = m.ones(2, requires_grad=True)
                b = a * 1
                c = b * b
                b.add_(1)  # the in-place change
                with pytest.raises(RuntimeError) as e:
                    c.sum().backward()
        return str(e.value)

    got, want = case(gg), case(torch)
    assert got.startswith(want)  # PyTorch's text first ...
    assert "The in-place operation that changed it last ran at:" in got and "b.add_(1)" in got  # ... then where


def test_no_traceback_kept_outside_anomaly_mode() -> None:
    x = gg.ones(2, requires_grad=True)
    y = x * 2
    assert "traceback_" not in (y.grad_fn._hooks or {})
