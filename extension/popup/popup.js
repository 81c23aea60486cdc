// @ts-check
// The popup: what policy is in force, which keys (labels and ids only) and
// sites, and what was refused recently. Secrets never reach this page.
import { MSG, ask } from '../lib/messages.js';

const api = globalThis.browser ?? globalThis.chrome;

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  Object.assign(e, attrs);
  return e;
}

async function render() {
  let answer;
  try {
    // The tab the popup opened over (a popup opened as a page has none).
    const [tab] = (await api.tabs?.query({ active: true, currentWindow: true }).catch(() => [])) ?? [];
    answer = await ask({ type: MSG.status, tabId: tab?.id });
  } catch (e) {
    document.getElementById('state').textContent = `OrgSeal is not running: ${e.message}`;
    return;
  }
  const { status, recent, version, extensionId, installType, guard, failClosed, browser, tab } = answer;
  // This tab first: whether it is protected, and every part of it where
  // OrgSeal refuses files because the page may read them first.
  document.getElementById('tab-section').hidden = !tab;
  if (tab) {
    const quarantined = tab.quarantined ?? [];
    document.getElementById('tab').textContent = quarantined.length
      ? 'This page: OrgSeal blocks files in these parts of it, because the page could read them before OrgSeal:'
      : { seal: 'This page is protected: files you pick, drop or paste here are sealed.', blocked: 'This page is protected, but OrgSeal blocks files here (see below).' }[tab.mode] ??
        'This page is not a site your organisation protects.';
    document.getElementById('quarantined').replaceChildren(...quarantined.map((q) => el('li', `${q.url}: ${q.reason}`, { className: 'refused' })));
    const attach = document.getElementById('attach');
    attach.hidden = !(tab.mode === 'seal' && status.state === 'valid');
    // A window of OrgSeal's own, which the page can neither draw nor see into.
    attach.onclick = () =>
      api.windows
        .create({ url: api.runtime.getURL(`extension/attach/attach.html?tab=${tab.id}`), type: 'popup', width: 480, height: 340 })
        .then(() => window.close(), (e) => (document.getElementById('tab').textContent = `OrgSeal could not open its window: ${e.message}`));
  }
  const state = document.getElementById('state');
  state.className = status.state;
  state.textContent = {
    none: 'No OrgSeal policy is installed: files are not sealed or opened. Ask IT to install the policy.',
    invalid: 'The OrgSeal policy is invalid: nothing is sealed or opened, and uploads on the configured sites are blocked. Tell IT:',
    valid: `Policy active: new files are sealed with key “${status.keys?.find((k) => k.encrypt)?.label ?? '?'}”.`,
    loading: 'Loading the policy…',
    missing: 'The OrgSeal policy has gone: uploads on the sites it named are blocked until IT restores it.',
    broken: 'OrgSeal could not read its policy: uploads on the sites it last protected are blocked. Tell IT:',
  }[status.state] ?? status.state;
  const problems = document.getElementById('problems');
  problems.replaceChildren(...(status.problems ?? []).map((p) => el('li', p)));

  const keys = status.keys ?? [];
  document.getElementById('keys-section').hidden = keys.length === 0;
  document.querySelector('#keys tbody').replaceChildren(
    ...keys.map((k) => {
      const tr = el('tr');
      tr.append(el('td', k.label), el('td', undefined, {}), el('td', k.encrypt ? 'seals new files' : 'opens only'));
      tr.children[1].append(el('code', k.id));
      return tr;
    }),
  );
  const sites = status.sites ?? [];
  document.getElementById('sites-section').hidden = sites.length === 0;
  document.getElementById('sites').replaceChildren(
    ...sites.map((s) => el('li', `${s.origin}${s.sealNames ? ' (names sealed)' : ''}`)),
  );
  const guardText = document.getElementById('guard');
  guardText.textContent = status.state === 'none'
    ? 'Upload guard: off (no policy).'
    : !failClosed && (status.state === 'valid' || status.state === 'invalid')
    ? 'Upload guard: off (the policy does not ask OrgSeal to fail closed).'
    : guard && browser === 'firefox'
      ? 'Upload guard: on. Uploads to the protected sites that carry a file OrgSeal did not seal as the whole request body are stopped (Firefox does not show the files in a form upload).'
      : guard
      ? 'Upload guard: on. Uploads to the protected sites that carry a file OrgSeal did not seal are stopped.'
      : installType === 'admin'
        ? 'Upload guard: off (this browser does not let OrgSeal block requests).'
        : 'Upload guard: off. OrgSeal was not installed by your organisation\'s policy (it was loaded by hand), and only an extension installed by policy may stop requests. Files are still sealed when you pick, drop or paste them.';
  document.getElementById('recent-section').hidden = recent.length === 0;
  const size = (n) => (typeof n === 'number' ? ` (${n} bytes)` : '');
  document.getElementById('recent').replaceChildren(
    ...recent.map((r) =>
      el('li', `${new Date(r.when).toLocaleTimeString()} ${r.kind}: ${r.what}${size(r.size)}${r.why ? `: ${r.why}` : ''}`, {
        className: r.kind,
      }),
    ),
  );
  document.getElementById('version').textContent = `OrgSeal ${version} · ${extensionId} · fail-closed: ${status.failClosed ? 'yes' : 'no'}`;
  buildHashOnce ??= buildHash().then(
    (h) => `Build ${h}`,
    (e) => `Build hash not available: ${e.message}`,
  );
  document.getElementById('build').textContent = await buildHashOnce;
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
