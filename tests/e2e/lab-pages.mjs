// Pages a hostile vendor could serve, shared by the Chromium and Firefox
// suites. Each records what its own script received with look()/take()
// (LAB_JS) and what it managed to steal in window.__stolen.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LAB_JS, MAGIC, shares32ByteRun } from './harness.mjs';

// A page of the site with LAB_JS in its head.
export const lab = (body, head = '') => `<!doctype html><html><head><meta charset="utf-8"><script>${LAB_JS}</script>${head}</head><body>${body}</body></html>`;

export const PATH_PAGES = {
  '/lab/open-shadow': lab(`<x-up id="host"></x-up><script>
    customElements.define('x-up', class extends HTMLElement {
      constructor() { super(); const r = this.attachShadow({ mode: 'open' });
        r.innerHTML = '<input type="file" multiple>';
        r.querySelector('input').addEventListener('change', (e) => take(e.target.files, 'open-shadow'));
        r.querySelector('input').addEventListener('input', (e) => { for (const f of e.target.files) look(f, 'open-shadow input'); }); }
    });</script>`),
  '/lab/closed-shadow': lab(`<x-up id="host"></x-up><script>
    customElements.define('x-up', class extends HTMLElement {
      constructor() { super(); const r = this.attachShadow({ mode: 'closed' });
        r.innerHTML = '<div><input type="file"></div>';
        const input = r.querySelector('input');
        window.__closedInput = input;
        r.addEventListener('change', (e) => take(e.target.files, 'closed-shadow root'), true);
        input.addEventListener('change', () => take(input.files, 'closed-shadow')); }
    });</script>`),
  // An upload component as design systems build them: a button, and a hidden
  // file input in a closed shadow root that the button's handler opens with
  // click() or showPicker(); the component listens on its root first.
  '/lab/component': lab(`<x-upload id="host"></x-upload><script>
    customElements.define('x-upload', class extends HTMLElement {
      constructor() { super(); const r = this.attachShadow({ mode: 'closed' });
        for (const t of ['input', 'change']) r.addEventListener(t, (e) => take(e.target.files, 'component ' + t), true);
        r.innerHTML = '<button id="b1">Upload</button><button id="b2">Upload (picker)</button><input type="file" hidden>';
        const input = r.querySelector('input');
        r.getElementById('b1').addEventListener('click', () => input.click());
        r.getElementById('b2').addEventListener('click', () => input.showPicker()); }
    });</script>`),
  '/lab/frame-outer': lab(`<iframe id="inner" src="/lab/frame-inner"></iframe>`),
  '/lab/frame-inner': lab(`<input type="file" id="f" onchange="take(this.files, 'iframe')">`),
  '/lab/srcdoc': lab(`<iframe id="inner" srcdoc="${lab(`<input type=file id=f onchange='take(this.files, &quot;srcdoc&quot;)'>`).replaceAll('"', '&quot;')}"></iframe>`),
  '/lab/blank-frame': lab(`<iframe id="inner"></iframe><script>
    const d = document.getElementById('inner').contentDocument;
    d.body.innerHTML = '<input type="file" id="f">';
    d.getElementById('f').addEventListener('change', (e) => take(e.target.files, 'about:blank'));
  </script>`),
  '/lab/detached': lab(`<button id="pick">Add files</button><script>
    document.getElementById('pick').addEventListener('click', () => {
      const i = document.createElement('input');
      i.type = 'file';
      i.onchange = () => take(i.files, 'detached');
      i.click();
    });</script>`),
  '/lab/sandboxed': {
    body: lab(`<input type="file" id="f" onchange="for (const f of this.files) look(f, 'sandboxed')">`),
    headers: { 'content-security-policy': 'sandbox allow-scripts allow-forms' },
  },
  '/lab/rewrite': lab(`<p>loading</p><script>
    addEventListener('load', () => {
      document.open();
      document.write('<input type=file id=f>');
      document.close();
      window.addEventListener('change', (e) => take(e.target.files, 'rewritten, window'), true);
      document.getElementById('f').addEventListener('change', (e) => take(e.target.files, 'rewritten'));
      window.__rewritten = true;
    });</script>`),
  '/lab/popup': lab(`<button id="open">Upload in a new window</button><script>
    document.getElementById('open').addEventListener('click', () => {
      const w = window.open('', '_blank', 'popup');
      w.document.body.innerHTML = '<input type="file" id="f">';
      w.document.getElementById('f').addEventListener('change', (e) => { w.__seen = window.__seen; take(e.target.files, 'popup'); });
    });</script>`),
  '/lab/blob-popup': lab(`<button id="open">Upload in a new window</button><script>
    document.getElementById('open').addEventListener('click', () => {
      const html = ${JSON.stringify(lab('<input type="file" id="f" onchange="for (const f of this.files) look(f, \'blob popup\')">')).replaceAll('</', '<\\/')};
      window.open(URL.createObjectURL(new Blob([html], { type: 'text/html' })));
    });</script>`),
  '/lab/folder': lab(`<input type="file" id="f" webkitdirectory onchange="take(this.files, 'folder input')">`),
  '/lab/drop': lab(`<div id="zone" style="width:300px;height:200px;border:1px solid">drop</div>
    <input type="file" id="f" multiple style="display:block;width:300px;height:100px" onchange="take(this.files, 'dropped on input')"><script>
    const zone = document.getElementById('zone');
    zone.addEventListener('dragover', (e) => e.preventDefault());
    zone.addEventListener('drop', (e) => { e.preventDefault(); take(e.dataTransfer.files, 'drop'); });
    </script>`),
  '/lab/paste': lab(`<div id="editor" contenteditable="true" style="width:300px;height:100px;border:1px solid">paste here</div><script>
    document.addEventListener('paste', (e) => { window.__pastes = (window.__pastes ?? 0) + 1; take(e.clipboardData.files, 'paste'); });
    </script>`),
};


