// Shared pieces of the end-to-end tests: the vendor site on 127.0.0.1, a
// policy written where Chromium reads it (/etc/chromium/policies/managed, in a
// private mount namespace so the host's /etc is never touched), and Chromium
// with the real unpacked extension, driven as a person would use it.
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, writeFile, readFile, readdir, rm, chmod } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXTENSION_DIR = process.env.ORGSEAL_EXTENSION_DIR ?? path.join(ROOT, 'target/orgseal-extension');
const VENDOR_BIN = process.env.ORGSEAL_VENDOR_BIN ?? path.join(ROOT, 'target/debug/orgseal-vendor');
export const CLI_BIN = process.env.ORGSEAL_CLI_BIN ?? path.join(ROOT, 'target/debug/orgseal');
const CHROMIUM = '/usr/lib/chromium/chromium';

// The id Chromium gives the extension: from the manifest's public key.
export function extensionId() {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'manifest.json'), 'utf8'));
  return idOfKey(Buffer.from(manifest.key, 'base64'));
}

// Chromium's extension id for a public key (DER): the first 32 hex digits of
// its SHA-256, written with the letters a-p.
function idOfKey(der) {
  const hex = createHash('sha256').update(der).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}

export async function tempDir(prefix = 'orgseal-e2e-') {
  return mkdtemp(path.join(tmpdir(), prefix));
}

// A file of random bytes in its own temporary folder; `cleanup` (an array)
// collects the folder for the caller's after() hook.
export async function sampleFile(size, cleanup, stem = 'plain') {
  const dir = await tempDir('orgseal-files-');
  cleanup.push(dir);
  const bytes = randomBytes(size);
  const file = path.join(dir, `${stem}-${size}.bin`);
  await writeFile(file, bytes);
  return { path: file, bytes, name: path.basename(file) };
}

export function newSecret() {
  return randomBytes(32).toString('base64url');
}

// The site's test account (the site asks for a login like real file sites).
export const USER = 'alice';
const PASSWORD = 'correct horse battery';

