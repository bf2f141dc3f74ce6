/* servops interactive process map: our own vanilla JavaScript, no dependencies, no network.
 * Mirrors servops/report/process_map.py: the same slider logic (_select) and the same
 * layered layout (layered_layout): DFS cycle breaking, longest-path layers, dummy nodes,
 * barycenter sweeps, neighbour-pulled x positions.
 */
(function () {
  "use strict";
  if (window.ServopsMap) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var NODE_H = 38, LAYER_GAP = 58, NODE_GAP = 26, DUMMY_W = 8, MARGIN = 24, DUMMY_BUDGET = 4000;
  var START = "\u25cf start", END = "\u25a0 end";

  function fmtSeconds(s) {
    if (s === null || s === undefined || !isFinite(s)) { return "\u2013"; }
    var a = Math.abs(s);
    if (a < 120) { return s.toFixed(0) + " s"; }
    if (a < 7200) { return (s / 60).toFixed(0) + " min"; }
    if (a < 172800) { return (s / 3600).toFixed(1) + " h"; }
    return (s / 86400).toFixed(1) + " d";
  }
  function fmtInt(n) { return Number(n).toLocaleString("en-US"); }
  function textWidth(label) {
    return Math.min(200, Math.max(70, 6.6 * Math.min(label.length, 28) + 22));
  }
  function mix(c0, c1, t) {
    t = Math.min(1, Math.max(0, t));
    var out = "#";
    for (var i = 0; i < 3; i++) {
      var v = Math.round(c0[i] + (c1[i] - c0[i]) * t);
      out += (v < 16 ? "0" : "") + v.toString(16);
    }
    return out;
  }

  /* ---- slider logic (as process_map._select) ---- */
  function select(data, activities, paths) {
    var want = Math.max(1, activities);
    var level = data.levels[data.levels.length - 1];
    for (var i = 0; i < data.levels.length; i++) {
      if (data.levels[i].k >= want) { level = data.levels[i]; break; }
    }
    var edges = level.e.slice().sort(function (a, b) {
      return (b[2] - a[2]) || (a[0] - b[0]) || (a[1] - b[1]);
    });
    var keep = {}, bestIn = {}, bestOut = {};
    edges.forEach(function (e, j) {
      if (e[0] === e[1]) { return; }
      if (!(e[0] in bestOut)) { bestOut[e[0]] = j; }
      if (!(e[1] in bestIn)) { bestIn[e[1]] = j; }
    });
    Object.keys(bestIn).forEach(function (k) { keep[bestIn[k]] = true; });
    Object.keys(bestOut).forEach(function (k) { keep[bestOut[k]] = true; });
    var rest = [];
    for (var j = 0; j < edges.length; j++) { if (!keep[j]) { rest.push(j); } }
    var n = Math.ceil(rest.length * Math.max(0, Math.min(1, paths)));
    for (var r = 0; r < n; r++) { keep[rest[r]] = true; }
    var kept = [];
    for (var q = 0; q < edges.length; q++) { if (keep[q]) { kept.push(edges[q]); } }
    return { level: level, edges: kept, total: edges.length };
  }

  /* ---- layered layout (as process_map.layered_layout) ---- */
  function layout(nodes, edges, widths, root, sink) {
    var w = {}, succ = {}, weight = {}, wkeys = [];
    nodes.forEach(function (n) { w[n] = widths[n] || textWidth(n); succ[n] = []; });
    var sorted = edges.slice().sort(function (a, b) { return b[2] - a[2]; });
    sorted.forEach(function (e) {
      var s = e[0], t = e[1];
      if (s === t || !(s in succ) || !(t in succ)) { return; }
      var key = s + "\u0001" + t;
      if (!(key in weight)) { succ[s].push(t); weight[key] = 0; wkeys.push([s, t]); }
      weight[key] += e[2];
    });
    var state = {}, discovered = [], back = {};
    var roots = (root in succ ? [root] : []).concat(nodes);
    roots.forEach(function (r) {
      if (state[r]) { return; }
      state[r] = 1; discovered.push(r);
      var stack = [[r, 0]];
      while (stack.length) {
        var top = stack[stack.length - 1], v = top[0];
        if (top[1] >= succ[v].length) { state[v] = 2; stack.pop(); continue; }
        var nxt = succ[v][top[1]++];
        var st = state[nxt] || 0;
        if (st === 0) { state[nxt] = 1; discovered.push(nxt); stack.push([nxt, 0]); }
        else if (st === 1) { back[v + "\u0001" + nxt] = true; }
      }
    });
    var dag = {}, dagKeys = [];
    wkeys.forEach(function (p) {
      var s = p[0], t = p[1], key = s + "\u0001" + t;
      var d = back[key] ? [t, s] : [s, t], dk = d[0] + "\u0001" + d[1];
      if (!(dk in dag)) { dag[dk] = { s: d[0], t: d[1], w: 0 }; dagKeys.push(dk); }
      dag[dk].w += weight[key];
    });
    var preds = {}, outs = {}, indeg = {};
    nodes.forEach(function (n) { preds[n] = []; outs[n] = []; });
    dagKeys.forEach(function (k) { preds[dag[k].t].push(dag[k].s); outs[dag[k].s].push(dag[k].t); });
    nodes.forEach(function (n) { indeg[n] = preds[n].length; });
    var rank = {};
    discovered.forEach(function (n, i) { rank[n] = i; });
    var ready = nodes.filter(function (n) { return indeg[n] === 0; })
      .sort(function (a, b) { return rank[a] - rank[b]; });
    var layer = {};
    while (ready.length) {
      var v = ready.shift(), lv = 0;
      preds[v].forEach(function (p) { lv = Math.max(lv, layer[p] + 1); });
      layer[v] = lv;
      outs[v].forEach(function (t) { indeg[t] -= 1; if (indeg[t] === 0) { ready.push(t); } });
    }
    if (sink in layer) {
      var deepest = -1;
      Object.keys(layer).forEach(function (v) { if (v !== sink) { deepest = Math.max(deepest, layer[v]); } });
      layer[sink] = deepest + 1;
    }
    var lw = {}, wid = {}, adj = {}, adjKeys = [], chains = {};
    Object.keys(layer).forEach(function (n) { lw[n] = layer[n]; wid[n] = w[n]; });
    /* heaviest edges get dummy nodes first; past the budget, light long edges are drawn
       direct (a huge spaghetti map stays responsive) */
    var budget = DUMMY_BUDGET;
    dagKeys.slice().sort(function (a, b) { return dag[b].w - dag[a].w; }).forEach(function (k) {
      var s = dag[k].s, t = dag[k].t, chain = [s];
      var span = layer[t] - layer[s] - 1;
      if (span > budget) { chains[k] = [s, t]; return; }
      budget -= span;
      for (var l = layer[s] + 1, i = 0; l < layer[t]; l++, i++) {
        var d = "\u0000" + s + "\u0000" + t + "\u0000" + i;
        lw[d] = l; wid[d] = DUMMY_W; chain.push(d);
      }
      chain.push(t);
      for (var c = 0; c + 1 < chain.length; c++) {
        var ak = chain[c] + "\u0001" + chain[c + 1];
        if (!(ak in adj)) { adj[ak] = { a: chain[c], b: chain[c + 1], w: 0 }; adjKeys.push(ak); }
        adj[ak].w += dag[k].w;
      }
      chains[k] = chain;
    });
    var nLayers = 0, all = Object.keys(lw);
    all.forEach(function (v) { nLayers = Math.max(nLayers, lw[v] + 1); });
    var layers = [];
    for (var li = 0; li < nLayers; li++) { layers.push([]); }
    all.sort(function (a, b) {
      var ra = a in rank ? rank[a] : discovered.length, rb = b in rank ? rank[b] : discovered.length;
      return (ra - rb) || (a < b ? -1 : a > b ? 1 : 0);
    }).forEach(function (v) { layers[lw[v]].push(v); });
    var up = {}, down = {};
    all.forEach(function (v) { up[v] = []; down[v] = []; });
    adjKeys.forEach(function (k) { down[adj[k].a].push([adj[k].b, adj[k].w]); up[adj[k].b].push([adj[k].a, adj[k].w]); });
    var pos = {};
    layers.forEach(function (ln) { ln.forEach(function (v, i) { pos[v] = i; }); });
    function bary(v, nb) {
      var tot = 0, sum = 0;
      nb.forEach(function (p) { tot += p[1]; sum += pos[p[0]] * p[1]; });
      return tot ? sum / tot : pos[v];
    }
    for (var sw = 0; sw < 8; sw++) {
      var nb = sw % 2 === 0 ? up : down, order = [];
      if (sw % 2 === 0) { for (var a1 = 1; a1 < nLayers; a1++) { order.push(a1); } }
      else { for (var a2 = nLayers - 2; a2 >= 0; a2--) { order.push(a2); } }
      order.forEach(function (li2) {
        var keyed = layers[li2].map(function (v) { return [bary(v, nb[v]), pos[v], v]; });
        keyed.sort(function (p, q) { return (p[0] - q[0]) || (p[1] - q[1]); });
        layers[li2] = keyed.map(function (p) { return p[2]; });
        layers[li2].forEach(function (v, i) { pos[v] = i; });
      });
    }
    var x = {};
    layers.forEach(function (ln) {
      var cur = 0;
      ln.forEach(function (v) { x[v] = cur + wid[v] / 2; cur += wid[v] + NODE_GAP; });
      ln.forEach(function (v) { x[v] -= cur / 2; });
    });
    for (var it = 0; it < 12; it++) {
      var idx = [];
      if (it % 2 === 0) { for (var b1 = 0; b1 < nLayers; b1++) { idx.push(b1); } }
      else { for (var b2 = nLayers - 1; b2 >= 0; b2--) { idx.push(b2); } }
      idx.forEach(function (li3) {
        var ln = layers[li3];
        if (!ln.length) { return; }
        var want = ln.map(function (v) {
          var tot = 0, sum = 0;
          up[v].concat(down[v]).forEach(function (p) { tot += p[1]; sum += x[p[0]] * p[1]; });
          return tot ? sum / tot : x[v];
        });
        var left = want.slice(), right = want.slice(), i;
        for (i = 1; i < ln.length; i++) {
          left[i] = Math.max(left[i], left[i - 1] + (wid[ln[i - 1]] + wid[ln[i]]) / 2 + NODE_GAP);
        }
        for (i = ln.length - 2; i >= 0; i--) {
          right[i] = Math.min(right[i], right[i + 1] - (wid[ln[i]] + wid[ln[i + 1]]) / 2 - NODE_GAP);
        }
        ln.forEach(function (v, j) { x[v] = (left[j] + right[j]) / 2; });
      });
    }
    var minX = Infinity, maxX = -Infinity;
    all.forEach(function (v) { minX = Math.min(minX, x[v] - wid[v] / 2); maxX = Math.max(maxX, x[v] + wid[v] / 2); });
    if (!all.length) { minX = 0; maxX = 0; }
    var P = {};
    all.forEach(function (v) { P[v] = [x[v] - minX + MARGIN, MARGIN + NODE_H / 2 + lw[v] * (NODE_H + LAYER_GAP)]; });
    var paths = {};
    wkeys.forEach(function (p) {
      var s = p[0], t = p[1], key = s + "\u0001" + t, pts;
      if (back[key]) {
        pts = chains[t + "\u0001" + s].map(function (v) { return P[v].slice(); }).reverse();
        var x0 = pts[0][0], y0 = pts[0][1], x1 = pts[pts.length - 1][0], y1 = pts[pts.length - 1][1];
        pts[0] = [x0 + w[s] / 2 - 10, y0 - NODE_H / 2];
        pts[pts.length - 1] = [x1 + w[t] / 2 - 10, y1 + NODE_H / 2];
        if (pts.length === 2) {
          pts.splice(1, 0, [(x0 + x1) / 2 + Math.max(w[s], w[t]) / 2 + 18, (y0 + y1) / 2]);
        }
      } else {
        pts = chains[key].map(function (v) { return P[v].slice(); });
        pts[0][1] += NODE_H / 2;
        pts[pts.length - 1][1] -= NODE_H / 2;
      }
      paths[key] = pts;
    });
    return { pos: P, w: w, paths: paths, width: maxX - minX + 2 * MARGIN,
             height: MARGIN * 2 + nLayers * (NODE_H + LAYER_GAP) - LAYER_GAP };
  }

  function curve(pts) {
    var d = "M" + pts[0][0].toFixed(1) + "," + pts[0][1].toFixed(1);
    for (var i = 0; i + 1 < pts.length; i++) {
      var ym = ((pts[i][1] + pts[i + 1][1]) / 2).toFixed(1);
      d += " C" + pts[i][0].toFixed(1) + "," + ym + " " + pts[i + 1][0].toFixed(1) + "," + ym +
        " " + pts[i + 1][0].toFixed(1) + "," + pts[i + 1][1].toFixed(1);
    }
    return d;
  }
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function html(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function mount(root) {
    if (!root || root.getAttribute("data-mounted")) { return; }
    root.setAttribute("data-mounted", "1");
    var data = JSON.parse(root.querySelector("script.so-map-data").textContent);
    var L = data.labels, N = data.nodes.length;
    var state = { mode: "frequency", acts: data.defaultActivities || N, paths: 0.3 };
    var bar = html("div", { "class": "so-bar" }, root);
    var toggle = html("span", { "class": "so-toggle" }, bar);
    var bFreq = html("button", { type: "button", "class": "on", "data-mode": "frequency" }, toggle, L.frequency);
    var bPerf = html("button", { type: "button", "data-mode": "performance" }, toggle, L.performance);
    var lab1 = html("label", {}, bar, L.activities);
    /* the activity slider steps through the precomputed levels (geometric on big logs) */
    var startLevel = data.levels.length - 1;
    for (var si = 0; si < data.levels.length; si++) {
      if (data.levels[si].k >= state.acts) { startLevel = si; break; }
    }
    state.acts = data.levels[startLevel].k;
    var sAct = html("input", { type: "range", min: "0", max: String(data.levels.length - 1),
      step: "1", value: String(startLevel), "class": "so-activities", "aria-label": L.activities }, lab1);
    var cAct = html("span", { "class": "so-count so-act-count" }, lab1);
    var lab2 = html("label", {}, bar, L.paths);
    var sPath = html("input", { type: "range", min: "0", max: "100", step: "1",
      value: String(Math.round(state.paths * 100)), "class": "so-paths", "aria-label": L.paths }, lab2);
    var cPath = html("span", { "class": "so-count so-path-count" }, lab2);
    var zoom = html("span", { "class": "so-zoom" }, bar);
    var zIn = html("button", { type: "button", title: "zoom in" }, zoom, L.zoom_in);
    var zOut = html("button", { type: "button", title: "zoom out" }, zoom, L.zoom_out);
    var zFit = html("button", { type: "button" }, zoom, L.fit);
    html("span", { "class": "so-hint" }, bar, L.hint);
    var view = html("div", { "class": "so-view" }, root);
    var svg = el("svg", { "class": "so-svg", role: "img", "aria-label": "process map" }, view);
    var tip = html("div", { "class": "so-tip" }, root);
    var vb = [0, 0, 100, 100], size = [100, 100];

    function setViewBox() { svg.setAttribute("viewBox", vb.map(function (v) { return v.toFixed(1); }).join(" ")); }
    /* readable: start no smaller than 0.65 px per unit (zoom out or "Fit" for all) */
    function fit(whole) {
      var r = view.getBoundingClientRect(), W = r.width || 800, H = r.height || 600;
      var scale = Math.min(W / size[0], H / size[1], 1.3);
      if (!whole) { scale = Math.max(scale, 0.65); }
      var vw = W / scale, vh = H / scale;
      vb = [(size[0] - vw) / 2, size[1] < vh ? (size[1] - vh) / 2 : 0, vw, vh];
      setViewBox();
    }
    function zoomBy(f, cx, cy) {
      if (cx === undefined) { cx = vb[0] + vb[2] / 2; cy = vb[1] + vb[3] / 2; }
      vb = [cx - (cx - vb[0]) * f, cy - (cy - vb[1]) * f, vb[2] * f, vb[3] * f];
      setViewBox();
    }
    function showTip(ev, text) {
      tip.textContent = "";
      text.split("\n").forEach(function (line, i) {
        if (i) { tip.appendChild(document.createElement("br")); }
        tip.appendChild(document.createTextNode(line));
      });
      var r = root.getBoundingClientRect();
      tip.style.left = Math.min(ev.clientX - r.left + 14, r.width - 260) + "px";
      tip.style.top = (ev.clientY - r.top + 14) + "px";
      tip.style.display = "block";
    }
    function hideTip() { tip.style.display = "none"; }
    function bindTip(g, text) {
      g.addEventListener("mousemove", function (ev) { showTip(ev, text); });
      g.addEventListener("mouseleave", hideTip);
    }

    function render() {
      var sel = select(data, state.acts, state.paths), lv = sel.level, k = lv.k;
      var names = data.nodes.slice(0, k).map(function (n) { return n.a; });
      var ids = [START].concat(names, [END]);
      var graph = sel.edges.map(function (e) { return [names[e[0]], names[e[1]], e[2]]; });
      lv.s.forEach(function (p) { if (p[0] < k) { graph.push([START, names[p[0]], p[1]]); } });
      lv.t.forEach(function (p) { if (p[0] < k) { graph.push([names[p[0]], END, p[1]]); } });
      var widths = {}; widths[START] = 34; widths[END] = 34;
      var lay = layout(ids, graph, widths, START, END);
      size = [lay.width, lay.height];
      while (svg.firstChild) { svg.removeChild(svg.firstChild); }
      var defs = el("defs", {}, svg);
      var mk = el("marker", { id: root.id + "-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5",
        markerWidth: "9", markerHeight: "9", markerUnits: "userSpaceOnUse",
        orient: "auto-start-reverse" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#475569" }, mk);
      var arrow = "url(#" + root.id + "-arrow)";
      var gEdges = el("g", { "class": "so-edges" }, svg), gNodes = el("g", { "class": "so-nodes" }, svg);
      var perf = state.mode === "performance";
      var maxE = 1, maxT = 0, maxF = 1;
      sel.edges.forEach(function (e) { maxE = Math.max(maxE, e[2]); maxT = Math.max(maxT, e[4]); });
      data.nodes.slice(0, k).forEach(function (n) { maxF = Math.max(maxF, n.f); });
      maxT = maxT || 1;
      sel.edges.forEach(function (e) {
        var a = names[e[0]], b = names[e[1]];
        var share = perf ? e[4] / maxT : e[2] / maxE;
        var colour = perf ? mix([203, 213, 225], [185, 28, 28], share) : mix([148, 163, 184], [30, 41, 59], share);
        var width = 1 + 5 * Math.sqrt(Math.max(share, 0));
        var g = el("g", { "class": "so-edge", "data-source": a, "data-target": b }, gEdges);
        var d, lx, ly;
        if (a === b) {
          var p = lay.pos[a], hw = lay.w[a] / 2;
          d = "M" + (p[0] + hw) + "," + (p[1] - 8) + " C" + (p[0] + hw + 34) + "," + (p[1] - 26) + " " +
            (p[0] + hw + 34) + "," + (p[1] + 26) + " " + (p[0] + hw) + "," + (p[1] + 8);
          lx = p[0] + hw + 30; ly = p[1];
        } else {
          var pts = lay.paths[a + "\u0001" + b];
          d = curve(pts);
          var mid = pts.length > 2 ? pts[Math.floor(pts.length / 2)] :
            [(pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2];
          lx = mid[0]; ly = mid[1];
        }
        el("path", { d: d, "class": "hit" }, g);
        el("path", { d: d, stroke: colour, "stroke-width": width.toFixed(1), "marker-end": arrow }, g);
        var t = el("text", { x: (lx + 4).toFixed(1), y: (ly - 2).toFixed(1) }, g);
        t.textContent = perf ? fmtSeconds(e[4]) : fmtInt(e[2]);
        bindTip(g, a + " \u2192 " + b + "\n" + fmtInt(e[2]) + " " + L.times + ", " + fmtInt(e[3]) + " " + L.cases +
          "\n" + L.mean + " " + fmtSeconds(e[4]) + " \u00b7 " + L.median + " " + fmtSeconds(e[5]) +
          " \u00b7 " + L.p90 + " " + fmtSeconds(e[6]));
      });
      function terminal(src, dst, n) {
        var pts = lay.paths[src + "\u0001" + dst];
        if (!pts) { return; }
        var g = el("g", { "class": "so-edge so-terminal" }, gEdges);
        el("path", { d: curve(pts), stroke: "#94a3b8", "stroke-width": "1.2", "stroke-dasharray": "4 3",
          "marker-end": arrow }, g);
        bindTip(g, src + " \u2192 " + dst + "\n" + fmtInt(n) + " " + L.cases);
      }
      lv.s.forEach(function (p) { if (p[0] < k) { terminal(START, names[p[0]], p[1]); } });
      lv.t.forEach(function (p) { if (p[0] < k) { terminal(names[p[0]], END, p[1]); } });
      names.forEach(function (name, i) {
        var nd = data.nodes[i], p = lay.pos[name], wd = lay.w[name];
        var tt = Math.sqrt(nd.f / maxF), fill = mix([219, 234, 254], [30, 64, 175], tt);
        var ink = tt > 0.55 ? "#ffffff" : "#0f172a";
        var g = el("g", { "class": "so-node", "data-activity": name }, gNodes);
        el("rect", { x: (p[0] - wd / 2).toFixed(1), y: (p[1] - NODE_H / 2).toFixed(1), width: wd.toFixed(1),
          height: NODE_H, rx: 6, fill: fill }, g);
        var t1 = el("text", { x: p[0].toFixed(1), y: (p[1] - 2).toFixed(1), "font-size": "11.5",
          "text-anchor": "middle", fill: ink }, g);
        t1.textContent = name.length <= 28 ? name : name.slice(0, 27) + "\u2026";
        var t2 = el("text", { x: p[0].toFixed(1), y: (p[1] + 12).toFixed(1), "font-size": "10",
          "text-anchor": "middle", fill: ink }, g);
        t2.textContent = (perf && nd.sm !== null) ? fmtSeconds(nd.sm) : fmtInt(nd.f);
        var text = name + "\n" + fmtInt(nd.f) + " " + L.times + ", " + fmtInt(nd.c) + " " + L.cases;
        if (nd.sm !== null) {
          text += "\n" + L.service + ": " + L.mean + " " + fmtSeconds(nd.sm) + " \u00b7 " + L.median + " " + fmtSeconds(nd.sd);
        }
        bindTip(g, text);
      });
      var s0 = lay.pos[START], e0 = lay.pos[END];
      var gs = el("g", { "class": "so-terminal-node" }, gNodes);
      el("circle", { cx: s0[0].toFixed(1), cy: s0[1].toFixed(1), r: 12, fill: "#16a34a" }, gs);
      bindTip(gs, L.start + ": " + fmtInt(data.cases) + " " + L.cases);
      var ge = el("g", { "class": "so-terminal-node" }, gNodes);
      el("rect", { x: (e0[0] - 11).toFixed(1), y: (e0[1] - 11).toFixed(1), width: 22, height: 22, fill: "#0f172a" }, ge);
      bindTip(ge, L.end);
      cAct.textContent = k + " " + L.of + " " + N;
      cPath.textContent = sel.edges.length + " " + L.of + " " + sel.total;
      root.setAttribute("data-visible-nodes", String(k));
      root.setAttribute("data-visible-edges", String(sel.edges.length));
      fit(false);
    }

    [bFreq, bPerf].forEach(function (b) {
      b.addEventListener("click", function () {
        state.mode = b.getAttribute("data-mode");
        bFreq.classList.toggle("on", state.mode === "frequency");
        bPerf.classList.toggle("on", state.mode === "performance");
        render();
      });
    });
    sAct.addEventListener("input", function () {
      state.acts = data.levels[parseInt(sAct.value, 10)].k; render();
    });
    sPath.addEventListener("input", function () { state.paths = parseInt(sPath.value, 10) / 100; render(); });
    zIn.addEventListener("click", function () { zoomBy(0.8); });
    zOut.addEventListener("click", function () { zoomBy(1.25); });
    zFit.addEventListener("click", function () { fit(true); });
    view.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = view.getBoundingClientRect();
      var cx = vb[0] + (ev.clientX - r.left) / r.width * vb[2];
      var cy = vb[1] + (ev.clientY - r.top) / r.height * vb[3];
      zoomBy(ev.deltaY > 0 ? 1.15 : 1 / 1.15, cx, cy);
    }, { passive: false });
    var drag = null;
    view.addEventListener("mousedown", function (ev) { drag = [ev.clientX, ev.clientY, vb[0], vb[1]]; view.classList.add("dragging"); });
    window.addEventListener("mouseup", function () { drag = null; view.classList.remove("dragging"); });
    window.addEventListener("mousemove", function (ev) {
      if (!drag) { return; }
      var r = view.getBoundingClientRect();
      vb[0] = drag[2] - (ev.clientX - drag[0]) / r.width * vb[2];
      vb[1] = drag[3] - (ev.clientY - drag[1]) / r.height * vb[3];
      setViewBox();
    });
    render();
  }

  window.ServopsMap = { mount: mount, layout: layout, select: select, fmtSeconds: fmtSeconds };
})();
