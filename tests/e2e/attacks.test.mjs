// Pages written to beat OrgSeal (tests/e2e/attack-pages.mjs), in real
// Chromium with the real extension and policy. A person picks, drops and
// pastes files the ordinary way; the page's listeners were put where they
// would run before OrgSeal's. Each test checks that the page's script never
// got a byte of plaintext, that it did get the sealed files (so its listeners
// really were in place), and that the toolbar badge says ON (sealed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { launch, startVendor, validPolicy, sampleFile, servePages, MAGIC, badgeText } from './harness.mjs';
import { ATTACK_PAGES } from './attack-pages.mjs';

let site, browser;
const cleanup = [];
let picked, dropped;

before(async () => {
  site = await startVendor();
  browser = await launch({ policy: validPolicy([site.origin]) });
  await browser.popupText({ until: /OrgSeal is set up/ });
  await site.signIn(browser.page);
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.origin });
  await servePages(browser.context, site.origin, ATTACK_PAGES);
  picked = await sampleFile(40000, cleanup, 'picked');
  dropped = await sampleFile(30000, cleanup, 'dropped');
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PNG_HEAD = '\x89PNG';


// The person picks `file` in the chooser that `act` opens on `page`.
async function pick(page, act, file) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 8000 }), act()]);
  await chooser.setFiles(file.path);
}

// A trusted drop of `file` at the middle of `locator`, as the browser delivers one.
async function drop(page, locator, file) {
  const box = await locator.boundingBox();
  const cdp = await browser.context.newCDPSession(page);
  const data = { items: [], files: [file.path], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, x: box.x + box.width / 2, y: box.y + box.height / 2, data });
  }
  await cdp.detach();
}

// An image on the system clipboard (a screenshot), pasted into `locator`.
async function paste(page, locator) {
  await page.bringToFront();
  await page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = c.height = 32;
    c.getContext('2d').fillRect(0, 0, 16, 16);
    const png = await new Promise((r) => c.toBlob(r, 'image/png'));
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })]);
  });
  await locator.focus();
  await page.keyboard.press('Control+V');
}

// What the page's script got: never plaintext, at least `sealed` sealed files.
async function assertOutcome(top, { sealed, label, badgePage = top }) {
  const deadline = Date.now() + 15000;
  const sealedCount = () => top.evaluate((m) => window.__stolen.filter((r) => r.head.startsWith(m)).length, MAGIC);
  while (Date.now() < deadline && (await sealedCount()) < sealed) await sleep(200);
  await sleep(1000); // late listeners
  const stolen = await top.evaluate(() => window.__stolen);
  for (const f of [picked, dropped]) {
    const head = f.bytes.subarray(0, 16).toString('latin1');
    assert.ok(!stolen.some((r) => r.head === head), `${label}: the page read ${f.name} in plaintext (${stolen.filter((r) => r.head === head).map((r) => r.via)})`);
  }
  assert.ok(!stolen.some((r) => r.head.startsWith(PNG_HEAD)), `${label}: the page read the pasted image in plaintext`);
  for (const r of stolen) assert.ok(r.head.startsWith(MAGIC), `${label}: the page got an unsealed file via ${r.via}`);
  assert.ok(stolen.length >= sealed, `${label}: the page's listeners should have received ${sealed} sealed file(s): ${JSON.stringify(stolen.map((r) => r.via))}`);
  assert.equal(await badgeText(browser.context, badgePage.url()), 'ON', `${label}: the badge`);
}

// The child frame of `page` that the attack page made (not OrgSeal's sealer).
function childFrame(page) {
  return page.frames().find((f) => f !== page.mainFrame() && !f.url().startsWith('chrome-extension:'));
}

// Pick, drop and paste in `doc` (a frame or a page) of the tab `page`.
async function useDocument(page, doc) {
  await pick(page, () => doc.locator('#i').click(), picked);
  await drop(page, doc.locator('#zone'), dropped);
  await paste(page, doc.locator('#ed'));
}

for (const [path, label] of [
  ['/lab/atk/reopen-frame', 'C1: a frame document opened by the top page, listened on before it is written'],
  ['/lab/atk/prelisten-frame', 'C2: a frame whose initial window the page listened on'],
  ['/lab/atk/prelisten-parsed', 'C2: a frame the parser made, listened on as frames[0]'],
  ['/lab/atk/prelisten-shadow', 'C2: a frame in a closed shadow root, listened on through the element'],
  ['/lab/atk/blank-written', 'an about:blank frame the page opens, listens on and writes'],
]) {
  test(`${label}: the page gets only sealed files, badge ON`, async () => {
    const page = browser.page;
    await page.goto(`${site.origin}${path}`);
    await page.waitForFunction(() => [...document.querySelectorAll('iframe')].length > 0 || document.getElementById('host'));
    let frame;
    const deadline = Date.now() + 10000;
    while (!(frame = childFrame(page)) || !(await frame.locator('#i').count().catch(() => 0))) {
      if (Date.now() > deadline) throw new Error(`${path}: the frame never showed its input`);
      await sleep(100);
    }
    await useDocument(page, frame);
    await assertOutcome(page, { sealed: 3, label });
  });
}

test('C1: the top document opened through a frame\'s realm and listened on before it is written: only sealed files, badge ON', async () => {
  const page = browser.page;
  await page.goto(`${site.origin}/lab/atk/reopen-top`);
  await page.waitForFunction(() => window.__ready === true);
  await useDocument(page, page);
  await assertOutcome(page, { sealed: 3, label: 'reopened top' });
});

