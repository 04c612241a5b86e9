// Hangar's pages: plain JavaScript over Drone's REST API, no build step.
// Every read and every action goes through /api with the caller's own
// credentials (session cookie + CSRF token, or an API token kept in this
// tab's sessionStorage), so a page never shows what the API would refuse.
'use strict';
(function () {
  const D = document.body.dataset;
  const slug = D.owner ? D.owner + '/' + D.name : '';
  const num = Number(D.build || 0);
  const meta = document.querySelector('meta[name=csrf-token]');
  const csrf = meta ? meta.content : '';
  const TOKEN = 'hangar.token';
  const $ = (sel, root) => (root || document).querySelector(sel);

  // h builds an element: attrs may hold class, text, on<event> handlers
  // and plain attributes; children are nodes or strings (as text).
  function h(tag, attrs, ...kids) { return build(document.createElement(tag), attrs, kids); }
  function svg(tag, attrs, ...kids) { return build(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, kids); }
  function build(el, attrs, kids) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k === 'cls' ? 'class' : k, v === true ? '' : v);
    }
    for (const c of kids.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  // fill replaces el's children, skipping null, undefined and false.
  function fill(el, ...kids) { el.replaceChildren(...kids.flat().filter((c) => c !== null && c !== undefined && c !== false)); return el; }

  class APIError extends Error {
    constructor(status, msg) { super(msg); this.status = status; }
  }

  // api calls Drone's REST API; a 401 shows the sign-in box.
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const tok = sessionStorage.getItem(TOKEN);
    if (tok) headers.Authorization = 'Bearer ' + tok;
    if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
    const init = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    const res = await fetch(path, init);
    const text = await res.text();
    if (!res.ok) {
      if (res.status === 401) signin();
      throw new APIError(res.status, (text || res.statusText).trim());
    }
    return text ? JSON.parse(text) : null;
  }
  // withToken adds ?access_token= for EventSource, which sends no headers.
  function withToken(path) {
    const tok = sessionStorage.getItem(TOKEN);
    return tok ? path + (path.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(tok) : path;
  }

  function flash(msg, error) {
    const f = $('#flash');
    f.textContent = msg;
    f.className = 'flash' + (error ? ' error' : '');
    f.hidden = !msg;
  }
  function fail(e) { if (!(e instanceof APIError && e.status === 401)) flash(e.message || String(e), true); }

  function signin() {
    const box = $('#signin');
    if (box) box.hidden = false;
  }

  // Formatting.
  const done = (s) => !['pending', 'running', 'waiting_on_dependencies', 'blocked'].includes(s);
  const label = (s) => s === 'waiting_on_dependencies' ? 'waiting' : (s || 'none');
  const chip = (s) => h('span', { cls: 'status s-' + (s || 'none'), text: label(s) });
  function dur(sec) {
    if (!(sec >= 0)) return '';
    sec = Math.round(sec);
    if (sec < 60) return sec + 's';
    if (sec < 3600) return Math.floor(sec / 60) + 'm ' + (sec % 60) + 's';
    return Math.floor(sec / 3600) + 'h ' + Math.floor(sec % 3600 / 60) + 'm';
  }
  const now = () => Math.floor(Date.now() / 1000);
  function took(start, stop) { return start ? dur((stop || now()) - start) : ''; }
  function ago(t) {
    if (!t) return '';
    const d = now() - t;
    if (d < 60) return 'just now';
    if (d < 3600) return Math.floor(d / 60) + ' min ago';
    if (d < 86400) return Math.floor(d / 3600) + ' h ago';
    return new Date(t * 1000).toISOString().slice(0, 10);
  }
  const branchOf = (b) => b.event === 'pull_request' ? b.source : (b.target || b.source || '');
  const firstLine = (s) => (s || '').split('\n')[0];

  // live keeps a view current: the global event stream (/api/stream)
  // triggers a refresh at once; without it (or while it is down) the view
  // polls, fast while something runs. refresh resolves to true when
  // something is unfinished.
  const stats = { open: false, events: 0 }; // the event stream, for tests
  function live(refresh, relevant) {
    let es = null, timer = 0, busy = false, again = false, active = true;
    const run = async () => {
      // A change announced during a refresh may postdate what it read.
      if (busy) { again = true; return; }
      busy = true;
      try { active = await refresh(); } catch (e) { fail(e); } finally { busy = false; }
      if (again) { again = false; return run(); }
      schedule();
    };
    const schedule = () => {
      clearTimeout(timer);
      const open = es && es.readyState === EventSource.OPEN;
      // With the stream open, a slow poll still catches what it does not
      // carry (a step's own progress inside a stage).
      timer = setTimeout(() => document.hidden ? schedule() : run(), open ? (active ? 5000 : 30000) : (active ? 2000 : 10000));
    };
    let debounce = 0;
    try {
      es = new EventSource(withToken('/api/stream'));
      es.onopen = () => { stats.open = true; };
      es.onmessage = (e) => {
        stats.events++;
        let msg = null;
        try { msg = JSON.parse(e.data); } catch (_) { return; }
        if (relevant && !relevant(msg)) return;
        clearTimeout(debounce);
        debounce = setTimeout(run, 250);
      };
      es.onerror = () => { stats.open = false; if (es.readyState === EventSource.CLOSED) { es = null; schedule(); } };
    } catch (_) { es = null; }
    return run();
  }
  const forRepo = (m) => !m || !m.slug || m.slug === slug;

  // ---- Repositories --------------------------------------------------
  async function reposView() {
    const ul = $('#repos');
    const draw = async () => {
      let list;
      try { list = await api('GET', '/api/user/repos?latest=true'); } catch (e) {
        if (e.status !== 404) throw e;
        list = await api('GET', '/api/repos'); // servers without per-user lists
        $('#sync').hidden = true;
      }
      list.sort((a, b) => a.slug.localeCompare(b.slug));
      fill(ul, ...list.map((r) => {
        const b = r.build;
        return h('li', { 'data-slug': r.slug },
          chip(b ? b.status : ''),
          h('a', { href: '/' + r.slug, cls: 'title', text: r.slug }),
          b ? h('span', { cls: 'meta' }, h('a', { href: '/' + r.slug + '/' + b.number, text: '#' + b.number }), h('span', { text: branchOf(b) }), h('span', { text: ago(b.created) })) : h('span', { cls: 'meta', text: 'no builds yet' }));
      }));
      if (!list.length) ul.append(h('li', { cls: 'empty', text: 'No repositories.' }));
      filterRepos();
      return list.some((r) => r.build && !done(r.build.status));
    };
    const search = $('#repo-search');
    const filterRepos = () => {
      const q = search.value.trim().toLowerCase();
      for (const li of ul.children) if (li.dataset.slug) li.hidden = q !== '' && !li.dataset.slug.toLowerCase().includes(q);
    };
    search.addEventListener('input', filterRepos);
    // Sync asks the SCM which repositories the user can see (Drone's
    // POST /api/user/repos), then lists them again.
    const sync = $('#sync');
    sync.addEventListener('click', async () => {
      sync.disabled = true;
      try { await api('POST', '/api/user/repos'); flash('Repositories synced.'); await draw(); } catch (e) { fail(e); } finally { sync.disabled = false; }
    });
    return live(draw);
  }

  // ---- Builds of a repository -----------------------------------------
  const FILTERS = ['branch', 'event', 'status', 'author'];
  const PER_PAGE = 25;
  function matches(b, f) {
    return (!f.branch || b.target === f.branch || b.source === f.branch) && (!f.event || b.event === f.event) &&
      (!f.status || b.status === f.status) && (!f.author || b.author_login === f.author);
  }
  async function buildsView() {
    const q = new URLSearchParams(location.search);
    const f = {};
    const params = new URLSearchParams();
    for (const k of FILTERS) if (q.get(k)) { f[k] = q.get(k); params.set(k, f[k]); }
    const page = Math.max(1, Number(q.get('page')) || 1);
    params.set('page', page);
    params.set('per_page', PER_PAGE);
    const ol = $('#builds');
    newBuildForm();
    const draw = async () => {
      const list = await api('GET', '/api/repos/' + slug + '/builds?' + params);
      // The server filters; filtering again keeps the page right on a
      // server that ignores the filters.
      const shown = list.filter((b) => matches(b, f));
      fill(ol, ...shown.map(buildRow));
      if (!shown.length) ol.append(h('li', { cls: 'empty', text: Object.keys(f).length ? 'No build matches these filters.' : 'No builds yet.' }));
      $('#older').hidden = list.length < PER_PAGE;
      return list.some((b) => !done(b.status));
    };
    return live(draw, forRepo);
  }
  function buildRow(b) {
    return h('li', { 'data-number': b.number, 'data-status': b.status, 'data-branch': branchOf(b) },
      chip(b.status),
      h('a', { href: '/' + slug + '/' + b.number, cls: 'title' }, h('strong', { text: '#' + b.number + ' ' }), firstLine(b.message || b.title) || '(no message)'),
      h('span', { cls: 'meta' },
        h('span', { text: b.event }), h('span', { cls: 'branch', text: branchOf(b) }),
        b.deploy_to ? h('span', { text: '→ ' + b.deploy_to }) : null,
        h('span', { text: (b.after || '').slice(0, 8) }), h('span', { text: b.author_login || b.sender || '' }),
        h('span', { text: b.started ? took(b.started, b.finished) : ago(b.created) })));
  }
  // parseParams reads KEY=value lines; it throws on a malformed line.
  function parseParams(text) {
    const out = [];
    for (const raw of (text || '').split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      const i = line.indexOf('=');
      const k = i > 0 ? line.slice(0, i).trim() : '';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error('parameter "' + line + '" is not KEY=value');
      if (['branch', 'commit', 'target', 'access_token', 'scm', 'debug'].includes(k)) throw new Error('parameter name ' + k + ' is reserved');
      out.push([k, line.slice(i + 1).trim()]);
    }
    return out;
  }
  function newBuildForm() {
    const form = $('#new-build-form');
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      const branch = form.branch.value.trim(), commit = form.commit.value.trim();
      if (branch) p.set('branch', branch);
      if (commit) p.set('commit', commit);
      try {
        for (const [k, v] of parseParams(form.params.value)) p.append(k, v);
        form.querySelector('button').disabled = true;
        const b = await api('POST', '/api/repos/' + slug + '/builds?' + p);
        location.assign('/' + slug + '/' + b.number);
      } catch (e) { fail(e); form.querySelector('button').disabled = false; }
    });
  }

  // ---- Settings --------------------------------------------------------
  async function settingsView() {
    const form = $('#settings-form');
    const base = '/api/repos/' + slug;
    const repo = await api('GET', base);
    for (const k of ['trusted', 'protected', 'auto_cancel_pushes', 'auto_cancel_pull_requests']) form[k].checked = !!repo[k];
    form.timeout.value = repo.timeout;
    form.config_path.value = repo.config_path;
    // Drone's answer carries the caller's permissions: only admins change
    // settings (a server without them leaves the refusal to the API).
    if (repo.permissions && !repo.permissions.admin) {
      for (const el of form.elements) el.disabled = true;
      form.append(h('p', { cls: 'muted', text: 'Only administrators of this repository can change its settings.' }));
    }
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { timeout: Number(form.timeout.value), config_path: form.config_path.value.trim() };
      for (const k of ['trusted', 'protected', 'auto_cancel_pushes', 'auto_cancel_pull_requests']) body[k] = form[k].checked;
      try { await api('PATCH', base, body); flash('Settings saved.'); } catch (e) { fail(e); }
    });
    const origin = location.origin;
    $('#badge-img').src = '/api/badges/' + slug + '/status.svg';
    $('#badge-md').value = '[![Build Status](' + origin + '/api/badges/' + slug + '/status.svg)](' + origin + '/' + slug + ')';
    listing('#secrets', base + '/secrets', '#secret-form', (s) => [
      h('span', { cls: 'title', text: s.name }), s.pull_request ? h('span', { cls: 'meta', text: 'pull requests' }) : null,
    ], (s) => base + '/secrets/' + encodeURIComponent(s.name), (f) => ({ name: f.name.value.trim(), data: f.data.value, pull_request: f.pull_request.checked }));
    listing('#crons', base + '/cron', '#cron-form', (c) => [
      h('span', { cls: 'title', text: c.name }), h('code', { text: c.expr }), h('span', { cls: 'meta', text: (c.branch || repo.default_branch) + (c.next ? ' · next ' + new Date(c.next * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '') }),
      h('button', { type: 'button', text: 'Run now', onclick: () => api('POST', base + '/cron/' + encodeURIComponent(c.name)).then(() => flash('Cron job ' + c.name + ' started.'), fail) }),
    ], (c) => base + '/cron/' + encodeURIComponent(c.name), (f) => ({ name: f.name.value.trim(), expr: f.expr.value.trim(), branch: f.branch.value.trim() || repo.default_branch }));
  }
  // listing shows a collection with a delete button per item and an add form.
  async function listing(sel, path, formSel, row, itemPath, body) {
    const ul = $(sel), form = $(formSel);
    const draw = async () => {
      let list;
      try { list = await api('GET', path); } catch (e) {
        fill(ul, h('li', { cls: 'empty', text: e.status === 403 ? 'You cannot see these.' : e.status === 404 ? 'Not available on this server.' : e.message }));
        form.hidden = e.status === 403 || e.status === 404;
        return;
      }
      fill(ul, ...(list || []).map((it) => h('li', {}, ...row(it),
        h('button', { type: 'button', cls: 'danger', text: 'Delete', 'aria-label': 'Delete ' + it.name, onclick: () => api('DELETE', itemPath(it)).then(draw, fail) }))));
      if (!list || !list.length) ul.append(h('li', { cls: 'empty', text: 'None.' }));
    };
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try { await api('POST', path, body(form)); form.reset(); await draw(); } catch (e) { fail(e); }
    });
    return draw();
  }

  // ---- Start -----------------------------------------------------------
  async function user() {
    const box = $('#user');
    const forget = h('button', { type: 'button', text: 'Forget token', onclick: () => { sessionStorage.removeItem(TOKEN); location.reload(); } });
    try {
      const u = await api('GET', '/api/user');
      fill(box, h('span', { text: u.login + ' ' }), sessionStorage.getItem(TOKEN) ? forget : h('a', { href: '/logout', text: 'Log out' }));
    } catch (e) {
      if (sessionStorage.getItem(TOKEN)) fill(box, h('span', { text: 'API token ' }), forget);
    }
  }
  function start() {
    const tf = $('#token-form');
    tf.addEventListener('submit', (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN, tf.token.value.trim());
      location.reload();
    });
    user();
    const views = { repos: reposView, builds: buildsView, build: () => window.HangarBuild.view(), settings: settingsView };
    const v = views[D.view];
    if (v) Promise.resolve().then(v).catch(fail);
  }
  window.Hangar = { stats, api, h, fill, svg, chip, dur, took, done, label, flash, fail, live, forRepo, withToken, slug, num, parseParams, APIError };
  // Deferred scripts (build.js, log.js) have all run by DOMContentLoaded.
  document.addEventListener('DOMContentLoaded', start);
})();
