// What the extension does without a usable policy, in real Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { launch, startVendor, newSecret, sampleFile, validPolicy, submitAndLoad } from './harness.mjs';

const dirs = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

// A person picks a file on the site's page while its sites are blocked: the
// page gets nothing, an upload finds the input empty, the site stores
// nothing, and the notice says why (`why` matches it).
async function pickIsRefused(browser, site, why) {
  const file = await sampleFile(1000, dirs);
  const page = browser.page;
  const warnings = [];
  const onConsole = (m) => warnings.push(m.text());
  page.on('console', onConsole);
  try {
    await site.open(page);
    await page.setInputFiles('#fetch-file', file.path);
    const deadline = Date.now() + 10000;
    while (!warnings.some((w) => w.includes('OrgSeal did not hand') && why.test(w)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(warnings.some((w) => w.includes('OrgSeal did not hand') && why.test(w)), warnings.join('\n'));
    await page.click('#fetch-upload');
    await page.waitForFunction(() => document.getElementById('fetch-status').textContent !== '');
    assert.equal(await page.textContent('#fetch-status'), 'pick a file first');
    assert.equal((await site.blobs()).length, 0, 'nothing may reach the site');
  } finally {
    page.off('console', onConsole);
  }
}


test('no policy installed: uploads go through unchanged and the popup says so', async () => {
  const site = await startVendor();
  const browser = await launch(); // an empty /etc/chromium/policies/managed
  try {
    const text = await browser.popupText({ until: /policy/i });
    assert.match(text, /No OrgSeal policy is installed/);
    const file = await sampleFile(20000, dirs);
    const page = browser.page;
    await site.open(page);
    await page.setInputFiles('#form-file', file.path);
    await submitAndLoad(page, () => page.click('#form-submit'));
    await page.waitForSelector('#files tbody tr');
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
  const browser = await launch({ policy });
  try {
    const text = await browser.popupText({ until: /invalid/ });
    assert.match(text, /The OrgSeal policy is invalid/);
    assert.match(text, /broken-2026/);
    assert.ok(!text.includes('this-is-not-a-key'), 'the popup must not show the secret');
    // Classic form: the input stays empty, so the post carries no file.
    const file = await sampleFile(1000, dirs);
    await site.open(browser.page);
    await browser.page.setInputFiles('#form-file', file.path);
    await submitAndLoad(browser.page, () => browser.page.click('#form-submit'));
    // Script upload.
    await pickIsRefused(browser, site, /policy is not usable/);
  } finally {
    await browser.close();
    await site.stop();
  }
});

test('a site written in a form no page has (trailing slash, uppercase) blocks that site instead of leaving it open', async () => {
  const site = await startVendor();
  const policy = validPolicy([site.origin]);
  policy.sites[0].origin = `${site.origin.toUpperCase().replace('HTTP://', 'http://')}/`;
  const browser = await launch({ policy });
  try {
    const text = await browser.popupText({ until: /invalid/ });
    assert.match(text, new RegExp(`write "${site.origin.replaceAll('.', '\\.')}"`));
    await pickIsRefused(browser, site, /policy is not usable/);
  } finally {
    await browser.close();
    await site.stop();
  }
});

test('a policy that disappears keeps its sites blocked (last known sites), and the popup says so', async () => {
  const site = await startVendor();
  const browser = await launch({ policy: validPolicy([site.origin]) });
  try {
    await browser.popupText({ until: /Policy active/ });
    await browser.setPolicy(undefined);
    const text = await browser.popupText({ until: /has gone/ });
    assert.match(text, /blocked until IT restores it/);
    await pickIsRefused(browser, site, /policy is not usable/);
  } finally {
    await browser.close();
    await site.stop();
  }
});
