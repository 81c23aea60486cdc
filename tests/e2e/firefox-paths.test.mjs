// Firefox ESR: every shape of page that can hand a file to a protected site
// (the pages of paths.test.mjs), driven through geckodriver: files picked in
// the browser's chooser (answered through WebDriver BiDi) or set in the input
// as the chooser does. What the page's script received and what the site
// stored must be sealed, never the plaintext.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { By } from 'selenium-webdriver';
import { startVendor, tempDir, validPolicy, seen } from './harness.mjs';
import { launchFirefox, labSite, openSite } from './firefox.mjs';
import { lab as labPage, PATH_PAGES, AHEAD, INNER, pathSamples, assertSealed as assertSealedAt, assertAheadOutcome } from './lab-pages.mjs';

let vendor, site, other, browser, dir;
let files = {};

before(async () => {
  vendor = await startVendor();
  // Another site, not in the policy, for the cross-origin frame.
  other = await labSite(vendor.origin, {
    '/lab/widget': labPage(`<input type="file" id="w" onchange="for (const f of this.files) look(f, 'cross-origin widget')">`),
  });
  site = await labSite(vendor.origin, { ...PATH_PAGES, '/lab/ahead': AHEAD, '/lab/inner': INNER });
  site.pages['/lab/cross-frame'] = labPage(`<iframe id="widget" src="${other.origin}/lab/widget"></iframe>`);
  browser = await launchFirefox({ policy: validPolicy([site.origin]) });
  await browser.popupText({ until: /OrgSeal is set up/ });
  await openSite(browser.page, site.origin);
  dir = await tempDir('orgseal-paths-');
  files = await pathSamples(dir);
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await other?.stop();
  await vendor?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const assertSealed = (records, label, storedBefore) => assertSealedAt(vendor, files, records, label, storedBefore);

const storedIds = async () => new Set((await vendor.blobs()).map((b) => b.id));
const waitUploads = async (page, n) => {
  await page.waitForFunction((k) => window.__uploads?.length >= k, n);
  return page.evaluate(() => window.__uploads);
};

// Firefox fires a file input's input and change events without `composed`:
// from a shadow root they never reach the window. A person opens the chooser
// with a click (or a key), which OrgSeal answers with its own chooser; files
// that arrive any other way (only a test driver can do that) are caught by
// the listeners OrgSeal puts on the root at the person's first pointer or key
// press, unless the page listened on that root first (README).
test('Firefox: a file input in an open shadow root: sealed, picked through a click or set after a person used the page', async () => {
  const page = browser.page;
  let before = await storedIds();
  await page.goto(`${site.origin}/lab/open-shadow`);
  await page.chooseFiles(() => page.mouseClick('#host', 10), [files['a.bin'].path, files['b.bin'].path]);
  let records = await seen(page, 4);
  assert.deepEqual(await waitUploads(page, 2), [201, 201]);
  assert.equal((await assertSealed(records, 'open shadow root', before)).length, 2);

  before = await storedIds();
  await page.goto(`${site.origin}/lab/open-shadow`);
  await page.mouseClick('body');
  const root = await (await page.el('#host')).getShadowRoot();
  await page.setFilesOn(await root.findElement(By.css('input[type=file]')), files['c.bin'].path);
  records = await seen(page, 2);
  await assertSealed(records, 'open shadow root, set directly', before);
});

test('Firefox: a file input in a closed shadow root: sealed, picked through a click', async () => {
  const page = browser.page;
  const before = await storedIds();
  await page.goto(`${site.origin}/lab/closed-shadow`);
  await page.chooseFiles(() => page.mouseClick('#host', 10), files['a.bin'].path);
  const records = await seen(page, 2);
  await waitUploads(page, 2);
  await assertSealed(records, 'closed shadow root', before);
});

test('Firefox: an upload component whose button opens a hidden input in a closed shadow root (click() or showPicker()): sealed', async () => {
  const page = browser.page;
  for (const [button, x] of [['click()', 10], ['showPicker()', 80]]) {
    const before = await storedIds();
    await page.goto(`${site.origin}/lab/component`);
    await page.chooseFiles(() => page.mouseClick('#host', x), files['a.bin'].path);
    const records = await seen(page, 2);
    await waitUploads(page, 2);
    await assertSealed(records, `component, ${button}`, before);
  }
});

// Firefox's match patterns have no port, so OrgSeal's scripts are
// registered for the protected site's host on every port: this frame (the
// same host, another port) has them from its start and seals; a frame of
// another host would be quarantined, as in Chromium (paths.test.mjs).
test('Firefox: a file input in a frame of another origin inside a protected page: never plaintext (sealed here)', async () => {
  const page = browser.page;
  const before = await storedIds();
  await page.goto(`${site.origin}/lab/cross-frame`);
  const records = await page.inFrame('#widget', async (frame) => {
    await frame.setInputFiles('#w', files['c.bin'].path);
    return seen(frame, 1);
  });
  await assertSealed(records, 'cross-origin frame', before);
});

test('Firefox: a file input in a same-origin iframe, a srcdoc iframe and a script-built about:blank iframe: sealed', async () => {
  const page = browser.page;
  for (const [url, frameSel] of [['/lab/frame-outer', '#inner'], ['/lab/srcdoc', '#inner'], ['/lab/blank-frame', '#inner']]) {
    const before = await storedIds();
    await page.goto(`${site.origin}${url}`);
    const inner = await page.inFrame(frameSel, async (frame) => {
      await frame.setInputFiles('#f', files['c.bin'].path);
      return url === '/lab/blank-frame' ? null : seen(frame, 1);
    });
    // The about:blank frame's input is the parent's script's: it records there.
    await assertSealed(inner ?? (await seen(page, 1)), url, before);
  }
});

test('Firefox: an input the page never attaches to the document: sealed', async () => {
  const page = browser.page;
  const before = await storedIds();
  await page.goto(`${site.origin}/lab/detached`);
  await page.chooseFiles(() => page.mouseClick('#pick'), files['a.bin'].path);
  await assertSealed(await seen(page, 1), 'detached input', before);
  assert.deepEqual(await waitUploads(page, 1), [201]);
});

test('Firefox: a page served with CSP sandbox (opaque origin): refused, the person told why', async () => {
  const page = browser.page;
  const before = await storedIds();
  await page.goto(`${site.origin}/lab/sandboxed`);
  assert.equal(await page.evaluate(() => origin), 'null', 'the lab page should have an opaque origin');
  await page.setInputFiles('#f', files['c.bin'].path);
  await browser.popupText({ until: /refused: c\.bin[^]*sandbox/ });
  assert.deepEqual(await page.evaluate(() => window.__seen), [], 'the page must get nothing');
  assert.equal(await page.evaluate(() => document.getElementById('f').files.length), 0, 'the input must stay empty');
  assert.deepEqual((await vendor.blobs()).filter((b) => !before.has(b.id)), []);
});

test('Firefox: a popup the page opens (about:blank and blob:): sealed', async () => {
  const page = browser.page;
  const driver = browser.driver;
  for (const url of ['/lab/popup', '/lab/blob-popup']) {
    const before = await storedIds();
    await page.goto(`${site.origin}${url}`);
    const main = await driver.getWindowHandle();
    const known = new Set(await driver.getAllWindowHandles());
    await page.click('#open');
    await driver.wait(async () => (await driver.getAllWindowHandles()).length > known.size, 10000);
    await driver.switchTo().window((await driver.getAllWindowHandles()).find((h) => !known.has(h)));
    await page.setInputFiles('#f', files['c.bin'].path);
    // The popup seals in its own frames: it stays open until the page has the file.
    await page.waitForFunction((n) => document.getElementById('f').files[0]?.size > n, files['c.bin'].bytes.length);
    const records = url === '/lab/popup' ? null : await seen(page, 1);
    await driver.close();
    await driver.switchTo().window(main);
    await assertSealed(records ?? (await seen(page, 1)), url, before);
  }
});

test('Firefox: a page that gets its listeners ahead of OrgSeal still never sees what a person picks', async () => {
  const page = browser.page;
  const picked = files['b.bin'];
  await page.goto(`${site.origin}/lab/ahead`);
  // The input the page removes once the chooser is open.
  await page.chooseFiles(() => page.mouseClick('#d'), picked.path);
  // The input in the frame whose window the page listened on first.
  await page.inFrame('#inner', (frame) => frame.chooseFiles(() => frame.mouseClick('#i'), picked.path));
  await assertAheadOutcome(page, picked);
});

// Last: Firefox never reports this page as loaded, which would hold up the next navigation.
test('Firefox: a page that rewrites itself with document.open(): sealed', async () => {
  const page = browser.page;
  const before = await storedIds();
  // (Firefox never reports a document rewritten in its load handler as loaded.)
  await page.goto(`${site.origin}/lab/rewrite`, { wait: false });
  await page.waitForFunction(() => window.__rewritten);
  await page.setInputFiles('#f', files['b.bin'].path);
  await assertSealed(await seen(page, 2), 'document.open()', before);
});
