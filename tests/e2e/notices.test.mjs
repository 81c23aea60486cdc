// What a person is told, in Chromium and in Firefox ESR, without opening
// anything: a refused download, a refused upload and a quarantined page each
// raise a browser notification (a surface the page can neither draw nor
// hide) in plain words with a next step, and IT's detail sits one click away
// in the popup. The popup speaks about this tab first: protected or not, the
// key, what happened here with human sizes. A seal ends with "Sealed" and
// the name in OrgSeal's own frame; a download being opened shows name,
// percent and Cancel there; the popup's Cancel stops a seal the page has
// covered with a modal dialog. The popup fits 400 px.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validPolicy, tempDir, CLI_BIN, MAGIC } from './harness.mjs';
import { ENGINES, launchIn, downloaded, inSealer, overlayShown, overlayHidden } from './firefox.mjs';

let site, other, dir, policy, damaged, big, huge, note;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function listen(handler) {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>files</title>
<input type="file" id="f"> <a id="damaged" download href="/dl/damaged">damaged</a> <a id="big" download href="/dl/big">big</a>
<script>
  window.__got = [];
  f.addEventListener('change', () => { for (const x of f.files) x.slice(0, 16).arrayBuffer().then((b) =>
    window.__got.push({ name: x.name, size: x.size, head: String.fromCharCode(...new Uint8Array(b)) })); });
</script>`;
// A page that covers everything, OrgSeal's overlay too, with a modal dialog
// (the top layer), and keeps its file field inside it.
const COVERED = `<!doctype html><meta charset="utf-8"><title>covered</title>
<dialog id="d" style="width:90vw;height:90vh"><input type="file" id="f"></dialog><script>d.showModal();</script>`;

before(async () => {
  dir = await tempDir('orgseal-notices-');
  // Another origin, for a frame OrgSeal cannot be first in.
  other = await listen((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><input type="file" id="i">'));
  site = await listen((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    const html = (body) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    if (pathname === '/') return html(PAGE);
    if (pathname === '/covered') return html(COVERED);
    // (On another host: Firefox matches content scripts by host, on any port.)
    if (pathname === '/framed') return html(`<!doctype html><p>upload widget:</p><iframe src="${other.origin.replace('127.0.0.1', 'localhost')}/"></iframe>`);
    if (pathname === '/dl/damaged') {
      return res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="report.pdf.orgseal"' }).end(damaged);
    }
    if (pathname === '/dl/big') {
      // Slowly, as over a modest link: the person has time to see it and cancel.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length, 'content-disposition': 'attachment; filename="video.mov.orgseal"' });
      let at = 0;
      const step = () => {
        if (res.destroyed || at >= big.length) return res.end();
        res.write(big.subarray(at, (at += 256 << 10)));
        setTimeout(step, 25);
      };
      return step();
    }
    res.writeHead(404).end();
  });
  policy = validPolicy([site.origin]);
  policy.sites[0].download = ['/dl/*'];
  const policyFile = path.join(dir, 'policy.json');
  await writeFile(policyFile, JSON.stringify(policy), { mode: 0o600 });
  const seal = async (name, bytes) => {
    const plain = path.join(dir, name);
    await writeFile(plain, bytes);
    execFileSync(CLI_BIN, ['encrypt', '--policy', policyFile, plain, '-o', `${plain}.orgseal`]);
    return readFile(`${plain}.orgseal`);
  };
  damaged = await seal('report.pdf', Buffer.alloc(200000, 7));
  damaged[damaged.length - 30000] ^= 1; // one bit, inside a chunk
  big = await seal('video.mov', Buffer.alloc(48 << 20, 1));
  note = path.join(dir, 'note.txt');
  await writeFile(note, 'a short note');
  // Sparse: sealing it takes long enough to cancel, reading it costs no disk.
  huge = path.join(dir, 'master.mov');
  const fh = await open(huge, 'w');
  await fh.truncate(1536 << 20);
  await fh.close();
});

after(async () => {
  site?.server.close();
  other?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// The popup's text about the tab showing `url`, once it matches `until`.
const tabText = (browser, url, until) => browser.popupText({ tabUrl: url, until });

for (const engine of ENGINES) {
  describe(engine, () => {
    let browser;
    before(async () => {
      browser = await launchIn(engine, { policy });
      await browser.popupText({ until: /OrgSeal is set up/ });
    });
    after(async () => {
      await browser?.close();
    });

    test('a damaged download: nothing saved, a notification in plain words, IT\'s detail in the popup', async () => {
      const page = browser.page;
      await page.goto(`${site.origin}/`);
      await page.click('#damaged');
      const text = await tabText(browser, `${site.origin}/`, /refused: report\.pdf/);
      assert.match(text, /On this page[^]*refused: report\.pdf\.orgseal\n?“report\.pdf\.orgseal” was damaged or changed and was not saved\. Ask whoever shared it to upload it again\./);
      assert.match(text, /Shown as a notification: OrgSeal did not save a download/);
      // IT's detail, one click away (unfolded here).
      assert.match(text, /Details\s*damaged at byte offset \d+ \(chunk \d+\): its authentication tag does not verify/);
      if (engine === 'chromium') {
        const sw = browser.context.serviceWorkers()[0];
        const shown = await sw.evaluate(() => chrome.notifications.getAll());
        assert.ok(Object.keys(shown).length >= 1, `the browser shows the notification: ${JSON.stringify(shown)}`);
      }
      await sleep(500);
      assert.deepEqual(await downloaded(browser.downloads), [], 'nothing may be saved');
    });

    test('a quick seal ends with "Sealed" and the name in OrgSeal\'s frame; the popup describes this tab', async () => {
      const page = browser.page;
      await page.goto(`${site.origin}/`);
      await page.setInputFiles('#f', note);
      await page.waitForFunction(() => window.__got.length === 1);
      const [got] = await page.evaluate(() => window.__got);
      assert.ok(got.head.startsWith(MAGIC), `the page gets the sealed file: ${JSON.stringify(got)}`);
      await page.waitForFunction(overlayShown, null, { timeout: 5000 });
      await inSealer(engine, page, async (frame) => {
        await frame.waitForFunction(() => /^Sealed/.test(document.getElementById('what')?.textContent ?? ''), null, { timeout: 5000 });
        assert.equal(await frame.textContent('#name'), 'note.txt');
      });
      // The confirmation goes by itself.
      await page.waitForFunction(overlayHidden, null, { timeout: 10000 });
      const text = await tabText(browser, `${site.origin}/`, /sealed: note\.txt/);
      assert.match(text, /This page is protected\. Files you pick, drop or paste here are sealed for 127\.0\.0\.1:\d+ with the key “e2e-key”\./);
      assert.match(text, /On this page[^]*sealed: note\.txt \(12 bytes\)/);
      // Another page: not protected, and it says so first.
      await page.goto(`${other.origin}/`);
      const elsewhere = await tabText(browser, `${other.origin}/`, /not a site/);
      assert.match(elsewhere, /^OrgSeal\s*This page is not a site your organisation protects/);
    });

    test('a download being opened shows its name, percent and Cancel; Cancel saves nothing and is listed', async () => {
      const page = browser.page;
      await page.goto(`${site.origin}/`);
      await page.click('#big');
      await page.waitForFunction(overlayShown, null, { timeout: 10000 });
      await inSealer(engine, page, async (frame) => {
        await frame.waitForFunction(() => /opening a download/.test(document.getElementById('what')?.textContent ?? '') && /\d+ %/.test(document.getElementById('figures')?.textContent ?? ''), null, { timeout: 10000 });
        assert.equal(await frame.textContent('#name'), 'video.mov.orgseal');
        await frame.click('#cancel');
      });
      await page.waitForFunction(overlayHidden, null, { timeout: 15000 });
      const text = await tabText(browser, `${site.origin}/`, /cancelled: video\.mov/);
      assert.match(text, /cancelled: video\.mov\.orgseal/);
      await sleep(1000);
      assert.deepEqual(await downloaded(browser.downloads), [], 'nothing may be saved');
    });

    test('a page that covers OrgSeal\'s overlay with a modal dialog: the popup\'s Cancel stops the seal, nothing reaches the page', async () => {
      const page = browser.page;
      await page.goto(`${site.origin}/covered`);
      await page.setInputFiles('#f', huge);
      const cancelled = await browser.withPopup({ tabUrl: `${site.origin}/covered` }, async (popup) => {
        await popup.waitForFunction(() => /Sealing master\.mov \(1\.6 GB\)/.test(document.getElementById('busy')?.textContent ?? ''), null, { timeout: 20000 });
        await popup.click('#busy button');
        await popup.waitForFunction(() => /cancelled: master\.mov/.test(document.body.innerText), null, { timeout: 20000 });
        return popup.evaluate(() => document.body.innerText);
      });
      assert.match(cancelled, /On this page[^]*cancelled: master\.mov \(1\.6 GB\)/);
      await sleep(500);
      assert.equal(await page.evaluate(() => document.getElementById('f').files.length), 0, 'the field stays empty');
    });

    test('a frame OrgSeal cannot be first in: the page is quarantined and the person is notified once, in plain words', async () => {
      const page = browser.page;
      await page.goto(`${site.origin}/framed`);
      const text = await tabText(browser, `${site.origin}/framed`, /Shown as a notification: OrgSeal blocked files on this page/);
      assert.match(text, /This page is protected, but OrgSeal blocks files in these parts of it/);
      assert.match(text, /blocked part of the page[^]*OrgSeal blocks files on part of 127\.0\.0\.1:\d+: the page could have read them before OrgSeal sealed them\. To add a file anyway, click the OrgSeal icon and choose “Attach a sealed file”\./);
      const here = text.slice(0, text.indexOf('Your organisation’s setup'));
      assert.equal((here.match(/Shown as a notification/g) ?? []).length, 1, text);
    });

    test('the popup fits 400 px: nothing scrolls sideways, no label wraps', async () => {
      const check = () => {
        const over = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 400.5).map((e) => `${e.tagName}#${e.id}`);
        // A label wraps when its text lies on more than one line.
        const lines = (e) => {
          const tops = new Set();
          const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
          for (let t = walk.nextNode(); t; t = walk.nextNode()) {
            const r = document.createRange();
            r.selectNodeContents(t);
            for (const x of r.getClientRects()) if (x.width > 0) tops.add(Math.round(x.top));
          }
          return tops.size;
        };
        const wrapped = [...document.querySelectorAll('h1, h2, h3, th, summary, button, td:first-child')]
          .filter((e) => e.getClientRects().length > 0 && lines(e) > 1)
          .map((e) => `${e.tagName}: ${e.textContent}`);
        return { over, wrapped, width: document.documentElement.scrollWidth };
      };
      const got = await browser.withPopup({ tabUrl: `${site.origin}/` }, async (popup) => {
        await popup.waitForFunction(() => /Build [0-9a-f]{64}|Build hash not available/.test(document.body.innerText), null, { timeout: 20000 });
        return popup.evaluate(check);
      });
      assert.deepEqual(got.over, [], `elements past 400 px: ${JSON.stringify(got)}`);
      assert.deepEqual(got.wrapped, [], `labels that wrap: ${JSON.stringify(got)}`);
    });

    test('an unusable policy: a pick is refused in plain words that name no policy member; IT reads the member in the details', async () => {
      const broken = { ...policy, keys: [{ ...policy.keys[0], secret: 'too-short' }] };
      await browser.setPolicy(broken);
      await browser.popupText({ until: /OrgSeal is not set up correctly/ });
      const page = browser.page;
      await page.goto(`${site.origin}/`);
      await page.click('#f');
      const text = await tabText(browser, `${site.origin}/`, /Shown as a notification: OrgSeal did not attach a file/);
      const person = text.split('\n').find((l) => l.startsWith('No file was chosen'));
      assert.equal(person, 'No file was chosen: OrgSeal is not set up correctly in this browser, so files are blocked here; tell IT.');
      assert.match(text, /Details for IT\s*keys\[0\] "e2e-key"\.secret: must be 43 characters/);
      await browser.setPolicy(policy);
      await browser.popupText({ until: /OrgSeal is set up/ });
    });
  });
}
