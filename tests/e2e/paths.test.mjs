// Every shape of page that can hand a file to a protected site, in real
// Chromium with the real extension and policy. Each test does what a person
// does (pick, drop, paste), then checks what the page's own script received
// and what the site stored: sealed, never the plaintext.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { launch, startVendor, tempDir, validPolicy, servePages, seen, dropPaths, badgeText } from './harness.mjs';
import { lab, PATH_PAGES as PAGES, pathSamples, assertSealed as assertSealedAt } from './lab-pages.mjs';

let site, other, browser, dir;
let files = {};

before(async () => {
  site = await startVendor();
  other = await startVendor(); // another site, not in the policy
  PAGES['/lab/cross-frame'] = lab(`<iframe id="widget" src="${other.origin}/lab/widget"></iframe>`);
  browser = await launch({ policy: validPolicy([site.origin]) });
  await browser.popupText({ until: /OrgSeal is set up/ });
  await site.signIn(browser.page);
  await servePages(browser.context, site.origin, PAGES);
  dir = await tempDir('orgseal-paths-');
  files = await pathSamples(dir);
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await other?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const assertSealed = (records, label, storedBefore) => assertSealedAt(site, files, records, label, storedBefore);

async function storedIds() {
  return new Set((await site.blobs()).map((b) => b.id));
}

async function waitUploads(frame, n) {
  await frame.waitForFunction((k) => window.__uploads?.length >= k, n, { timeout: 20000 });
  return frame.evaluate(() => window.__uploads);
}

test('a file input in an open shadow root: sealed', async () => {
  const page = browser.page;
  const before = await storedIds();
  await page.goto(`${site.origin}/lab/open-shadow`);
  await page.setInputFiles('#host input[type=file]', [files['a.bin'].path, files['b.bin'].path]);
  const records = await seen(page, 4);
  assert.deepEqual(await waitUploads(page, 2), [201, 201]);
  const stored = await assertSealed(records, 'open shadow root', before);
  assert.equal(stored.length, 2);
});

test('a file input in a closed shadow root: sealed, picked through a click or set directly', async () => {
  const page = browser.page;
  let before = await storedIds();
  await page.goto(`${site.origin}/lab/closed-shadow`);
  // A person clicks the input (inside the closed root) and picks a file.
  const box = await page.locator('#host').boundingBox();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.mouse.click(box.x + 10, box.y + box.height / 2)]);
  await chooser.setFiles(files['a.bin'].path);
  const records = await seen(page, 2);
  await waitUploads(page, 2);
  await assertSealed(records, 'closed shadow root', before);

  // Files set straight into the closed root's input (no click first): sealed too.
  before = await storedIds();
  await page.goto(`${site.origin}/lab/closed-shadow`);
  const input = await page.evaluateHandle(() => window.__closedInput);
  await input.asElement().setInputFiles(files['c.bin'].path);
  await assertSealed(await seen(page, 2), 'closed shadow root, set directly', before);
});

test('an upload component whose button opens a hidden input in a closed shadow root (click() or showPicker()): sealed', async () => {
  const page = browser.page;
  for (const [button, x] of [['click()', 10], ['showPicker()', 80]]) {
    const before = await storedIds();
    await page.goto(`${site.origin}/lab/component`);
    const box = await page.locator('#host').boundingBox();
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.mouse.click(box.x + x, box.y + box.height / 2)]);
    await chooser.setFiles(files['a.bin'].path);
    const records = await seen(page, 2);
    await waitUploads(page, 2);
    await assertSealed(records, `component, ${button}`, before);
  }
});

// A frame of another origin: OrgSeal's scripts run only on the policy's
// sites, so they go in as that frame commits, too late to be sure they run
// before its page's: the frame is quarantined (files refused, badge "!").
test('a file input in a frame of another origin inside a protected page: quarantined, nothing reaches the page, badge "!"', async () => {
  const page = browser.page;
  const before = await storedIds();
  await servePages(browser.context, other.origin, {
    '/lab/widget': lab(`<input type="file" id="w" onchange="for (const f of this.files) look(f, 'cross-origin widget')">`),
  });
  await page.goto(`${site.origin}/lab/cross-frame`);
  const frame = page.frames().find((f) => f.url().includes('/lab/widget'));
  await frame.waitForSelector('#w');
  await frame.setInputFiles('#w', files['c.bin'].path);
  await new Promise((r) => setTimeout(r, 2000));
  assert.deepEqual(await frame.evaluate(() => window.__seen), [], 'the frame\'s page must get nothing');
  assert.deepEqual((await site.blobs()).filter((b) => !before.has(b.id)), []);
  assert.equal(await badgeText(browser.context, page.url()), '!');
  await browser.popupText({ tabUrl: `${site.origin}/lab/cross-frame`, until: /blocks files in these parts[^]*lab\/widget/ });
});

test('a file input in a same-origin iframe: sealed', async () => {
  const page = browser.page;
  const before = await storedIds();
  await page.goto(`${site.origin}/lab/frame-outer`);
  const frame = page.frames().find((f) => f.url().endsWith('/lab/frame-inner'));
  await frame.waitForSelector('#f');
  await frame.setInputFiles('#f', files['b.bin'].path);
  await assertSealed(await seen(frame, 1), 'iframe', before);
  assert.deepEqual(await waitUploads(frame, 1), [201]);
});

