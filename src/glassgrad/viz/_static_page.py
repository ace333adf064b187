"""The stylesheet and script of the interactive page (glassgrad.viz.to_html), kept out of html.py's logic.

Everything is inline, so the page works offline: the script draws the graph as SVG from the JSON data
embedded next to it, and needs no library.
"""

CSS = r"""
.gg-root { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f;
  display: flex; flex-direction: column; height: 100%; min-height: 520px; }
.gg-root * { box-sizing: border-box; }
.gg-bar { display: flex; align-items: center; gap: 8px; padding: 8px 12px; border-bottom: 1px solid #ddd;
  background: #fafafa; flex-wrap: wrap; }
.gg-bar h1 { font-size: 16px; margin: 0 12px 0 0; }
.gg-bar button { font-size: 13px; padding: 4px 12px; border: 1px solid #999; border-radius: 5px; background: #fff;
  cursor: pointer; }
.gg-bar button:hover { background: #eef4ff; }
.gg-bar button:disabled { color: #aaa; border-color: #ddd; cursor: default; }
.gg-status { font-size: 13px; color: #333; }
.gg-legend { margin-left: auto; font-size: 12px; display: flex; gap: 10px; align-items: center; }
.gg-legend span::before { content: ""; display: inline-block; width: 12px; height: 12px; margin-right: 4px;
  vertical-align: -2px; border: 1px solid #555; border-radius: 3px; }
.gg-legend .k-leaf::before { background: #cfe5ff; border-color: #1f5fa8; border-radius: 6px; }
.gg-legend .k-op::before { background: #eeeeee; }
.gg-legend .k-output::before { background: #c9f2c0; border-color: #2e7d32; }
.gg-legend .k-constant::before { background: #fff; border-style: dashed; border-radius: 6px; }
.gg-main { display: flex; flex: 1; min-height: 0; }
.gg-canvas { flex: 1; overflow: auto; background: #fff; }
.gg-canvas svg { display: block; margin: 0 auto; }
.gg-side { width: 400px; border-left: 1px solid #ddd; overflow: auto; padding: 10px 14px; font-size: 13px;
  background: #fcfcfc; }
.gg-side h2 { font-size: 15px; margin: 4px 0 8px; }
.gg-side h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #666; margin: 12px 0 4px; }
.gg-side pre { background: #f3f3f3; padding: 6px 8px; border-radius: 4px; margin: 0; white-space: pre-wrap;
  font-size: 12px; max-height: 180px; overflow: auto; }
.gg-side code { font-size: 12px; }
.gg-side table { border-collapse: collapse; width: 100%; }
.gg-side td { border-top: 1px solid #e5e5e5; padding: 3px 4px; vertical-align: top; font-size: 12px; }
.gg-side .gg-note { color: #8a5300; background: #fff6e0; padding: 6px 8px; border-radius: 4px; }
.gg-step { border: 1px solid #f0a030; background: #fff8ec; border-radius: 6px; padding: 6px 10px; margin-bottom: 10px; }
.gg-node { cursor: pointer; }
.gg-node rect, .gg-node ellipse { stroke-width: 1.4; }
.gg-node.gg-leaf rect { fill: #cfe5ff; stroke: #1f5fa8; }
.gg-node.gg-constant rect { fill: #ffffff; stroke: #777; stroke-dasharray: 4 3; }
.gg-node.gg-op rect { fill: #eeeeee; stroke: #555; }
.gg-node.gg-output rect { fill: #c9f2c0; stroke: #2e7d32; stroke-width: 2.5; }
.gg-node.gg-summary rect { fill: #fff8dc; stroke: #b8a040; stroke-dasharray: 4 3; }
.gg-node text { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; fill: #1d1d1f; }
.gg-node text.gg-title { font-weight: bold; }
.gg-node text.gg-op { fill: #555; }
.gg-node text.gg-grad { fill: #b3261e; }
.gg-node.gg-selected rect { stroke: #6a1b9a; stroke-width: 3; }
.gg-node.gg-done { opacity: .55; }
.gg-node.gg-current rect { stroke: #f08c00; stroke-width: 4; }
.gg-node.gg-current { opacity: 1; }
.gg-node.gg-target rect { stroke: #1971c2; stroke-width: 3; }
.gg-edge path { fill: none; stroke: #888; stroke-width: 1.4; }
.gg-edge text { font-family: Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 11px; fill: #b3261e;
  paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.gg-edge.gg-dashed path { stroke-dasharray: 5 4; }
.gg-edge.gg-incoming path { stroke: #f08c00; stroke-width: 3; }
.gg-edge.gg-outgoing path { stroke: #1971c2; stroke-width: 3; }
.gg-edge.gg-incoming text, .gg-edge.gg-outgoing text { font-weight: bold; }
.gg-group rect { fill: #faf5ff; stroke: #8e44ad; stroke-dasharray: 6 4; }
.gg-group text { fill: #8e44ad; font-size: 13px; font-weight: bold; }
"""