// A hostile vendor page: it listens at every phase, polls, hooks prototypes,
// forges events and talks to the extension's frames.
export const OWN = 'PAGE-OWN-BYTES:'; // what the page puts in files it makes itself

export const HOSTILE = `<!doctype html><html><head><meta charset="utf-8"><script>${LAB_JS}
  window.__stolen = [];
  const keep = (files, via) => { for (const f of files ?? []) f.slice(0, 16).arrayBuffer().then((b) =>
    window.__stolen.push({ via, name: f.name, head: String.fromCharCode(...new Uint8Array(b)) })); };
  // Listeners on every target and phase, registered before anything else can.
  for (const t of [window, document]) for (const type of ['input', 'change', 'drop', 'paste', 'beforeinput'])
    for (const capture of [true, false]) t.addEventListener(type, (e) => {
      const target = e.composedPath()[0];
      keep(target?.files, type + (capture ? ' capture' : ' bubble'));
      keep(e.dataTransfer?.files, type + ' dataTransfer');
      keep(e.clipboardData?.files, type + ' clipboardData');
    }, capture);
  // A hook on the files getter of every input.
  const desc = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'files');
  Object.defineProperty(HTMLInputElement.prototype, 'files', { ...desc, get() { const v = desc.get.call(this); keep(v, 'getter'); return v; } });
  // A poll of every file input, as often as the page can.
  setInterval(() => { for (const i of document.querySelectorAll('input[type=file]')) keep(desc.get.call(i), 'poll'); }, 0);
  // Every message any frame posts to this window.
  addEventListener('message', (e) => window.__stolen.push({ via: 'message', name: '', head: JSON.stringify(e.data ?? null).slice(0, 200) }));
</script></head><body>
<input type="file" id="f" onchange="take(this.files, 'input')">
<input type="file" id="forged">
<div id="zone" style="width:300px;height:150px;border:1px solid">drop here</div>
<div id="editor" contenteditable="true" style="width:300px;height:60px;border:1px solid"></div>
<div id="ce" contenteditable="true" style="width:300px;height:40px;border:1px solid">comment <input type="file" id="o" hidden></div>
<x-box id="box" style="display:block;width:300px;height:40px;border:1px solid"></x-box>
<script>
  const zone = document.getElementById('zone');
  zone.addEventListener('dragover', (e) => e.preventDefault());
  zone.addEventListener('drop', (e) => { e.preventDefault(); take(e.dataTransfer.files, 'drop'); });
  document.addEventListener('paste', (e) => take(e.clipboardData.files, 'paste'));
  const own = (name) => new File(['${OWN}' + name + ' '.repeat(64)], name, { type: 'application/octet-stream' });
  // The sealing oracle attempts: the page's own files in forged events.
  window.forge = () => {
    const dt = new DataTransfer();
    dt.items.add(own('payroll.xlsx'));
    const input = document.getElementById('forged');
    input.files = dt.files;
    input.addEventListener('change', () => take(input.files, 'forged change'));
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
    const drop = new DataTransfer();
    drop.items.add(own('forged-drop.bin'));
    zone.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: drop }));
    const paste = new DataTransfer();
    paste.items.add(own('forged-paste.png'));
    document.getElementById('editor').dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: paste }));
  };
  // Oracle attempts through a person's own typing and clicking: page-filled
  // file inputs next to the element the person uses.
  const fill = (input, name) => { const d = new DataTransfer(); d.items.add(own(name)); input.files = d.files; input.addEventListener('change', () => take(input.files, 'oracle')); };
  fill(document.getElementById('o'), 'ce-oracle.bin');
  customElements.define('x-box', class extends HTMLElement {
    constructor() { super(); const r = this.attachShadow({ mode: 'closed' });
      r.innerHTML = '<label><input type="checkbox" id="c"> agree</label><input type="file" id="h" hidden>';
      fill(r.getElementById('h'), 'box-oracle.bin'); }
  });
  // Talking to the extension's frames: a forged connect, then seal requests.
  window.probeFrames = () => {
    for (const frame of document.querySelectorAll('iframe')) {
      const channel = new MessageChannel();
      channel.port1.onmessage = (e) => window.__stolen.push({ via: 'sealer port', name: '', head: JSON.stringify(e.data).slice(0, 200) });
      frame.contentWindow.postMessage({ type: 'orgseal-connect', token: 'forged-token' }, '*', [channel.port2]);
      channel.port1.postMessage({ type: 'seal', id: 1, file: own('via-port.bin') });
    }
  };
</script></body></html>`;

