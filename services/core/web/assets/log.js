// The log viewer: Drone's lines ({pos, out, time}) drawn virtualised, only
// the rows in view plus a margin, so 100,000 lines cost what 100 do. Line
// numbers are links (#L12), each line shows its elapsed time, and search
// walks the matches.
'use strict';
(function () {
  const { api, h, withToken } = window.Hangar;
  const LH = 18; // px per row, as .ln in app.css
  const MARGIN = 30; // rows drawn above and below the view
  const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

  function elapsed(t) {
    if (!(t >= 0)) return '';
    return t < 60 ? t + 's' : Math.floor(t / 60) + ':' + String(t % 60).padStart(2, '0');
  }

  class LogView {
    constructor(el) {
      this.el = el;
      this.lines = [];
      this.hits = [];
      this.cur = -1;
      this.target = -1;
      this.query = '';
      this.es = null;
      this.key = '';
      this.queued = false;
      this.spacer = null;
      el.addEventListener('scroll', () => this.draw(false));
      el.addEventListener('click', (ev) => {
        const a = ev.target.closest('a[data-line]');
        if (!a) return;
        ev.preventDefault();
        this.goto(Number(a.dataset.line));
        history.replaceState(history.state, '', '#L' + a.dataset.line);
      });
    }

    message(text) {
      this.spacer = null;
      this.el.replaceChildren(h('p', { cls: 'muted', text }));
    }

    // show opens a step's log: the stream while it runs, else the stored log.
    show(base, step) {
      const running = step.status === 'running';
      const key = base + (running ? ':live' : ':stored');
      if (key === this.key) return;
      if (!running && this.key === base + ':live') {
        // The step just ended: swap to the stored log, keeping what was
        // streamed until it is there.
        this.close();
        this.key = key;
        this.load(base, true);
        return;
      }
      this.close();
      this.key = key;
      this.lines = [];
      this.hits = [];
      this.cur = -1;
      if (step.status === 'pending' || step.status === 'skipped' && !step.started) { this.message('This step has not started.'); return; }
      if (running) this.stream(base); else this.load(base);
    }

    close() {
      if (this.es) this.es.close();
      this.es = null;
      this.key = '';
    }

    async load(base, keep) {
      const [o, n, b, st, sp] = base.split('/');
      try {
        const lines = await api('GET', '/api/repos/' + o + '/' + n + '/builds/' + b + '/logs/' + st + '/' + sp);
        this.set(lines || []);
      } catch (e) {
        if (keep && this.lines.length) return; // the stored log is not uploaded yet
        this.message(e.status === 404 ? 'No log for this step.' : e.message);
      }
    }

    stream(base) {
      this.message('Waiting for output…');
      const es = new EventSource(withToken('/api/stream/' + base));
      this.es = es;
      es.onmessage = (e) => {
        try { this.put(JSON.parse(e.data)); } catch (_) { /* a ping or garbage */ }
      };
      // Drone ends a stream with `event: error` / `data: eof`.
      es.addEventListener('error', (e) => {
        if (e.data === 'eof' || es.readyState === EventSource.CLOSED) {
          es.close();
          if (this.es === es) { this.es = null; this.load(base, true); }
        }
      });
    }

    // put places one line at its position; replays overwrite, not repeat.
    put(l) {
      const pos = Number(l.pos);
      if (!(pos >= 0)) return;
      this.lines[pos] = l;
      if (this.query && String(l.out).toLowerCase().includes(this.query)) this.hits.push(pos);
      this.schedule();
    }

    set(lines) {
      this.lines = [];
      for (const l of lines) this.lines[Number(l.pos) >= 0 ? Number(l.pos) : this.lines.length] = l;
      this.search(this.query, true);
      this.schedule();
      const m = /^#L(\d+)$/.exec(location.hash);
      if (m) this.goto(Number(m[1]));
    }

    schedule() {
      if (this.queued) return;
      this.queued = true;
      requestAnimationFrame(() => { this.queued = false; this.draw(true); });
    }

    // draw renders the rows in view; follow keeps the bottom in view
    // while lines arrive.
    draw(grew) {
      const el = this.el;
      if (!this.lines.length) return;
      if (!this.spacer) {
        this.spacer = h('div', { cls: 'spacer', role: 'log', 'aria-label': this.lines.length + ' lines' });
        el.replaceChildren(this.spacer);
      }
      const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 2 * LH;
      this.spacer.style.height = this.lines.length * LH + 'px';
      this.spacer.setAttribute('aria-label', this.lines.length + ' lines');
      if (grew && atBottom && this.es && this.target < 0) el.scrollTop = el.scrollHeight;
      const first = Math.max(0, Math.floor(el.scrollTop / LH) - MARGIN);
      const last = Math.min(this.lines.length, Math.ceil((el.scrollTop + el.clientHeight) / LH) + MARGIN);
      const hit = new Set(this.hits);
      const rows = [];
      for (let i = first; i < last; i++) {
        const l = this.lines[i] || { out: '', time: undefined };
        const cls = 'ln' + (i === this.target ? ' target' : '') + (i === this.hits[this.cur] ? ' cur' : hit.has(i) ? ' hit' : '');
        const row = h('div', { cls, id: 'L' + (i + 1), 'data-pos': i },
          h('a', { href: '#L' + (i + 1), 'data-line': i + 1, text: String(i + 1) }),
          h('span', { cls: 't', text: elapsed(l.time) }),
          h('span', { cls: 'o', text: String(l.out || '').replace(ANSI, '').replace(/\r?\n$/, '') }));
        row.style.top = i * LH + 'px';
        rows.push(row);
      }
      this.spacer.replaceChildren(...rows);
    }

    // goto scrolls line n (1-based) into view and marks it.
    goto(n) {
      if (!(n >= 1) || n > this.lines.length) return;
      this.target = n - 1;
      this.draw(); // sizes the log first, else the scroll is clamped
      this.el.scrollTop = Math.max(0, (n - 1) * LH - this.el.clientHeight / 3);
      this.draw();
    }

    // search finds the lines holding q (case-insensitive).
    search(q, keep) {
      this.query = (q || '').toLowerCase();
      this.hits = [];
      if (this.query) {
        for (let i = 0; i < this.lines.length; i++) {
          const l = this.lines[i];
          if (l && String(l.out).toLowerCase().includes(this.query)) this.hits.push(i);
        }
      }
      if (!keep) this.cur = -1;
      return this.hits.length;
    }

    // step moves to the next (1) or previous (-1) match.
    step(dir) {
      if (!this.hits.length) return;
      this.cur = (this.cur + dir + this.hits.length) % this.hits.length;
      const i = this.hits[this.cur];
      this.draw();
      this.el.scrollTop = Math.max(0, i * LH - this.el.clientHeight / 3);
      this.draw();
    }
  }

  // wire connects the search box to a viewer.
  function wire(view) {
    const form = document.getElementById('log-search');
    const q = document.getElementById('log-q');
    const count = document.getElementById('log-count');
    const show = () => { count.textContent = view.query ? (view.hits.length ? (view.cur + 1) + '/' + view.hits.length : 'no match') : ''; };
    let last = '';
    const go = (dir) => {
      if (q.value !== last) { last = q.value; view.search(q.value); }
      view.step(dir);
      view.draw();
      show();
    };
    form.addEventListener('submit', (ev) => { ev.preventDefault(); go(1); });
    document.getElementById('log-prev').addEventListener('click', () => go(-1));
    q.addEventListener('input', () => { last = q.value; view.search(q.value); view.draw(); show(); });
  }

  window.HangarLog = { LogView, wire, elapsed };
})();
