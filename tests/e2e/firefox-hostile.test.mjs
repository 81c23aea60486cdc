// Firefox ESR: the hostile page of hostile.test.mjs (listeners at every
// phase, polls, a hooked files getter, forged events, page-filled inputs
// beside what the person uses, forged messages to the sealer frame). A person
// picks a file, types and clicks; the page must never see plaintext or a key,
// and never get bytes of its own choosing sealed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startVendor, validPolicy, sampleFile } from './harness.mjs';
import { launchFirefox, labSite, openSite } from './firefox.mjs';
import { HOSTILE, assertHostileOutcome } from './lab-pages.mjs';

let vendor, lab, browser, policy;
const cleanup = [];

before(async () => {
  vendor = await startVendor();
  lab = await labSite(vendor.origin, { '/lab/hostile': HOSTILE });
  policy = validPolicy([lab.origin]);
  browser = await launchFirefox({ policy });
  await browser.popupText({ until: /OrgSeal is set up/ });
  await openSite(browser.page, lab.origin);
});

after(async () => {
  await browser?.close();
  await lab?.stop();
  await vendor?.stop();
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

test('Firefox: a hostile page never sees plaintext or a key, and never gets its own bytes sealed', async () => {
  const page = browser.page;
  const driver = browser.driver;
  const picked = await sampleFile(50000, cleanup, 'secret');
  await page.goto(`${lab.origin}/lab/hostile`);

  // 1. The page forges events with files it made: they reach it unchanged.
  // (Firefox drops the files of a ClipboardEvent a page makes: only the
  // forged change and drop carry files.)
  await page.evaluate(() => window.forge());
  await page.waitForFunction(() => window.__seen.length >= 2);

  // 2. A person picks a file (this also starts the sealer frame).
  await page.setInputFiles('#f', picked.path);
  await page.waitForFunction(() => window.__seen.some((r) => r.via === 'input'));

  // 3. The page talks to the sealer frame it can see, and cannot look inside it.
  const frames = await page.evaluate(() => [...document.querySelectorAll('iframe')].map((f) => { try { return f.contentDocument === null; } catch { return true; } }));
  assert.ok(frames.length >= 1, 'the sealer frame should exist by now');
  assert.ok(frames.every(Boolean), 'the page must not reach into the sealer frame');
  await page.evaluate(() => window.probeFrames());

  // 4. A person types next to a page-filled file input, and ticks a box in a
  // closed component that holds another.
  await page.click('#ce');
  await driver.actions().sendKeys('hello').perform();
  const box = await page.el('#box');
  const rect = await box.getRect();
  await driver.actions().move({ origin: box, x: Math.round(8 - rect.width / 2), y: 0 }).click().perform();
  await new Promise((r) => setTimeout(r, 1500)); // let polls and late listeners run

  await assertHostileOutcome({ page, site: vendor, policy, persons: [picked], forged: 2 });
});
