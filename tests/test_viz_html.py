"""glassgrad.viz.to_html: the self-contained page, its data, and its behaviour in a real headless browser."""

from __future__ import annotations

import json
import re
import shutil

import pytest

import glassgrad
from glassgrad import viz
from vizcases import chapter_graph

#: flags a headless Chromium needs on a machine without a display or network
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" class="gg-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_page_is_self_contained_and_carries_the_graph(tmp_path):
    x, a, b, c, d, e = chapter_graph()
    with viz.record() as trace:
        e.backward()
    path = tmp_path / "graph.html"
    page = viz.to_html(e, str(path), trace=trace)
    assert path.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>")
    # offline: nothing is fetched (the only URL is the SVG namespace, which is a name, not a request)
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * page.count(
        "http://www.w3.org/2000/svg")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"(?!data:)", page)
    data = page_data(page)
    nodes = {n["label"]: n for n in data["nodes"]}
    assert nodes["c"]["formula"] == "c = b ** 2" and nodes["c"]["op"] == "PowBackward0"
    assert nodes["c"]["local"] == [["b", "grad * 2 * b ** (2 - 1)"]]
    assert nodes["x"]["grad"] == "14." and nodes["e"]["kind"] == "output"
    assert nodes["c"]["saved"]["saved values"] == "freed"
    # steps: PyTorch's execution order, each with the gradient arriving and what it passes on
    assert [next(n["label"] for n in data["nodes"] if n["id"] == s["node"]) for s in data["steps"]] == \
        ["e", "d", "c", "b", "a", "x"]
    step_c = data["steps"][2]
    assert step_c["upstream"] == "0.5" and step_c["passed"][0][0] == "b" and step_c["passed"][0][2] == "7."
    # boxes do not overlap
    boxes = [(n["x"] - n["w"] / 2, n["y"] - n["h"] / 2, n["x"] + n["w"] / 2, n["y"] + n["h"] / 2)
             for n in data["nodes"]]
    for i, p in enumerate(boxes):
        for q in boxes[i + 1:]:
            assert p[2] <= q[0] or q[2] <= p[0] or p[3] <= q[1] or q[3] <= p[1]


def test_big_graph_page_is_summarised():
    w = glassgrad.tensor([0.5, -1.0], requires_grad=True)
    h = w
    for _ in range(120):
        h = glassgrad.tanh(h * 1.01 + 0.1)
    data = page_data(viz.to_html(h.sum(), max_nodes=100))
    assert len(data["nodes"]) == 101 and data["nodes"][-1]["id"] == "more"
    assert "262 nodes" in data["nodes"][-1]["lines"][0][1]
    assert len(data["steps"]) == 100


def test_repr_html_is_a_fragment():
    x, a, b, c, d, e = chapter_graph()
    frag = viz.build_graph(e)._repr_html_()
    assert frag.startswith('<div class="gg-root"') and "<html" not in frag and "c = b ** 2" in frag


# ---------------------------------------------------------------------- in a real browser
def _browser() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install playwright)")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        exe = shutil.which(name)
        if exe:
            return exe
    pytest.skip("no Chromium browser found (Debian: apt-get install chromium)")


def test_page_in_a_headless_browser(tmp_path):
    exe = _browser()
    from playwright.sync_api import sync_playwright
    Q = glassgrad.randn(3, 4, requires_grad=True)
    K = glassgrad.randn(3, 4, requires_grad=True)
    V = glassgrad.randn(3, 4, requires_grad=True)
    scores = Q @ K.T / 2.0
    weights = glassgrad.softmax(scores, dim=-1)
    out = weights @ V
    loss = out.sum()
    g = viz.build_graph(loss)
    g.group("attention", out, (Q, K, V))
    path = tmp_path / "graph.html"
    g.to_html(str(path))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda r: errors.append("fetched " + r.url) if not r.url.startswith(("file:", "data:"))
                    else None)
            page.goto(path.as_uri())
            assert page.locator("svg.gg-graph g.gg-node").count() == 9
            assert page.locator("svg.gg-graph g.gg-group").count() == 1
            assert page.inner_text(".gg-status") == "before backward: 9 steps"
            # the step button walks backward in PyTorch's order: loss, out, V or weights, ...
            page.click(".gg-next")
            assert page.inner_text(".gg-status") == "step 1 / 9: SumBackward0 (loss)"
            assert page.locator("g.gg-node.gg-current").get_attribute("data-label") == "loss"
            page.click(".gg-next")
            assert page.inner_text(".gg-status") == "step 2 / 9: MmBackward0 (out)"
            assert page.locator("g.gg-edge.gg-incoming").count() == 1     # the gradient arriving from loss
            assert page.locator("g.gg-edge.gg-outgoing").count() == 2     # passed on to weights and V
            side = page.inner_text(".gg-side")
            assert "incoming gradient" in side.lower() and "to weights:  grad @ V.T" in side
            page.click(".gg-prev")
            assert page.inner_text(".gg-status") == "step 1 / 9: SumBackward0 (loss)"
            # a click on a node shows its details
            page.click("g.gg-node[data-label='weights']")
            side = page.inner_text(".gg-side")
            assert "weights = softmax(scores, 1)" in side and "SoftmaxBackward0" in side
            assert "result * (grad - (grad * result).sum(1, keepdim=True))" in side
            assert "saved for backward" in side.lower() and "group" in side
            page.click("g.gg-node[data-label='Q']")
            assert "Q (leaf)" in page.inner_text(".gg-side") and ".grad" in page.inner_text(".gg-side")
            assert errors == []
        finally:
            browser.close()
