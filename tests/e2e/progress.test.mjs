// What a person sees while a large file is sealed, in Chromium and in Firefox
// ESR: after about a second, an overlay in OrgSeal's own frame (another
// origin, so the page cannot read or restyle it) with the file's name,
// percent, speed and a Cancel button. Cancel leaves the page's input empty
// and sends nothing, not even an upload the person clicked while waiting.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { startVendor, validPolicy, tempDir, spoolFiles } from './harness.mjs';
import { ENGINES, launchIn, openSite, inSealer, overlayShown, overlayHidden } from './firefox.mjs';

let site, dir, big;
// Large enough that sealing outlasts the overlay's second on any machine, and
// under 2 GiB, the most Playwright's setInputFiles hands over (larger files
// arrive empty).
const BIG = 1536 << 20;

before(async () => {
  site = await startVendor({ csp: 'off' });
  dir = await tempDir('orgseal-progress-');
  // A sparse file: reading it costs no disk, sealing it costs the same AES.
  big = path.join(dir, 'video-master.mov');
  const fh = await open(big, 'w');
  await fh.truncate(BIG);
  await fh.close();
});

after(async () => {
  await site?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

for (const engine of ENGINES) {
  describe(engine, () => {
    let browser;
    before(async () => {
      browser = await launchIn(engine, { policy: validPolicy([site.origin]) });
      await browser.popupText({ until: /OrgSeal is set up/ });
    });
    after(async () => {
      await browser?.close();
    });

    test('a long seal shows name, percent and speed in OrgSeal\'s frame; Cancel sends nothing', async () => {
      const page = browser.page;
      await openSite(page, site.origin);
      const uploads = [];
      if (engine === 'chromium') page.on('request', (r) => r.method() === 'POST' && uploads.push(r.url()));
      const before = (await site.blobs()).length;
      await page.setInputFiles('#fetch-file', big);
      // The person clicks Upload while OrgSeal is still sealing: the click waits.
      await page.click('#fetch-upload');
      // The overlay: the sealer frame, shown once sealing has taken a second.
      await page.waitForFunction(overlayShown, null, { timeout: 20000 });
      // The page cannot look inside it.
      assert.equal(await page.evaluate(() => /** @type {HTMLIFrameElement} */ (document.querySelector('iframe[src*="/extension/sealer/"]')).contentDocument), null);
      if (engine === 'chromium') {
        // The sealed part is being written to disk, in the site's own storage.
        const during = (await spoolFiles(page)).map((f) => f.name);
        assert.equal(during.filter((n) => !n.endsWith('.crswap')).length, 1, `one spool file while sealing: ${during}`);
      }
      await inSealer(engine, page, async (frame) => {
        await frame.waitForFunction(() => /\d+ % · \d+ MB\/s/.test(document.getElementById('figures')?.textContent ?? ''), null, { timeout: 20000 });
        assert.equal(await frame.textContent('#name'), 'video-master.mov');
        const pct = Number((await frame.textContent('#figures')).match(/(\d+) %/)[1]);
        assert.ok(pct < 100, `the overlay shows progress below 100 % (${pct})`);
        // Cancel, as a person clicks it.
        await frame.click('#cancel');
      });
      await page.waitForFunction(overlayHidden, null, { timeout: 20000 });
      assert.equal(await page.evaluate(() => /** @type {HTMLInputElement} */ (document.getElementById('fetch-file')).files?.length), 0, 'the input stays empty');
      // What was written to disk so far is gone too.
      if (engine === 'chromium') assert.deepEqual(await spoolFiles(page), [], 'the spool file goes with the cancel');
      // The held Upload click is dropped: nothing is posted, nothing stored.
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(uploads, [], 'nothing was posted');
      assert.equal((await site.blobs()).length, before);
      assert.equal(await page.evaluate(() => document.getElementById('fetch-status')?.textContent), '');
    });

    test('after a cancel, the next pick is sealed as usual, and a quick one is confirmed as "Sealed" with its name', async () => {
      const page = browser.page;
      await openSite(page, site.origin);
      const small = path.join(dir, 'note.txt');
      const fh = await open(small, 'w');
      await fh.write('a short note');
      await fh.close();
      await page.setInputFiles('#fetch-file', small);
      await page.waitForFunction(() => (/** @type {HTMLInputElement} */ (document.getElementById('fetch-file')).files?.[0]?.size ?? 0) > 12);
      // No progress for a quick one: the frame shows only the confirmation, then goes.
      await page.waitForFunction(overlayShown, null, { timeout: 5000 });
      await inSealer(engine, page, async (frame) => {
        await frame.waitForFunction(() => /^Sealed/.test(document.getElementById('what')?.textContent ?? ''), null, { timeout: 5000 });
        assert.equal(await frame.textContent('#name'), 'note.txt');
      });
      await page.waitForFunction(overlayHidden, null, { timeout: 10000 });
    });
  });
}