JS = r"""
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function h(tag, text, parent, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function mount(root, data) {
    var svg = root.querySelector("svg.gg-graph");
    var side = root.querySelector(".gg-side");
    var status = root.querySelector(".gg-status");
    var btnPrev = root.querySelector(".gg-prev"), btnNext = root.querySelector(".gg-next");
    var btnReset = root.querySelector(".gg-reset");
    var byId = {}, nodeEls = {}, edgeEls = [];
    data.nodes.forEach(function (n) { byId[n.id] = n; });
    svg.setAttribute("viewBox", "0 0 " + data.width + " " + data.height);
    svg.setAttribute("width", data.width);
    svg.setAttribute("height", data.height);
    var defs = svgEl("defs", {}, svg);
    [["gg-arrow", "#888"], ["gg-arrow-in", "#f08c00"], ["gg-arrow-out", "#1971c2"]].forEach(function (m) {
      var mk = svgEl("marker", {id: root.id + "-" + m[0], viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse"}, defs);
      svgEl("path", {d: "M0,0 L10,5 L0,10 z", fill: m[1]}, mk);
    });
    data.groups.forEach(function (g) {
      var ge = svgEl("g", {"class": "gg-group"}, svg);
      svgEl("rect", {x: g.x, y: g.y, width: g.w, height: g.h, rx: 10}, ge);
      svgEl("text", {x: g.x + 10, y: g.y + 18}, ge).textContent = g.name;
    });
    data.edges.forEach(function (e, i) {
      var a = byId[e.src], b = byId[e.dst];
      var ge = svgEl("g", {"class": "gg-edge" + (e.dashed ? " gg-dashed" : "")}, svg);
      var x1 = a.x + (e.sx || 0), y1 = a.y + a.h / 2, x2 = b.x + (e.dx || 0), y2 = b.y - b.h / 2 - 2;
      var my = (y1 + y2) / 2;
      var path = svgEl("path", {d: "M" + x1 + "," + y1 + " C" + x1 + "," + my + " " + x2 + "," + my + " " + x2 + "," + y2,
        "marker-end": "url(#" + root.id + "-gg-arrow)"}, ge);
      if (e.grad) {
        svgEl("text", {x: (x1 + x2) / 2 + 6, y: my + 4}, ge).textContent = "\u25c0 " + e.grad;
      }
      edgeEls.push({el: ge, path: path, e: e});
    });
    data.nodes.forEach(function (n) {
      var g = svgEl("g", {"class": "gg-node gg-" + n.style, "data-id": n.id, "data-label": n.label,
        transform: "translate(" + (n.x - n.w / 2) + "," + (n.y - n.h / 2) + ")"}, svg);
      svgEl("rect", {width: n.w, height: n.h, rx: n.kind === "leaf" ? n.h / 2.6 : 7}, g);
      var y = 17;
      n.lines.forEach(function (ln) {
        svgEl("text", {x: 10, y: y, "class": ln[0]}, g).textContent = ln[1];
        y += 16;
      });
      g.addEventListener("click", function (ev) { ev.stopPropagation(); select(n.id); });
      nodeEls[n.id] = g;
    });

    var selected = null, step = -1;

    function kv(table, k, v) {
      var tr = h("tr", null, table);
      h("td", k, tr);
      var td = h("td", null, tr);
      h("code", v, td);
    }
    function details(n) {
      var box = h("div", null, null, "gg-details");
      h("h2", n.kind === "leaf" ? n.label + " (leaf)" : n.label + " = " + n.op, box);
      var t = h("table", null, box);
      kv(t, "kind", n.kind === "output" ? "output (the tensor backward starts from)" : n.style === "constant" ?
        "input that needs no gradient" : n.kind);
      kv(t, "PyTorch name", n.op);
      kv(t, "shape, dtype", n.shape + ", " + n.dtype);
      if (n.inputs_desc) { kv(t, "inputs", n.inputs_desc); }
      if (n.group) { kv(t, "group", n.group); }
      if (n.created_at) { kv(t, "created at", n.created_at); }
      h("h3", "forward formula", box);
      h("pre", n.formula, box);
      if (n.local.length) {
        h("h3", "derivative rule (local gradient)", box);
        h("pre", n.local.map(function (r) { return "to " + r[0] + ":  " + r[1]; }).join("\n"), box);
        if (n.rules.length) { h("pre", "op table: " + n.rules.join(" ; "), box).style.marginTop = "4px"; }
      }
      h("h3", "value", box);
      h("pre", n.value, box);
      h("h3", n.kind === "leaf" ? ".grad" : "gradient arriving (dL/d" + n.label + ")", box);
      h("pre", n.grad, box);
      var saved = Object.keys(n.saved);
      h("h3", "saved for backward", box);
      if (saved.length) {
        var st = h("table", null, box);
        saved.forEach(function (k) { kv(st, k, n.saved[k]); });
      } else { h("div", "nothing", box); }
      return box;
    }
    function showSide() {
      side.innerHTML = "";
      if (step >= 0) {
        var s = data.steps[step], n = byId[s.node];
        var sb = h("div", null, side, "gg-step");
        h("strong", "Backward step " + (step + 1) + " of " + data.steps.length + ": " + n.op, sb);
        h("div", n.kind === "leaf" ? "accumulate into " + n.label + ".grad" : n.formula, sb);
        h("h3", "incoming gradient", sb);
        h("pre", s.upstream, sb);
        if (s.local.length) {
          h("h3", "local derivative", sb);
          h("pre", s.local.map(function (r) { return "to " + r[0] + ":  " + r[1]; }).join("\n"), sb);
        }
        h("h3", n.kind === "leaf" ? "result" : "passes on", sb);
        h("pre", s.passed.length ? s.passed.map(function (p) { return "to " + p[0] + ":  " + p[2]; }).join("\n") :
          (n.kind === "leaf" ? n.label + ".grad = " + n.grad : "nothing (no input needs a gradient)"), sb);
      }
      var target = selected || (step >= 0 ? data.steps[step].node : null);
      if (target) { side.appendChild(details(byId[target])); }
      else {
        h("h2", "Graph of " + byId[data.root].label, side);
        h("div", data.summary, side);
        h("p", "Click a box to see its formula, derivative rule, values, saved tensors and gradients. " +
          "Press Step to walk the backward pass one node at a time, in PyTorch's execution order.", side);
      }
      data.notes.forEach(function (t) { h("p", t, side, "gg-note"); });
    }
    function select(id) {
      if (selected && nodeEls[selected]) { nodeEls[selected].classList.remove("gg-selected"); }
      selected = id;
      if (id) { nodeEls[id].classList.add("gg-selected"); }
      showSide();
    }
    function showStep() {
      var k;
      for (k in nodeEls) { nodeEls[k].classList.remove("gg-current", "gg-done", "gg-target"); }
      edgeEls.forEach(function (x) {
        x.el.classList.remove("gg-incoming", "gg-outgoing");
        x.path.setAttribute("marker-end", "url(#" + root.id + "-gg-arrow)");
      });
      if (step >= 0) {
        for (var i = 0; i < step; i++) { var d = nodeEls[data.steps[i].node]; if (d) { d.classList.add("gg-done"); } }
        var s = data.steps[step], cur = nodeEls[s.node];
        cur.classList.add("gg-current");
        edgeEls.forEach(function (x) {
          if (x.e.src === s.node) { x.el.classList.add("gg-incoming"); x.path.setAttribute("marker-end", "url(#" + root.id + "-gg-arrow-in)"); }
          if (x.e.dst === s.node) {
            x.el.classList.add("gg-outgoing"); x.path.setAttribute("marker-end", "url(#" + root.id + "-gg-arrow-out)");
            if (nodeEls[x.e.src]) { nodeEls[x.e.src].classList.add("gg-target"); }
          }
        });
        if (cur.scrollIntoView) { cur.scrollIntoView({block: "center", inline: "center"}); }
        status.textContent = "step " + (step + 1) + " / " + data.steps.length + ": " + byId[s.node].op +
          " (" + byId[s.node].label + ")";
      } else {
        status.textContent = data.steps.length ? "before backward: " + data.steps.length + " steps" :
          "no backward steps to show";
      }
      btnPrev.disabled = step < 0;
      btnNext.disabled = step >= data.steps.length - 1;
      selected = null;
      for (k in nodeEls) { nodeEls[k].classList.remove("gg-selected"); }
      showSide();
    }
    btnNext.addEventListener("click", function () { if (step < data.steps.length - 1) { step++; showStep(); } });
    btnPrev.addEventListener("click", function () { if (step >= 0) { step--; showStep(); } });
    btnReset.addEventListener("click", function () { step = -1; showStep(); });
    svg.addEventListener("click", function () { select(null); });
    root.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowRight") { btnNext.click(); } else if (ev.key === "ArrowLeft") { btnPrev.click(); }
    });
    showStep();
  }

  var roots = document.querySelectorAll(".gg-root");
  for (var i = 0; i < roots.length; i++) {
    var r = roots[i];
    if (r.getAttribute("data-mounted")) { continue; }
    r.setAttribute("data-mounted", "1");
    mount(r, JSON.parse(r.querySelector("script.gg-data").textContent));
  }
})();
"""
