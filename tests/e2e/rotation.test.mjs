// Key rotation as IT does it, in Chromium and Firefox ESR: `orgseal keygen
// --policy` adds a new sealing key and keeps the old one for opening; the
// rotated policy is deployed; files sealed before still open, new ones are
// sealed with the new key; once the old key is withdrawn, its files are
// refused and nothing is saved.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { startVendor, sampleFile, tempDir, CLI_BIN } from './harness.mjs';
import { ENGINES, launchIn, openSite, submitForm, downloaded } from './firefox.mjs';

let dir;
const cleanup = [];
before(async () => {
  dir = await tempDir('orgseal-rotation-');
});
after(async () => {
  await Promise.all([dir, ...cleanup].map((d) => rm(d, { recursive: true, force: true })));
});

// The key id a stored file was sealed with, as the CLI reads it.
function keyIdOf(file) {
  return JSON.parse(execFileSync(CLI_BIN, ['inspect', '--json', file]).toString('utf8')).keyId;
}

async function uploadForm(page, site, file) {
  await openSite(page, site.origin);
  const ids = () => page.evaluate(() => [...document.querySelectorAll('#files tbody tr')].map((r) => r.dataset.id));
  const before = await ids();
  await page.setInputFiles('#form-file', file.path);
  await submitForm(page, '#form-submit');
  const added = (await ids()).filter((id) => !before.includes(id));
  assert.equal(added.length, 1, 'one upload should add one file');
  return added[0];
}

for (const engine of ENGINES) {
  describe(engine, () => {
    test('a rotated policy seals with the new key and still opens the old files; withdrawing the old key refuses them', async () => {
      const site = await startVendor();
      const first = path.join(dir, `${engine}-first.json`);
      const rotated = path.join(dir, `${engine}-rotated.json`);
      execFileSync(CLI_BIN, ['keygen', '--label', 'key-2026', '-o', first], { stdio: 'ignore' });
      const policy = JSON.parse(await readFile(first, 'utf8'));
      policy.sites = [{ origin: site.origin, upload: ['/upload', '/api/files'], download: ['/api/files/*/content'] }];
      policy.failClosed = true;
      await writeFile(first, JSON.stringify(policy), { mode: 0o600 });
      const browser = await launchIn(engine, { policy });
      try {
        await browser.popupText({ until: /key-2026/ });
        const old = await sampleFile(20000, cleanup, 'before-rotation');
        const oldId = await uploadForm(browser.page, site, old);
        const oldKey = keyIdOf(path.join(site.dataDir, 'blobs', oldId));

        // IT rotates (the policy file is rewritten in place) and deploys it.
        await writeFile(rotated, JSON.stringify(policy), { mode: 0o600 });
        execFileSync(CLI_BIN, ['keygen', '--label', 'key-2027', '--policy', rotated], { stdio: 'ignore' });
        const next = JSON.parse(await readFile(rotated, 'utf8'));
        assert.deepEqual(Object.fromEntries(next.keys.map((k) => [k.label, k.encrypt])), { 'key-2026': false, 'key-2027': true });
        await browser.setPolicy(next);
        const text = await browser.popupText({ until: /key-2027[^]*seals new files/ });
        assert.match(text, /key-2026[^\n]*opens only/);

        const fresh = await sampleFile(20000, cleanup, 'after-rotation');
        const freshId = await uploadForm(browser.page, site, fresh);
        const freshKey = keyIdOf(path.join(site.dataDir, 'blobs', freshId));
        assert.notEqual(freshKey, oldKey, 'a new upload must be sealed with the new key');
        assert.match(text, new RegExp(`key-2027\\s+${freshKey}`));

        for (const [id, f] of [[oldId, old], [freshId, fresh]]) {
          await browser.page.click(`#files tbody tr[data-id="${id}"] a.download`);
          assert.ok((await browser.waitForDownload(f.name)).equals(f.bytes), `${f.name} should open`);
          await rm(path.join(browser.downloads, f.name));
        }

        // The old key is withdrawn: its files are refused, nothing is saved.
        await browser.setPolicy({ ...next, keys: next.keys.filter((k) => k.label === 'key-2027') });
        // (Chromium reads the changed policy within seconds: wait until key-2026 is gone.)
        await browser.popupText({ until: /^(?![^]*key-2026)[^]*OrgSeal is set up/ });
        await openSite(browser.page, site.origin);
        await browser.page.click(`#files tbody tr[data-id="${oldId}"] a.download`);
        const refused = await browser.popupText({ until: /refused: [^]*key this browser does not have/ });
        assert.match(refused, new RegExp(oldKey.slice(0, 8)), `the refusal should name the unknown key id: ${refused}`);
        assert.deepEqual(await downloaded(browser.downloads), [], 'nothing may be saved');
      } finally {
        await browser.close();
        await site.stop();
      }
    });
  });
}