test('C2: a popup the page opens and listens on at once: only sealed files, badge ON', async () => {
  const page = browser.page;
  await page.goto(`${site.origin}/lab/atk/prelisten-popup`);
  const [popup] = await Promise.all([browser.context.waitForEvent('page'), page.click('#pop')]);
  await popup.waitForSelector('#i');
  await pick(popup, () => popup.click('#i'), picked);
  await drop(popup, popup.locator('#zone'), dropped);
  await assertOutcome(page, { sealed: 2, label: 'pre-listened popup', badgePage: popup });
  await popup.close();
});

for (const [path, buttons, label] of [
  ['/lab/atk/spoof-connected', ['#b'], 'C3: isConnected and append spoofed, then click() on a detached input'],
  ['/lab/atk/fresh-realm', ['#b', '#c'], 'C3: click() and dispatchEvent taken from a frame\'s fresh realm, on a detached input'],
  ['/lab/atk/dispatch-override', ['#b'], 'dispatchEvent replaced, then a dispatched click on a detached input'],
]) {
  test(`${label}: OrgSeal's chooser opens, the page gets only the sealed file, badge ON`, async () => {
    const page = browser.page;
    await page.goto(`${site.origin}${path}`);
    for (const b of buttons) await pick(page, () => page.click(b), picked);
    await assertOutcome(page, { sealed: buttons.length, label });
  });
}

test('page code run inside the insertion of a frame reaches its window first: the page is quarantined (badge "!") before the person acts', async () => {
  const page = browser.page;
  await page.goto(`${site.origin}/lab/atk/reached-in-insertion`);
  const deadline = Date.now() + 10000;
  while ((await badgeText(browser.context, page.url())) !== '!' && Date.now() < deadline) await sleep(100);
  assert.equal(await badgeText(browser.context, page.url()), '!', 'OrgSeal cannot be first in that frame, so the sign must not say ON');
  await browser.popupText({ tabUrl: page.url(), until: /blocks files in these parts[^]*ran its own code while adding a frame/ });
});

test('H5: a label in a closed shadow root that opens a hidden file input: only the sealed file, badge ON', async () => {
  const page = browser.page;
  await page.goto(`${site.origin}/lab/atk/closed-label`);
  const box = await page.locator('#host').boundingBox();
  await pick(page, () => page.mouse.click(box.x + 20, box.y + box.height / 2), picked);
  await assertOutcome(page, { sealed: 1, label: 'closed label' });
});

// "Attach a sealed file": the window the popup's button opens (here opened
// as a tab), which names the page's selected field once it is ready.
async function attachWindow(page) {
  const sw = browser.context.serviceWorkers()[0] ?? (await browser.context.waitForEvent('serviceworker'));
  const tabId = await sw.evaluate(async (u) => (await chrome.tabs.query({})).find((t) => t.url === u)?.id, page.url());
  const win = await browser.context.newPage();
  await win.goto(browser.popupUrl.replace('popup/popup.html', `attach/attach.html?tab=${tabId}`));
  await win.waitForFunction(() => document.getElementById('where').textContent.startsWith('To:'), null, { timeout: 10000 });
  return win;
}

test('Attach a sealed file: picked or dropped in OrgSeal\'s own window, only the sealed file reaches the page\'s field (a frame the page listened on first)', async () => {
  const page = browser.page;
  await page.goto(`${site.origin}/lab/atk/prelisten-frame`);
  let frame;
  while (!(frame = childFrame(page)) || !(await frame.locator('#i').count().catch(() => 0))) await sleep(100);
  // The person selects the page's file field (Tab), then uses the popup.
  await frame.locator('#i').focus();
  let win = await attachWindow(page);
  assert.match(await win.textContent('#where'), /the file field "i"/);
  const [chooser] = await Promise.all([win.waitForEvent('filechooser', { timeout: 8000 }), win.click('#choose')]);
  await chooser.setFiles(picked.path);
  await assertOutcome(page, { sealed: 1, label: 'attach, picked' });
  await win.close().catch(() => {});
  // Dropped on OrgSeal's window instead.
  await frame.locator('#i').focus();
  win = await attachWindow(page);
  await drop(win, win.locator('#zone'), dropped);
  await assertOutcome(page, { sealed: 2, label: 'attach, dropped' });
  await win.close().catch(() => {});
});

test('Attach a sealed file on a quarantined page (its file fields disabled): only the sealed file reaches the field', async () => {
  const page = browser.page;
  await page.goto(`${site.origin}/lab/atk/reached-in-insertion`);
  let frame;
  while (!(frame = childFrame(page)) || !(await frame.locator('#i').count().catch(() => 0))) await sleep(100);
  const deadline = Date.now() + 10000;
  while ((await badgeText(browser.context, page.url())) !== '!' && Date.now() < deadline) await sleep(100);
  assert.equal(await badgeText(browser.context, page.url()), '!');
  await frame.waitForFunction(() => document.getElementById('i').disabled, null, { timeout: 5000 });
  // The disabled field cannot take focus: the page's only file field is the target.
  const win = await attachWindow(page);
  const [chooser] = await Promise.all([win.waitForEvent('filechooser', { timeout: 8000 }), win.click('#choose')]);
  await chooser.setFiles(picked.path);
  const until = Date.now() + 15000;
  const sealedCount = () => page.evaluate((m) => window.__stolen.filter((r) => r.head.startsWith(m)).length, MAGIC);
  while ((await sealedCount()) < 1 && Date.now() < until) await sleep(200);
  const stolen = await page.evaluate(() => window.__stolen);
  const head = picked.bytes.subarray(0, 16).toString('latin1');
  assert.ok(!stolen.some((r) => r.head === head), 'the page must not read the plaintext');
  assert.ok(stolen.length >= 1 && stolen.every((r) => r.head.startsWith(MAGIC)), `the field got the sealed file: ${JSON.stringify(stolen.map((r) => r.via))}`);
  await win.close().catch(() => {});
});
