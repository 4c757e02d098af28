// The Streaming page: loads the REST JSON, then follows the server-sent events, reading the
// batches and statistics again whenever the event stream (re)opens (batches that finished before
// it opened, or while it reconnected, sent no event). It keeps at most the server's retained batch
// count in memory and shows the last TABLE_ROWS completed ones. An event stream refused (404: the
// application is gone) sends it to the application the server runs now, if another.
'use strict';
(function () {
  var TABLE_ROWS = 100;
  var appId = null;
  var base = null;
  var stats = null;
  var batchDuration = 1000;
  var retained = 1000;
  /** Completed batches (Spark's batch JSON + our batch time in ms), oldest first. */
  var completed = [];
  var active = {};
  var receivers = {};
  /** Every input's rates (/inputs, ours): direct inputs have no receiver to carry them. */
  var inputRates = {};
  var graph = [];
  var kafkaLag = [];
  var selected = null;
  var charts = {};
  var dirty = false;
  /** When the application ended (ms): the application list's endTime, else when the stream said `end`; null while it runs. */
  var endTime = null;
  var ticker = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function getJSON(path) {
    return fetch(path).then(function (r) { if (!r.ok) throw new Error(path + ': ' + r.status); return r.json(); });
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function fmtTime(ms) {
    var d = new Date(ms);
    var t = d.getFullYear() + '/' + pad(d.getMonth() + 1) + '/' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    // Batches shorter than a second, or off whole seconds (a query's trigger times), need the milliseconds to tell apart.
    return batchDuration % 1000 === 0 && !(stats && stats.streamingQuery) ? t : t + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }
  function fmtMs(ms) {
    if (ms == null) return '-';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    return (ms / 60000).toFixed(1) + ' min';
  }
  function fmtDuration(ms) {
    var s = Math.floor(ms / 1000), out = [];
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    if (h) out.push(h + ' hour' + (h > 1 ? 's' : ''));
    if (m) out.push(m + ' minute' + (m > 1 ? 's' : ''));
    out.push((s % 60) + ' second' + (s % 60 === 1 ? '' : 's'));
    return out.join(' ');
  }
  function fmtBytes(n) {
    if (n == null) return '-';
    if (n < 1024) return n + ' B';
    var units = ['KiB', 'MiB', 'GiB', 'TiB'], v = n / 1024, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (v >= 100 ? Math.round(v) : v.toFixed(1)) + ' ' + units[i];
  }
  function fmtMemory(m) {
    return 'heap ' + fmtBytes(m.heapUsed) + ' · state keys: ' + m.stateKeysInMemory.toLocaleString() + ' in memory, ' +
      m.stateKeysOnDisk.toLocaleString() + ' on disk';
  }
  function fmtRate(r) { return r == null ? '-' : (r >= 100 ? Math.round(r).toLocaleString() : r.toFixed(2)); }
  function batchMs(b) { return b.batchId; }
  // A failed batch is COMPLETED with failed output operations, as in Spark.
  function isDone(b) { return b.status === 'COMPLETED'; }
  function isFailed(b) { return b.numFailedOutputOps > 0 || b.firstFailureReason != null; }
  var RANK = { QUEUED: 0, PROCESSING: 1, COMPLETED: 2 };
  function setLive(text, on) { $('live').textContent = text; $('live').className = on ? 'live on' : 'live'; }

  // ---- charts ----------------------------------------------------------------------------
  var series = [
    { key: 'rate', label: 'records/s', color: '#2c7bb6', value: function (b) { return b.inputRate != null ? b.inputRate : b.inputSize / (batchDuration / 1000); } },
    { key: 'sched', label: 'ms', color: '#fdae61', value: function (b) { return b.schedulingDelay; } },
    { key: 'proc', label: 'ms', color: '#1a9641', value: function (b) { return b.processingTime; } },
    { key: 'total', label: 'ms', color: '#d7191c', value: function (b) { return b.totalDelay; } },
  ];
  function makeCharts() {
    if (typeof uPlot === 'undefined') return;
    series.forEach(function (s) {
      charts['tl-' + s.key] = new uPlot({
        width: 560, height: 130, legend: { show: false }, cursor: { show: true },
        scales: { x: { time: true } },
        axes: [{}, { size: 60, label: s.label }],
        series: [{}, { stroke: s.color, width: 1.5, fill: s.color + '22', points: { show: false } }],
      }, [[], []], $('tl-' + s.key));
      charts['h-' + s.key] = new uPlot({
        width: 300, height: 130, legend: { show: false }, cursor: { show: false },
        scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
        axes: [{ label: s.label }, { size: 40, label: 'batches' }],
        series: [{}, { fill: s.color + 'aa', stroke: s.color, paths: uPlot.paths.bars({ size: [0.9, 40] }), points: { show: false } }],
      }, [[], []], $('h-' + s.key));
    });
  }
  function histogram(values) {
    if (values.length === 0) return [[], []];
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var bins = 10, width = (hi - lo) / bins || 1, counts = new Array(bins).fill(0), xs = [];
    values.forEach(function (v) { counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++; });
    for (var i = 0; i < bins; i++) xs.push(lo + (i + 0.5) * width);
    return [xs, counts];
  }
  function drawCharts() {
    var xs = completed.map(function (b) { return batchMs(b) / 1000; });
    series.forEach(function (s) {
      var ys = completed.map(s.value);
      if (charts['tl-' + s.key]) {
        charts['tl-' + s.key].setData([xs, ys]);
        charts['h-' + s.key].setData(histogram(ys.filter(function (v) { return v != null; })));
      }
    });
  }

  // ---- tables ----------------------------------------------------------------------------
  function opsCell(b) { return (b.numCompletedOutputOps) + '/' + b.numTotalOutputOps + (b.numFailedOutputOps ? ' (' + b.numFailedOutputOps + ' failed)' : ''); }
  function renderSummary() {
    if (!stats) return;
    var start = Date.parse(stats.startTime.replace('GMT', 'Z'));
    var q = stats.streamingQuery, verb = endTime == null ? 'Running' : 'Ended: ran';
    // A structured query: its name and ids and its trigger, not its engine's batch duration.
    var what = q ? verb + ' query ' + (q.name ? q.name + ' ' : '') + '[id = ' + q.id + ', runId = ' + q.runId + '], ' + q.trigger + ',' : verb + ' batches of ' + fmtMs(batchDuration);
    // Ended: the time stops at the end rather than counting on.
    $('summary').textContent = what + ' for ' + fmtDuration((endTime == null ? Date.now() : endTime) - start) +
      (endTime == null ? ' since ' + fmtTime(start) : ' from ' + fmtTime(start) + ' to ' + fmtTime(endTime)) + ' (' + stats.numTotalCompletedBatches + ' completed batches, ' + stats.numProcessedRecords.toLocaleString() + ' records)';
    $('timelines-head').textContent = 'Timelines (last ' + stats.numRetainedCompletedBatches + ' batches, ' + stats.numActiveBatches + ' active, ' + stats.numTotalCompletedBatches + ' completed)';
    $('avg-rate').textContent = 'avg: ' + fmtRate(stats.avgInputRate) + ' records/sec';
    $('avg-sched').textContent = 'avg: ' + fmtMs(stats.avgSchedulingDelay);
    $('avg-proc').textContent = 'avg: ' + fmtMs(stats.avgProcessingTime);
    $('avg-total').textContent = 'avg: ' + fmtMs(stats.avgTotalDelay);
    var last = completed.length > 0 ? completed[completed.length - 1] : undefined;
    $('memory').textContent = stats.memory ? 'Memory after the last batch: ' + fmtMemory(stats.memory) +
      (last ? ' · its input: ' + last.inputSize.toLocaleString() + ' records, ' + fmtBytes(last.inputBytes) : '') : '';
  }
  function renderActive() {
    var tbody = $('active').tBodies[0];
    var list = Object.keys(active).map(function (k) { return active[k]; }).sort(function (a, b) { return b.batchId - a.batchId; });
    $('active-head').textContent = 'Active Batches (' + list.length + ')';
    tbody.replaceChildren.apply(tbody, list.map(function (b) {
      return el('tr', {}, [el('td', { text: fmtTime(b.batchId) }), el('td', { text: String(b.inputSize) }), el('td', { text: fmtMs(b.schedulingDelay) }),
        el('td', { text: '-' }), el('td', { text: opsCell(b) }), el('td', { text: b.status === 'QUEUED' ? 'queued' : 'processing' })]);
    }));
  }
  function renderCompleted() {
    var tbody = $('completed').tBodies[0];
    var rows = completed.slice(-TABLE_ROWS).reverse();
    $('completed-head').textContent = 'Completed Batches (last ' + rows.length + ' out of ' + (stats ? stats.numTotalCompletedBatches : completed.length) + ')';
    // As Spark's batch table: an Error column (each batch's first failure) once a shown batch failed.
    var errors = rows.some(function (b) { return b.firstFailureReason != null; });
    $('error-head').hidden = !errors;
    tbody.replaceChildren.apply(tbody, rows.map(function (b) {
      var cls = 'clickable' + (isFailed(b) ? ' failed' : '') + (selected === b.batchId ? ' selected' : '');
      return el('tr', { class: cls, 'data-batch': String(b.batchId), onclick: function () { showBatch(b.batchId); } }, [
        el('td', {}, [el('a', { href: '#batch-' + b.batchId, text: fmtTime(b.batchId) })]), el('td', { text: String(b.inputSize) }),
        el('td', { text: fmtBytes(b.inputBytes) }), el('td', { text: fmtMs(b.schedulingDelay) }), el('td', { text: fmtMs(b.processingTime) }), el('td', { text: fmtMs(b.totalDelay) }),
        el('td', { text: opsCell(b) }), errors ? errorCell(b.firstFailureReason) : null]);
    }));
  }
  function errorCell(reason) {
    if (reason == null) return el('td', { text: '-' });
    var first = reason.split('\n')[0];
    return el('td', { class: 'error', title: reason, text: first.length > 120 ? first.slice(0, 119) + '…' : first });
  }
  function renderInputs() {
    var tbody = $('inputs').tBodies[0];
    var inputs = graph.filter(function (n) { return n.role === 'input'; });
    tbody.replaceChildren.apply(tbody, inputs.map(function (n) {
      var r = receivers[n.id];
      var rate = averageRate(n.id);
      var status = r ? (r.isActive ? 'ACTIVE' : 'INACTIVE') : 'no receiver';
      return el('tr', {}, [el('td', { text: (n.detail || n.kind) + ' #' + n.id }), el('td', { text: n.kind }), el('td', { text: status }),
        el('td', { text: fmtRate(rate) }), el('td', { text: r ? String(r.numErrors) : '-' }),
        el('td', { text: r && r.lastErrorMessage ? fmtTime(Date.parse(r.lastErrorTime.replace('GMT', 'Z'))) + ': ' + r.lastErrorMessage : '' })]);
    }));
    var kbody = $('kafka').tBodies[0];
    $('kafka-box').hidden = kafkaLag.length === 0;
    kbody.replaceChildren.apply(kbody, kafkaLag.map(function (l) {
      return el('tr', {}, [el('td', { text: l.topic }), el('td', { text: String(l.partition) }), el('td', { text: String(l.offset) }), el('td', { text: String(l.lag) })]);
    }));
  }
  function averageRate(streamId) {
    var r = receivers[streamId];
    if (r && r.avgEventRate != null) return r.avgEventRate;
    return inputRates[streamId] ? inputRates[streamId].avgEventRate : undefined;
  }

  function renderGraph() { $('graph').replaceChildren(window.dstreamsGraph(graph, fmtMs)); }

  // ---- one batch's details -----------------------------------------------------------------
  function showBatch(id) {
    selected = id;
    renderCompleted();
    getJSON(base + '/batches/' + id).then(function (b) {
      var box = $('details');
      var parts = [el('h3', { text: 'Batch ' + fmtTime(b.batchId) }),
        el('p', { text: 'Status ' + b.status + ' · ' + b.inputSize + ' records · scheduling delay ' + fmtMs(b.schedulingDelay) +
          ' · processing ' + fmtMs(b.processingTime) + ' · total delay ' + fmtMs(b.totalDelay) +
          (b.inputBytes != null ? ' · ' + fmtBytes(b.inputBytes) + ' of input' : '') +
          (b.checkpointWriteTime != null ? ' · checkpoint write ' + fmtMs(b.checkpointWriteTime) : '') +
          (b.memory ? ' · ' + fmtMemory(b.memory) : '') })];
      // A failure no output operation carries (the batch failed before or around them).
      if (b.firstFailureReason != null && !b.outputOperations.some(function (o) { return o.failureReason; })) parts.push(el('pre', { text: b.firstFailureReason }));
      parts.push(el('h4', { text: 'Input' }));
      parts.push(el('table', { class: 'grid' }, [el('thead', {}, [el('tr', {}, [el('th', { text: 'Stream' }), el('th', { text: 'Records' }), el('th', { text: 'Offsets' })])]),
        el('tbody', {}, b.inputs.map(function (i) {
          var offs = (i.offsetRanges || []).map(function (r) { return r.topic + ':' + r.partition + ' [' + r.fromOffset + ', ' + r.untilOffset + ')'; }).join('\n');
          return el('tr', {}, [el('td', { text: i.streamName + ' #' + i.streamId }), el('td', { text: String(i.numRecords) }), el('td', {}, offs ? [el('pre', { text: offs })] : ['-'])]);
        }))]));
      parts.push(el('h4', { text: 'Output operations' }));
      parts.push(el('table', { class: 'grid' }, [el('thead', {}, [el('tr', {}, [el('th', { text: 'Id' }), el('th', { text: 'Operation' }), el('th', { text: 'Duration' }), el('th', { text: 'Status' })])]),
        el('tbody', {}, b.outputOperations.map(function (o) {
          return el('tr', { class: o.failureReason ? 'failed' : '' }, [el('td', { text: String(o.outputOpId) }), el('td', { text: o.name }), el('td', { text: fmtMs(o.duration) }),
            el('td', {}, o.failureReason ? [el('pre', { text: o.failureReason })] : ['succeeded'])]);
        }))]));
      box.replaceChildren.apply(box, parts);
    }, function (e) {
      // The server is gone (a failed batch stops the application) or no longer keeps the batch: show the row held here.
      var b = completed.filter(function (x) { return x.batchId === id; })[0] || active[id];
      var parts = [el('p', { text: 'Details unavailable: ' + String(e.message || e) })];
      if (b) {
        parts.unshift(el('h3', { text: 'Batch ' + fmtTime(b.batchId) }), el('p', { text: 'Status ' + b.status + ' · ' + b.inputSize + ' records · output ops ' + opsCell(b) }));
        if (b.firstFailureReason != null) parts.push(el('h4', { text: 'Failure' }), el('pre', { text: b.firstFailureReason }));
      }
      $('details').replaceChildren.apply($('details'), parts);
    });
  }

  // ---- live updates ----------------------------------------------------------------------
  function onBatch(ev) {
    var data = JSON.parse(ev.data), b = data.batch;
    // A re-read list (resync) may have been made after this event: never step a batch back.
    var i = completed.length - 1;
    while (i >= 0 && completed[i].batchId > b.batchId) i--;
    var known = i >= 0 && completed[i].batchId === b.batchId;
    if (isDone(b)) {
      delete active[b.batchId];
      if (known) completed[i] = b;
      else completed.splice(i + 1, 0, b);
      if (completed.length > retained) completed.splice(0, completed.length - retained);
      if (data.statistics && (!stats || data.statistics.numTotalCompletedBatches >= stats.numTotalCompletedBatches)) stats = data.statistics;
      if (data.kafkaLag) kafkaLag = data.kafkaLag;
      if (data.inputs) data.inputs.forEach(function (x) { inputRates[x.streamId] = x; });
    } else if (!known && !(active[b.batchId] && RANK[active[b.batchId].status] > RANK[b.status])) {
      active[b.batchId] = b;
    }
    schedule();
  }
  function onReceiver(ev) {
    var r = JSON.parse(ev.data);
    receivers[r.streamId] = r;
    schedule();
  }
  function schedule() {
    if (dirty) return;
    dirty = true;
    requestAnimationFrame(render);
  }
  function render() {
    dirty = false;
    renderSummary(); renderActive(); renderCompleted(); renderInputs(); drawCharts();
  }
  /**
   * The batches and statistics as the server has them now, merged with what events brought
   * meanwhile: a batch's most advanced row wins (QUEUED < PROCESSING < COMPLETED); an active row
   * the server no longer lists finished (unless it is newer than every listed batch: queued after
   * the list was made); stats with fewer completed batches are older.
   */
  var syncs = 0;
  function resync() {
    var mine = ++syncs;
    Promise.all([getJSON(base + '/statistics'), getJSON(base + '/batches')]).then(function (r) {
      if (mine !== syncs) return;
      if (!stats || r[0].numTotalCompletedBatches >= stats.numTotalCompletedBatches) stats = r[0];
      var rows = {}, newest = -Infinity;
      r[1].forEach(function (b) { rows[b.batchId] = b; newest = Math.max(newest, b.batchId); });
      function take(b) { var known = rows[b.batchId]; if (!known || RANK[b.status] > RANK[known.status]) rows[b.batchId] = b; }
      completed.forEach(take);
      Object.keys(active).forEach(function (k) {
        var b = active[k];
        if (rows[b.batchId] || b.batchId > newest) take(b);
      });
      var list = Object.keys(rows).map(function (k) { return rows[k]; }).sort(function (a, b) { return a.batchId - b.batchId; });
      completed = list.filter(isDone);
      if (completed.length > retained) completed.splice(0, completed.length - retained);
      active = {};
      list.forEach(function (b) { if (!isDone(b)) active[b.batchId] = b; });
      schedule();
    }, function () {});
  }
  function follow() {
    var es = new EventSource(base + '/events');
    es.addEventListener('batch', onBatch);
    es.addEventListener('receiver', onReceiver);
    // The context stopped (its last batches' events came first): say so, and follow a later one on this port.
    es.addEventListener('end', function () {
      es.close();
      ended();
      setLive('application ' + appId + ' has ended', false);
      (function next() {
        getJSON('/api/v1/applications').then(function (apps) {
          var now = apps[0] && apps[0].id;
          if (!now || now === appId) return setTimeout(next, 2000);
          setLive('application ' + appId + ' has ended; following ' + now, false);
          setTimeout(function () { location.replace(location.pathname); }, 1500);
        }, function () { setTimeout(next, 2000); });
      })();
    });
    es.onopen = function () { setLive('live', true); resync(); };
    es.onerror = function () {
      // CONNECTING: the browser retries by itself. CLOSED: the server refused the stream for good.
      if (es.readyState !== EventSource.CLOSED) return setLive('disconnected (retrying)', false);
      es.close();
      gone();
    };
  }
  /** The event stream was refused: the application is gone if the server runs another (follow it), else try again. */
  function gone() {
    getJSON('/api/v1/applications').then(function (apps) {
      var now = apps[0] && apps[0].id;
      if (now === appId) {
        setLive('disconnected (retrying)', false);
        setTimeout(follow, 2000);
        return;
      }
      ended();
      setLive('application ' + appId + ' has ended' + (now ? '; following ' + now : ''), false);
      if (now) setTimeout(function () { location.replace(location.pathname); }, 1500);
    }, function () {
      setLive('disconnected (retrying)', false);
      setTimeout(gone, 3000);
    });
  }
  // The page's clock, as the running time's: the server closes as the application ends.
  function ended() {
    if (endTime == null) endTime = Date.now();
    clearInterval(ticker);
    renderSummary();
  }
  function refreshSlow() {
    // State sizes and receiver rates change without an event of their own.
    Promise.all([getJSON(base + '/graph'), getJSON(base + '/receivers'), getJSON(base + '/inputs')]).then(function (r) {
      graph = r[0].nodes;
      r[1].forEach(function (x) { receivers[x.streamId] = x; });
      r[2].forEach(function (x) { inputRates[x.streamId] = x; });
      renderGraph(); renderInputs();
    }, function () {});
  }

  getJSON('/api/v1/applications').then(function (apps) {
    appId = apps[0].id;
    base = '/api/v1/applications/' + encodeURIComponent(appId) + '/streaming';
    $('app-name').textContent = apps[0].name;
    document.title = apps[0].name + ' — Streaming — dstreams';
    var attempt = apps[0].attempts[0];
    if (attempt.completed) endTime = attempt.endTimeEpoch;
    return Promise.all([getJSON(base + '/statistics'), getJSON(base + '/batches'), getJSON(base + '/receivers'), getJSON(base + '/graph'), getJSON(base + '/inputs')]);
  }).then(function (r) {
    stats = r[0];
    batchDuration = stats.batchDuration;
    if (stats.streamingQuery) {
      var label = 'query ' + (stats.streamingQuery.name || stats.streamingQuery.id);
      $('app-name').textContent += ' · ' + label;
      document.title = $('app-name').textContent + ' — Streaming — dstreams';
    }
    r[1].forEach(function (b) {
      if (isDone(b)) completed.unshift(b);
      else active[b.batchId] = b;
    });
    r[2].forEach(function (x) { receivers[x.streamId] = x; });
    graph = r[3].nodes;
    r[4].forEach(function (x) { inputRates[x.streamId] = x; });
    retained = r[3].retainedBatches;
    makeCharts();
    render();
    renderGraph();
    follow();
    setInterval(refreshSlow, 3000);
    if (endTime == null) ticker = setInterval(renderSummary, 1000);
    var m = /^#batch-(\d+)$/.exec(location.hash);
    if (m) showBatch(Number(m[1]));
  }).catch(function (e) {
    $('summary').textContent = 'Cannot load the streaming statistics: ' + (e.message || e);
  });
})();
