// Firefox ESR, the auditor's path: the XPI `cargo xtask dist` built is
// force-installed by the policies.json `orgseal policy render --browser
// firefox --pin` wrote (ExtensionSettings, install_url on 127.0.0.1); the
// installed copy passes `orgseal audit` against the pins file and seals; a
// copy with one changed file fails the audit, which names that file.
// The XPI is unsigned, so the policy also locks
// xpinstall.signatures.required to false (--allow-unsigned-xpi, ESR only, for
// tests: a real deployment self-distributes a Mozilla-signed XPI, README).
// Needs ORGSEAL_DIST_DIR (set by `cargo xtask test`, which runs dist first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile, writeFile, mkdir, copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { startVendor, validPolicy, sampleFile, tempDir, LAB_JS, MAGIC, seen, CLI_BIN } from './harness.mjs';
import { launchFirefox, labSite, openSite, GECKO_ID } from './firefox.mjs';

const DIST = process.env.ORGSEAL_DIST_DIR;
let vendor, lab, browser, server, dir, pins, pinsPath;
const dirs = [];

before(async () => {
  assert.ok(DIST, 'ORGSEAL_DIST_DIR must name the output of `cargo xtask dist` (cargo xtask test sets it)');
  pinsPath = path.join(DIST, 'orgseal-pins.json');
  pins = JSON.parse(await readFile(pinsPath, 'utf8'));
  vendor = await startVendor();
  lab = await labSite(vendor.origin, {
    '/lab/page': `<!doctype html><script>${LAB_JS}</script><input type="file" id="f" onchange="take(this.files, 'input')">`,
  });
  dir = await tempDir('orgseal-it-firefox-');
  // IT hosts the XPI in a folder on its own server.
  const xpiName = `orgseal-${pins.version}.xpi`;
  const xpi = await readFile(path.join(DIST, xpiName));
  server = createServer((req, res) => {
    if (req.url === `/orgseal/${xpiName}`) res.writeHead(200, { 'content-type': 'application/x-xpinstall' }).end(xpi);
    else res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const policyFile = path.join(dir, 'policy.json');
  await writeFile(policyFile, JSON.stringify(validPolicy([lab.origin])), { mode: 0o600 });
  const rendered = path.join(dir, 'policies.json');
  execFileSync(CLI_BIN, [
    'policy', 'render', policyFile, '--browser', 'firefox', '--os', 'linux',
    '--pin', pinsPath, '--extension-id', GECKO_ID, '--allow-unsigned-xpi',
    '--update-url', `http://127.0.0.1:${server.address().port}/orgseal/updates.xml`, '-o', rendered,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const deployed = JSON.parse(await readFile(rendered, 'utf8'));
  assert.equal(deployed.policies.ExtensionSettings[GECKO_ID].installation_mode, 'force_installed');
  browser = await launchFirefox({ policiesJson: await readFile(rendered) });
  await browser.popupText({ until: /OrgSeal is set up/ });
});

after(async () => {
  await browser?.close();
  await lab?.stop();
  await vendor?.stop();
  server?.close();
  await Promise.all([dir, ...dirs].filter(Boolean).map((d) => rm(d, { recursive: true, force: true })));
});

function audit(...args) {
  const r = spawnSync(CLI_BIN, ['audit', '--pins', pinsPath, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('Firefox: the force-installed dist XPI passes the audit, and it seals', async () => {
  const r = audit('--profile', browser.profile);
  assert.equal(r.code, 0, `audit should pass: ${r.out}${r.err}`);
  assert.match(r.out, new RegExp(`^OK: .* matches OrgSeal ${pins.version.replaceAll('.', '\\.')}`, 'm'));
  const text = await browser.popupText({ until: /OrgSeal \d/ });
  assert.ok(text.includes(`OrgSeal ${pins.version}`));
  await openSite(browser.page, lab.origin);
  await browser.page.goto(`${lab.origin}/lab/page`);
  const file = await sampleFile(20000, dirs);
  await browser.page.setInputFiles('#f', file.path);
  assert.equal((await seen(browser.page, 1))[0].head.slice(0, 7), MAGIC);
});

// The file `orgseal policy render` writes, read by the real consumer: Firefox
// ESR takes every policy in it (a schema error would leave that policy out,
// as about:policies#errors shows), lets OrgSeal into private windows, and
// puts its button on the toolbar (default_area), not in the extensions menu.
test('Firefox: the rendered policies.json is read without a policy error; OrgSeal runs in private windows, its button on the toolbar', async () => {
  const driver = browser.driver;
  await driver.setContext('chrome');
  try {
    const got = await driver.executeScript(
      `const active = Services.policies.getActivePolicies();
       const { CustomizableUI } = Services.wm.getMostRecentWindow('navigator:browser');
       const { WebExtensionPolicy } = globalThis;
       const policy = WebExtensionPolicy.getByID(arguments[0]);
       const widget = CustomizableUI.getWidgetIdsInArea('nav-bar').find((id) => id.endsWith('-browser-action') && id.includes('orgseal'));
       return { status: Services.policies.status === Services.policies.ACTIVE, names: Object.keys(active).sort(),
         settings: active.ExtensionSettings?.[arguments[0]] ?? null, privateAllowed: policy?.privateBrowsingAllowed ?? null, widget: widget ?? null };`,
      GECKO_ID,
    );
    assert.ok(got.status, 'Firefox says its policies are active');
    for (const name of ['3rdparty', 'ExtensionSettings', 'Preferences']) assert.ok(got.names.includes(name), `${name} is active: ${got.names}`);
    assert.equal(got.settings?.default_area, 'navbar', JSON.stringify(got.settings));
    assert.equal(got.privateAllowed, true, 'OrgSeal runs in private windows');
    assert.ok(got.widget, 'the OrgSeal button is on the toolbar (nav-bar)');
  } finally {
    await driver.setContext('content');
  }
});

test('Firefox: an installed XPI with one changed file fails the audit, which names it', async () => {
  // The installed copy, with one file changed (Python's zipfile rewrites the archive).
  const copy = path.join(dir, 'copy-profile');
  await mkdir(path.join(copy, 'extensions'), { recursive: true });
  const xpi = path.join(copy, 'extensions', `${GECKO_ID}.xpi`);
  await copyFile(path.join(browser.profile, 'extensions', `${GECKO_ID}.xpi`), xpi);
  const changed = 'extension/content/main.js';
  execFileSync('python3', ['-c', `
import sys, zipfile
src, name = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as z:
    items = [(i, z.read(i.filename)) for i in z.infolist()]
with zipfile.ZipFile(src, 'w', zipfile.ZIP_DEFLATED) as z:
    for i, data in items:
        z.writestr(i, data + b'\\n// changed\\n' if i.filename == name else data)
`, xpi, changed]);
  const r = audit('--profile', copy);
  assert.equal(r.code, 1, `audit must fail: ${r.out}${r.err}`);
  assert.match(r.out, /MISMATCH/);
  assert.match(r.out, new RegExp(`changed: ${changed.replaceAll('.', '\\.')}`));
  const others = r.out.split('\n').filter((l) => /^\s+(changed|missing|extra):/.test(l));
  assert.equal(others.length, 1, `only the one file should be named: ${r.out}`);
});
