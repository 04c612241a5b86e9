// The build page: the build's head and actions, its stages as a graph
// (depends_on arrows, statuses), the selected stage's steps and why it
// waits, and the selected step's log.
'use strict';
(function () {
  const { api, h, fill, svg, chip, took, done, label, flash, fail, live, slug, num, parseParams } = window.Hangar;
  const base = '/api/repos/' + slug + '/builds/' + num;
  const state = { build: null, perms: null, stage: Number(document.body.dataset.stage) || 0, step: Number(document.body.dataset.step) || 0, reasons: new Map(), queue: true, first: true };
  let logView = null;

  // ---- Head and actions ------------------------------------------------
  function head(b) {
    const ref = b.event === 'pull_request' ? b.source + ' → ' + b.target : (b.target || b.ref || '');
    fill($("#build-head"),
      h('div', { cls: 'meta' }, chip(b.status), h('span', { text: '#' + b.number }), h('span', { text: b.event }), h('span', { cls: 'branch', text: ref }),
        b.deploy_to ? h('span', { text: '→ ' + b.deploy_to }) : null,
        h('span', { text: (b.after || '').slice(0, 10) }), h('span', { text: b.author_login || b.sender || '' }),
        h('span', { text: b.started ? took(b.started, b.finished) : 'not started' })),
      h('p', { cls: 'msg', text: (b.message || b.title || '(no message)').split('\n')[0] }),
      b.error ? h('p', { cls: 'error', text: b.error }) : null,
      b.params && Object.keys(b.params).length ? h('p', { cls: 'meta' }, ...Object.entries(b.params).map(([k, v]) => h('code', { text: k + '=' + v }))) : null);
  }
  function $(sel) { return document.querySelector(sel); }

  // can says whether the caller may do what needs level (write or admin):
  // Drone's repository answer carries the caller's permissions; a server
  // that leaves them out gets every button and the API's refusal.
  function can(level) {
    const p = state.perms;
    return !p || !!p[level] || (level === 'write' && !!p.admin);
  }

  async function act(method, path, what, after) {
    try {
      const b = await api(method, path);
      flash(what);
      if (after) after(b); else await refresh();
    } catch (e) { fail(e); }
  }
  const goto = (b) => location.assign('/' + slug + '/' + b.number);

  function actions(b) {
    const bar = $('#actions');
    const items = [];
    if (!done(b.status) && can('write')) items.push(h('button', { id: 'cancel', cls: 'danger', type: 'button', text: 'Cancel', onclick: () => act('DELETE', base, 'Build #' + b.number + ' cancelled.') }));
    if (done(b.status) && can('write')) {
      items.push(h('button', { id: 'restart', type: 'button', text: 'Restart', onclick: () => act('POST', base, 'Build restarted.', goto) }));
      items.push(h('button', { id: 'restart-debug', type: 'button', text: 'Debug restart', onclick: () => act('POST', base + '?debug=true', 'Build restarted in debug mode.', goto) }));
    }
    for (const st of b.stages || []) {
      if (st.status !== 'blocked' || !can('admin')) continue;
      items.push(h('button', { id: 'approve-' + st.number, cls: 'primary', type: 'button', text: 'Approve ' + st.name, onclick: () => act('POST', base + '/approve/' + st.number, 'Stage ' + st.name + ' approved.') }));
      items.push(h('button', { id: 'decline-' + st.number, cls: 'danger', type: 'button', text: 'Decline ' + st.name, onclick: () => act('POST', base + '/decline/' + st.number, 'Stage ' + st.name + ' declined.') }));
    }
    if (can('write')) items.push(promoteForm(b));
    // Rebuilding the bar would steal focus from the promote form.
    const sig = items.map((x) => x.id || x.tagName).join();
    if (bar.dataset.sig === sig) return;
    bar.dataset.sig = sig;
    fill(bar, ...items);
  }
  function promoteForm(b) {
    const target = h('input', { name: 'target', id: 'promote-target', required: true, placeholder: 'production', size: 12 });
    const params = h('input', { name: 'params', id: 'promote-params', placeholder: 'KEY=value KEY2=value', size: 22 });
    const send = (kind) => (ev) => {
      ev.preventDefault();
      if (!target.value.trim()) { target.reportValidity(); return; }
      const q = new URLSearchParams({ target: target.value.trim() });
      try {
        for (const [k, v] of parseParams(params.value.trim().split(/\s+/).join('\n'))) q.append(k, v);
      } catch (e) { fail(e); return; }
      act('POST', base + '/' + kind + '?' + q, kind === 'promote' ? 'Promoted.' : 'Rolled back.', goto);
    };
    return h('form', { id: 'promote', onsubmit: send('promote') },
      h('label', {}, 'Target ', target), h('label', {}, 'Parameters ', params),
      h('button', { type: 'submit', text: 'Promote' }), h('button', { type: 'button', id: 'rollback', text: 'Roll back', onclick: send('rollback') }));
  }

  // ---- Stage graph -----------------------------------------------------
  const W = 168, HT = 48, GX = 56, GY = 30, PAD = 10, TOP = 26;
  // layout places each stage in the column of its longest depends_on
  // chain; dependencies on names not in the build are ignored.
  function layout(stages) {
    const by = new Map(stages.map((s) => [s.name, s]));
    const depth = new Map();
    const visit = (s, path) => {
      if (depth.has(s.name)) return depth.get(s.name);
      if (path.has(s.name)) return 0; // a cycle: the trigger refuses those
      path.add(s.name);
      let d = 0;
      for (const dep of s.depends_on || []) if (by.has(dep)) d = Math.max(d, visit(by.get(dep), path) + 1);
      path.delete(s.name);
      depth.set(s.name, d);
      return d;
    };
    const cols = [];
    for (const s of [...stages].sort((a, b) => a.number - b.number)) {
      const d = visit(s, new Set());
      (cols[d] = cols[d] || []).push(s);
    }
    // Room above the stages only for arrows that arc over a column.
    const arcs = stages.some((s) => (s.depends_on || []).some((d) => by.has(d) && depth.get(s.name) - depth.get(d) > 1));
    const top = arcs ? TOP : 0;
    const pos = new Map();
    cols.forEach((col, c) => col.forEach((s, r) => pos.set(s.name, { col: c, x: PAD + c * (W + GX), y: PAD + top + r * (HT + GY) })));
    const rows = Math.max(1, ...cols.map((c) => (c || []).length));
    return { pos, by, width: PAD * 2 + cols.length * W + (cols.length - 1) * GX, height: PAD * 2 + top + rows * HT + (rows - 1) * GY };
  }
  function graph(b) {
    const stages = b.stages || [];
    const box = $('#graph');
    if (!stages.length) { fill(box, h('p', { cls: 'muted', text: b.error ? 'No stages: the build failed before it was planned.' : 'No stages.' })); return; }
    const { pos, by, width, height } = layout(stages);
    const edges = [];
    for (const s of stages) {
      for (const dep of s.depends_on || []) {
        if (!by.has(dep)) continue;
        const a = pos.get(dep), z = pos.get(s.name);
        let d;
        if (z.col - a.col > 1) {
          // Skipping a column: arc over the stages in between.
          const x1 = a.x + W - 24, y1 = a.y, x2 = z.x + 24, y2 = z.y - 6, top = Math.min(a.y, z.y) - TOP + 4;
          d = `M${x1},${y1} C${x1},${top} ${x2},${top} ${x2},${y2}`;
        } else {
          const x1 = a.x + W, y1 = a.y + HT / 2, x2 = z.x - 6, y2 = z.y + HT / 2, mx = (x1 + x2) / 2;
          d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
        }
        edges.push(svg('path', { cls: 'edge', d, 'marker-end': 'url(#arrow)', 'data-from': dep, 'data-to': s.name }));
      }
    }
    const nodes = stages.map((s) => {
      const p = pos.get(s.name);
      const a = svg('a', { href: '/' + slug + '/' + num + '/' + s.number + '/1', cls: 'node n-' + s.status + (s.number === state.stage ? ' sel' : ''), 'data-stage': s.name, 'data-status': s.status, 'aria-label': 'Stage ' + s.name + ': ' + label(s.status),
        onclick: (ev) => { ev.preventDefault(); select(s.number, 0, true); } },
        svg('title', { text: s.name + ': ' + label(s.status) }),
        svg('rect', { x: p.x, y: p.y, width: W, height: HT, rx: 6 }),
        svg('text', { x: p.x + 10, y: p.y + 19, text: s.name.length > 20 ? s.name.slice(0, 19) + '…' : s.name }),
        svg('text', { cls: 'st', x: p.x + 10, y: p.y + 37, text: label(s.status) + (s.started ? ' · ' + took(s.started, s.stopped) : '') }));
      return a;
    });
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('#graph a');
    const keep = focused ? focused.dataset.stage : '';
    fill(box, svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'Stage graph' },
      svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' }, svg('path', { cls: 'arrowhead', d: 'M0,0 L8,4 L0,8 z' }))),
      ...edges, ...nodes));
    if (keep) { const n = box.querySelector('a[data-stage="' + CSS.escape(keep) + '"]'); if (n) n.focus(); }
  }

  // ---- Stage panel -----------------------------------------------------
  // why says why a stage does not run yet: the queue's reason when the
  // server gives one, else what the build itself shows.
  function why(s, b) {
    const r = state.reasons.get(s.id);
    if (r) return r;
    switch (s.status) {
      case 'waiting_on_dependencies': {
        const open = (s.depends_on || []).filter((d) => (b.stages || []).some((x) => x.name === d && !done(x.status)));
        return 'waiting on ' + (open.length ? open.join(', ') : 'its dependencies');
      }
      case 'blocked': return 'blocked: waiting for approval';
      case 'pending': return 'waiting for a runner';
    }
    return '';
  }
  function panel(b) {
    const s = (b.stages || []).find((x) => x.number === state.stage);
    const box = $('#steps');
    if (!s) { fill(box, h('p', { cls: 'muted', text: 'Select a stage.' })); return; }
    $('#stage-h').textContent = 'Stage ' + s.name;
    const reason = why(s, b);
    const steps = s.steps || [];
    fill(box, 
      reason ? h('p', { cls: 'why', id: 'why', text: 'Why it waits: ' + reason }) : null,
      h('p', { cls: 'meta' }, chip(s.status), h('span', { text: (s.os || '') + '/' + (s.arch || '') }), s.machine ? h('span', { text: 'on ' + s.machine }) : null,
        s.started ? h('span', { text: took(s.started, s.stopped) }) : null, s.exit_code ? h('span', { text: 'exit ' + s.exit_code }) : null),
      s.error ? h('p', { cls: 'error', text: s.error }) : null,
      steps.length ? h('ol', { cls: 'steps' }, ...steps.map((p) => h('li', {},
        h('a', { href: '/' + slug + '/' + num + '/' + s.number + '/' + p.number, 'data-step': p.name, 'aria-current': p.number === state.step ? 'step' : null,
          onclick: (ev) => { ev.preventDefault(); select(s.number, p.number, true); } },
        chip(p.status), h('span', { cls: 'name', text: p.name }), h('span', { cls: 'dur', text: took(p.started, p.stopped) })))))
        : h('p', { cls: 'muted', text: 'No steps reported yet.' }));
    const p = steps.find((x) => x.number === state.step);
    if (p) logView.show(slug + '/' + num + '/' + s.number + '/' + p.number, p);
    else { logView.close(); logView.message(steps.length ? 'Select a step.' : 'No log yet.'); }
  }

  // select picks a stage (and step, 0 = the most interesting one).
  function select(stage, step, push) {
    const b = state.build;
    const s = (b.stages || []).find((x) => x.number === stage);
    if (!s) return;
    if (!step) {
      const steps = s.steps || [];
      const pick = steps.find((p) => p.status === 'running') || steps.find((p) => ['failure', 'error', 'killed'].includes(p.status)) || steps[0];
      step = pick ? pick.number : 0;
    }
    state.stage = stage;
    state.step = step;
    if (push) history.pushState({ stage, step }, '', '/' + slug + '/' + num + '/' + stage + '/' + (step || 1));
    graph(b);
    panel(b);
  }
  function defaultStage(b) {
    const st = b.stages || [];
    const pick = st.find((s) => s.status === 'running') || st.find((s) => ['failure', 'error', 'killed', 'blocked'].includes(s.status)) || st.find((s) => !done(s.status)) || st[0];
    return pick ? pick.number : 0;
  }

  async function reasons(b) {
    if (!state.queue || !(b.stages || []).some((s) => s.status === 'pending')) return;
    try {
      const q = await api('GET', '/api/queue');
      state.reasons = new Map((q || []).filter((s) => s.build_id === b.id).map((s) => [s.id, s.reason || '']));
    } catch (e) {
      if (e.status === 403 || e.status === 404) state.queue = false; // not for this caller
      else throw e;
    }
  }

  async function refresh() {
    const b = await api('GET', base);
    state.build = b;
    await reasons(b);
    if (!state.stage || !(b.stages || []).some((s) => s.number === state.stage)) { state.stage = defaultStage(b); state.step = 0; }
    if (!state.step) {
      const s = (b.stages || []).find((x) => x.number === state.stage);
      const steps = (s && s.steps) || [];
      const pick = steps.find((p) => p.status === 'running') || steps.find((p) => ['failure', 'error', 'killed'].includes(p.status)) || steps[0];
      state.step = pick ? pick.number : 0;
    }
    document.title = slug + ' #' + b.number + ' ' + label(b.status) + ' · Hangar';
    head(b);
    actions(b);
    graph(b);
    panel(b);
    if (state.first) {
      state.first = false;
      performance.mark('hangar:first-render');
    }
    return !done(b.status);
  }

  async function view() {
    logView = new window.HangarLog.LogView($('#log-view'));
    window.HangarLog.wire(logView);
    try {
      state.perms = (await api('GET', '/api/repos/' + slug)).permissions || null;
    } catch (e) { if (e.status !== 404 && e.status !== 403) throw e; }
    window.addEventListener('popstate', (ev) => {
      if (ev.state && state.build) select(ev.state.stage, ev.state.step, false);
    });
    return live(refresh, (m) => !m || !m.slug || (m.slug === slug && (!m.build || m.build.number === num)));
  }

  window.HangarBuild = { view, layout, state, log: () => logView };
})();
