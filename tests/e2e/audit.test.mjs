// The auditor's path: the CRX `cargo xtask dist` built is force-installed by
// the policy `orgseal policy render --pin` wrote, from the update manifest it
// wrote, served on 127.0.0.1; the installed copy passes
// `orgseal audit` against the pins file, the popup shows the pinned build
// hash, sealing works; a copy with one changed file fails the audit, which
// names that file.
// Needs ORGSEAL_DIST_DIR (set by `cargo xtask test`, which runs dist first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, readdir, appendFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { launch, startVendor, validPolicy, sampleFile, itDeploys, LAB_JS, MAGIC, servePages, seen, CLI_BIN } from './harness.mjs';

const DIST = process.env.ORGSEAL_DIST_DIR;
let site, browser, crx, pins, pinsPath;
const dirs = [];

before(async () => {
  assert.ok(DIST, 'ORGSEAL_DIST_DIR must name the output of `cargo xtask dist` (cargo xtask test sets it)');
  pinsPath = path.join(DIST, 'orgseal-pins.json');
  pins = JSON.parse(await readFile(pinsPath, 'utf8'));
  site = await startVendor();
  crx = await itDeploys({ distDir: DIST, policy: validPolicy([site.origin]) });
  browser = await launch({ installed: crx });
  await browser.popupText({ until: /OrgSeal is set up/ });
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await crx?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function audit(...args) {
  const r = spawnSync(CLI_BIN, ['audit', '--pins', pinsPath, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function installedCopy() {
  const base = path.join(browser.profile, 'Default/Extensions', pins.crxId);
  const versions = await readdir(base);
  assert.equal(versions.length, 1, `one installed version expected: ${versions}`);
  return path.join(base, versions[0]);
}

test('the force-installed dist CRX passes the audit, and the popup shows the pinned build hash', async () => {
  const r = audit('--profile', browser.profile);
  assert.equal(r.code, 0, `audit should pass: ${r.out}${r.err}`);
  assert.match(r.out, new RegExp(`^OK: .* matches OrgSeal ${pins.version.replaceAll('.', '\\.')}`, 'm'));
  const text = await browser.popupText({ until: /Build [0-9a-f]{64}/ });
  assert.ok(text.includes(`Build ${pins.buildHash}`), `popup build hash should equal the pins file's ${pins.buildHash}: ${text}`);
  assert.ok(text.includes(`OrgSeal ${pins.version}`));
  // And it seals.
  await site.signIn(browser.page);
  await servePages(browser.context, site.origin, {
    '/lab/page': `<!doctype html><script>${LAB_JS}</script><input type="file" id="f" onchange="take(this.files, 'input')">`,
  });
  await browser.page.goto(`${site.origin}/lab/page`);
  const file = await sampleFile(20000, dirs);
  await browser.page.setInputFiles('#f', file.path);
  assert.equal((await seen(browser.page, 1))[0].head.slice(0, 7), MAGIC);
});

// The file `orgseal policy render` wrote, read by the real consumer:
// Chromium lists every policy in it without an error on chrome://policy, and
// keeps OrgSeal's icon (and its badge) on the toolbar (toolbar_pin).
test('the rendered policy is read by Chromium without a policy error, and OrgSeal is pinned to the toolbar', async () => {
  const sw = browser.context.serviceWorkers().find((w) => w.url().includes(pins.crxId)) ?? (await browser.context.waitForEvent('serviceworker'));
  const settings = await sw.evaluate(() => chrome.action.getUserSettings());
  assert.equal(settings.isOnToolbar, true, `toolbar_pin should pin OrgSeal: ${JSON.stringify(settings)}`);
  const page = await browser.context.newPage();
  try {
    await page.goto('chrome://policy');
    const rows = await page.locator('policy-row').evaluateAll((els) =>
      els.map((e) => (e.shadowRoot ?? e).textContent.replace(/\s+/g, ' ').trim()).filter((t) => t),
    );
    const rendered = JSON.parse(await readFile(crx.rendered, 'utf8'));
    for (const name of Object.keys(rendered).filter((n) => n !== '3rdparty')) {
      const row = rows.find((r) => r.startsWith(`${name} `));
      assert.ok(row, `chrome://policy lists ${name}: ${rows.join(' | ').slice(0, 2000)}`);
      // The row's summary ends with its status ("OK", or the error), before the details.
      assert.match(row.split(' Value ')[0], / OK$/, `${name} is applied without an error: ${row}`);
      if (process.env.ORGSEAL_E2E_DEBUG) console.log(`chrome://policy: ${row}`);
    }
  } finally {
    await page.close();
  }
});

test('one changed file in the installed copy fails the audit, which names it; the popup hash changes', async () => {
  const copy = await installedCopy();
  const changed = 'extension/content/main.js';
  await appendFile(path.join(copy, changed), '\n// changed\n');
  const r = audit('--profile', browser.profile);
  assert.equal(r.code, 1, `audit must fail: ${r.out}${r.err}`);
  assert.match(r.out, /MISMATCH/);
  assert.match(r.out, new RegExp(`changed: ${changed.replaceAll('.', '\\.')}`));
  const others = r.out.split('\n').filter((l) => /^\s+(changed|missing|extra):/.test(l));
  assert.deepEqual(others.length, 1, `only the one file should be named: ${r.out}`);
  const [json] = JSON.parse(audit('--profile', browser.profile, '--json').out); // one object per installed copy
  assert.equal(json.matches, false);
  assert.deepEqual(json.changed.map((c) => c.path), [changed]);
  const text = await browser.popupText({ until: /Build [0-9a-f]{64}/ });
  assert.ok(!text.includes(`Build ${pins.buildHash}`), 'the popup must not show the pinned hash for a changed copy');
});
