// Which addresses and tabs OrgSeal protects, against a page that works to
// leave its protection, in real Chromium with the real extension and policy:
// another spelling of a protected site's address (a trailing-dot host, the
// http:// address of an https:// site) is refused with the address to use,
// and a tab the protected page opens on another origin is quarantined. (An extension replaced under a page that listens on the
// window: guard.test.mjs, which can install and remove it by policy.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { launch, startVendor, validPolicy, sampleFile, servePages, MAGIC, LAB_JS, badgeText } from './harness.mjs';

let site, other, browser, picked;
const cleanup = [];
const port = (origin) => new URL(origin).port;

// A page with a file input whose listener (registered at load, like
// analytics or a hostile page) stops OrgSeal's click and reads every change.
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><script>${LAB_JS}
  window.__stolen = [];
  const keep = (files, via) => { for (const f of files ?? []) f.slice(0, 16).arrayBuffer().then((b) =>
    window.__stolen.push({ via, name: f.name, head: String.fromCharCode(...new Uint8Array(b)) })); };
  addEventListener('click', (e) => { if (e.isTrusted && e.target.type === 'file') e.stopImmediatePropagation(); }, true);
  addEventListener('change', (e) => keep(e.target.files, 'window change'), true);
</script></head><body><input type="file" id="f" style="width:240px;height:40px">
<button id="pop">Choose in a window</button><script>
  pop.onclick = () => window.open(window.__popupUrl, '_blank', 'popup,width=400,height=300');
</script></body></html>`;

before(async () => {
  site = await startVendor();
  other = await startVendor(); // not in the policy
  // The policy names the site by host name (localhost), so that its
  // trailing-dot spelling can be tried; and an https:// site whose http://
  // address is tried.
  const policy = validPolicy([`http://localhost:${port(site.origin)}`, `https://localhost:${port(other.origin)}`]);
  browser = await launch({ policy });
  await browser.popupText({ until: /OrgSeal is set up/ });
  for (const origin of [`http://localhost:${port(site.origin)}`, `http://localhost.:${port(site.origin)}`, `http://localhost:${port(other.origin)}`, other.origin]) {
    await servePages(browser.context, origin, { '/lab/page': PAGE });
  }
  picked = await sampleFile(30000, cleanup, 'picked');
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await other?.stop();
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


// The person clicks the file input of `page` and picks `picked`; resolves to
// what the page's script got.
async function pickOn(page) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 8000 }), page.click('#f')]);
  await chooser.setFiles(picked.path);
  await sleep(2500);
  return page.evaluate(() => window.__stolen);
}

test('the protected site by its own name: sealed, badge ON', async () => {
  const page = browser.page;
  await page.goto(`http://localhost:${port(site.origin)}/lab/page`);
  const got = await pickOn(page);
  assert.ok(got.length > 0 && got.every((r) => r.head.startsWith(MAGIC)), `sealed: ${JSON.stringify(got)}`);
  assert.equal(await badgeText(browser.context, page.url()), 'ON');
});

test('the protected site\'s host name with a trailing dot: no chooser opens, the person is told which address to use, badge "!"', async () => {
  const page = browser.page;
  await page.goto(`http://localhost.:${port(site.origin)}/lab/page`);
  const chooser = page.waitForEvent('filechooser', { timeout: 3000 }).then(() => 'opened', () => 'none');
  await page.click('#f');
  assert.equal(await chooser, 'none', 'neither the page\'s chooser nor OrgSeal\'s may open there');
  assert.deepEqual(await page.evaluate(() => window.__stolen), []);
  assert.equal(await badgeText(browser.context, page.url()), '!');
  await browser.popupText({ until: /another address of your organisation's site http:\/\/localhost/ });
});

test('the http:// address of an https:// site: no chooser opens, the person is told which address to use, badge "!"', async () => {
  const page = browser.page;
  await page.goto(`http://localhost:${port(other.origin)}/lab/page`);
  const chooser = page.waitForEvent('filechooser', { timeout: 3000 }).then(() => 'opened', () => 'none');
  await page.click('#f');
  assert.equal(await chooser, 'none', 'neither the page\'s chooser nor OrgSeal\'s may open there');
  assert.deepEqual(await page.evaluate(() => window.__stolen), []);
  assert.equal(await badgeText(browser.context, page.url()), '!');
  await browser.popupText({ until: /refused[^]*another address of your organisation's site https:\/\/localhost/ });
});

test('a window the protected page opens on another origin stays protected: quarantined (OrgSeal goes in as it loads), nothing reaches its page, badge "!"', async () => {
  const page = browser.page;
  await page.goto(`http://localhost:${port(site.origin)}/lab/page`);
  await page.evaluate((u) => (window.__popupUrl = u), `${other.origin}/lab/page`);
  const [popup] = await Promise.all([browser.context.waitForEvent('page'), page.click('#pop')]);
  await popup.waitForSelector('#f');
  // The sign says "!" as the popup's page commits, before OrgSeal is in it
  // (a person cannot pick a file in between; a page that listened first
  // could read one picked later, under that sign).
  const deadline = Date.now() + 10000;
  while ((await badgeText(browser.context, popup.url())) !== '!' && Date.now() < deadline) await sleep(100);
  assert.equal(await badgeText(browser.context, popup.url()), '!');
  // Its page listened first (a click stopper, a change reader): its file
  // fields are disabled, so a person's click opens no chooser at all.
  await popup.waitForFunction(() => document.getElementById('f').disabled, null, { timeout: 5000 });
  const chooser = popup.waitForEvent('filechooser', { timeout: 3000 }).then(() => 'opened', () => 'none');
  await popup.click('#f', { force: true });
  assert.equal(await chooser, 'none', 'no chooser may open on the popup\'s page');
  assert.deepEqual(await popup.evaluate(() => window.__stolen), []);
  assert.equal(await badgeText(browser.context, popup.url()), '!');
  await popup.close();
});

test('a same-origin frame that goes on to a second page of the site (a wizard step): still sealed, badge ON', async () => {
  const page = browser.page;
  const origin = `http://localhost:${port(site.origin)}`;
  await servePages(browser.context, origin, {
    '/lab/page': PAGE,
    '/lab/wizard': `<!doctype html><meta charset="utf-8"><iframe id="w" src="/lab/step1" style="width:400px;height:200px"></iframe>`,
    '/lab/step1': '<!doctype html><meta charset="utf-8"><a id="next" href="/lab/page">Next</a>',
  });
  await page.goto(`${origin}/lab/wizard`);
  await page.frameLocator('#w').locator('#next').click();
  let step2;
  const deadline = Date.now() + 10000;
  while (!(step2 = page.frames().find((f) => f.url().endsWith('/lab/page'))) && Date.now() < deadline) await sleep(100);
  await step2.waitForSelector('#f');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 8000 }), step2.click('#f')]);
  await chooser.setFiles(picked.path);
  await sleep(2500);
  const got = await step2.evaluate(() => window.__stolen);
  assert.ok(got.length > 0 && got.every((r) => r.head.startsWith(MAGIC)), `sealed: ${JSON.stringify(got)}`);
  assert.equal(await badgeText(browser.context, page.url()), 'ON');
});
