// @ts-check
// The popup: this tab first (protected or not and why, the key that seals
// here, what is under way with Cancel, what happened on this page), then the
// organisation's setup (policy state, keys by label and id, sites), what
// happened elsewhere, and IT's detail folded away. Secrets never reach this
// page. Opened as a page, `?tab=ID` names the tab and `?details=1` unfolds
// the details (a notification's click opens it so).
import { MSG, ask } from '../lib/messages.js';
import '../lib/words.js';

const api = globalThis.browser ?? globalThis.chrome;
const W = /** @type {any} */ (globalThis).ORGSEAL_WORDS;
const params = new URLSearchParams(location.search);
const openDetails = params.get('details') === '1';
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  Object.assign(e, attrs);
  return e;
}

// Details the person opened stay open across the refresh.
const keepOpen = new Set();
document.addEventListener('toggle', (e) => {
  const t = /** @type {HTMLDetailsElement} */ (e.target);
  if (t.id) (t.open ? keepOpen.add(t.id) : keepOpen.delete(t.id));
}, true);

// One event: when, what happened, the name and size; the person's words for
// a refusal; IT's detail one click away.
function eventItem(r) {
  const li = el('li', undefined, { className: r.kind });
  const size = W.size(r.size);
  li.append(`${new Date(r.when).toLocaleTimeString()} ${W.event[r.kind] ?? r.kind}: ${r.what}${size ? ` (${size})` : ''}`);
  if (r.person) li.append(el('span', r.person, { className: 'person' }));
  if (r.why) {
    const id = `ev-${r.when}-${r.kind}`;
    const d = el('details', undefined, { id, open: openDetails || keepOpen.has(id) });
    d.append(el('summary', W.popup.details), el('span', r.why, { className: 'detail' }));
    if (r.notice) d.append(el('span', W.popup.notified(r.notice.title), { className: 'detail person' }));
    li.append(d);
  }
  return li;
}

async function tabId() {
  const named = Number(params.get('tab'));
  if (Number.isSafeInteger(named) && named > 0) return named;
  // Opened as a page for the tab showing exactly `url` (how tests and IT's
  // screenshots open it).
  const url = params.get('url');
  if (url) return (await api.tabs.query({})).find((t) => t.url === url)?.id;
  // The tab the popup opened over (a popup opened as a page has none).
  const [tab] = (await api.tabs?.query({ active: true, currentWindow: true }).catch(() => [])) ?? [];
  return tab?.url?.startsWith(api.runtime.getURL('')) ? undefined : tab?.id;
}

