// The web console: a few pages drawn from the JSON API (/api/v1) with the session cookie and its CSRF token.
// No framework and no build step; every change goes through the same API (and the same validation) as the CLI.
'use strict';
(function () {
  const view = document.getElementById('view');
  let session = { name: '', csrfToken: '', offlineAfterSeconds: 120 };
  let stream = null; // the open EventSource of the nodes page
  let ticker = null; // re-evaluates online/offline and "x s ago" on the nodes page
  let routing = 0; // counts route() calls: a page whose requests finish after a newer route started is dropped
  const STALE = Symbol('stale page');

  // ---- the API ------------------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, problem) {
      super(problem.detail || problem.title || ('HTTP ' + status));
      this.status = status;
      this.errors = problem.errors || {};
    }
  }

  // body: sent as JSON; text: sent as it is (a policy document keeps its comments).
  async function api(method, path, body, text) {
    const headers = {};
    if (method !== 'GET') headers['X-CSRF-Token'] = session.csrfToken;
    if (body !== undefined || text !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, { method, headers, credentials: 'same-origin', body: text !== undefined ? text : body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401) { location.replace('/login'); throw new ApiError(401, { detail: 'signed out' }); }
    if (res.status === 204) return null;
    const type = res.headers.get('Content-Type') || '';
    const data = type.includes('json') ? await res.json() : await res.text();
    if (!res.ok) throw new ApiError(res.status, typeof data === 'object' ? data : { detail: data });
    return data;
  }

  const enc = encodeURIComponent;

  // ---- small DOM helpers --------------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  function ago(iso) {
    if (!iso) return 'never';
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 90) return s + ' s ago';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }

  function when(iso) { return iso ? new Date(iso).toLocaleString() : '—'; }

  function bytes(n) {
    if (n === null || n === undefined) return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  function rate(n) { return bytes(n) + '/s'; }

  // A transfer chart as inline SVG: received and sent bytes per second between the reported samples (a counter that
  // went down, as after a restart, starts again from there).
  function transferChart(samples, label) {
    const points = [];
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1], b = samples[i];
      const dt = (Date.parse(b.at) - Date.parse(a.at)) / 1000;
      if (dt <= 0 || b.rxBytes < a.rxBytes || b.txBytes < a.txBytes) continue;
      points.push({ t: Date.parse(b.at), rx: (b.rxBytes - a.rxBytes) / dt, tx: (b.txBytes - a.txBytes) / dt });
    }
    if (points.length === 0) return el('p', { class: 'hint chart-empty' }, 'No transfer yet: the chart starts after two status reports with counters.');
    const W = 600, H = 160, P = 4;
    const t0 = points[0].t, t1 = points[points.length - 1].t, span = Math.max(1, t1 - t0);
    const max = Math.max(1, ...points.map((p) => Math.max(p.rx, p.tx)));
    const x = (t) => points.length === 1 ? W / 2 : P + (W - 2 * P) * (t - t0) / span;
    const y = (v) => H - P - (H - 2 * P) * v / max;
    const line = (key) => points.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('class', 'chart');
    svg.setAttribute('role', 'img');
    const last = points[points.length - 1];
    svg.setAttribute('aria-label', `${label}: now ${rate(last.rx)} received, ${rate(last.tx)} sent; peak ${rate(max)}`);
    for (const [key, cls] of [['rx', 'rx'], ['tx', 'tx']]) {
      const pl = document.createElementNS(ns, points.length === 1 ? 'circle' : 'polyline');
      if (points.length === 1) { pl.setAttribute('cx', x(last.t)); pl.setAttribute('cy', y(last[key])); pl.setAttribute('r', 3); }
      else pl.setAttribute('points', line(key));
      pl.setAttribute('class', cls);
      svg.append(pl);
    }
    return el('figure', { class: 'chart-box' }, svg,
      el('figcaption', { class: 'hint' }, el('span', { class: 'key rx' }, '■'), ` received (now ${rate(last.rx)}) `,
        el('span', { class: 'key tx' }, '■'), ` sent (now ${rate(last.tx)}) · peak ${rate(max)} · ${Math.round(span / 60000)} min`));
  }

  const list = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter((s) => s.length > 0);

  // ---- forms: labelled fields, the API's errors next to the field they name, nothing typed lost -----------------
  let formSeq = 0;
  // fields: [{ name, label, type?, value?, options?, hint?, placeholder? }]; read(values) → request body; submit(body).
  function form(fields, submitLabel, read, submit, extraButtons) {
    const id = 'f' + (++formSeq);
    const f = el('form', { class: 'grid', novalidate: true });
    const formError = el('p', { class: 'form-error', role: 'alert' });
    f.append(formError);
    const inputs = {};
    const slots = {};
    for (const d of fields) {
      const inputId = id + '-' + d.name;
      const errId = inputId + '-error';
      let input;
      if (d.type === 'select') {
        input = el('select', { id: inputId, name: d.name, 'aria-describedby': errId },
          d.options.map(([v, label]) => el('option', { value: v, selected: String(d.value ?? '') === v }, label)));
      } else if (d.type === 'checkbox') {
        input = el('input', { id: inputId, name: d.name, type: 'checkbox', checked: !!d.value, 'aria-describedby': errId });
      } else {
        input = el('input', { id: inputId, name: d.name, type: d.type || 'text', value: d.value ?? '', placeholder: d.placeholder,
          inputmode: d.numeric ? 'numeric' : null, maxlength: d.maxlength || 512, 'aria-describedby': errId });
      }
      const slot = el('span', { class: 'field-error', id: errId, role: 'alert' });
      inputs[d.name] = input;
      slots[d.name] = slot;
      f.append(d.type === 'checkbox'
        ? el('div', { class: 'field check' }, input, el('label', { for: inputId }, d.label), slot)
        : el('div', { class: 'field' }, el('label', { for: inputId }, d.label), input, d.hint ? el('span', { class: 'hint' }, d.hint) : null, slot));
    }
    const button = el('button', { type: 'submit' }, submitLabel);
    f.append(el('div', { class: 'actions' }, button, extraButtons || []));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      formError.textContent = '';
      for (const [name, slot] of Object.entries(slots)) { slot.textContent = ''; inputs[name].removeAttribute('aria-invalid'); }
      const values = {};
      for (const [name, input] of Object.entries(inputs)) values[name] = input.type === 'checkbox' ? input.checked : input.value.trim();
      const local = {};
      let body;
      try { body = read(values, local); } catch (e) { formError.textContent = e.message; return; }
      if (Object.keys(local).length > 0) { showErrors(local, inputs, slots, formError); return; }
      button.disabled = true;
      try {
        await submit(body);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        showErrors(e.errors, inputs, slots, formError, e.message);
      } finally {
        button.disabled = false;
      }
    });
    return f;
  }

  function showErrors(errors, inputs, slots, formError, fallback) {
    let placed = false;
    let first = null;
    for (const [field, messages] of Object.entries(errors)) {
      // The API names fields as its JSON does ("ipv4Cidr", "ranges[1]"); a list element's error goes to its list.
      const name = field.replace(/^\$\./, '').replace(/\[\d+\]$/, '');
      const key = Object.keys(inputs).find((k) => k.toLowerCase() === name.toLowerCase());
      if (key) {
        slots[key].textContent = messages.join('; ');
        inputs[key].setAttribute('aria-invalid', 'true');
        first = first || inputs[key];
        placed = true;
      } else {
        formError.textContent += (formError.textContent ? '; ' : '') + field + ': ' + messages.join('; ');
      }
    }
    if (!placed && !formError.textContent) formError.textContent = fallback || 'refused';
    (first || formError).focus && first && first.focus();
  }

  function int(values, local, name) {
    const v = values[name];
    if (v === '' || v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) { local[name] = ['must be a whole number']; return undefined; }
    return Number(v);
  }

  function isoOrUndefined(values, local, name) {
    const v = values[name];
    if (!v) return undefined;
    const t = Date.parse(v);
    if (Number.isNaN(t)) { local[name] = ['must be a date and time']; return undefined; }
    return new Date(t).toISOString();
  }

  function table(headers, rows, emptyText) {
    if (rows.length === 0) return el('div', { class: 'scroll' }, el('p', { class: 'empty' }, emptyText));
    return el('div', { class: 'scroll' }, el('table', {},
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', class: h.startsWith('~') ? 'hide-narrow' : null }, h.replace(/^~/, ''))))),
      el('tbody', {}, rows)));
  }

  function copyRow(label, text) {
    const id = 'c' + (++formSeq);
    const area = el('textarea', { id, readonly: true, rows: Math.min(6, Math.ceil(text.length / 70) + 1) }, text);
    const button = el('button', { type: 'button', class: 'secondary', onclick: async () => {
      try { await navigator.clipboard.writeText(text); } catch (_) { area.select(); document.execCommand('copy'); }
      button.textContent = 'Copied';
      setTimeout(() => { button.textContent = 'Copy'; }, 1500);
    } }, 'Copy');
    return el('div', {}, el('label', { for: id }, label), el('div', { class: 'copy-row' }, area, button));
  }

  async function qrImage(text, alt) {
    const svg = await api('POST', '/console/qr', { text });
    return el('img', { class: 'qr', alt, src: URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' })) });
  }

  // ---- layout -------------------------------------------------------------------------------------------------
  function crumbs(...parts) {
    const nav = document.getElementById('crumbs');
    nav.replaceChildren(...parts.map(([text, href]) => href ? el('a', { href }, text) : el('span', {}, text)));
  }

  function tabs(network, current) {
    const n = enc(network);
    const items = [['nodes', 'Nodes'], ['keys', 'Enrollment keys'], ['clients', 'Ext clients'], ['dns', 'DNS'], ['policy', 'Policy']];
    return el('nav', { class: 'tabs', 'aria-label': 'Network pages' },
      items.map(([page, label]) => el('a', { href: `#/network/${n}/${page}`, 'aria-current': page === current ? 'page' : null }, label)),
      el('a', { href: `#/activity/${n}`, 'aria-current': current === 'activity' ? 'page' : null }, 'Activity'));
  }

  // r: the route() call the page was drawn for. A page drawn after the user moved on is thrown away (STALE), so a
  // slow earlier page never replaces the newer one or opens its live stream behind it.
  function show(r, title, ...content) {
    if (r !== routing) throw STALE;
    view.replaceChildren(el('h1', {}, title), ...content);
    document.title = title + ' · Appliance';
  }

  // ---- networks -----------------------------------------------------------------------------------------------
  async function networksPage(r) {
    crumbs(['Networks', '#/networks']);
    const networks = await api('GET', '/api/v1/networks');
    const editSlot = el('div', {});
    const rows = networks.map((n) => el('tr', { id: 'network-' + n.name },
      el('td', {}, el('a', { href: `#/network/${enc(n.name)}/nodes` }, n.name)),
      el('td', {}, n.ipv4Cidr), el('td', { class: 'hide-narrow' }, n.ipv6Cidr || '—'), el('td', { class: 'hide-narrow' }, n.listenPort),
      el('td', {}, n.nodeCount), el('td', { class: 'hide-narrow' }, n.version),
      el('td', {}, el('div', { class: 'row-actions' },
        el('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${n.name}`, onclick: () => editNetwork(n, editSlot) }, 'Edit'),
        el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${n.name}`, onclick: () => deleteNetwork(n) }, 'Delete')))));
    const create = form([
      { name: 'name', label: 'Name', placeholder: 'home', hint: 'a DNS label: a-z, 0-9, -' },
      { name: 'ipv4Cidr', label: 'IPv4 range', placeholder: '10.10.0.0/24' },
      { name: 'ipv6Cidr', label: 'IPv6 range (optional)', placeholder: 'fd10::/64' },
      { name: 'listenPort', label: 'Listen port', placeholder: '51821', numeric: true },
      { name: 'mtu', label: 'MTU', placeholder: '1420', numeric: true },
      { name: 'keepalive', label: 'Keepalive (s)', placeholder: '20', numeric: true },
    ], 'Create network', (v, local) => ({
      name: v.name, ipv4Cidr: v.ipv4Cidr, ipv6Cidr: v.ipv6Cidr || undefined,
      listenPort: int(v, local, 'listenPort'), mtu: int(v, local, 'mtu'), keepalive: int(v, local, 'keepalive'),
    }), async (body) => { const n = await api('POST', '/api/v1/networks', body); location.hash = `#/network/${enc(n.name)}/nodes`; });
    show(r, 'Networks', table(['Name', 'IPv4', '~IPv6', '~Port', 'Nodes', '~Version', ''], rows, 'No networks yet: create the first one below.'),
      editSlot, el('h2', {}, 'New network'), el('div', { class: 'card' }, create));
  }

  function editNetwork(n, slot) {
    const f = form([
      { name: 'ipv4Cidr', label: 'IPv4 range', value: n.ipv4Cidr },
      { name: 'ipv6Cidr', label: 'IPv6 range', value: n.ipv6Cidr || '', hint: 'empty keeps it' },
      { name: 'listenPort', label: 'Listen port', value: n.listenPort, numeric: true },
      { name: 'mtu', label: 'MTU', value: n.mtu, numeric: true },
      { name: 'keepalive', label: 'Keepalive (s)', value: n.keepalive, numeric: true },
    ], 'Save', (v, local) => ({
      ipv4Cidr: v.ipv4Cidr || undefined, ipv6Cidr: v.ipv6Cidr || undefined,
      listenPort: int(v, local, 'listenPort'), mtu: int(v, local, 'mtu'), keepalive: int(v, local, 'keepalive'),
    }), async (body) => { await api('PATCH', `/api/v1/networks/${enc(n.name)}`, body); route(); },
    [el('button', { type: 'button', class: 'secondary', onclick: () => slot.replaceChildren() }, 'Cancel')]);
    slot.replaceChildren(el('h2', {}, `Edit ${n.name}`), el('div', { class: 'card' }, f));
    f.querySelector('input').focus();
  }

  async function deleteNetwork(n) {
    const what = n.nodeCount > 0 ? `Delete network ${n.name} and its ${n.nodeCount} node(s)? They leave the mesh at once.` : `Delete network ${n.name}?`;
    if (!confirm(what)) return;
    try {
      await api('DELETE', `/api/v1/networks/${enc(n.name)}?force=${n.nodeCount > 0}`);
      route();
    } catch (e) { alert(e.message); }
  }

  // ---- nodes (live) -------------------------------------------------------------------------------------------
  async function nodesPage(r, network) {
    crumbs(['Networks', '#/networks'], [network, `#/network/${enc(network)}/nodes`]);
    let nodes = await api('GET', `/api/v1/networks/${enc(network)}/nodes`);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const tbody = el('tbody', {});
    const panel = el('div', {});
    const status = el('p', { class: 'hint', id: 'live', 'aria-live': 'polite' }, 'Live: connecting…');
    const count = el('span', {});

    const online = (n) => !!n.lastSeen && (Date.now() - Date.parse(n.lastSeen)) / 1000 < session.offlineAfterSeconds;
    const roles = (n) => [
      n.ingress ? el('span', { class: 'badge role' }, 'ingress') : null,
      n.egress ? el('span', { class: 'badge role', title: n.egress.ranges.join(', ') }, 'egress ' + n.egress.ranges.join(', ')) : null,
      n.internetGateway ? el('span', { class: 'badge role' }, 'via ' + (byId.get(n.internetGateway)?.name || n.internetGateway)) : null,
    ];
    // How the node reaches its peers, as its agent last reported: direct/relayed counts and the freshest handshake.
    function pathSummary(n) {
      if (!n.paths || n.paths.length === 0) return '—';
      const count = (kind) => n.paths.filter((p) => p.path === kind).length;
      const ages = n.paths.map((p) => p.handshakeAgeSeconds).filter((a) => a !== null && a !== undefined);
      const parts = [count('direct') && `${count('direct')} direct`, count('relay') && `${count('relay')} relayed`, count('probing') && `${count('probing')} probing`].filter(Boolean);
      return el('span', { title: n.paths.map((p) => `${byId.get(p.nodeId)?.name || p.nodeId}: ${p.path}${p.via ? ' via ' + (byId.get(p.via)?.name || p.via) : ''}`).join('\n') },
        parts.join(', ') + (ages.length ? ` · handshake ${Math.min(...ages)} s` : ' · no handshake'));
    }
    function row(n) {
      const up = online(n);
      return el('tr', { id: 'node-' + n.id, 'data-name': n.name },
        el('td', {}, el('span', { class: 'badge ' + (up ? 'online' : 'offline') }, up ? 'online' : 'offline')),
        el('td', {}, n.name),
        el('td', { class: 'wrap' }, [n.ipv4Address, n.ipv6Address].filter(Boolean).join(' ')),
        el('td', { class: 'wrap hide-narrow' }, n.endpoints.length ? n.endpoints.map((e) => e.includes(':') && !e.startsWith('[') ? e : `${e}:${n.listenPort}`).join(' ') : '—'),
        el('td', { class: 'seen', 'data-seen': n.lastSeen || '' }, ago(n.lastSeen)),
        el('td', { class: 'paths hide-narrow' }, pathSummary(n)),
        el('td', { class: 'hide-narrow' }, roles(n)),
        el('td', {}, el('div', { class: 'row-actions' },
          el('button', { type: 'button', class: 'secondary', 'aria-label': `Settings of ${n.name}`, onclick: () => nodePanel(byId.get(n.id), panel) }, 'Settings'),
          el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${n.name}`, onclick: () => deleteNode(byId.get(n.id)) }, 'Delete'))));
    }
    function upsert(n) {
      byId.set(n.id, n);
      const fresh = row(n);
      const old = document.getElementById('node-' + n.id);
      if (old) old.replaceWith(fresh); else tbody.append(fresh);
      count.textContent = byId.size;
    }
    function removed(id) {
      byId.delete(id);
      document.getElementById('node-' + id)?.remove();
      count.textContent = byId.size;
    }
    const rows = nodes.map(row);
    tbody.append(...rows);
    count.textContent = nodes.length;
    const tableEl = el('div', { class: 'scroll' }, el('table', { id: 'nodes' },
      el('thead', {}, el('tr', {}, ['Status', 'Name', 'Mesh addresses', '~Endpoints', 'Last seen', '~Paths', '~Roles', ''].map((h) =>
        el('th', { scope: 'col', class: h.startsWith('~') ? 'hide-narrow' : null }, h.replace(/^~/, ''))))), tbody));
    show(r, `${network}: nodes`, tabs(network, 'nodes'), el('p', {}, count, ' node(s). New nodes join with an enrollment key.'), status, tableEl, panel);
    performance.mark('console-nodes-drawn'); // the page-weight test reads it: the table is on screen and usable

    stream = new EventSource(`/console/events/${enc(network)}`);
    stream.onopen = () => { status.textContent = 'Live: following status reports.'; };
    stream.onerror = () => { status.textContent = 'Live: reconnecting…'; };
    stream.addEventListener('node', (ev) => upsert(JSON.parse(ev.data)));
    stream.addEventListener('removed', (ev) => removed(JSON.parse(ev.data)));
    stream.addEventListener('resync', async () => {
      nodes = await api('GET', `/api/v1/networks/${enc(network)}/nodes`);
      for (const id of [...byId.keys()]) if (!nodes.some((n) => n.id === id)) removed(id);
      nodes.forEach(upsert);
    });
    ticker = setInterval(() => {
      for (const n of byId.values()) {
        const tr = document.getElementById('node-' + n.id);
        if (!tr) continue;
        const up = online(n);
        const badge = tr.querySelector('.badge');
        if (badge.classList.contains('online') !== up) { badge.className = 'badge ' + (up ? 'online' : 'offline'); badge.textContent = up ? 'online' : 'offline'; }
        tr.querySelector('.seen').textContent = ago(n.lastSeen);
      }
    }, 2000);
  }

  async function deleteNode(n) {
    if (!confirm(`Delete node ${n.name}? It leaves the mesh at once; its gateway roles and ext clients go with it.`)) return;
    try { await api('DELETE', `/api/v1/nodes/${enc(n.id)}`); } catch (e) { alert(e.message); }
  }

  function nodePanel(n, slot) {
    const others = [...document.querySelectorAll('#nodes tbody tr')].map((tr) => [tr.id.slice(5), tr.dataset.name]).filter(([id]) => id !== n.id);
    const rename = form([{ name: 'name', label: 'Name', value: n.name }], 'Rename',
      (v) => ({ name: v.name }), async (body) => { await api('PATCH', `/api/v1/nodes/${enc(n.id)}`, body); slot.replaceChildren(); });
    const egress = form([
      { name: 'ranges', label: 'Egress ranges', value: n.egress ? n.egress.ranges.join(', ') : '', placeholder: '192.168.1.0/24, 0.0.0.0/0', hint: '0.0.0.0/0 makes it an internet gateway' },
      { name: 'nat', label: 'Masquerade (NAT)', type: 'checkbox', value: n.egress ? n.egress.nat : true },
    ], n.egress ? 'Save egress' : 'Make egress gateway', (v) => ({ ranges: list(v.ranges), nat: v.nat }),
    async (body) => { await api('PUT', `/api/v1/nodes/${enc(n.id)}/egress`, body); slot.replaceChildren(); },
    n.egress ? [el('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirm(`Stop ${n.name} being an egress gateway?`)) return;
      try { await api('DELETE', `/api/v1/nodes/${enc(n.id)}/egress`); slot.replaceChildren(); } catch (e) { alert(e.message); }
    } }, 'Remove egress')] : []);
    const ingress = form([
      { name: 'nat', label: 'Masquerade ext clients (NAT)', type: 'checkbox', value: n.ingress ? n.ingress.nat : true },
      { name: 'dns', label: 'DNS servers for ext clients', value: n.ingress ? n.ingress.dns.join(', ') : '', hint: 'empty: the gateway itself' },
    ], n.ingress ? 'Save ingress' : 'Accept ext clients', (v) => ({ nat: v.nat, dns: list(v.dns) }),
    async (body) => { await api('PUT', `/api/v1/nodes/${enc(n.id)}/ingress`, body); slot.replaceChildren(); },
    n.ingress ? [el('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirm(`Stop ${n.name} accepting ext clients? Its ${n.ingress.extClientCount} ext client(s) are deleted.`)) return;
      try { await api('DELETE', `/api/v1/nodes/${enc(n.id)}/ingress?force=true`); slot.replaceChildren(); } catch (e) { alert(e.message); }
    } }, 'Remove ingress')] : []);
    const internet = form([{ name: 'internetGateway', label: 'Internet traffic through', type: 'select', value: n.internetGateway || '',
      options: [['', 'its own uplink'], ...others] }], 'Save', (v) => ({ internetGateway: v.internetGateway }),
    async (body) => { await api('PATCH', `/api/v1/nodes/${enc(n.id)}`, body); slot.replaceChildren(); });
    const names = new Map([...document.querySelectorAll('#nodes tbody tr')].map((tr) => [tr.id.slice(5), tr.dataset.name]));
    const peers = table(['Peer', 'Path', '~Endpoint', 'Handshake'], (n.paths || []).map((p) => el('tr', {},
      el('td', {}, names.get(p.nodeId) || p.nodeId),
      el('td', {}, el('span', { class: 'badge ' + (p.path === 'direct' ? 'online' : p.path === 'relay' ? 'role' : 'off') }, p.path === 'relay' ? 'relayed' : p.path),
        p.via ? ' via ' + (names.get(p.via) || p.via) : ''),
      el('td', { class: 'hide-narrow' }, p.endpoint || '—'),
      el('td', {}, p.handshakeAgeSeconds === null || p.handshakeAgeSeconds === undefined ? 'none yet' : `${p.handshakeAgeSeconds} s ago`))),
      'No path reports from this node yet.');
    const transfer = el('div', { id: 'node-transfer' }, el('p', { class: 'hint' }, 'Loading…'));
    api('GET', `/api/v1/nodes/${enc(n.id)}/transfer`).then((samples) => transfer.replaceChildren(transferChart(samples, `Transfer of ${n.name}`)),
      (e) => transfer.replaceChildren(el('p', { class: 'form-error' }, e.message)));
    slot.replaceChildren(el('h2', {}, `Settings of ${n.name}`),
      el('div', { class: 'card' }, el('p', { class: 'hint' }, `id ${n.id} · public key ${n.publicKey} · ${n.os} · agent ${n.version}`), rename),
      el('h2', {}, 'Peers'), el('div', { id: 'node-peers' }, peers),
      el('h2', {}, 'Transfer'), el('div', { class: 'card' }, transfer),
      el('h2', {}, 'Egress'), el('div', { class: 'card' }, egress),
      el('h2', {}, 'Ingress'), el('div', { class: 'card' }, ingress),
      el('h2', {}, 'Internet gateway'), el('div', { class: 'card' }, internet),
      el('button', { type: 'button', class: 'secondary', onclick: () => slot.replaceChildren() }, 'Close'));
    slot.querySelector('input').focus();
  }

  // ---- enrollment keys ----------------------------------------------------------------------------------------
  async function keysPage(r, network) {
    crumbs(['Networks', '#/networks'], [network, `#/network/${enc(network)}/nodes`]);
    const keys = (await api('GET', '/api/v1/enrollment-keys')).filter((k) => k.networks.includes(network));
    const created = el('div', {});
    const rows = keys.map((k) => el('tr', { id: 'key-' + k.id },
      el('td', {}, el('code', {}, k.id)), el('td', {}, k.unlimited ? 'unlimited' : k.usesRemaining),
      el('td', {}, when(k.expiresAt)), el('td', { class: 'hide-narrow' }, k.tags.join(', ') || '—'), el('td', { class: 'hide-narrow' }, when(k.createdAt)),
      el('td', {}, el('button', { type: 'button', class: 'danger', 'aria-label': `Revoke key ${k.id}`, onclick: async () => {
        if (!confirm(`Revoke key ${k.id}? Devices that already joined stay.`)) return;
        try { await api('DELETE', `/api/v1/enrollment-keys/${enc(k.id)}`); route(); } catch (e) { alert(e.message); }
      } }, 'Revoke'))));
    const create = form([
      { name: 'uses', label: 'Uses', numeric: true, placeholder: 'unlimited' },
      { name: 'expiresAt', label: 'Expires', type: 'datetime-local' },
      { name: 'tags', label: 'Tags', placeholder: 'office, lab', hint: 'given to every node that joins with it' },
    ], 'Create key', (v, local) => ({ networks: [network], uses: int(v, local, 'uses'), expiresAt: isoOrUndefined(v, local, 'expiresAt'), tags: list(v.tags) }),
    async (body) => {
      const k = await api('POST', '/api/v1/enrollment-keys', body);
      const command = `appliance-agent join --token ${k.token}`;
      created.replaceChildren(el('div', { class: 'card secret', id: 'new-key' },
        el('h2', {}, 'New key: shown once'), el('p', { class: 'hint' }, 'Copy the token now; the server keeps only its hash.'),
        copyRow('Join token', k.token), copyRow('On the device (as root)', command),
        await qrImage(k.token, 'QR code of the join token')));
      created.querySelector('textarea').focus();
    });
    show(r, `${network}: enrollment keys`, tabs(network, 'keys'), created,
      table(['Key', 'Uses left', 'Expires', '~Tags', '~Created', ''], rows, 'No keys for this network.'),
      el('h2', {}, 'New key'), el('div', { class: 'card' }, create));
  }

  // ---- ext clients --------------------------------------------------------------------------------------------
  async function clientsPage(r, network) {
    crumbs(['Networks', '#/networks'], [network, `#/network/${enc(network)}/nodes`]);
    const [clients, nodes] = await Promise.all([
      api('GET', `/api/v1/networks/${enc(network)}/ext-clients`), api('GET', `/api/v1/networks/${enc(network)}/nodes`)]);
    const names = new Map(nodes.map((n) => [n.id, n.name]));
    const gateways = nodes.filter((n) => n.ingress);
    const qrSlot = el('div', {});
    const rows = clients.map((c) => el('tr', { id: 'client-' + c.id },
      el('td', {}, c.name), el('td', {}, names.get(c.gateway) || c.gateway),
      el('td', { class: 'wrap' }, [c.ipv4Address, c.ipv6Address].filter(Boolean).join(' ')),
      el('td', {}, el('span', { class: 'badge ' + (c.active ? 'online' : 'off') }, c.active ? 'active' : c.enabled ? 'expired' : 'disabled')),
      el('td', { class: 'hide-narrow' }, when(c.expiresAt)),
      el('td', { class: 'hide-narrow' }, `↓ ${bytes(c.rxBytes)} ↑ ${bytes(c.txBytes)}`),
      el('td', { class: 'hide-narrow' }, c.lastHandshake ? ago(c.lastHandshake) : '—'),
      el('td', {}, el('div', { class: 'row-actions' },
        c.hasServerKey ? el('button', { type: 'button', class: 'secondary', 'aria-label': `QR code of ${c.name}`, onclick: () => {
          qrSlot.replaceChildren(el('div', { class: 'card', id: 'client-qr' }, el('h2', {}, `${c.name}: scan with the WireGuard app`),
            el('img', { class: 'qr', alt: `QR code of ${c.name}'s configuration`, src: `/api/v1/ext-clients/${enc(c.id)}/qr?format=svg` }),
            el('button', { type: 'button', class: 'secondary', onclick: () => qrSlot.replaceChildren() }, 'Close')));
          qrSlot.querySelector('button').focus();
        } }, 'QR') : null,
        c.hasServerKey ? el('a', { href: `/api/v1/ext-clients/${enc(c.id)}/config`, download: c.name + '.conf', 'aria-label': `Download ${c.name}.conf` }, '.conf') : null,
        el('button', { type: 'button', class: 'secondary', 'aria-label': `Transfer chart of ${c.name}`, onclick: async () => {
          try {
            const samples = await api('GET', `/api/v1/ext-clients/${enc(c.id)}/transfer`);
            qrSlot.replaceChildren(el('div', { class: 'card', id: 'client-transfer' }, el('h2', {}, `${c.name}: transfer`), transferChart(samples, `Transfer of ${c.name}`),
              el('button', { type: 'button', class: 'secondary', onclick: () => qrSlot.replaceChildren() }, 'Close')));
            qrSlot.querySelector('button').focus();
          } catch (e) { alert(e.message); }
        } }, 'Chart'),
        el('button', { type: 'button', class: 'secondary', 'aria-label': `${c.enabled ? 'Disable' : 'Enable'} ${c.name}`, onclick: async () => {
          try { await api('PATCH', `/api/v1/ext-clients/${enc(c.id)}`, { enabled: !c.enabled }); route(); } catch (e) { alert(e.message); }
        } }, c.enabled ? 'Disable' : 'Enable'),
        el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${c.name}`, onclick: async () => {
          if (!confirm(`Delete ext client ${c.name}? It is cut off at once.`)) return;
          try { await api('DELETE', `/api/v1/ext-clients/${enc(c.id)}`); route(); } catch (e) { alert(e.message); }
        } }, 'Delete')))));
    const create = form([
      { name: 'name', label: 'Name', placeholder: 'phone' },
      { name: 'gateway', label: 'Gateway', type: 'select', options: gateways.length ? gateways.map((g) => [g.id, g.name]) : [['', 'no ingress gateway yet']] },
      { name: 'expiresAt', label: 'Expires (optional)', type: 'datetime-local' },
      { name: 'publicKey', label: 'Public key (optional)', hint: 'leave empty and the server makes the key pair' },
    ], 'Create client', (v, local) => ({ name: v.name || undefined, gateway: v.gateway, expiresAt: isoOrUndefined(v, local, 'expiresAt'), publicKey: v.publicKey || undefined }),
    async (body) => { await api('POST', `/api/v1/networks/${enc(network)}/ext-clients`, body); route(); });
    show(r, `${network}: ext clients`, tabs(network, 'clients'), qrSlot,
      table(['Name', 'Gateway', 'Addresses', 'State', '~Expires', '~Transfer', '~Handshake', ''], rows, 'No ext clients: make a node an ingress gateway (its Settings), then add phones and laptops here.'),
      el('h2', {}, 'New ext client'), el('div', { class: 'card' }, create));
  }

  // ---- DNS entries --------------------------------------------------------------------------------------------
  async function dnsPage(r, network) {
    crumbs(['Networks', '#/networks'], [network, `#/network/${enc(network)}/nodes`]);
    const entries = await api('GET', `/api/v1/networks/${enc(network)}/dns`);
    const rows = entries.map((d) => el('tr', { id: 'dns-' + d.id },
      el('td', {}, d.name), el('td', {}, d.type), el('td', { class: 'wrap' }, d.value),
      el('td', {}, el('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${d.name} ${d.type}`, onclick: async () => {
        if (!confirm(`Delete ${d.name} ${d.type} ${d.value}?`)) return;
        try { await api('DELETE', `/api/v1/networks/${enc(network)}/dns/${enc(d.id)}`); route(); } catch (e) { alert(e.message); }
      } }, 'Delete'))));
    const create = form([
      { name: 'name', label: 'Name', placeholder: 'printer' },
      { name: 'type', label: 'Type', type: 'select', options: [['A', 'A'], ['AAAA', 'AAAA'], ['CNAME', 'CNAME']] },
      { name: 'value', label: 'Value', placeholder: '192.168.1.20' },
    ], 'Add entry', (v) => ({ name: v.name, type: v.type, value: v.value }),
    async (body) => { await api('POST', `/api/v1/networks/${enc(network)}/dns`, body); route(); });
    show(r, `${network}: DNS`, tabs(network, 'dns'), table(['Name', 'Type', 'Value', ''], rows, 'No custom entries: nodes and ext clients have names already.'),
      el('h2', {}, 'New entry'), el('div', { class: 'card' }, create));
  }

  // ---- access policy ------------------------------------------------------------------------------------------
  const POLICY_EXAMPLE = '{\n  // Who may reach whom: everything not allowed here is denied.\n  "rules": [\n    { "from": ["*"], "to": ["*"], "ports": ["*"] }\n  ],\n  "tests": []\n}\n';

  async function policyPage(r, network) {
    crumbs(['Networks', '#/networks'], [network, `#/network/${enc(network)}/nodes`]);
    let current = null;
    try { current = await api('GET', `/api/v1/networks/${enc(network)}/policy`); } catch (e) { if (!(e instanceof ApiError && e.status === 404)) throw e; }
    const state = el('p', { class: 'hint', id: 'policy-state' }, current
      ? `Revision ${current.revision}, saved ${when(current.updatedAt)}: ${current.rules} rule(s), ${current.groups} group(s), ${current.tests} test(s).`
      : 'No policy: every member reaches every other. Saving one denies everything it does not allow.');
    const area = el('textarea', { id: 'policy-text', rows: 18, spellcheck: 'false', 'aria-describedby': 'policy-errors', class: 'code' }, current ? current.text : POLICY_EXAMPLE);
    const gutter = el('pre', { class: 'gutter', 'aria-hidden': 'true' });
    const errors = el('ul', { id: 'policy-errors', class: 'form-error', role: 'alert' });
    const results = el('div', { id: 'policy-results' });
    // Line numbers beside the text; a line an error names is marked there and listed below with a link to it.
    function draw(bad) {
      const lines = area.value.split('\n').length;
      gutter.replaceChildren(...Array.from({ length: lines }, (_, i) => el('span', { class: bad.has(i + 1) ? 'bad' : null, title: bad.get(i + 1) || null }, String(i + 1) + '\n')));
      gutter.scrollTop = area.scrollTop;
    }
    function goTo(line) {
      const starts = area.value.split('\n').slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
      area.focus();
      area.setSelectionRange(starts, starts + (area.value.split('\n')[line - 1] || '').length);
    }
    function showProblems(messages) {
      const bad = new Map();
      errors.replaceChildren(...messages.map((m) => {
        const at = /^line (\d+): /.exec(m);
        if (!at) return el('li', {}, m);
        const line = Number(at[1]);
        bad.set(line, (bad.get(line) ? bad.get(line) + '; ' : '') + m);
        return el('li', { 'data-line': line }, el('a', { href: '#', onclick: (ev) => { ev.preventDefault(); goTo(line); } }, `line ${line}`), ': ' + m.slice(at[0].length));
      }));
      draw(bad);
    }
    function showResults(report) {
      results.replaceChildren(report.tests.length === 0 ? el('p', { class: 'hint' }, 'The document has no tests.')
        : table(['Result', 'Line', 'From', 'To', 'Accept', 'Deny', 'Failures'], report.tests.map((t) => el('tr', { class: t.passed ? 'pass' : 'fail' },
          el('td', {}, el('span', { class: 'badge ' + (t.passed ? 'online' : 'offline') }, t.passed ? 'pass' : 'fail')), el('td', {}, t.line),
          el('td', {}, t.from), el('td', {}, t.to), el('td', {}, t.accept.join(', ') || '—'), el('td', {}, t.deny.join(', ') || '—'),
          el('td', { class: 'wrap' }, t.failures.join('; ') || '—'))), ''));
      if (!report.passed) showProblems(report.tests.flatMap((t) => t.failures));
    }
    async function run(method) {
      errors.replaceChildren();
      draw(new Map());
      try {
        if (method === 'PUT') {
          current = await api('PUT', `/api/v1/networks/${enc(network)}/policy`, undefined, area.value);
          state.textContent = `Saved: revision ${current.revision}, ${current.rules} rule(s), ${current.groups} group(s), ${current.tests} test(s).`;
        }
        showResults(await api('POST', `/api/v1/networks/${enc(network)}/policy/test`, undefined, area.value));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        results.replaceChildren();
        showProblems(Object.values(e.errors).flat().length ? Object.values(e.errors).flat() : [e.message]);
      }
    }
    area.addEventListener('input', () => draw(new Map()));
    area.addEventListener('scroll', () => { gutter.scrollTop = area.scrollTop; });
    const remove = current ? el('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirm(`Remove the access policy of ${network}? Every member then reaches every other.`)) return;
      try { await api('DELETE', `/api/v1/networks/${enc(network)}/policy`); route(); } catch (e) { alert(e.message); }
    } }, 'Remove policy') : null;
    show(r, `${network}: access policy`, tabs(network, 'policy'), state,
      el('label', { for: 'policy-text' }, 'Policy document (JSON with comments)'),
      el('div', { class: 'editor' }, gutter, area), errors,
      el('div', { class: 'actions' },
        el('button', { type: 'button', onclick: () => run('POST') }, 'Run tests'),
        el('button', { type: 'button', onclick: () => run('PUT') }, 'Save policy'), remove),
      el('h2', {}, 'Tests'), results);
    draw(new Map());
    if (current) await run('POST');
  }

  // ---- activity log -------------------------------------------------------------------------------------------
  async function activityPage(r, network) {
    crumbs(['Networks', '#/networks'], ['Activity', '#/activity']);
    const networks = await api('GET', '/api/v1/networks');
    const filter = el('select', { id: 'activity-network', onchange: () => { location.hash = filter.value ? `#/activity/${enc(filter.value)}` : '#/activity'; } },
      el('option', { value: '' }, 'all networks'),
      // A deleted network's entries stay: its name is offered while it is filtered on.
      [...new Set([...networks.map((n) => n.name), ...(network ? [network] : [])])].map((name) => el('option', { value: name, selected: name === network }, name)));
    const tbody = el('tbody', {});
    const more = el('button', { type: 'button', class: 'secondary', id: 'activity-more' }, 'Older entries');
    const empty = el('p', { class: 'empty' }, 'No activity recorded yet.');
    let before = null;
    async function load() {
      const q = new URLSearchParams({ limit: '50' });
      if (network) q.set('network', network);
      if (before) q.set('before', String(before));
      const page = await api('GET', '/api/v1/activity?' + q);
      tbody.append(...page.items.map((a) => el('tr', { id: 'activity-' + a.id },
        el('td', { title: a.at }, when(a.at)),
        el('td', {}, el('span', { class: 'badge role' }, a.actorKind), ' ', a.actor),
        el('td', { class: 'wrap' }, el('code', {}, a.action)),
        el('td', { class: 'hide-narrow' }, a.network || '—'),
        el('td', { class: 'wrap' }, a.summary || '—'))));
      before = page.next;
      more.hidden = !before;
      empty.hidden = tbody.children.length > 0;
    }
    more.addEventListener('click', () => load().catch((e) => alert(e.message)));
    const tableEl = el('div', { class: 'scroll' }, el('table', { id: 'activity' },
      el('thead', {}, el('tr', {}, ['When', 'Who', 'What', '~Network', 'Changed'].map((h) =>
        el('th', { scope: 'col', class: h.startsWith('~') ? 'hide-narrow' : null }, h.replace(/^~/, ''))))), tbody));
    await load();
    show(r, network ? `${network}: activity` : 'Activity', network ? tabs(network, 'activity') : '',
      el('div', { class: 'field' }, el('label', { for: 'activity-network' }, 'Network'), filter), tableEl, empty, more);
  }

  // ---- routing ------------------------------------------------------------------------------------------------
  // While a page is being drawn the view is aria-busy; once drawn, data-route names the hash it shows.
  async function route() {
    const r = ++routing;
    const hash = location.hash;
    if (stream) { stream.close(); stream = null; }
    if (ticker) { clearInterval(ticker); ticker = null; }
    view.setAttribute('aria-busy', 'true');
    const m = hash.match(/^#\/network\/([^/]+)\/(nodes|keys|clients|dns|policy)$/);
    const a = hash.match(/^#\/activity(?:\/([^/]+))?$/);
    try {
      try {
        if (a) await activityPage(r, a[1] ? decodeURIComponent(a[1]) : null);
        else if (!m) await networksPage(r);
        else {
          const network = decodeURIComponent(m[1]);
          await ({ nodes: nodesPage, keys: keysPage, clients: clientsPage, dns: dnsPage, policy: policyPage })[m[2]](r, network);
        }
      } catch (e) {
        if (e === STALE || (e instanceof ApiError && e.status === 401)) return;
        show(r, 'Something went wrong', el('p', { class: 'form-error', role: 'alert' }, e.message), el('a', { href: '#/networks' }, 'Back to the networks'));
      }
      view.dataset.route = hash;
      view.removeAttribute('aria-busy');
      view.focus();
    } catch (e) {
      if (e !== STALE) throw e;
    }
  }

  async function start() {
    session = await api('GET', '/console/session');
    document.getElementById('who').textContent = session.name || '';
    document.getElementById('sign-out').addEventListener('click', async () => {
      try { await api('POST', '/console/sign-out'); } finally { location.replace('/login'); }
    });
    window.addEventListener('hashchange', route);
    await route();
  }

  start();
})();
