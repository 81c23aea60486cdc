// Downloads as real storage sites serve them: the configured endpoint
// answers 302 to a presigned object-store address on another origin; an
// expired session answers with the login page; the page starts downloads
// itself; two run at once. Opened files land under their real names; a web
// page in place of a file is never saved. In Chromium and in Firefox ESR.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validPolicy, sampleFile, tempDir, CLI_BIN } from './harness.mjs';
import { ENGINES, launchIn } from './firefox.mjs';

let store, site, policy, dir;
const sealed = new Map(); // object name → sealed bytes
const originals = new Map(); // real name → plaintext

function listen(handler) {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>files</title>
<a id="plain" href="/dl/one">one</a>
<a id="attr" download href="/dl/two">two</a>
<button id="assign" onclick="location = '/dl/three'">three</button>
<button id="open" onclick="window.open('/dl/four')">four</button>
<a id="expired" download href="/dl/expired">expired</a>
<a id="legacy" download href="/dl/legacy">legacy</a>
<a id="x5" download href="/dl/five">five</a> <a id="x6" download href="/dl/six">six</a>`;

before(async () => {
  dir = await tempDir('orgseal-downloads-');
  const cleanup = [];
  // The object store: presigned addresses on another origin.
  store = await listen((req, res) => {
    // Another site's page that loads a protected site's download in a hidden frame.
    if (req.url === '/elsewhere') {
      return res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><iframe hidden src="${site.origin}/dl/one"></iframe>`);
    }
    const name = new URL(req.url, 'http://x').pathname.replace('/obj/', '');
    if (!sealed.has(name)) return res.writeHead(404).end('no such object');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${name}.orgseal"` });
    res.end(sealed.get(name));
  });
  // The vendor: its download endpoint redirects to the store, or, when the
  // session has expired, to its login page.
  site = await listen((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (url.pathname === '/login') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><form>Sign in</form>');
    if (url.pathname === '/dl/expired') return res.writeHead(302, { location: '/login?next=/dl/expired' }).end();
    if (url.pathname.startsWith('/dl/')) return res.writeHead(302, { location: `${store.origin}/obj/${url.pathname.slice(4)}?X-Amz-Signature=abc` }).end();
    res.writeHead(404).end();
  });
  policy = validPolicy([site.origin]);
  policy.sites[0].download = ['/dl/*'];
  const policyFile = path.join(dir, 'policy.json');
  await writeFile(policyFile, JSON.stringify(policy), { mode: 0o600 });
  for (const name of ['one', 'two', 'three', 'four', 'five', 'six']) {
    // five and six are big enough that opening them overlaps.
    const f = await sampleFile((name === 'five' || name === 'six' ? 3 << 20 : 30000) + name.length, cleanup, name);
    const out = path.join(dir, `${name}.orgseal`);
    execFileSync(CLI_BIN, ['encrypt', '--policy', policyFile, f.path, '--name', `${name}.bin`, '-o', out]);
    sealed.set(name, await readFile(out));
    originals.set(`${name}.bin`, f.bytes);
  }
  // A file stored before the rollout: not sealed.
  const legacy = await sampleFile(20000, cleanup, 'legacy');
  sealed.set('legacy', legacy.bytes);
  originals.set('legacy.orgseal', legacy.bytes);
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

after(async () => {
  store?.server.close();
  site?.server.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

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

    async function expectOpened(name) {
      const got = await browser.waitForDownload(name).catch(async (e) => {
        throw new Error(`${e.message}; the popup says: ${await browser.popupText()}`);
      });
      assert.ok(got.equals(originals.get(name)), `${name}: the saved file is not the original`);
    }

    test('a download that redirects to a presigned object-store address is opened', async () => {
      const page = browser.page;
      await page.goto(site.origin + '/');
      await page.click('#plain');
      await expectOpened('one.bin');
    });

    test('downloads the page starts itself (<a download>, location =, window.open) are opened', async () => {
      const page = browser.page;
      await page.goto(site.origin + '/');
      await page.click('#attr');
      await expectOpened('two.bin');
      await page.goto(site.origin + '/');
      await page.click('#assign');
      await expectOpened('three.bin');
      await page.goto(site.origin + '/');
      await page.click('#open');
      await expectOpened('four.bin');
    });

    test('two downloads at once both land', async () => {
      const page = browser.page;
      await page.goto(site.origin + '/');
      // Two clicks in quick succession: both are fetched and opened at once.
      await page.click('#x5', { force: true });
      await page.click('#x6', { force: true });
      await expectOpened('five.bin');
      await expectOpened('six.bin');
    });

    test('a login page served in place of the file is never saved, and the popup says why', async () => {
      const page = browser.page;
      const beforeNames = new Set(await readdir(browser.downloads));
      await page.goto(site.origin + '/');
      await page.click('#expired');
      const text = await browser.popupText({ until: /web page/ });
      assert.match(text, /refused[^]*Sign in to the site again and retry/);
      await new Promise((r) => setTimeout(r, 1000));
      const added = (await readdir(browser.downloads)).filter((n) => !beforeNames.has(n));
      assert.deepEqual(added, [], 'nothing may be saved');
    });

    // A hidden frame on another site pointed at a protected download: the
    // browser tells which page asked for it (Firefox's originUrl, Chromium's
    // initiator as the request goes out), and OrgSeal does not open it.
    test('a protected site\'s download started by another site is stopped, and nothing is saved', async () => {
      const page = browser.page;
      const beforeNames = new Set(await readdir(browser.downloads));
      await page.goto(`${store.origin}/elsewhere`);
      const text = await browser.popupText({ until: /started by http:\/\/127\.0\.0\.1:\d+, not by the site/ });
      assert.match(text, /refused: [^\n]+\n[^\n]*Another website tried to download/);
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual((await readdir(browser.downloads)).filter((n) => !beforeNames.has(n)), [], 'nothing may be saved');
    });

    test('a file that is not sealed (stored before the rollout) is saved as the site sent it, and listed as passed', async () => {
      const page = browser.page;
      await page.goto(site.origin + '/');
      await page.click('#legacy');
      // The name comes from the store's Content-Disposition, the bytes unchanged.
      await expectOpened('legacy.orgseal');
      const text = await browser.popupText({ until: /saved as sent \(not sealed\): legacy/ });
      assert.match(text, /saved as sent \(not sealed\): legacy\.orgseal \(20 kB\)[^]*not sealed: saved as the site sent it/);
    });
  });
}