// Session cookie and CSRF token of a fresh login, done from node.
async function apiSession(origin) {
  const cookies = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const cookie = () => [...cookies].filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join('; ');
  let res = await fetch(`${origin}/login`);
  keep(res);
  const token = (await res.text()).match(/name="_csrf" value="([^"]+)"/)[1];
  res = await fetch(`${origin}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: USER, password: PASSWORD, _csrf: token }),
  });
  if (res.status !== 303) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  keep(res);
  res = await fetch(`${origin}/`, { headers: { cookie: cookie() } });
  const csrf = (await res.text()).match(/name="csrf-token" content="([^"]+)"/)[1];
  return { cookie: cookie(), csrf };
}

// Starts orgseal-vendor on a free port with one user; resolves to
// {origin, dataDir, open(page), signIn(page), apiUpload(bytes, name), blobs(), stop()}.
export async function startVendor({ csp, requireSealed = false, maxUpload } = {}) {
  const dataDir = await tempDir('orgseal-vendor-');
  execFileSync(VENDOR_BIN, ['user', 'add', USER, '--data', dataDir], { input: `${PASSWORD}\n` });
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', dataDir];
  if (csp !== undefined) args.push('--csp', csp);
  if (requireSealed) args.push('--require-sealed');
  if (maxUpload !== undefined) args.push('--max-upload', String(maxUpload));
  const child = spawn(VENDOR_BIN, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const origin = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`orgseal-vendor exited with ${code}`)));
  });
  return {
    origin,
    dataDir,
    // Signs in through the login page; the page ends on the file list.
    async signIn(page) {
      await page.goto(origin + '/login');
      await page.fill('#username', USER);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL(origin + '/'), page.click('#login-submit')]);
    },
    // Opens the file list, signing in first if the site asks for it.
    async open(page) {
      await page.goto(origin + '/');
      if (page.url().startsWith(origin + '/login')) await this.signIn(page);
    },
    // Uploads bytes through the API from outside the browser (as a script would).
    async apiUpload(bytes, name) {
      const { cookie, csrf } = await apiSession(origin);
      const body = new FormData();
      body.append('file', new Blob([bytes]), name);
      const res = await fetch(`${origin}/api/files`, { method: 'POST', body, headers: { cookie, 'x-csrf-token': csrf } });
      if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
      return (await res.json()).ids;
    },
    async blobs() {
      const dir = path.join(dataDir, 'blobs');
      const names = existsSync(dir) ? (await readdir(dir)).filter((n) => !n.includes('#')) : [];
      return Promise.all(names.map(async (n) => ({ id: n, bytes: await readFile(path.join(dir, n)) })));
    },
    async blob(id) {
      return readFile(path.join(dataDir, 'blobs', id));
    },
    async stop() {
      child.kill('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// Clicks something that posts a form and waits until the page the server
// answers with has loaded. (waitForURL alone returns at once when the page is
// already at that address, as the file list is before and after an upload,
// and the next step then races the navigation.)
export async function submitAndLoad(page, click) {
  const landed = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
  await click();
  await landed;
  await page.waitForLoadState('load');
}

// The managed policy for extension `id`, as IT deploys it: written by
// `orgseal policy render --browser chromium --os linux`, the one renderer.
// Only a policy the CLI refuses to render (exit 1: the invalid-policy tests,
// standing for a file IT edited by hand) is wrapped here, the same way.
async function managedPolicy(p, id, dir) {
  if (p === undefined) return {};
  const source = path.join(dir, `policy-${randomBytes(6).toString('hex')}.json`);
  await writeFile(source, JSON.stringify(p), { mode: 0o600 });
  try {
    const args = ['policy', 'render', source, '--browser', 'chromium', '--os', 'linux', '--extension-id', id];
    return JSON.parse(execFileSync(CLI_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8'));
  } catch (e) {
    if (e?.status !== 1) throw e;
    return { '3rdparty': { extensions: { [id]: p } } };
  } finally {
    await rm(source, { force: true });
  }
}

// Launches Chromium with the unpacked extension and (if given) a managed policy
// for it. Resolves to {context, downloads, popup(), close()}.
//
// With `installed` (from forceInstallServer()), the extension is not loaded
// unpacked: Chromium force-installs the CRX by policy from the update
// manifest on 127.0.0.1, as IT deploys it.
export async function launch({ policy, extraPolicy, installed } = {}) {
  const dir = await tempDir('orgseal-browser-');
  const etc = path.join(dir, 'etc-chromium');
  await mkdir(path.join(etc, 'policies/managed'), { recursive: true });
  const policyFile = path.join(etc, 'policies/managed/orgseal.json');
  const id = installed?.id ?? extensionId();
  let force = installed
    ? {
        ExtensionSettings: { [id]: { installation_mode: 'force_installed', update_url: installed.updateUrl } },
        DeveloperToolsAvailability: 1,
      }
    : {};
  const writePolicy = async (p) =>
    writeFile(policyFile, JSON.stringify({ ...(await managedPolicy(p, id, dir)), ...force, ...(extraPolicy ?? {}) }, null, 2));
  if (installed?.rendered) {
    // The file IT deploys, exactly as `orgseal policy render --pin` wrote it;
    // the test's own setting (reaching the extension) in a second file,
    // which Chromium merges.
    await writeFile(policyFile, await readFile(installed.rendered));
    await writeFile(path.join(etc, 'policies/managed/test.json'), JSON.stringify({ DeveloperToolsAvailability: 1 }));
  } else if (policy !== undefined || installed) await writePolicy(policy);
  const wrapper = path.join(dir, 'chromium-ns.sh');
  await writeFile(
    wrapper,
    '#!/bin/sh\n' +
      '# Chromium in a private mount namespace whose /etc/chromium is this test\'s own.\n' +
      'exec unshare -Urm sh -c \'mount --bind "$ORGSEAL_ETC_CHROMIUM" /etc/chromium && exec "$0" "$@"\' ' +
      `${CHROMIUM} "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  const profile = path.join(dir, 'profile');
  const downloads = path.join(dir, 'downloads');
  await mkdir(path.join(profile, 'Default'), { recursive: true });
  await mkdir(downloads);
  await writeFile(
    path.join(profile, 'Default/Preferences'),
    JSON.stringify({ download: { default_directory: downloads, prompt_for_download: false, directory_upgrade: true } }),
  );
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: wrapper,
    headless: false,
    env: { ...process.env, ORGSEAL_ETC_CHROMIUM: etc },
    // Playwright's own --disable-background-networking would stop the
    // force-install; without it, only our flags decide.
    ignoreDefaultArgs: ['--disable-extensions', ...(installed ? ['--disable-background-networking'] : [])],
    acceptDownloads: false,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      // Extra flags for a diagnosis, e.g. ORGSEAL_CHROMIUM_EXTRA=--js-flags=--expose-gc
      // (docs/PERFORMANCE.md's forced-collection run); never set in the suite.
      ...(process.env.ORGSEAL_CHROMIUM_EXTRA ? process.env.ORGSEAL_CHROMIUM_EXTRA.split(' ') : []),
      // A force-installed extension is fetched by the browser's background
      // networking (only from 127.0.0.1 here).
      ...(installed
        ? []
        : ['--disable-background-networking', `--disable-extensions-except=${EXTENSION_DIR}`, `--load-extension=${EXTENSION_DIR}`]),
    ],
  });
  if (installed) {
    const deadline = Date.now() + 30000;
    while (!context.serviceWorkers().some((w) => w.url().includes(id))) {
      if (Date.now() > deadline) throw new Error('the force-installed extension did not start within 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const page = context.pages()[0] ?? (await context.newPage());
  // Playwright intercepts file choosers only once a page has a 'filechooser'
  // listener, and turns that on asynchronously: a chooser that opens right
  // after a test's waitForEvent() could still go to the browser's own dialog
  // (no chooser seen, about one run in four). A listener from the start keeps
  // interception on for the whole run.
  page.on('filechooser', () => {});
  const cdp = await context.newCDPSession(page);
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'default' });
  return {
    context,
    page,
    downloads,
    id,
    profile,
    // Rewrites the managed policy while the browser runs (Chromium reads it
    // again within about 5 s).
    setPolicy: writePolicy,
    // Force-installed mode: takes the extension away by policy (as when IT
    // withdraws it) or puts it back, with the same managed storage.
    async setInstalled(on, p) {
      force = { ...force, ExtensionSettings: { [id]: on ? { installation_mode: 'force_installed', update_url: installed.updateUrl } : { installation_mode: 'removed' } } };
      await writePolicy(p);
    },
    popupUrl: `chrome-extension://${id}/extension/popup/popup.html`,
    /**
     * Runs `fn(page)` on the popup's page, opened in a tab (details
     * unfolded; `tabUrl`: about the tab showing that address), then closes it.
     */
    async withPopup({ tabUrl } = {}, fn) {
      const popup = await context.newPage();
      try {
        await popup.goto(`${this.popupUrl}?details=1${tabUrl ? `&url=${encodeURIComponent(tabUrl)}` : ''}`);
        return await fn(popup);
      } finally {
        await popup.close();
      }
    },
    /** The popup's text, details unfolded; `tabUrl`: about the tab showing that address. */
    async popupText({ until, tabUrl } = {}) {
      const popup = await context.newPage();
      await popup.goto(`${this.popupUrl}?details=1${tabUrl ? `&url=${encodeURIComponent(tabUrl)}` : ''}`);
      if (until) {
        await popup
          .waitForFunction((re) => new RegExp(re).test(document.body.innerText), until.source, { timeout: 20000 })
          .catch(async (e) => {
            throw new Error(`popup never matched ${until}: ${await popup.evaluate(() => document.body.innerText)}`, { cause: e });
          });
      }
      else await popup.waitForFunction(() => !document.body.innerText.includes('Loading'), null, { timeout: 20000 });
      const text = await popup.evaluate(() => document.body.innerText);
      await popup.close();
      return text;
    },
    /** Waits until `name` is complete in the downloads folder and returns its bytes. */
    waitForDownload(name, timeoutMs) {
      return waitForDownload(downloads, name, timeoutMs);
    },
    async close() {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Waits until `name` is complete in the downloads folder and returns its bytes.
export async function waitForDownload(dir, name, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = await readdir(dir);
    if (names.includes(name) && !names.some((n) => n.endsWith('.crdownload') || n.endsWith('.part'))) {
      return readFile(path.join(dir, name));
    }
    if (Date.now() > deadline) throw new Error(`no download named ${name} within ${timeoutMs} ms; folder has: ${names.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The files in the site's `orgseal-sealed` folder, where OrgSeal keeps a
// large sealed file on disk for its page (Chromium): [{ name, size }], by
// name; [] when there is no such folder. A file being written shows as
// `<name>` plus Chromium's `<name>.crswap`. Either engine's page.
export function spoolFiles(page) {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle('orgseal-sealed').catch(() => null);
    const out = [];
    // @ts-ignore: entries() is an async iterator
    for await (const [name, handle] of folder?.entries() ?? []) {
      // A file OrgSeal removes while this looks (a sweep) is not there any more.
      const file = await handle.getFile().catch(() => null);
      if (file) out.push({ name, size: file.size });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  });
}

// Waits until `spoolFiles(page)` is empty; throws with what is left after `timeoutMs`.
export async function spoolEmptied(page, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await spoolFiles(page);
    if (!left.length) return;
    if (Date.now() > deadline) throw new Error(`the spool folder still holds ${left.map((f) => f.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Whether any 32-byte run of `plain` occurs in `stored`. Any such run covers a
// whole 16-byte block of `plain` at an offset that is a multiple of 16, so
// indexing those blocks (by their first 8 bytes, in a chained hash table of
// typed arrays: 80 MiB in a few seconds) and sliding over `stored` finds
// every one.
export function shares32ByteRun(plain, stored) {
  if (plain.length < 32) return false;
  const blocks = Math.floor(plain.length / 16);
  const p = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const q = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  let bits = 4;
  while (1 << bits < blocks * 2) bits++;
  const heads = new Int32Array(1 << bits).fill(-1);
  const next = new Int32Array(blocks).fill(-1);
  const hash = (lo, hi) => (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) >>> (32 - bits);
  for (let k = 0; k < blocks; k++) {
    const h = hash(p.getUint32(k * 16, true), p.getUint32(k * 16 + 4, true));
    next[k] = heads[h];
    heads[h] = k;
  }
  for (let j = 0; j + 16 <= stored.length; j++) {
    const lo = q.getUint32(j, true);
    const hi = q.getUint32(j + 4, true);
    for (let k = heads[hash(lo, hi)]; k >= 0; k = next[k]) {
      const i = k * 16;
      if (p.getUint32(i, true) !== lo || p.getUint32(i + 4, true) !== hi) continue;
      // Extend the match both ways; a run of 32 or more is a leak.
      let a = 0;
      while (i - a - 1 >= 0 && j - a - 1 >= 0 && plain[i - a - 1] === stored[j - a - 1]) a++;
      let b = 0;
      while (i + b < plain.length && j + b < stored.length && plain[i + b] === stored[j + b]) b++;
      if (a + b >= 32) return true;
    }
  }
  return false;
}

// A policy for the given vendor origins, with a fresh key.
export function validPolicy(origins, { sealNames = false } = {}) {
  return {
    keys: [{ label: 'e2e-key', secret: newSecret(), encrypt: true }],
    sites: origins.map((origin) => ({
      origin,
      upload: ['/upload', '/api/files'],
      download: ['/api/files/*/content'],
      sealNames,
    })),
    failClosed: true,
  };
}

// The first bytes of every sealed file.
export const MAGIC = 'OrgSeal';

// Script for test pages served on a vendor's origin: `look(file, via)`
// records what the page's own code received (name, size, first bytes), and
// `up(file)` uploads it with the site's API, as a page script would.
export const LAB_JS = `
window.__seen = [];
window.__uploads = [];
window.look = async (file, via) => {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  window.__seen.push({ via, name: file.name, size: file.size, head: String.fromCharCode(...head) });
};
window.up = async (file) => {
  try {
    const page = await (await fetch('/')).text();
    const csrf = page.match(/name="csrf-token" content="([^"]+)"/)[1];
    const body = new FormData();
    body.append('file', file, file.name);
    const res = await fetch('/api/files', { method: 'POST', body, headers: { 'X-CSRF-Token': csrf } });
    window.__uploads.push(res.status);
  } catch (e) {
    window.__uploads.push(String(e));
  }
};
window.take = (files, via) => { for (const f of files) { look(f, via); up(f); } };
`;

/**
 * The toolbar badge text of the tab showing exactly `url`, read from the
 * extension's service worker (`id`: which extension's, when the context has
 * another one too).
 */
export async function badgeText(context, url, id) {
  const sw = context.serviceWorkers().find((w) => !id || w.url().includes(id)) ?? (await context.waitForEvent('serviceworker'));
  return sw.evaluate(async (u) => {
    const tab = (await chrome.tabs.query({})).find((t) => t.url === u);
    return tab ? chrome.action.getBadgeText({ tabId: tab.id }) : `no tab at ${u}`;
  }, url);
}

// Serves `pages` ({'/lab/x': html or {body, headers}}) on `origin` in this
// browser context, as if the vendor's server sent them.
export async function servePages(context, origin, pages) {
  await context.route(`${origin}/lab/**`, (route) => {
    const page = pages[new URL(route.request().url()).pathname];
    if (!page) return route.fulfill({ status: 404, body: 'no such lab page' });
    const { body, headers = {} } = typeof page === 'string' ? { body: page } : page;
    return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers, body });
  });
}

// What a frame's page script recorded with look().
export async function seen(frame, n, timeout = 20000) {
  await frame.waitForFunction((k) => window.__seen?.length >= k, n, { timeout });
  return frame.evaluate(() => window.__seen);
}

// Packs the built extension as a CRX signed with a key made for this run,
// and serves it with an update manifest on 127.0.0.1, as IT self-hosts it.
// Resolves to {id, updateUrl, stop()}.
export async function forceInstallServer() {
  const { generateKeyPairSync } = await import('node:crypto');
  const { createServer } = await import('node:http');
  const { cp } = await import('node:fs/promises');
  const dir = await tempDir('orgseal-crx-');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = path.join(dir, 'key.pem');
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const id = idOfKey(der);
  let offered = null; // {version, crx}
  async function offer(version) {
    const ext = path.join(dir, `ext-${version}`);
    await cp(EXTENSION_DIR, ext, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(ext, 'manifest.json'), 'utf8'));
    manifest.key = der.toString('base64');
    manifest.version = version;
    await writeFile(path.join(ext, 'manifest.json'), JSON.stringify(manifest, null, 2));
    execFileSync(CHROMIUM, ['--no-sandbox', '--headless=new', `--pack-extension=${ext}`, `--pack-extension-key=${keyFile}`], { stdio: 'ignore' });
    offered = { version, crx: await readFile(`${ext}.crx`) };
  }
  await offer(JSON.parse(readFileSync(path.join(EXTENSION_DIR, 'manifest.json'), 'utf8')).version);
  const server = createServer((req, res) => {
    if (process.env.ORGSEAL_E2E_DEBUG) console.log('# update server:', req.url);
    const origin = `http://127.0.0.1:${server.address().port}`;
    if (req.url.startsWith('/updates.xml')) {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version='1.0' encoding='UTF-8'?>\n<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>\n` +
          `  <app appid='${id}'>\n    <updatecheck codebase='${origin}/orgseal-${offered.version}.crx' version='${offered.version}' />\n  </app>\n</gupdate>\n`,
      );
    } else if (req.url === `/orgseal-${offered.version}.crx`) {
      res.writeHead(200, { 'content-type': 'application/x-chrome-extension' });
      res.end(offered.crx);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    id,
    updateUrl: `http://127.0.0.1:${server.address().port}/updates.xml`,
    async stop() {
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// A real drag of files from the desktop onto `selector`, through Chromium's
// input pipeline (CDP Input.dispatchDragEvent gives trusted drag events).
export async function dropPaths(context, page, selector, paths, at = null) {
  const box = await page.locator(selector).boundingBox();
  const x = box.x + (at?.x ?? box.width / 2);
  const y = box.y + (at?.y ?? box.height / 2);
  const cdp = await context.newCDPSession(page);
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
  await cdp.detach();
}

// IT's deployment of a `cargo xtask dist` build: the policy rendered by
// `orgseal policy render --pin` (managed storage + ExtensionSettings) and the
// update manifest it writes, served with the CRX from a folder on
// 127.0.0.1. Resolves to {id, rendered, stop()}, to pass as launch()'s
// `installed`.
export async function itDeploys({ distDir, policy }) {
  const { createServer } = await import('node:http');
  const pins = JSON.parse(await readFile(path.join(distDir, 'orgseal-pins.json'), 'utf8'));
  const dir = await tempDir('orgseal-it-');
  const hosted = path.join(dir, 'hosted');
  await mkdir(hosted);
  const server = createServer(async (req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname);
    try {
      const body = await readFile(path.join(hosted, name));
      res.writeHead(200, { 'content-type': name.endsWith('.xml') ? 'application/xml' : 'application/x-chrome-extension' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const updateUrl = `http://127.0.0.1:${server.address().port}/orgseal/updates.xml`;
  await writeFile(path.join(dir, 'policy.json'), JSON.stringify(policy), { mode: 0o600 });
  await writeFile(path.join(hosted, `orgseal-${pins.version}.crx`), await readFile(path.join(distDir, `orgseal-${pins.version}.crx`)));
  const rendered = path.join(dir, 'orgseal.json');
  execFileSync(CLI_BIN, [
    'policy', 'render', path.join(dir, 'policy.json'), '--browser', 'chromium', '--os', 'linux',
    '--pin', path.join(distDir, 'orgseal-pins.json'), '--update-url', updateUrl,
    '--update-manifest', path.join(hosted, 'updates.xml'), '-o', rendered,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return {
    id: pins.crxId,
    rendered,
    async stop() {
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