// Two ways a page can get its listener ahead of OrgSeal's, found in review:
// a listener on a frame's initial about:blank window, which the browser
// reuses for the same-origin document that loads next; and an input the page
// takes out of the document once its chooser is open (its events then reach
// no window). A person clicks each input and picks a file.
export const AHEAD = `<!doctype html><html><head><meta charset="utf-8"><script>${LAB_JS}
  window.__stolen = [];
  const keep = (files, via) => { for (const f of files ?? []) f.slice(0, 16).arrayBuffer().then((b) =>
    window.__stolen.push({ via, name: f.name, head: String.fromCharCode(...new Uint8Array(b)) })); };
</script></head><body>
<input type="file" id="d">
<script>
  const d = document.getElementById('d');
  d.addEventListener('click', () => setTimeout(() => d.remove()));
  for (const type of ['input', 'change']) d.addEventListener(type, () => keep(d.files, 'detached after open ' + type));
  const f = document.createElement('iframe');
  f.src = '/lab/inner';
  f.id = 'inner';
  document.body.append(f);
  for (const type of ['input', 'change']) f.contentWindow.addEventListener(type, (e) => keep(e.target.files, 'reused window ' + type), true);
</script></body></html>`;
export const INNER = `<!doctype html><meta charset="utf-8"><input type="file" id="i" style="width:200px;height:40px">`;


/**
 * What a hostile page got once a person used it (either engine's page): never
 * plaintext of the person's files (`persons`: {name, bytes}), which reached it
 * sealed; its own files never sealed; no key; the site stored only sealed
 * files or the page's own bytes. `forged`: how many of the page's forged
 * events carry files in this browser.
 */
