// Firefox ESR: the guard behind interception. Firefox lets any extension
// block requests, so the guard runs whenever the policy sets failClosed,
// without force-install. A file picked in a window of another site (not
// protected, so not sealed) is handed to the protected page, which uploads it
// as the request body with fetch and XHR: the guard stops both before they
// reach the site. With failClosed off, the same steps reach the site, so the
// test can fail. (Firefox shows an extension only the names of a multipart
// form's parts, files and text alike, so there the guard cannot tell a
// picked file from a sealed one: README, "What the guard sees".)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startVendor, validPolicy, sampleFile, LAB_JS, MAGIC, seen } from './harness.mjs';
import { launchFirefox, labSite, openSite } from './firefox.mjs';

let vendor, lab, widget;
const dirs = [];

const guarded = () => `<!doctype html><meta charset="utf-8"><script>${LAB_JS}
  const csrf = async () => (await (await fetch('/')).text()).match(/name="csrf-token" content="([^"]+)"/)[1];
  // fetch with the file as the whole body
  window.upRaw = async (file) => fetch('/api/files', { method: 'POST', body: file, headers: { 'X-CSRF-Token': await csrf() } })
    .then((r) => window.__uploads.push(r.status), (e) => window.__uploads.push(String(e)));
  addEventListener('message', async (e) => {
    const file = e.data?.file;
    if (!(file instanceof File)) return;
    look(file, 'from widget');
    await upRaw(file);
    const xhr = new XMLHttpRequest(); // XHR with the file as the whole body
    xhr.open('POST', '/api/files');
    xhr.setRequestHeader('X-CSRF-Token', await csrf());
    xhr.onloadend = () => window.__uploads.push(xhr.status === 0 ? 'xhr blocked' : xhr.status);
    xhr.send(file);
  });
  </script><input type="file" id="f" onchange="for (const f of this.files) { look(f, 'own input'); upRaw(f); }">`;

before(async () => {
  vendor = await startVendor();
  lab = await labSite(vendor.origin, {});
  lab.pages['/lab/guarded'] = guarded();
  // Another site (not in the policy) whose page opens the protected page and
  // hands it a picked file. (A window the protected page opened would be
  // protected itself.)
  widget = await labSite(vendor.origin, {
    '/lab/widget': `<!doctype html><meta charset="utf-8"><input type="file" id="w" onchange="window.__site.postMessage({ file: this.files[0] }, '*')">
      <button id="open" onclick="window.__site = window.open('${lab.origin}/lab/guarded')">Open the site</button>`,
  });
});

after(async () => {
  await lab?.stop();
  await widget?.stop();
  await vendor?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

// The other site's window opens the protected page; the person picks a file
// in the other site's window, which hands it to the protected page; resolves
// to what the page's uploads got back.
async function slipPast(browser, stem) {
  const page = browser.page;
  const driver = browser.driver;
  await page.goto(`${widget.origin}/lab/widget`);
  const main = await driver.getWindowHandle();
  const before = new Set(await driver.getAllWindowHandles());
  await page.click('#open');
  await driver.wait(async () => (await driver.getAllWindowHandles()).length > before.size, 10000);
  const site = (await driver.getAllWindowHandles()).find((h) => !before.has(h));
  await driver.switchTo().window(site);
  await page.waitForFunction(() => typeof window.upRaw === 'function');
  await driver.switchTo().window(main);
  const file = await sampleFile(40000, dirs, stem);
  await page.setInputFiles('#w', file.path);
  await driver.switchTo().window(site);
  await page.waitForFunction(() => window.__uploads.length >= 2, null, { timeout: 20000 });
  const records = await seen(page, 1);
  // The widget is not a protected site, so the page did get the plaintext
  // (the limit README states); the site must not.
  assert.notEqual(records[0].head.slice(0, 7), MAGIC, 'test setup: the file should have slipped past sealing');
  const uploads = await page.evaluate(() => window.__uploads);
  await driver.close();
  await driver.switchTo().window(main);
  return uploads;
}

test('Firefox: with failClosed the guard is on without force-install; a sealed upload passes it', async () => {
  const browser = await launchFirefox({ policy: validPolicy([lab.origin]) });
  try {
    const text = await browser.popupText({ until: /Upload guard/ });
    assert.match(text, /Upload guard: on/);
    await openSite(browser.page, lab.origin);
    await browser.page.goto(`${lab.origin}/lab/guarded`);
    const file = await sampleFile(30000, dirs);
    await browser.page.setInputFiles('#f', file.path);
    const records = await seen(browser.page, 1);
    assert.equal(records[0].head.slice(0, 7), MAGIC);
    await browser.page.waitForFunction(() => window.__uploads.length >= 1);
    // The site answers (it refuses a body that is not a form: 400); the guard let it through.
    assert.deepEqual(await browser.page.evaluate(() => window.__uploads), [400], 'a sealed upload must pass the guard');
  } finally {
    await browser.close();
  }
});

test('Firefox: an unsealed picked file sent to the upload endpoint is stopped before it reaches the site', async () => {
  const browser = await launchFirefox({ policy: validPolicy([lab.origin]) });
  try {
    await openSite(browser.page, lab.origin);
    const before = new Set((await vendor.blobs()).map((b) => b.id));
    const uploads = await slipPast(browser, 'slipped');
    assert.match(String(uploads[0]), /NetworkError|TypeError/, `fetch upload should be stopped: ${uploads}`);
    assert.equal(uploads[1], 'xhr blocked', `XHR upload should be stopped: ${uploads}`);
    assert.deepEqual((await vendor.blobs()).filter((b) => !before.has(b.id)).map((b) => b.id), [], 'nothing may reach the site');
    const text = await browser.popupText({ until: /stopped by the guard/ });
    // The person is told outside the page, in plain words.
    assert.match(text, /Shown as a notification: OrgSeal stopped an upload/);
    assert.match(text, /carried a file that was not sealed, and OrgSeal stopped it\. Pick the file again on the page/);
    assert.match(text, /refused: upload to http:\/\/127\.0\.0\.1:\d+\/api\/files/);
  } finally {
    await browser.close();
  }
});

test('Firefox: without failClosed the same upload reaches the site (the guard is what stops it)', async () => {
  const policy = validPolicy([lab.origin]);
  policy.failClosed = false;
  const browser = await launchFirefox({ policy });
  try {
    assert.match(await browser.popupText({ until: /Upload guard/ }), /Upload guard: off \(the policy does not ask OrgSeal to fail closed\)/);
    await openSite(browser.page, lab.origin);
    const before = new Set((await vendor.blobs()).map((b) => b.id));
    const uploads = await slipPast(browser, 'unguarded');
    // The site answered both (it refuses a body that is not a form: 400).
    assert.deepEqual(uploads, [400, 400], `both uploads should reach the site: ${uploads}`);
    assert.equal((await vendor.blobs()).filter((b) => !before.has(b.id)).length, 0);
  } finally {
    await browser.close();
  }
});
