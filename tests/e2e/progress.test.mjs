// What a person sees while a large file is sealed: after about a second, an
// overlay in OrgSeal's own frame (another origin, so the page cannot read or
// restyle it) with the file's name, percent, speed and a Cancel button.
// Cancel leaves the page's input empty and sends nothing, not even an upload
// the person clicked while waiting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { launch, startVendor, validPolicy, tempDir } from './harness.mjs';

let site, browser, dir, big;
// Large enough that sealing outlasts the overlay's second on any machine, and
// under 2 GiB, the most Playwright's setInputFiles hands over (larger files
// arrive empty).
const BIG = 1536 << 20;

before(async () => {
  site = await startVendor({ csp: 'off' });
  browser = await launch({ policy: validPolicy([site.origin]) });
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

const sealerFrame = (page) => page.frames().find((f) => f.url().includes('/extension/sealer/sealer.html'));

test('a long seal shows name, percent and speed in OrgSeal\'s frame; Cancel sends nothing', async () => {
  const page = browser.page;
  await site.open(page);
  const uploads = [];
  page.on('request', (r) => r.method() === 'POST' && uploads.push(r.url()));
  const before = (await site.blobs()).length;
  await page.setInputFiles('#fetch-file', big);
  // The person clicks Upload while OrgSeal is still sealing: the click waits.
  await page.click('#fetch-upload');
  // The overlay: the sealer frame, shown once sealing has taken a second.
  await page.waitForFunction(
    () => {
      const f = [...document.querySelectorAll('iframe')].find((x) => x.src.includes('/extension/sealer/'));
      return f && getComputedStyle(f).display !== 'none' && f.getBoundingClientRect().height > 50;
    },
    null,
    { timeout: 20000 },
  );
  // The page cannot look inside it.
  assert.equal(
    await page.evaluate(() => [...document.querySelectorAll('iframe')].find((x) => x.src.includes('/extension/sealer/')).contentDocument),
    null,
  );
  const frame = sealerFrame(page);
  assert.ok(frame, 'the sealer frame is there');
  await frame.waitForFunction(() => /\d+ % · \d+ MB\/s/.test(document.getElementById('figures').textContent), null, { timeout: 20000 });
  assert.equal(await frame.textContent('#name'), 'video-master.mov');
  const pct = Number((await frame.textContent('#figures')).match(/(\d+) %/)[1]);
  assert.ok(pct < 100, `the overlay shows progress below 100 % (${pct})`);
  // The sealed part is being written to disk, in the site's own storage.
  // (Chromium shows a file being written as `<name>` plus its `<name>.crswap`.)
  const spoolFiles = () =>
    page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const dir = await root.getDirectoryHandle('orgseal-sealed').catch(() => null);
      const names = [];
      // @ts-ignore: keys() is an async iterator
      for await (const name of dir?.keys() ?? []) names.push(name);
      return names;
    });
  const during = await spoolFiles();
  assert.equal(during.filter((n) => !n.endsWith('.crswap')).length, 1, `one spool file while sealing: ${during}`);
  // Cancel, as a person clicks it.
  await frame.click('#cancel');
  await page.waitForFunction(
    () => getComputedStyle([...document.querySelectorAll('iframe')].find((x) => x.src.includes('/extension/sealer/'))).display === 'none',
    null,
    { timeout: 20000 },
  );
  assert.equal(await page.evaluate(() => document.getElementById('fetch-file').files.length), 0, 'the input stays empty');
  // What was written to disk so far is gone too.
  assert.deepEqual(await spoolFiles(), [], 'the spool file goes with the cancel');
  // The held Upload click is dropped: nothing is posted, nothing stored.
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(uploads, [], 'nothing was posted');
  assert.equal((await site.blobs()).length, before);
  assert.equal(await page.evaluate(() => document.getElementById('fetch-status').textContent), '');
});

test('after a cancel, the next pick is sealed as usual and the overlay stays hidden for a quick one', async () => {
  const page = browser.page;
  await site.open(page);
  const small = path.join(dir, 'note.txt');
  const fh = await open(small, 'w');
  await fh.write('a short note');
  await fh.close();
  await page.setInputFiles('#fetch-file', small);
  await page.waitForFunction(() => document.getElementById('fetch-file').files[0]?.size > 12);
  assert.equal(
    await page.evaluate(() => getComputedStyle([...document.querySelectorAll('iframe')].find((x) => x.src.includes('/extension/sealer/'))).display),
    'none',
  );
});
