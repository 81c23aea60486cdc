// Firefox ESR: what a person sees while a large file is sealed (as
// progress.test.mjs does in Chromium): OrgSeal's own frame shows the name,
// percent and speed; the page cannot look inside it; Cancel leaves the input
// empty and sends nothing, not even the Upload click made while waiting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { By } from 'selenium-webdriver';
import { startVendor, validPolicy, tempDir } from './harness.mjs';
import { launchFirefox, openSite } from './firefox.mjs';

let site, browser, dir, big;
const BIG = 1536 << 20;

before(async () => {
  site = await startVendor({ csp: 'off' });
  browser = await launchFirefox({ policy: validPolicy([site.origin]) });
  await browser.popupText({ until: /Policy active/ });
  dir = await tempDir('orgseal-progress-');
  // A sparse file: reading it costs no disk, sealing it costs the same AES.
  big = path.join(dir, 'video-master.mov');
  const fh = await open(big, 'w');
  await fh.truncate(BIG);
  await fh.close();
});

after(async () => {
  await browser?.close();
  await site?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('Firefox: a long seal shows name, percent and speed in OrgSeal\'s frame; Cancel sends nothing', async () => {
  const page = browser.page;
  const driver = browser.driver;
  await openSite(page, site.origin);
  const before = (await site.blobs()).length;
  await page.setInputFiles('#fetch-file', big);
  // The person clicks Upload while OrgSeal is still sealing: the click waits.
  await page.click('#fetch-upload');
  await page.waitForFunction(() => {
    const f = [...document.querySelectorAll('iframe')].find((x) => x.src.includes('/extension/sealer/'));
    return f && getComputedStyle(f).display !== 'none' && f.getBoundingClientRect().height > 50;
  });
  // The page cannot look inside it.
  assert.equal(await page.evaluate(() => [...document.querySelectorAll('iframe')].find((x) => x.src.includes('/extension/sealer/')).contentDocument), null);
  const frame = await driver.findElement(By.css('iframe[src*="/extension/sealer/"]'));
  await driver.switchTo().frame(frame);
  try {
    await page.waitForFunction(() => /\d+ % · \d+ MB\/s/.test(document.getElementById('figures').textContent));
    assert.equal(await page.textContent('#name'), 'video-master.mov');
    const pct = Number((await page.textContent('#figures')).match(/(\d+) %/)[1]);
    assert.ok(pct < 100, `the overlay shows progress below 100 % (${pct})`);
    // Cancel, as a person clicks it.
    await page.click('#cancel');
  } finally {
    await driver.switchTo().defaultContent();
  }
  await page.waitForFunction(
    () => getComputedStyle([...document.querySelectorAll('iframe')].find((x) => x.src.includes('/extension/sealer/'))).display === 'none',
  );
  assert.equal(await page.evaluate(() => document.getElementById('fetch-file').files.length), 0, 'the input stays empty');
  // The held Upload click is dropped: nothing is posted, nothing stored.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await site.blobs()).length, before);
  assert.equal(await page.evaluate(() => document.getElementById('fetch-status').textContent), '');
});