test('a file input in a srcdoc iframe and in a script-built about:blank iframe: sealed', async () => {
  const page = browser.page;
  for (const lab of ['/lab/srcdoc', '/lab/blank-frame']) {
    const before = await storedIds();
    await page.goto(`${site.origin}${lab}`);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    await frame.waitForSelector('#f');
    await frame.setInputFiles('#f', files['c.bin'].path);
    // The about:blank frame's input is the parent's script's: it records there.
    await assertSealed(await seen(lab === '/lab/srcdoc' ? frame : page, 1), lab, before);
  }
});

test('an input the page never attaches to the document: sealed', async () => {
  const page = browser.page;
  const before = await storedIds();
  await page.goto(`${site.origin}/lab/detached`);
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#pick')]);
  await chooser.setFiles(files['a.bin'].path);
  await assertSealed(await seen(page, 1), 'detached input', before);
  assert.deepEqual(await waitUploads(page, 1), [201]);
});

test('a page served with CSP sandbox (opaque origin): refused, the person told why', async () => {
  const page = browser.page;
  const before = await storedIds();
  const warnings = [];
  const onConsole = (m) => warnings.push(m.text());
  page.on('console', onConsole);
  await page.goto(`${site.origin}/lab/sandboxed`);
  assert.equal(await page.evaluate(() => origin), 'null', 'the lab page should have an opaque origin');
  await page.setInputFiles('#f', files['c.bin'].path);
  await browser.popupText({ until: /refused[^]*sandbox/ });
  page.off('console', onConsole);
  assert.ok(warnings.some((w) => w.includes('“c.bin” was not attached') && w.includes('sandbox')), warnings.join('\n'));
  assert.deepEqual(await page.evaluate(() => window.__seen), [], 'the page must get nothing');
  assert.equal(await page.evaluate(() => document.getElementById('f').files.length), 0, 'the input must stay empty');
  assert.deepEqual((await site.blobs()).filter((b) => !before.has(b.id)), []);
});

test('a page that rewrites itself with document.open(): sealed', async () => {
  const page = browser.page;
  const before = await storedIds();
  await page.goto(`${site.origin}/lab/rewrite`);
  await page.waitForFunction(() => window.__rewritten);
  await page.setInputFiles('#f', files['b.bin'].path);
  const records = await seen(page, 2);
  await assertSealed(records, 'document.open()', before);
});

test('a popup the page opens (about:blank and blob:): sealed', async () => {
  const page = browser.page;
  for (const lab of ['/lab/popup', '/lab/blob-popup']) {
    const before = await storedIds();
    await page.goto(`${site.origin}${lab}`);
    const [popup] = await Promise.all([browser.context.waitForEvent('page', { timeout: 10000 }), page.click('#open')]);
    console.log(`# ${lab}: popup at ${popup.url()}`);
    await popup.waitForSelector('#f');
    await popup.setInputFiles('#f', files['c.bin'].path);
    const records = lab === '/lab/popup' ? await seen(page, 1) : await seen(popup, 1);
    await assertSealed(records, lab, before);
    await popup.close();
  }
});

test('a folder input (webkitdirectory): every file sealed', async () => {
  const page = browser.page;
  const before = await storedIds();
  await page.goto(`${site.origin}/lab/folder`);
  await page.setInputFiles('#f', path.join(dir, 'folder'));
  const records = await seen(page, 2);
  assert.deepEqual(records.map((r) => r.via), ['folder input', 'folder input']);
  assert.deepEqual((await waitUploads(page, 2)).sort(), [201, 201]);
  await assertSealed(records, 'folder input', before);
});

const dropOn = (page, selector, paths) => dropPaths(browser.context, page, selector, paths);

test('files and a folder dropped on a drop zone, and files dropped on a file input: sealed', async () => {
  const page = browser.page;
  let before = await storedIds();
  await page.goto(`${site.origin}/lab/drop`);
  await dropOn(page, '#zone', [files['a.bin'].path, path.join(dir, 'folder')]);
  let records = await seen(page, 3);
  assert.deepEqual(records.map((r) => r.name).sort(), ['a.bin', 'one.bin', 'two.bin']);
  await assertSealed(records, 'drop zone', before);

  before = await storedIds();
  await page.goto(`${site.origin}/lab/drop`);
  await dropOn(page, '#f', [files['c.bin'].path]);
  records = await seen(page, 1);
  assert.equal(records[0].via, 'dropped on input');
  await assertSealed(records, 'drop on a file input', before);
});

test('a file pasted into the page (a screenshot): sealed', async () => {
  const page = browser.page;
  const before = await storedIds();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.origin });
  await page.goto(`${site.origin}/lab/paste`);
  await page.focus('#editor');
  // Put an image on the system clipboard, as a screenshot tool does.
  await page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 64;
    const g = c.getContext('2d');
    for (let i = 0; i < 64; i++) {
      g.fillStyle = `rgb(${(i * 37) % 255},${(i * 91) % 255},${(i * 13) % 255})`;
      g.fillRect(i, 0, 1, 64);
    }
    const png = await new Promise((r) => c.toBlob(r, 'image/png'));
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })]);
  });
  await page.keyboard.press('Control+V');
  const records = await seen(page, 1);
  await assertSealed(records, 'paste', before);
  assert.equal(await page.evaluate(() => window.__pastes), 1, 'the page should get the paste once, sealed');
});
