/* trapsim's HTML view (app/html.h): lanes of actors, the events as marks on
 * the virtual-time axis, stepping with the arrow keys, the trap-flow graph
 * and the summary. The data is the JSON in #trapsim-data:
 *   ev: [time, vm, lane, toLane (-1: none), kind, vmm action, trace line,
 *        process (index into its VM's procs, for the lane or toLane that is
 *        ring 3; -1: none)]
 *   vms[v].procs: [{kstack, sym, first}]: ring 3's processes, one lane each
 *   (vms[v].procsMore: the last lane takes the processes beyond them too)
 * Opened with #selftest, the page checks itself and writes one line into
 * <pre id="selftest"> (make test reads it from headless Chromium). */
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });
  var consoleError = console.error;
  console.error = function () {
    errors.push(Array.prototype.join.call(arguments, ' '));
    consoleError.apply(console, arguments);
  };

  var D = JSON.parse(document.getElementById('trapsim-data').textContent);
  var EV = D.ev, NS = 'http://www.w3.org/2000/svg';
  var KIND_NAME = { exc: 'exception', irq: 'interrupt', softint: 'software interrupt', 'return': 'return',
                    io: 'port I/O', vmm: 'monitor', pg: 'PG violation', stop: 'stop', vmx: 'VMX' };
  var P = 0, K = 1, M = 2, DEV = 3;   /* lanes: process, kernel, monitor, devices */

  function el(tag, attrs, text, parent) {
    var e = document.createElement(tag);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (text != null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function sv(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (parent) parent.appendChild(e);
    return e;
  }

  /* ---- lanes: per VM a lane per process, kernel, monitor (when one spoke), devices ---- */
  function short(s) { return s.length > 16 ? s.slice(0, 15) + '\u2026' : s; }
  function hex(n) { return '0x' + ('0000000' + n.toString(16)).slice(-8); }
  function procName(vm, p) {
    var pr = vm.procs[p];
    if (!pr) return 'processes \u00b7 ring 3';
    if (vm.procsMore && p === vm.procs.length - 1) return 'processes ' + (p + 1) + ' and later';
    return 'process ' + (p + 1) + (pr.sym ? ' \u00b7 ' + short(pr.sym) : '');
  }
  function procTip(vm, p) {
    var pr = vm.procs[p];
    if (!pr) return 'ring 3: no process trapped, returned or was interrupted here';
    if (vm.procsMore && p === vm.procs.length - 1)
      return 'processes ' + (p + 1) + ' and later (ring 3): more processes than the page has lanes for';
    return 'process ' + (p + 1) + ' (ring 3): its kernel stack, TSS.ESP0 as the guest sees it, is ' + hex(pr.kstack) +
      (pr.sym ? '; it ran ' + pr.sym + (pr.first && pr.first !== pr.sym ? ', entered at ' + pr.first : '') : '');
  }
  function laneName(vm, lane) {
    if (lane === K) return vm.vmm ? 'guest kernel \u00b7 ring 1' : vm.vmx ? 'guest kernel \u00b7 non-root' : 'kernel \u00b7 ring 0';
    if (lane === M) return vm.vmm ? 'VMM \u00b7 ring 0' : 'hypervisor \u00b7 root mode';
    return 'devices \u00b7 PIT, PIC, UART';
  }
  var CLS = ['r3', 'r1', 'r0', 'dev'];
  var rows = [], rowOf = [], procRow = [];
  D.vms.forEach(function (vm, v) {
    rowOf[v] = [];
    procRow[v] = [];
    for (var p = 0; p < Math.max(vm.procs.length, 1); p++) {
      procRow[v][p] = rows.length;
      rows.push({ vm: v, lane: P, proc: p, name: procName(vm, p), tip: procTip(vm, p), cls: p % 2 ? 'r3 alt' : 'r3' });
    }
    [K, M, DEV].forEach(function (lane) {
      if (lane === M && !vm.vmm && !vm.vmx) return;
      rowOf[v][lane] = rows.length;
      rows.push({ vm: v, lane: lane, name: laneName(vm, lane), cls: lane === K && !vm.vmm ? 'r0' : CLS[lane] });
    });
  });
  /* the row of an event's lane (from) or toLane (to) */
  function rowAt(e, to) {
    var lane = e[to ? 3 : 2];
    return lane === P ? procRow[e[1]][Math.max(e[7], 0)] : rowOf[e[1]][lane];
  }
  var rowName = function (e, to) { return rows[rowAt(e, to)].name; };

  /* ---- the page ---- */
  var head = el('header', {}, null, document.body);
  el('h1', {}, D.title, head);
  D.vms.forEach(function (vm) {
    if (vm.stop) el('span', { 'class': 'stop' }, (vm.name ? '[' + vm.name + '] ' : '') + vm.stop, head);
  });
  var help = el('span', { 'class': 'help' }, null, head);
  help.innerHTML = '<kbd>\u2190</kbd> <kbd>\u2192</kbd> step \u00b7 <kbd>+</kbd> <kbd>\u2212</kbd> or wheel zoom \u00b7 drag to pan \u00b7 <kbd>0</kbd> fit \u00b7 <kbd>t</kbd> time/order';

  var box = el('section', { id: 'lanes-box' }, null, document.body);
  var bar = el('div', { id: 'toolbar' }, null, box);
  var bZoomOut = el('button', { title: 'zoom out (-)' }, '\u2212', bar);
  var bZoomIn = el('button', { title: 'zoom in (+)' }, '+', bar);
  var bFit = el('button', { title: 'the whole run (0)' }, 'fit', bar);
  var bAxis = el('button', { title: 'axis: virtual time or event order (t)' }, '', bar);
  var bPrev = el('button', { title: 'previous event (\u2190)' }, '\u2190', bar);
  var bNext = el('button', { title: 'next event (\u2192)' }, '\u2192', bar);
  var range = el('span', { 'class': 'range' }, '', bar);
  var svg = sv('svg', { id: 'lanes' }, box);

  var detail = el('section', { id: 'detail' }, null, document.body);
  var side = el('aside', {}, null, document.body);
  var tabs = el('div', { id: 'tabs' }, null, side);
  var sideBody = el('div', { id: 'side' }, null, side);

  /* ---- the axis ---- */
  var byOrder = false, sel = EV.length ? 0 : -1;
  var end = 1;
  D.vms.forEach(function (vm) { end = Math.max(end, vm.end + 1); });
  function xOf(i) { return byOrder ? i : EV[i][0]; }
  function full() { return byOrder ? [-0.5, Math.max(EV.length, 1) - 0.5] : [0, end]; }
  var view = full();
  var LABEL_W = 190, AXIS_H = 22, MIN_ROW_H = 16;
  /* many processes: the lanes keep a readable height and the box scrolls */
  svg.style.minHeight = (AXIS_H + (D.vms.length > 1 ? D.vms.length * 16 : 0) + rows.length * MIN_ROW_H + 4) + 'px';

  function geometry() {
    var w = svg.clientWidth || 800, h = svg.clientHeight || 400;
    var groups = D.vms.length > 1 ? D.vms.length : 0;
    var rowH = Math.max(MIN_ROW_H, Math.min(90, (h - AXIS_H - groups * 16) / Math.max(rows.length, 1)));
    return { w: w, h: h, rowH: rowH, plotW: Math.max(50, w - LABEL_W - 10), groups: groups };
  }
  function px(g, x) { return LABEL_W + (x - view[0]) / (view[1] - view[0]) * g.plotW; }
  var rowY = [];

  function render() {
    var g = geometry();
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var y = AXIS_H, lastVm = -1;
    rows.forEach(function (r, k) {
      if (g.groups && r.vm !== lastVm) {
        var t = sv('text', { x: 6, y: y + 12, 'class': 'vm-label' }, svg);
        t.textContent = D.vms[r.vm].name ? 'VM ' + D.vms[r.vm].name : 'one VM, unnamed';
        y += 16;
        lastVm = r.vm;
      }
      rowY[k] = y;
      var lr = sv('rect', { x: 0, y: y, width: g.w, height: g.rowH - 2, 'class': 'lane ' + r.cls, 'data-row': k }, svg);
      var l = sv('text', { x: 8, y: y + g.rowH / 2 + 4, 'class': 'lane-label' }, svg);
      l.textContent = r.name;
      if (r.tip) [lr, l].forEach(function (n) { sv('title', {}, n).textContent = r.tip; });
      y += g.rowH;
    });
    /* ticks: a round step of virtual time (or events) */
    var span = view[1] - view[0], step = Math.pow(10, Math.floor(Math.log10(Math.max(span, 1) / 6)));
    if (span / step > 12) step *= 5; else if (span / step > 6) step *= 2;
    for (var t = Math.ceil(view[0] / step) * step; t <= view[1]; t += step) {
      var x = px(g, t);
      sv('line', { x1: x, x2: x, y1: AXIS_H - 4, y2: y, 'class': 'tick' }, svg);
      var lab = sv('text', { x: x + 2, y: AXIS_H - 8, 'class': 'tick-label' }, svg);
      lab.textContent = String(Math.round(t));
    }
    for (var i = 0; i < EV.length; i++) {
      var e = EV[i], xi = xOf(i);
      if (xi < view[0] || xi > view[1]) continue;
      var X = px(g, xi), r0 = rowAt(e, false);
      if (e[3] >= 0)
        sv('line', { x1: X, x2: X, y1: rowY[r0] + g.rowH / 2, y2: rowY[rowAt(e, true)] + g.rowH / 2,
                     'class': 'xfer' }, svg);
      sv('rect', { x: X - 2, y: rowY[r0] + 3, width: 4, height: g.rowH - 8,
                   'class': 'mark k-' + e[4] + (i === sel ? ' sel' : ''), 'data-i': i }, svg);
    }
    if (sel >= 0 && xOf(sel) >= view[0] && xOf(sel) <= view[1]) {
      var cx = px(g, xOf(sel));
      sv('line', { x1: cx, x2: cx, y1: AXIS_H, y2: y, 'class': 'cursor' }, svg);
    }
    bAxis.textContent = byOrder ? 'axis: event order' : 'axis: virtual time';
    range.textContent = (byOrder ? 'events ' : 'instructions ') + Math.max(0, Math.round(view[0])) + '\u2013' +
      Math.round(view[1]) + ' \u00b7 ' + EV.length + ' events shown';
  }

  /* ---- what an event means ---- */
  var ACTION = {
    setup: 'The monitor took the machine: the guest kernel now runs deprivileged, on the monitor\'s own tables.',
    exit: 'A VM exit: the guest stopped and the VMM runs. The reason says why (an exception, an interrupt, INT n).',
    shadow: 'The VMM keeps shadow descriptor tables: the real CPU uses the VMM\'s GDT/IDT, rebuilt from the guest\'s.',
    defer: 'A virtual interrupt held back: the guest\'s virtual IF is 0, so the VMM waits until the guest enables interrupts.',
    emulate: 'The VMM ran the trapped instruction on the guest\'s virtual CPU: what the hardware would have done in ring 0.',
    reflect: 'The fault is the guest\'s own: the VMM hands it to the guest kernel\'s handler.',
    forward: 'The VMM delivers the event through the guest\'s own IDT, as the hardware would have.',
    inject: 'A virtual interrupt delivered into the guest: its handler runs as if the device had interrupted it.'
  };
  function explain(e) {
    var vm = D.vms[e[1]], dep = vm.vmm, line = e[6], to = e[3] >= 0 ? rowName(e, true) : '';
    switch (e[4]) {
    case 'exc':
      if (dep && e[3] === M)
        return 'An exception in the guest goes to the VMM: its shadow IDT routes every vector to ring 0. ' +
          (/#GP/.test(line) ? 'A #GP from the deprivileged kernel is usually a privileged instruction that trapped: the VMM will emulate it.' :
           'The VMM decides whether it is the guest\'s own fault (reflect) or its own business.');
      if (dep && e[2] === M)
        return 'The VMM delivers an exception into the guest through the CPU (to ' + to + ').';
      return 'An exception: the CPU stopped the instruction and delivered the vector through the IDT' + (to ? ' to the ' + to : '') + '.';
    case 'softint':
      return 'INT n: a software interrupt, the process\'s system call into the kernel.' +
        (dep && e[3] === M ? ' Under trap-and-emulate it reaches the VMM first, which forwards it to the guest kernel\'s own handler.' : '');
    case 'irq':
      return 'A hardware interrupt (IRQ0 is the timer, IRQ4 the UART) delivered to the ' + to + '.' +
        (dep ? ' Under the VMM it is a VM exit: the VMM injects it into the guest when the virtual IF allows, else defers it.' : '');
    case 'return':
      return 'IRET or far RET to an outer ring: the handler is done and the interrupted code resumes' + (to ? ' (' + to + ')' : '') + '.';
    case 'io':
      return 'Port I/O: a read or write of a device register.' +
        (dep ? ' The guest\'s IN/OUT trapped (IOPL), and the VMM ran it against the virtual devices.' : '');
    case 'vmm':
      return ACTION[e[5]] || 'The monitor did something.';
    case 'pg':
      return 'A Popek\u2013Goldberg violation: a sensitive instruction ran in the deprivileged guest without trapping. ' +
        'The VMM never saw it, so the guest now sees the real CPU where it should see its virtual one. The pg ISA makes it trap; x86 does not.';
    case 'vmx':
      return /entry/.test(line) ? 'A VM entry: the CPU loads the guest state from the VMCS and runs the guest in non-root mode.' :
        'VT-x: the CPU leaves the guest (non-root mode) for the hypervisor in root mode, with the exit reason in the VMCS.';
    case 'stop':
      return 'The run ended here.';
    }
    return '';
  }

  function showDetail() {
    detail.textContent = '';
    if (sel < 0) { el('p', {}, 'No events in this run.', detail); return; }
    var e = EV[sel], vm = D.vms[e[1]];
    el('div', { 'class': 'where' }, 'event ' + (sel + 1) + ' of ' + EV.length + ' \u00b7 virtual time ' + e[0] +
       ' instructions \u00b7 ' + (vm.name ? 'VM ' + vm.name + ' \u00b7 ' : '') + KIND_NAME[e[4]] + ' \u00b7 ' +
       rowName(e, false) + (e[3] >= 0 ? ' \u2192 ' + rowName(e, true) : ''), detail);
    el('pre', { 'class': e[4] === 'pg' ? 'pg' : '' }, e[6], detail);
    el('p', {}, explain(e), detail);
  }

  function select(i) {
    if (!EV.length) return;
    sel = Math.max(0, Math.min(EV.length - 1, i));
    var x = xOf(sel), span = view[1] - view[0];
    if (x < view[0] || x > view[1]) view = [x - span / 2, x + span / 2];
    render();
    showDetail();
  }

  function zoom(f, at) {
    var a = full(), span = Math.max(byOrder ? 4 : 2, Math.min(a[1] - a[0], (view[1] - view[0]) * f));
    if (at == null) at = sel >= 0 && xOf(sel) >= view[0] && xOf(sel) <= view[1] ? xOf(sel) : (view[0] + view[1]) / 2;
    var k = (at - view[0]) / (view[1] - view[0]);
    view = [at - k * span, at - k * span + span];
    if (view[0] < a[0]) view = [a[0], a[0] + span];
    if (view[1] > a[1]) view = [a[1] - span, a[1]];
    render();
  }
  function fit() { view = full(); render(); }
  function toggleAxis() { byOrder = !byOrder; fit(); }

  bZoomIn.onclick = function () { zoom(0.5); };
  bZoomOut.onclick = function () { zoom(2); };
  bFit.onclick = fit;
  bAxis.onclick = toggleAxis;
  bPrev.onclick = function () { select(sel - 1); };
  bNext.onclick = function () { select(sel + 1); };
  document.addEventListener('keydown', function (ev) {
    var k = ev.key;
    if (k === 'ArrowRight') select(sel + 1);
    else if (k === 'ArrowLeft') select(sel - 1);
    else if (k === 'Home') select(0);
    else if (k === 'End') select(EV.length - 1);
    else if (k === '+' || k === '=') zoom(0.5);
    else if (k === '-') zoom(2);
    else if (k === '0') fit();
    else if (k === 't') toggleAxis();
    else return;
    ev.preventDefault();
  });

  /* a click picks the mark under it, or the nearest event of that lane */
  var drag = null;
  svg.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, view: view.slice(), moved: false }; });
  window.addEventListener('mousemove', function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (!drag.moved) return;
    var d = -dx / geometry().plotW * (drag.view[1] - drag.view[0]);
    view = [drag.view[0] + d, drag.view[1] + d];
    render();
  });
  window.addEventListener('mouseup', function () { setTimeout(function () { drag = null; }, 0); });
  svg.addEventListener('click', function (ev) {
    if (drag && drag.moved) return;
    var t = ev.target;
    if (t.getAttribute('data-i') != null) { select(+t.getAttribute('data-i')); return; }
    var row = -1, g = geometry(), rect = svg.getBoundingClientRect(), y = ev.clientY - rect.top;
    rowY.forEach(function (ry, k) { if (y >= ry && y < ry + g.rowH) row = k; });
    if (row < 0) return;
    var x = view[0] + (ev.clientX - rect.left - LABEL_W) / g.plotW * (view[1] - view[0]), best = -1, bd = Infinity;
    for (var i = 0; i < EV.length; i++)
      if (rowAt(EV[i], false) === row && Math.abs(xOf(i) - x) < bd) { bd = Math.abs(xOf(i) - x); best = i; }
    if (best >= 0) select(best);
  });
  svg.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var g = geometry(), rect = svg.getBoundingClientRect();
    var at = view[0] + (ev.clientX - rect.left - LABEL_W) / g.plotW * (view[1] - view[0]);
    zoom(ev.deltaY > 0 ? 1.25 : 0.8, Math.max(view[0], Math.min(view[1], at)));
  }, { passive: false });
  window.addEventListener('resize', render);

  /* ---- the side: summary, graph ---- */
  var graphSrc = document.getElementById('graph-src');
  function showSummary() {
    sideBody.textContent = '';
    D.vms.forEach(function (vm) {
      el('h2', {}, vm.name ? 'VM ' + vm.name : 'The run', sideBody);
      if (vm.stop) el('p', {}, vm.stop, sideBody);
      var tb = el('table', {}, null, sideBody), tr = el('tr', {}, null, tb);
      ['event', 'count', 'not shown'].forEach(function (h) { el('th', {}, h, tr); });
      Object.keys(KIND_NAME).forEach(function (k) {
        if (!vm.count[k]) return;
        var r = el('tr', {}, null, tb), c = el('td', {}, null, r);
        el('span', { 'class': 'swatch', style: 'background:' + getComputedStyle(probe(k)).fill }, null, c);
        c.appendChild(document.createTextNode(KIND_NAME[k]));
        el('td', { 'class': 'n' }, String(vm.count[k]), r);
        el('td', { 'class': 'n' }, String(vm.hidden[k] || ''), r);
      });
      var ex = Object.keys(vm.exits);
      if (ex.length) {
        el('h2', {}, 'VM exits by reason', sideBody);
        var te = el('table', {}, null, sideBody);
        ex.forEach(function (k) { var r = el('tr', {}, null, te); el('td', {}, k, r); el('td', { 'class': 'n' }, String(vm.exits[k]), r); });
      }
    });
    el('h2', {}, 'Popek\u2013Goldberg violations', sideBody);
    if (!D.pgTotal) el('p', { 'class': 'ok' }, 'none: every sensitive instruction trapped (or nothing was watching: --expose-pg).', sideBody);
    D.pg.forEach(function (line) {
      var d = el('div', { 'class': 'pg', title: 'show this event' }, line, sideBody);
      d.onclick = function () { for (var i = 0; i < EV.length; i++) if (EV[i][6] === line) { select(i); return; } };
    });
    if (D.pgTotal > D.pg.length) el('p', { 'class': 'note' }, (D.pgTotal - D.pg.length) + ' more not listed', sideBody);
    var hidden = 0;
    D.vms.forEach(function (vm) { for (var k in vm.hidden) hidden += vm.hidden[k]; });
    if (hidden) el('p', { 'class': 'note' }, 'This page shows the first ' + D.maxMarks + ' events of each VM as marks; the ' +
                   hidden + ' after them are only counted.', sideBody);
  }
  var probes = {};
  function probe(k) {   /* a hidden mark, to read its colour from the style sheet */
    if (!probes[k]) probes[k] = sv('rect', { 'class': 'mark k-' + k, width: 0, height: 0 }, svg);
    if (!probes[k].parentNode) svg.appendChild(probes[k]);
    return probes[k];
  }
  function showGraph() {
    sideBody.textContent = '';
    var s = graphSrc.querySelector('svg');
    if (s) sideBody.appendChild(s.cloneNode(true));
    else el('p', { 'class': 'note' }, D.graphNote || 'no graph', sideBody);
  }
  var TABS = [['Summary', showSummary], ['Trap-flow graph', showGraph]];
  var tabButtons = TABS.map(function (t) {
    var b = el('button', {}, t[0], tabs);
    b.onclick = function () { tabButtons.forEach(function (x) { x.className = ''; }); b.className = 'on'; t[1](); };
    return b;
  });

  render();
  showDetail();
  tabButtons[0].onclick();
  render();   /* without the colour probes */
  var at = /^#event=(\d+)$/.exec(location.hash);   /* a link to one event: #event=N (1 is the first) */
  if (at) select(+at[1] - 1);

  /* ---- the self-test (make test): one line of what the page shows ---- */
  if (location.hash === '#selftest') {
    var q = function (s) { return document.querySelectorAll(s).length; };
    var out = ['lanes=' + q('#lanes .lane'), 'marks=' + q('#lanes .mark'), 'pgmarks=' + q('#lanes .mark.k-pg')];
    /* the process lanes, and where the system calls sit: for each process
     * lane (by its key, the kernel stack) the INT n marks drawn inside it */
    var g0 = geometry(), sys = [];
    rows.forEach(function (r, k) {
      var pr = r.lane === P && D.vms[r.vm].procs[r.proc];
      if (!pr) return;
      var n = 0;
      Array.prototype.forEach.call(document.querySelectorAll('#lanes .mark.k-softint'), function (m) {
        var y = +m.getAttribute('y');
        if (y >= rowY[k] && y < rowY[k] + g0.rowH) n++;
      });
      sys.push(hex(pr.kstack).slice(2) + ':' + n);
    });
    out.push('procs=' + sys.length, 'syscalls=' + (sys.join('/') || 'none'));
    var s0 = sel;
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    var s1 = sel;
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    var s2 = sel, m = document.querySelector('#lanes .mark[data-i="2"]');
    if (m) m.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    var marked = document.querySelector('#lanes .mark.sel');
    out.push('step=' + s0 + ',' + s1 + ',' + s2, 'click=' + sel,
             'selected=' + (marked ? marked.getAttribute('data-i') : 'none'),
             'detail=' + (detail.querySelector('pre') && detail.querySelector('pre').textContent === (EV[sel] || [])[6] ? 'ok' : 'wrong'));
    var before = view[1] - view[0];
    zoom(0.5);
    out.push('zoom=' + (view[1] - view[0] < before ? 'ok' : 'no'));
    fit();
    tabButtons[1].onclick();
    out.push('graph=' + (sideBody.querySelector('svg') ? 'svg' : 'none'));
    tabButtons[0].onclick();
    out.push('errors=' + errors.length);
    el('pre', { id: 'selftest' }, 'selftest ' + out.join(' ') + (errors.length ? ' | ' + errors.join(' | ') : ''), document.body);
  }
})();
