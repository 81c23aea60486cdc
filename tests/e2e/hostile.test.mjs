// A hostile vendor page: it listens at every phase, polls, hooks prototypes,
// forges events and talks to the extension's frames. A person then picks,
// drops and pastes real files. The page must never see plaintext or a key,
// and must never get bytes of its own choosing sealed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { launch, startVendor, validPolicy, sampleFile, servePages, dropPaths } from './harness.mjs';
import { HOSTILE, AHEAD, INNER, assertHostileOutcome, assertAheadOutcome } from './lab-pages.mjs';

let site, browser, policy;
const cleanup = [];

before(async () => {
  site = await startVendor();
  policy = validPolicy([site.origin]);
  browser = await launch({ policy });
  await browser.popupText({ until: /OrgSeal is set up/ });
  await site.signIn(browser.page);
  await servePages(browser.context, site.origin, { '/lab/hostile': HOSTILE });
});

after(async () => {
  await browser?.close();
  await site?.stop();
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

test('a hostile page never sees plaintext or a key, and never gets its own bytes sealed', async () => {
  const page = browser.page;
  const picked = await sampleFile(50000, cleanup, 'secret');
  const dropped = await sampleFile(30000, cleanup, 'dropped');
  await page.goto(`${site.origin}/lab/hostile`);

  // 1. The page forges events with files it made: they reach it unchanged.
  await page.evaluate(() => window.forge());
  await page.waitForFunction(() => window.__seen.length >= 3);

  // 2. A person picks a file (this also starts the sealer frame).
  await page.setInputFiles('#f', picked.path);
  await page.waitForFunction(() => window.__seen.some((r) => r.via === 'input'));

  // 3. The page talks to the sealer frame it can see.
  const frames = await page.evaluate(() => document.querySelectorAll('iframe').length);
  assert.ok(frames >= 1, 'the sealer frame should exist by now');
  await page.evaluate(() => window.probeFrames());

  // 4. A person types next to a page-filled file input, and ticks a box in a
  // closed component that holds another.
  await page.click('#ce');
  await page.keyboard.type('hello');
  const boxAt = await page.locator('#box').boundingBox();
  await page.mouse.click(boxAt.x + 8, boxAt.y + boxAt.height / 2);

  // 5. A person drops a file.
  await dropPaths(browser.context, page, '#zone', [dropped.path], { x: 20, y: 20 });
  await page.waitForFunction(() => window.__seen.some((r) => r.via === 'drop' && r.name.startsWith('dropped')));
  await new Promise((r) => setTimeout(r, 1500)); // let polls and late listeners run

  await assertHostileOutcome({ page, site, policy, persons: [picked, dropped] });
});

test('a page that gets its listeners ahead of OrgSeal still never sees what a person picks', async () => {
  await servePages(browser.context, site.origin, { '/lab/ahead': AHEAD, '/lab/inner': INNER });
  const page = browser.page;
  const picked = await sampleFile(30000, cleanup, 'ahead');
  await page.goto(`${site.origin}/lab/ahead`);
  const frame = page.frames().find((x) => x.url().endsWith('/lab/inner'));
  await frame.waitForSelector('#i');
  // The input the page removes once the chooser is open.
  let [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('#d')]);
  await chooser.setFiles(picked.path);
  // The input in the frame whose window the page listened on first.
  [chooser] = await Promise.all([page.waitForEvent('filechooser'), frame.click('#i')]);
  await chooser.setFiles(picked.path);
  await assertAheadOutcome(page, picked);
});
