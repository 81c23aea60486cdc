// Protection that holds when things change under an open page: the policy
// arrives after the page (Chromium; Firefox reads its policy only when it
// starts), the page removes the sealer frame or replaces <body> (both
// browsers). An update of the extension under an open tab is in
// guard.test.mjs, where it is force-installed.
// And the toolbar badge, a
// sign of protection the page cannot fake.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { launch, startVendor, validPolicy, sampleFile, LAB_JS, MAGIC, servePages, seen, spoolEmptied, badgeText } from './harness.mjs';
import { ENGINES, launchIn, labSite, openSite } from './firefox.mjs';

const dirs = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><script>${LAB_JS}</script></head><body>
<input type="file" id="f" onchange="take(this.files, 'input')"><button id="b" onclick="window.__clicks = (window.__clicks ?? 0) + 1">Save</button>
</body></html>`;


test('a tab opened before the policy arrives is quarantined once it does (OrgSeal was not there first), and protected after a reload; the badge follows', async () => {
  const site = await startVendor();
  const browser = await launch(); // no policy yet
  try {
    await site.signIn(browser.page);
    await servePages(browser.context, site.origin, { '/lab/page': PAGE });
    const page = browser.page;
    await page.goto(`${site.origin}/lab/page`);
    await browser.popupText({ until: /No OrgSeal policy/ });
    assert.equal(await badgeText(browser.context, `${site.origin}/lab/page`), '');
    // IT pushes the policy while the page stays open.
    await browser.setPolicy(validPolicy([site.origin]));
    await browser.popupText({ until: /OrgSeal is set up/ });
    const waitBadge = async (want) => {
      const deadline = Date.now() + 10000;
      while ((await badgeText(browser.context, `${site.origin}/lab/page`)) !== want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      return badgeText(browser.context, `${site.origin}/lab/page`);
    };
    // The page loaded before OrgSeal ran there: its scripts may have listened
    // first, so files are refused there until it is reloaded.
    assert.equal(await waitBadge('!'), '!', 'the badge should say OrgSeal cannot protect the page as it is');
    const early = await sampleFile(20000, dirs, 'early');
    await page.setInputFiles('#f', early.path);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!(await page.evaluate(() => window.__seen)).some((r) => r.name === early.name), 'nothing may reach the page before the reload');
    await browser.popupText({ tabUrl: `${site.origin}/lab/page`, until: /blocks files in these parts[^]*reload the page/ });
    await page.reload();
    assert.equal(await waitBadge('ON'), 'ON', 'the badge should say the page is protected');
    const file = await sampleFile(20000, dirs);
    await page.setInputFiles('#f', file.path);
    const records = await seen(page, 1);
    assert.equal(records[0].head.slice(0, 7), MAGIC, 'a pick in the tab opened before the policy must be sealed');
  } finally {
    await browser.close();
    await site.stop();
  }
});

for (const engine of ENGINES) {
  test(`${engine}: a page that removes the sealer frame or replaces <body> gets sealed files, and clicks are not held forever`, async () => {
    const vendor = await startVendor();
    const lab = await labSite(vendor.origin, { '/lab/page': PAGE });
    const browser = await launchIn(engine, { policy: validPolicy([lab.origin]) });
    try {
      await browser.popupText({ until: /OrgSeal is set up/ });
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
      // A frame removed in the middle of a seal (of a file large enough to be
      // written to disk as it is sealed, in Chromium): the seal fails with a
      // message, the input stays empty, held clicks are let go, and what was
      // written to disk goes.
      const big = await sampleFile(64 << 20, dirs, 'big');
      await page.setInputFiles('#f', big.path);
      await page.evaluate(() => {
        for (const f of document.querySelectorAll('iframe')) f.remove();
      });
      await page.click('#b');
      await page.waitForFunction(() => window.__clicks >= 1, null, { timeout: 20000 });
      const got = await page.evaluate(() => window.__seen);
      assert.ok(!got.some((r) => r.name === big.name && !r.head.startsWith(MAGIC)), 'the big file must never reach the page unsealed');
      if (!got.some((r) => r.name === big.name)) {
        await browser.popupText({ until: /refused: big-67108864\.bin[^]*removed OrgSeal/ });
        assert.equal(await page.evaluate(() => document.getElementById('f').files.length), 0);
        if (engine === 'chromium') await spoolEmptied(page);
      }
    } finally {
      await browser.close();
      await lab.stop();
      await vendor.stop();
    }
  });
}