export async function assertHostileOutcome({ page, site, policy, persons, forged = 3 }) {
  const seenRecords = await page.evaluate(() => window.__seen);
  const stolen = await page.evaluate(() => window.__stolen);
  const all = [...seenRecords, ...stolen];
  // Nothing the page got holds the plaintext's first bytes.
  for (const plain of persons) {
    const head = plain.bytes.subarray(0, 16).toString('latin1');
    assert.ok(!all.some((r) => r.head === head), `the page saw ${plain.name} in plaintext: ${JSON.stringify(all.filter((r) => r.head === head))}`);
  }
  // The person's files reached the page sealed.
  for (const name of persons.map((p) => p.name)) {
    const got = seenRecords.filter((r) => r.name === name);
    assert.ok(got.length > 0, `${name} should reach the page (sealed)`);
    for (const r of got) assert.equal(r.head.slice(0, 7), MAGIC, `${name} reached the page unsealed (${r.via}): ${JSON.stringify(seenRecords)}`);
  }
  // The page's own files came back as it made them: never sealed.
  const own = all.filter((r) => ['payroll.xlsx', 'forged-drop.bin', 'forged-paste.png', 'via-port.bin', 'ce-oracle.bin', 'box-oracle.bin'].includes(r.name));
  assert.ok(own.length >= forged, 'the forged events should reach the page');
  for (const r of own) assert.ok(r.head.startsWith('PAGE-OWN-BYTES:'), `the page got its own ${r.name} sealed (${r.via})`);
  assert.ok(!all.some((r) => r.head.startsWith(MAGIC) && r.name && !persons.some((p) => p.name === r.name)),
    'no sealed file other than the person\'s may reach the page');
  // The port the page forged got no sealing service.
  for (const r of stolen.filter((x) => x.via === 'sealer port')) assert.match(r.head, /refused|unknown|token/);
  // No key anywhere the page can read.
  const secret = policy.keys[0].secret;
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  assert.ok(!html.includes(secret) && !JSON.stringify(all).includes(secret), 'the org key must never reach the page');
  // What the site stored is sealed, or the page's own bytes (its to send).
  const stored = await site.blobs();
  assert.ok(stored.filter((b) => b.bytes.subarray(0, 7).toString('latin1') === MAGIC).length >= persons.length, 'the person\'s files should be stored sealed');
  for (const b of stored) {
    assert.ok(/^(OrgSeal|PAGE-OWN-BYTES:)/.test(b.bytes.subarray(0, 15).toString('latin1')), 'the site stored something else');
    for (const plain of persons) assert.ok(!shares32ByteRun(plain.bytes, b.bytes), `plaintext of ${plain.name} stored`);
  }
}

/**
 * The sample files of the page-shape tests, in `dir`: a.bin, b.bin, c.bin,
 * and folder/one.bin, folder/inner/two.bin (for folder inputs and drops).
 * Resolves to {name: {path, bytes, name}}.
 */
export async function pathSamples(dir) {
  const files = {};
  for (const [name, size] of [['a.bin', 40000], ['b.bin', 70000], ['c.bin', 1000]]) {
    const bytes = randomBytes(size);
    await writeFile(path.join(dir, name), bytes);
    files[name] = { path: path.join(dir, name), bytes, name };
  }
  await mkdir(path.join(dir, 'folder/inner'), { recursive: true });
  for (const [rel, size] of [['folder/one.bin', 3000], ['folder/inner/two.bin', 5000]]) {
    const bytes = randomBytes(size);
    await writeFile(path.join(dir, rel), bytes);
    files[path.basename(rel)] = { path: path.join(dir, rel), bytes, name: path.basename(rel) };
  }
  return files;
}

/**
 * Everything the page's script saw (`records`) is sealed; everything `site`
 * stored since `storedBefore` (a set of ids) is sealed and holds no run of
 * any of `files`' plaintext. Resolves to what was stored.
 */
export async function assertSealed(site, files, records, label, storedBefore) {
  assert.ok(records.length > 0, `${label}: the page saw nothing`);
  for (const r of records) {
    assert.equal(r.head.slice(0, MAGIC.length), MAGIC, `${label}: the page received ${r.name} (${r.via}) unsealed`);
  }
  const stored = (await site.blobs()).filter((b) => !storedBefore.has(b.id));
  for (const b of stored) {
    assert.equal(b.bytes.subarray(0, 7).toString('latin1'), MAGIC, `${label}: the site stored ${b.id} unsealed`);
    for (const f of Object.values(files)) assert.ok(!shares32ByteRun(f.bytes, b.bytes), `${label}: plaintext of ${f.name} stored`);
  }
  return stored;
}

/** After a person picked `picked` twice on the AHEAD page: the page got it sealed both times, never in plaintext. */
export async function assertAheadOutcome(page, picked) {
  await new Promise((r) => setTimeout(r, 2000));
  const stolen = await page.evaluate(() => window.__stolen);
  const head = picked.bytes.subarray(0, 16).toString('latin1');
  assert.ok(!stolen.some((r) => r.head === head), `the page saw the plaintext: ${JSON.stringify(stolen.filter((r) => r.head === head).map((r) => r.via))}`);
  assert.ok(stolen.length >= 2, `the page should have received the sealed files: ${JSON.stringify(stolen)}`);
  for (const r of stolen) assert.equal(r.head.slice(0, 7), MAGIC, `${r.via} got an unsealed file`);
}
