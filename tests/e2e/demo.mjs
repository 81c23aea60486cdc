// The scripted half of `cargo xtask demo`: with the vendor site and the demo
// policy that xtask made, do what a person would do in the browser and say
// what happened (Chromium or, with ORGSEAL_DEMO_BROWSER=firefox, Firefox ESR).
// With ORGSEAL_DEMO_WINDOW=1 (Firefox with a display), it opens a window
// signed in to the site instead and waits until the person closes it.
// Run by xtask; not a test.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { tempDir, shares32ByteRun } from './harness.mjs';
import { launchIn, launchFirefox, submitForm } from './firefox.mjs';

const origin = process.env.ORGSEAL_DEMO_ORIGIN;
const dataDir = process.env.ORGSEAL_DEMO_DATA;
const policy = JSON.parse(await readFile(process.env.ORGSEAL_DEMO_POLICY, 'utf8'));
const engine = process.env.ORGSEAL_DEMO_BROWSER === 'firefox' ? 'firefox' : 'chromium';
const windowed = engine === 'firefox' && process.env.ORGSEAL_DEMO_WINDOW === '1';

const browser = windowed ? await launchFirefox({ policy, headless: false }) : await launchIn(engine, { policy });
let dir;
try {
  const status = await browser.popupText({ until: /OrgSeal is set up|invalid|No OrgSeal/ });
  console.log(`${engine} popup: ${status.split('\n').find((l) => /OrgSeal is set up|not set up|No OrgSeal policy/.test(l)) ?? status}`);
  const worker = browser.context?.serviceWorkers()[0];
  const bg = [];
  worker?.on('console', (m) => bg.push(m.text()));
  dir = await tempDir('orgseal-demo-files-');
  const name = 'quarterly-report.bin';
  const bytes = randomBytes(5 * 1024 * 1024);
  await writeFile(path.join(dir, name), bytes);
  const page = browser.page;
  const logs = [];
  page.on?.('console', (m) => logs.push(m.text()));
  await page.goto(origin + '/login');
  await page.fill('#username', process.env.ORGSEAL_DEMO_USER);
  await page.fill('#password', process.env.ORGSEAL_DEMO_PASSWORD);
  await submitForm(page, '#login-submit');
  console.log(`signed in to the site as ${process.env.ORGSEAL_DEMO_USER}`);
  if (windowed) {
    console.log('Try it in the Firefox window: pick a file in either upload control, then click Download; close the window to end the demo.');
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!(await browser.driver.getWindowHandle().then(() => true, () => false))) break;
    }
    process.exit(0);
  }
  const t0 = Date.now();
  await page.setInputFiles('#form-file', path.join(dir, name));
  await submitForm(page, '#form-submit');
  const id = await page.evaluate(() => [...document.querySelectorAll('#files tbody tr')].pop()?.dataset.id);
  console.log(`uploaded ${name} (${bytes.length} bytes) through the page's form in ${Date.now() - t0} ms`);
  for (const l of logs.filter((l) => l.startsWith('OrgSeal'))) console.log(`  ${l}`);
  const stored = await readFile(path.join(dataDir, 'blobs', id));
  // (A folder a headless run removes is not worth naming; a windowed one stays.)
  console.log(`the site stored ${stored.length} bytes${windowed ? ` at ${path.join(dataDir, 'blobs', id)}` : ` (blob ${id})`}`);
  console.log(`  they start with ${JSON.stringify(stored.subarray(0, 7).toString('latin1'))} and share no 32-byte run with the file: ${!shares32ByteRun(bytes, stored)}`);
  const t1 = Date.now();
  await page.click(`#files tbody tr[data-id="${id}"] a.download`);
  if (process.env.ORGSEAL_E2E_DEBUG) console.log(`(the click returned after ${Date.now() - t1} ms)`);
  const downloaded = await browser.waitForDownload(name);
  console.log(`clicked Download: saved ${name} to the browser's download folder in ${Date.now() - t1} ms`);
  for (const l of bg.filter((l) => l.startsWith('OrgSeal'))) console.log(`  ${l}`);
  console.log(`  the downloaded copy matches the original byte for byte: ${downloaded.equals(bytes)}`);
  if (!downloaded.equals(bytes) || stored.subarray(0, 7).toString('latin1') !== 'OrgSeal') process.exitCode = 1;
} finally {
  await browser.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}
