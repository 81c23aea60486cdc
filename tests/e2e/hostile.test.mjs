// A hostile vendor page: it listens at every phase, polls, hooks prototypes,
// forges events and talks to the extension's frames. A person then picks,
// drops and pastes real files. The page must never see plaintext or a key,
// and must never get bytes of its own choosing sealed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { launch, startVendor, validPolicy, sampleFile, shares32ByteRun, LAB_JS, MAGIC, servePages, dropPaths } from './harness.mjs';

const OWN = 'PAGE-OWN-BYTES:'; // what the page puts in files it makes itself

const HOSTILE = `<!doctype html><html><head><meta charset="utf-8"><script>${LAB_JS}
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

let site, browser, policy;
const cleanup = [];

before(async () => {
  site = await startVendor();
  policy = validPolicy([site.origin]);
  browser = await launch({ policy });
  await browser.popupText({ until: /Policy active/ });
  await site.signIn(browser.page);
  await servePages(browser.context, site.origin, { '/lab/hostile': HOSTILE });
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

test('a hostile page never sees plaintext or a key, and never gets its own bytes sealed', async () => {
  const page = browser.page;
  const picked = await sampleFile(50000, cleanup, 'secret');
  const dropped = await sampleFile(30000, cleanup, 'dropped');
  await page.goto(`${site.origin}/lab/hostile`);

  // 1. The page forges events with files it made: they reach it unchanged.
  await page.evaluate(() => window.forge());
  await page.waitForFunction(() => window.__seen.length >= 3);

  // 2. A person picks a file (this also starts the sealer frame).
  await page.setInputFiles('#f', picked.path);
  await page.waitForFunction(() => window.__seen.some((r) => r.via === 'input'));

  // 3. The page talks to the sealer frame it can see.
  const frames = await page.evaluate(() => document.querySelectorAll('iframe').length);
  assert.ok(frames >= 1, 'the sealer frame should exist by now');
  await page.evaluate(() => window.probeFrames());

  // 4. A person types next to a page-filled file input, and ticks a box in a
  // closed component that holds another.
  await page.click('#ce');
  await page.keyboard.type('hello');
  const boxAt = await page.locator('#box').boundingBox();
  await page.mouse.click(boxAt.x + 8, boxAt.y + boxAt.height / 2);

  // 5. A person drops a file.
  await dropPaths(browser.context, page, '#zone', [dropped.path], { x: 20, y: 20 });
  await page.waitForFunction(() => window.__seen.some((r) => r.via === 'drop' && r.name.startsWith('dropped')));
  await new Promise((r) => setTimeout(r, 1500)); // let polls and late listeners run

  const seenRecords = await page.evaluate(() => window.__seen);
  const stolen = await page.evaluate(() => window.__stolen);
  const all = [...seenRecords, ...stolen];
  // Nothing the page got holds the plaintext's first bytes.
  for (const plain of [picked, dropped]) {
    const head = plain.bytes.subarray(0, 16).toString('latin1');
    assert.ok(!all.some((r) => r.head === head), `the page saw ${plain.name} in plaintext: ${JSON.stringify(all.filter((r) => r.head === head))}`);
  }
  // The person's files reached the page sealed.
  for (const name of [picked.name, dropped.name]) {
    const got = seenRecords.filter((r) => r.name === name);
    assert.ok(got.length > 0, `${name} should reach the page (sealed)`);
    for (const r of got) assert.equal(r.head.slice(0, 7), MAGIC, `${name} reached the page unsealed (${r.via}): ${JSON.stringify(seenRecords)}`);
  }
  // The page's own files came back as it made them: never sealed.
  const own = all.filter((r) => ['payroll.xlsx', 'forged-drop.bin', 'forged-paste.png', 'via-port.bin', 'ce-oracle.bin', 'box-oracle.bin'].includes(r.name));
  assert.ok(own.length >= 3, 'the forged events should reach the page');
  for (const r of own) assert.ok(r.head.startsWith('PAGE-OWN-BYTES:'), `the page got its own ${r.name} sealed (${r.via})`);
  assert.ok(!all.some((r) => r.head.startsWith(MAGIC) && r.name && !r.name.startsWith('secret') && !r.name.startsWith('dropped')),
    'no sealed file other than the person\'s may reach the page');
  // The port the page forged got no sealing service.
  for (const r of stolen.filter((x) => x.via === 'sealer port')) assert.match(r.head, /refused|unknown|token/);
  // No key anywhere the page can read.
  const secret = policy.keys[0].secret;
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  assert.ok(!html.includes(secret) && !JSON.stringify(all).includes(secret), 'the org key must never reach the page');
  // What the site stored is sealed, or the page's own bytes (its to send).
  const stored = await site.blobs();
  assert.ok(stored.filter((b) => b.bytes.subarray(0, 7).toString('latin1') === MAGIC).length >= 2, 'the person\'s files should be stored sealed');
  for (const b of stored) {
    assert.ok(/^(OrgSeal|PAGE-OWN-BYTES:)/.test(b.bytes.subarray(0, 15).toString('latin1')), 'the site stored something else');
    for (const plain of [picked, dropped]) assert.ok(!shares32ByteRun(plain.bytes, b.bytes), `plaintext of ${plain.name} stored`);
  }
});

// Two ways a page can get its listener ahead of OrgSeal's, found in review:
// a listener on a frame's initial about:blank window, which the browser
// reuses for the same-origin document that loads next; and an input the page
// takes out of the document once its chooser is open (its events then reach
// no window). A person clicks each input and picks a file.
const AHEAD = `<!doctype html><html><head><meta charset="utf-8"><script>${LAB_JS}
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
const INNER = `<!doctype html><meta charset="utf-8"><input type="file" id="i" style="width:200px;height:40px">`;

test('a page that gets its listeners ahead of OrgSeal still never sees what a person picks', async () => {
  await servePages(browser.context, site.origin, { '/lab/ahead': AHEAD, '/lab/inner': INNER });
  const page = browser.page;
  const picked = await sampleFile(30000, cleanup, 'ahead');
  await page.goto(`${site.origin}/lab/ahead`);
  const frame = page.frames().find((x) => x.url().endsWith('/lab/inner'));
  await frame.waitForSelector('#i');
  // The input the page removes once the chooser is open.
  let [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#d')]);
  await chooser.setFiles(picked.path);
  // The input in the frame whose window the page listened on first.
  [chooser] = await Promise.all([page.waitForEvent('filechooser'), frame.click('#i')]);
  await chooser.setFiles(picked.path);
  await new Promise((r) => setTimeout(r, 2000));
  const stolen = await page.evaluate(() => window.__stolen);
  const head = picked.bytes.subarray(0, 16).toString('latin1');
  assert.ok(!stolen.some((r) => r.head === head), `the page saw the plaintext: ${JSON.stringify(stolen.filter((r) => r.head === head).map((r) => r.via))}`);
  assert.ok(stolen.length >= 2, `the page should have received the sealed files: ${JSON.stringify(stolen)}`);
  for (const r of stolen) assert.equal(r.head.slice(0, 7), MAGIC, `${r.via} got an unsealed file`);
});