async function render() {
  let answer;
  try {
    answer = await ask({ type: MSG.status, tabId: await tabId() });
  } catch (e) {
    $('state').textContent = W.popup.notRunning(e.message);
    return;
  }
  const { status, recent, version, extensionId, installType, guard, failClosed, browser, tab, privateWindows } = answer;
  const encryptKey = status.keys?.find((k) => k.encrypt)?.label ?? '?';

  // ---- this tab ----
  $('tab-section').hidden = !tab;
  if (tab) {
    const quarantined = tab.quarantined ?? [];
    $('tab').textContent = quarantined.length
      ? W.tab.quarantined
      : tab.mode === 'seal'
        ? W.tab.seal(tab.site ?? '', encryptKey)
        : tab.mode === 'blocked'
          ? W.tab.blocked(tab.reason ?? 'see below')
          : W.tab.off;
    $('quarantined').replaceChildren(...quarantined.map((q) => el('li', `${q.url}: ${q.reason}`)));
    const busy = [
      ...(tab.sealing ?? []).map((j) => {
        const li = el('li', W.tab.sealing(j.name, W.size(j.size)));
        const b = el('button', W.popup.cancel, { type: 'button' });
        b.onclick = () => ask({ type: MSG.cancel, what: 'seal', tabId: tab.id }).then(render, () => {});
        li.append(b);
        return li;
      }),
      ...(tab.opening ?? []).map((o) => {
        const li = el('li', W.tab.opening(o.name, o.pct));
        const b = el('button', W.popup.cancel, { type: 'button' });
        b.onclick = () => ask({ type: MSG.cancel, what: 'open', url: o.url }).then(render, () => {});
        li.append(b);
        return li;
      }),
    ];
    $('busy').replaceChildren(...busy);
    const attach = $('attach');
    attach.hidden = !(tab.mode === 'seal' && status.state === 'valid');
    // A window of OrgSeal's own, which the page can neither draw nor see into.
    attach.onclick = () =>
      api.windows
        .create({ url: api.runtime.getURL(`extension/attach/attach.html?tab=${tab.id}`), type: 'popup', width: 480, height: 340 })
        .then(() => window.close(), (e) => ($('tab').textContent = W.tab.noWindow(e.message)));
    const here = recent.filter((r) => r.tabId === tab.id && r.when >= (tab.since ?? 0));
    $('here-title').hidden = here.length === 0;
    $('here').replaceChildren(...here.map(eventItem));
  }

  // ---- the organisation's setup ----
  const state = $('state');
  state.className = status.state;
  state.textContent = status.state === 'valid' ? W.policy.valid(encryptKey) : W.policy[status.state] ?? status.state;
  const problems = status.problems ?? [];
  $('problems-details').hidden = problems.length === 0;
  if (openDetails) /** @type {HTMLDetailsElement} */ ($('problems-details')).open = true;
  $('problems').replaceChildren(...problems.map((p) => el('li', p)));

  const keys = status.keys ?? [];
  $('keys-section').hidden = keys.length === 0;
  document.querySelector('#keys tbody')?.replaceChildren(
    ...keys.map((k) => {
      const tr = el('tr');
      tr.append(el('td', k.label, { title: k.label }), el('td'), el('td', k.encrypt ? 'seals new files' : 'opens only'));
      tr.children[1].append(el('code', k.id));
      return tr;
    }),
  );
  const sites = status.sites ?? [];
  $('sites-section').hidden = sites.length === 0;
  $('sites').replaceChildren(...sites.map((s) => el('li', `${s.origin}${s.sealNames ? W.popup.namesSealed : ''}`)));
  const elsewhere = tab ? recent.filter((r) => !(r.tabId === tab.id && r.when >= (tab.since ?? 0))) : recent;
  $('recent-section').hidden = elsewhere.length === 0;
  $('recent').replaceChildren(...elsewhere.map(eventItem));

  // ---- for IT ----
  const it = /** @type {HTMLDetailsElement} */ ($('it'));
  if (openDetails || keepOpen.has('it')) it.open = true;
  const G = W.it.guard;
  $('guard').textContent = status.state === 'none'
    ? G.noPolicy
    : !failClosed && (status.state === 'valid' || status.state === 'invalid')
      ? G.notAsked
      : guard
        ? (browser === 'firefox' ? G.firefox : G.on)
        : installType === 'admin' ? G.cannot : G.byHand;
  $('fail-closed').textContent = status.failClosed ? W.it.failClosed : W.it.failOpen;
  $('private').textContent = privateWindows === true ? W.it.privateOn : privateWindows === false ? W.it.privateOff : '';
  $('version').textContent = `OrgSeal ${version} · ${extensionId}`;
  buildHashOnce ??= buildHash().then(
    (h) => `Build ${h}`,
    (e) => `Build hash not available: ${e.message}`,
  );
  $('build').textContent = await buildHashOnce;
}

// The build hash of the extension as it is installed, computed from its own
// files (so a changed file changes it), to compare with the pins file IT and
// auditors hold. The rule is `orgseal pins`'s (crates/orgseal-cli/src/pins.rs):
// SHA-256 over one line per file, `<sha256 hex>  <path>\n`, sorted by path;
// manifest.json hashed in canonical form (parsed, top-level `key` removed,
// compact, members sorted), as Chromium rewrites it on install; the browser's
// own _metadata/ and an XPI's META-INF/ are not part of the build.
let buildHashOnce = null;
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

async function packageFiles() {
  if (!api.runtime.getPackageDirectoryEntry) throw new Error('this browser does not list an extension\'s files');
  const root = await new Promise((ok) => api.runtime.getPackageDirectoryEntry(ok));
  const out = [];
  async function walk(dir, prefix) {
    const reader = dir.createReader();
    for (;;) {
      const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
      if (!batch.length) return;
      for (const e of batch) {
        const rel = prefix + e.name;
        if (rel === '_metadata' || rel === 'META-INF') continue;
        if (e.isDirectory) await walk(e, `${rel}/`);
        else out.push(rel);
      }
    }
  }
  await walk(root, '');
  return out.sort();
}

function canonicalJson(v) {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const names = Object.keys(v).sort();
    return `{${names.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

async function buildHash() {
  let text = '';
  for (const rel of await packageFiles()) {
    /** @type {ArrayBuffer | Uint8Array<ArrayBuffer>} */
    let bytes = await (await fetch(api.runtime.getURL(rel))).arrayBuffer();
    if (rel === 'manifest.json') {
      const manifest = JSON.parse(new TextDecoder().decode(bytes));
      delete manifest.key;
      bytes = new TextEncoder().encode(canonicalJson(manifest));
    }
    text += `${hex(await crypto.subtle.digest('SHA-256', bytes))}  ${rel}\n`;
  }
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

render();
setInterval(render, 2000);
