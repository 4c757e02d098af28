// The DStream graph of the Streaming page as SVG: columns by depth, inputs on the left, stateful
// streams outlined with their keys. Apart from app.js to keep each file short; app.js calls it.
'use strict';
/** An <svg> of the graph's nodes (the /graph endpoint's), durations written with fmtMs. */
window.dstreamsGraph = function (graph, fmtMs) {
  var byId = {}, depth = {};
  graph.forEach(function (n) { byId[n.id] = n; });
  function d(n) {
    if (depth[n.id] != null) return depth[n.id];
    depth[n.id] = 0;
    var m = 0;
    n.dependencies.forEach(function (p) { if (byId[p]) m = Math.max(m, d(byId[p]) + 1); });
    return (depth[n.id] = m);
  }
  graph.forEach(d);
  var cols = {};
  graph.forEach(function (n) { (cols[depth[n.id]] = cols[depth[n.id]] || []).push(n); });
  var W = 150, H = 46, gapX = 40, gapY = 14, pos = {}, maxRows = 0, ncols = 0;
  Object.keys(cols).forEach(function (c) {
    cols[c].forEach(function (n, i) { pos[n.id] = { x: 6 + c * (W + gapX), y: 6 + i * (H + gapY) }; });
    maxRows = Math.max(maxRows, cols[c].length); ncols = Math.max(ncols, Number(c) + 1);
  });
  var ns = 'http://www.w3.org/2000/svg';
  var svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', String(ncols * (W + gapX) + 10));
  svg.setAttribute('height', String(maxRows * (H + gapY) + 10));
  function s(tag, attrs, text) {
    var e = document.createElementNS(ns, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    svg.appendChild(e);
    return e;
  }
  graph.forEach(function (n) {
    n.dependencies.forEach(function (p) {
      if (!pos[p]) return;
      s('line', { x1: pos[p].x + W, y1: pos[p].y + H / 2, x2: pos[n.id].x, y2: pos[n.id].y + H / 2, stroke: '#888' });
    });
  });
  graph.forEach(function (n) {
    var p = pos[n.id];
    var fill = n.role === 'input' ? '#dbeafe' : n.role === 'output' ? '#dcfce7' : n.stateful ? '#ffedd5' : '#f3f4f6';
    var g = s('rect', { x: p.x, y: p.y, width: W, height: H, rx: 5, fill: fill, stroke: n.stateful ? '#b35c00' : '#999', 'stroke-width': n.stateful ? 2 : 1 });
    g.setAttribute('data-stream', String(n.id));
    s('text', { x: p.x + 6, y: p.y + 15 }, '#' + n.id + ' ' + n.kind.replace(/DStream$/, ''));
    var second = n.detail || ('slide ' + fmtMs(n.slideDuration) + (n.windowDuration ? ', window ' + fmtMs(n.windowDuration) : ''));
    s('text', { x: p.x + 6, y: p.y + 29, fill: '#555' }, second.length > 24 ? second.slice(0, 23) + '…' : second);
    if (n.stateful) s('text', { x: p.x + 6, y: p.y + 42, fill: '#b35c00', 'font-weight': 'bold' }, 'state' + (n.stateKeys != null ? ': ' + n.stateKeys.toLocaleString() + ' keys' : ''));
  });
  return svg;
};
