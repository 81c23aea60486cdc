// What the extension does without a usable policy, in real Chromium and in
// Firefox ESR (which reads a new policy only when it starts again).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startVendor, newSecret, sampleFile, validPolicy } from './harness.mjs';
import { ENGINES, launchIn, openSite, submitForm } from './firefox.mjs';

const dirs = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

// A person picks a file on the site's page while its sites are blocked: the
// page gets nothing, an upload finds the input empty, the site stores
// nothing, and the refusal the person was shown is listed in the popup
// (`why` matches it).
async function pickIsRefused(browser, site, why) {
  const file = await sampleFile(1000, dirs);
  const page = browser.page;
  await openSite(page, site.origin);
  await page.setInputFiles('#fetch-file', file.path);
  const text = await browser.popupText({ until: new RegExp(`refused: ${file.name}[^]*${why.source}`) });
  assert.ok(!text.includes(file.path), 'the popup lists names, not paths');
  await page.click('#fetch-upload');
  await page.waitForFunction(() => document.getElementById('fetch-status').textContent !== '');
  assert.equal(await page.textContent('#fetch-status'), 'pick a file first');
  assert.equal((await site.blobs()).length, 0, 'nothing may reach the site');
}


for (const engine of ENGINES) {
  describe(engine, () => {
    test('no policy installed: uploads go through unchanged and the popup says so', async () => {
      const site = await startVendor();
      const browser = await launchIn(engine); // no managed policy at all
      try {
        const text = await browser.popupText({ until: /policy/i });
        assert.match(text, /No OrgSeal policy is installed/);
        const file = await sampleFile(20000, dirs);
        const page = browser.page;
        await openSite(page, site.origin);
        await page.setInputFiles('#form-file', file.path);
        await submitForm(page, '#form-submit');
        await page.waitForFunction(() => document.querySelector('#files tbody tr'));
        const blobs = await site.blobs();
        assert.equal(blobs.length, 1);
        assert.ok(blobs[0].bytes.equals(file.bytes), 'the site should have stored the file unchanged');
      } finally {
        await browser.close();
        await site.stop();
      }
    });

    test('a policy with a malformed key: nothing is uploaded from the file input, the popup names the key', async () => {
      const site = await startVendor();
      const policy = {
        keys: [
          { label: 'good-key', secret: newSecret(), encrypt: false },
          { label: 'broken-2026', secret: 'this-is-not-a-key', encrypt: true },
        ],
        sites: [{ origin: site.origin, upload: ['/upload', '/api/files'], download: ['/api/files/*/content'] }],
        failClosed: true,
      };
      const browser = await launchIn(engine, { policy });
      try {
        const text = await browser.popupText({ until: /not set up correctly/ });
        assert.match(text, /OrgSeal is not set up correctly: nothing is sealed or opened/);
        assert.match(text, /broken-2026/);
        assert.ok(!text.includes('this-is-not-a-key'), 'the popup must not show the secret');
        // Classic form: the input stays empty, so the post carries no file.
        const file = await sampleFile(1000, dirs);
        await openSite(browser.page, site.origin);
        await browser.page.setInputFiles('#form-file', file.path);
        await submitForm(browser.page, '#form-submit');
        // Script upload.
        await pickIsRefused(browser, site, /not set up correctly/);
      } finally {
        await browser.close();
        await site.stop();
      }
    });

    test('a site written in a form no page has (trailing slash, uppercase) blocks that site instead of leaving it open', async () => {
      const site = await startVendor();
      const policy = validPolicy([site.origin]);
      policy.sites[0].origin = `${site.origin.toUpperCase().replace('HTTP://', 'http://')}/`;
      const browser = await launchIn(engine, { policy });
      try {
        const text = await browser.popupText({ until: /not set up correctly/ });
        assert.match(text, new RegExp(`write "${site.origin.replaceAll('.', '\\.')}"`));
        await pickIsRefused(browser, site, /not set up correctly/);
      } finally {
        await browser.close();
        await site.stop();
      }
    });

    test('a policy that disappears keeps its sites blocked (last known sites), and the popup says so', async () => {
      const site = await startVendor();
      const browser = await launchIn(engine, { policy: validPolicy([site.origin]) });
      try {
        await browser.popupText({ until: /OrgSeal is set up/ });
        await browser.setPolicy(undefined);
        const text = await browser.popupText({ until: /has gone/ });
        assert.match(text, /until IT restores it/);
        await pickIsRefused(browser, site, /not set up correctly/);
      } finally {
        await browser.close();
        await site.stop();
      }
    });
  });
}
