// The vendor site's own paths in real Chromium: its login page, delete
// button, and `--require-sealed` meeting a browser with and without OrgSeal.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { launch, startVendor, validPolicy, sampleFile, submitAndLoad } from './harness.mjs';

const dirs = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));


test('--require-sealed: the sealed upload is stored, and deleting it through the page removes it', async () => {
  const site = await startVendor({ requireSealed: true });
  const browser = await launch({ policy: validPolicy([site.origin]) });
  try {
    await browser.popupText({ until: /OrgSeal is set up/ });
    const page = browser.page;
    // A wrong password first: the login page says so and nothing opens.
    await page.goto(site.origin + '/');
    assert.ok(page.url().endsWith('/login'), 'the file list needs a login');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'not the password');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error');
    await site.signIn(page);
    const file = await sampleFile(40000, dirs, 'report');
    await page.setInputFiles('#fetch-file', file.path);
    await Promise.all([page.waitForEvent('load'), page.click('#fetch-upload')]);
    const row = page.locator('#files tbody tr');
    await row.first().waitFor();
    const blobs = await site.blobs();
    assert.equal(blobs.length, 1);
    assert.equal(blobs[0].bytes.subarray(0, 7).toString('latin1'), 'OrgSeal');
    await submitAndLoad(page, () => row.first().locator('button.delete').click());
    assert.equal(await page.locator('#files tbody tr').count(), 0);
    assert.equal((await site.blobs()).length, 0, 'the blob is gone from the store');
  } finally {
    await browser.close();
    await site.stop();
  }
});

test('--require-sealed: without OrgSeal the page shows the refusal and nothing is stored', async () => {
  const site = await startVendor({ requireSealed: true });
  const browser = await launch(); // no policy: the extension leaves the page alone
  try {
    const page = browser.page;
    await site.open(page);
    const file = await sampleFile(20000, dirs, 'report');
    await page.setInputFiles('#fetch-file', file.path);
    await page.click('#fetch-upload');
    await page.waitForFunction(() => /failed/.test(document.getElementById('fetch-status').textContent));
    const status = await page.textContent('#fetch-status');
    assert.match(status, /failed \(422\)/);
    assert.match(status, /accepts only files sealed by OrgSeal/);
    assert.equal((await site.blobs()).length, 0);
  } finally {
    await browser.close();
    await site.stop();
  }
});
