// Firefox ESR: a page that removes the sealer frame or replaces <body> (as
// robust.test.mjs does in Chromium). (A policy that arrives after the page
// has no Firefox twin: Firefox reads policies.json only when it starts.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startVendor, validPolicy, sampleFile, LAB_JS, MAGIC, seen } from './harness.mjs';
import { launchFirefox, labSite, openSite } from './firefox.mjs';

const dirs = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><script>${LAB_JS}</script></head><body>
<input type="file" id="f" onchange="take(this.files, 'input')"><button id="b" onclick="window.__clicks = (window.__clicks ?? 0) + 1">Save</button>
</body></html>`;

test('Firefox: a page that removes the sealer frame or replaces <body> gets sealed files, and clicks are not held forever', async () => {
  const vendor = await startVendor();
  const lab = await labSite(vendor.origin, { '/lab/page': PAGE });
  const browser = await launchFirefox({ policy: validPolicy([lab.origin]) });
  try {
    await browser.popupText({ until: /Policy active/ });
    const page = browser.page;
    await openSite(page, lab.origin);
    await page.goto(`${lab.origin}/lab/page`);
    const a = await sampleFile(10000, dirs, 'a');
    await page.setInputFiles('#f', a.path);
    await seen(page, 1);
    // The page removes every iframe and replaces its body (as Turbo does).
    await page.evaluate(() => {
      for (const f of document.querySelectorAll('iframe')) f.remove();
      document.body.outerHTML = '<body><input type="file" id="f" onchange="take(this.files, \'after\')"><button id="b" onclick="window.__clicks = (window.__clicks ?? 0) + 1">Save</button></body>';
    });
    const b = await sampleFile(10000, dirs, 'b');
    await page.setInputFiles('#f', b.path);
    const records = await seen(page, 2);
    assert.equal(records[1].name, b.name);
    assert.equal(records[1].head.slice(0, 7), MAGIC, 'the second pick must be sealed by a new sealer frame');
    // A frame removed in the middle of a seal: the seal fails with a message,
    // the input stays empty, and held clicks are let go.
    const big = await sampleFile(64 << 20, dirs, 'big');
    await page.setInputFiles('#f', big.path);
    await page.evaluate(() => { for (const f of document.querySelectorAll('iframe')) f.remove(); });
    await page.click('#b');
    await page.waitForFunction(() => window.__clicks >= 1, null, { timeout: 20000 });
    const got = await page.evaluate(() => window.__seen);
    assert.ok(!got.some((r) => r.name === big.name && !r.head.startsWith(MAGIC)), 'the big file must never reach the page unsealed');
    if (!got.some((r) => r.name === big.name)) {
      await browser.popupText({ until: /refused[^\n]*big-67108864\.bin[^\n]*removed OrgSeal/ });
      assert.equal(await page.evaluate(() => document.getElementById('f').files.length), 0);
    }
  } finally {
    await browser.close();
    await lab.stop();
    await vendor.stop();
  }
});
