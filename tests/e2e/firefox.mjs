// The Firefox ESR side of the end-to-end tests: Debian's firefox-esr with the
// real extension, driven through geckodriver (WebDriver, by selenium-webdriver;
// no downloaded browser), with the policy IT deploys written as policies.json
// where Debian's ESR reads it, in a private mount namespace so that the
// host's files are never touched.
import { execFileSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile, readFile, rm, chmod, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Builder, By, until as Until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { tempDir, CLI_BIN, EXTENSION_DIR, USER, launch, submitAndLoad } from './harness.mjs';

const FIREFOX = '/usr/lib/firefox-esr/firefox-esr';
// Debian's ESR reads /etc/firefox/policies/policies.json and
// /usr/lib/firefox-esr/distribution/policies.json (a link to this folder);
// the test mounts its own folder here, inside its namespace only.
const DISTRIBUTION = '/usr/share/firefox-esr/distribution';
const GECKODRIVER = process.env.ORGSEAL_GECKODRIVER ?? path.join(process.env.CARGO_HOME ?? path.join(process.env.HOME ?? '/root', '.cargo'), 'bin/geckodriver');
export const GECKO_ID = 'orgseal@orgseal.example';
const PASSWORD = 'correct horse battery';

/** The policies.json for `policy`, as IT deploys it: `orgseal policy render --browser firefox`. */
async function renderPolicy(policy, dir, extra = []) {
  const source = path.join(dir, `policy-${randomBytes(6).toString('hex')}.json`);
  await writeFile(source, JSON.stringify(policy), { mode: 0o600 });
  try {
    const args = ['policy', 'render', source, '--browser', 'firefox', '--os', 'linux', '--extension-id', GECKO_ID, ...extra];
    return JSON.parse(execFileSync(CLI_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8'));
  } catch (e) {
    // A policy the CLI refuses (the invalid-policy tests, standing for a file
    // IT edited by hand) is wrapped the same way.
    if (e?.status !== 1) throw e;
    return { policies: { '3rdparty': { Extensions: { [GECKO_ID]: policy } } } };
  } finally {
    await rm(source, { force: true });
  }
}

/**
 * Launches Firefox ESR with the extension installed temporarily (as
 * about:debugging does), or force-installed by the policy (`policiesJson`, the
 * file IT deploys, which then carries ExtensionSettings), and `policy` in
 * managed storage. Firefox reads the policy only when it starts:
 * `restart({policy})` is how a new one arrives, with the same profile.
 * `headless: false` opens a window (the demo).
 */
export async function launchFirefox({ policy, policiesJson, headless = true } = {}) {
  const dir = await tempDir('orgseal-firefox-');
  const dist = path.join(dir, 'distribution');
  const profile = path.join(dir, 'profile');
  const downloads = path.join(dir, 'downloads');
  await Promise.all([mkdir(dist), mkdir(profile), mkdir(downloads)]);
  const wrapper = path.join(dir, 'firefox-ns.sh');
  await writeFile(
    wrapper,
    '#!/bin/sh\n# Firefox in a private mount namespace whose distribution folder is this test\'s own.\n' +
      `exec unshare -Urm sh -c 'mount --bind "$0" ${DISTRIBUTION} && exec ${FIREFOX} "$@"' '${dist}' "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  const uuid = randomUUID();
  const state = { driver: null, handle: null, dialogs: null };

  async function writePolicies(p, file) {
    const target = path.join(dist, 'policies.json');
    if (file) await writeFile(target, file);
    else if (p !== undefined) await writeFile(target, JSON.stringify(await renderPolicy(p, dir), null, 2));
    else await rm(target, { force: true });
  }

  async function start() {
    const options = new firefox.Options()
      // WebDriver BiDi too: the file chooser a click opens is answered through it.
      .enableBidi()
      .setBinary(wrapper)
      .addArguments(...(headless ? ['-headless'] : []), '-profile', profile)
      .setPreference('browser.download.dir', downloads)
      .setPreference('browser.download.folderList', 2)
      .setPreference('browser.download.useDownloadDir', true)
      .setPreference('browser.download.always_ask_before_handling_new_types', false)
      // Partial downloads beside the final name (`NAME.part`, which
      // waitForDownload waits out): from a temporary folder Firefox would
      // first leave an empty file under the final name.
      .setPreference('browser.download.start_downloads_in_tmp_dir', false)
      // The extension's pages at a known address (the popup is opened there).
      .setPreference('extensions.webextensions.uuids', JSON.stringify({ [GECKO_ID]: uuid }))
      // A temporary add-on removed at shutdown keeps its storage (the last
      // known sites) for the next start, as an installed one does.
      .setPreference('extensions.webextensions.keepStorageOnUninstall', true)
      .setPreference('devtools.console.stdout.chrome', Boolean(process.env.ORGSEAL_E2E_DEBUG))
      .setPreference('devtools.console.stdout.content', Boolean(process.env.ORGSEAL_E2E_DEBUG));
    const service = new firefox.ServiceBuilder(GECKODRIVER)
      .addArguments('--allow-system-access')
      .setStdio(['ignore', process.env.ORGSEAL_E2E_DEBUG ? 'inherit' : 'ignore', process.env.ORGSEAL_E2E_DEBUG ? 'inherit' : 'ignore']);
    const driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
    state.driver = driver;
    if (!policiesJson) await driver.installAddon(EXTENSION_DIR, true);
    else await waitForAddon(driver);
    state.handle = await driver.getWindowHandle();
    state.dialogs = await fileDialogs(driver);
  }

  await writePolicies(policy, policiesJson);
  await start();

  const browser = {
    dir,
    downloads,
    profile,
    uuid,
    get driver() {
      return state.driver;
    },
    get dialogs() {
      return state.dialogs;
    },
    page: null,
    popupUrl: `moz-extension://${uuid}/extension/popup/popup.html`,
    /**
     * Waits until Firefox has finished saving `name` in the downloads folder
     * (by its own download list: it creates the file before the bytes are
     * in) and returns its bytes.
     */
    async waitForDownload(name, timeoutMs = 30000) {
      const driver = state.driver;
      const target = path.join(downloads, name);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await driver.setContext('chrome');
        const entries = await driver
          .executeScript(
            `const { Downloads } = ChromeUtils.importESModule('resource://gre/modules/Downloads.sys.mjs');
             return Downloads.getList(Downloads.ALL).then((l) => l.getAll()).then((all) =>
               all.filter((d) => d.target.path === arguments[0])
                 .map((d) => ({ stopped: d.stopped, succeeded: d.succeeded, size: d.target.size ?? null, total: d.totalBytes })));`,
            target,
          )
          .finally(() => driver.setContext('content'));
        const last = entries.at(-1);
        if (existsSync(target) && entries.every((d) => d.stopped) && last?.succeeded) {
          const bytes = await readFile(target);
          // The file on disk is the one Firefox says it finished.
          if (bytes.length === last.size || (last.size === null && bytes.length === last.total)) return bytes;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `no download named ${name} within ${timeoutMs} ms; folder has: ${(await downloaded(downloads)).join(', ')}; ` +
              `Firefox lists: ${JSON.stringify(entries)}; on disk: ${existsSync(target) ? (await readFile(target)).length : 'none'} bytes`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** Firefox reads policies.json only when it starts: a new policy means a restart. */
    async setPolicy(p) {
      await browser.restart({ policy: p });
    },
    /** Quits and starts again with the same profile; `policy` replaces the installed one (undefined: none). */
    async restart({ policy: next } = {}) {
      await state.driver.quit();
      await writePolicies(next);
      await start();
      browser.page = new Page(browser);
    },
    /**
     * Runs `fn(page)` on the popup's page, opened in a tab as the toolbar
     * button would show it (details unfolded; `tabUrl`: about the tab
     * showing that address), then closes it.
     * @template T
     * @param {{ tabUrl?: string }} opts
     * @param {(page: Page) => Promise<T>} fn
     * @returns {Promise<T>}
     */
    async withPopup({ tabUrl } = {}, fn) {
      const driver = state.driver;
      const back = await driver.getWindowHandle();
      const before = new Set(await driver.getAllWindowHandles());
      // A web page may not open the extension's pages; the browser's own UI may.
      await driver.setContext('chrome');
      await driver.executeScript(
        `const w = Services.wm.getMostRecentWindow('navigator:browser');
         w.gBrowser.selectedTab = w.gBrowser.addTab(arguments[0], { triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal() });`,
        `${browser.popupUrl}?details=1${tabUrl ? `&url=${encodeURIComponent(tabUrl)}` : ''}`,
      );
      await driver.setContext('content');
      const handle = (await driver.getAllWindowHandles()).find((h) => !before.has(h));
      await driver.switchTo().window(handle);
      try {
        return await fn(new Page(browser));
      } finally {
        await driver.close();
        await driver.switchTo().window(back);
      }
    },
    /**
     * The popup's text (see withPopup).
     * @param {{ until?: RegExp, tabUrl?: string }} [opts]
     */
    async popupText({ until, tabUrl } = {}) {
      return browser.withPopup({ tabUrl }, async (popup) => {
        const read = () => popup.evaluate(() => (document.body ? document.body.innerText : ''));
        const deadline = Date.now() + 20000;
        for (;;) {
          const text = await read().catch(() => '');
          if (until ? until.test(text) : text && !text.includes('Loading')) return text;
          if (Date.now() > deadline) throw new Error(`popup never matched ${until ?? 'a loaded state'}: ${text}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      });
    },
    async close() {
      await state.driver?.quit().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  browser.page = new Page(browser);
  return browser;
}

// The file choosers the browser opens, as WebDriver BiDi reports them
// (input.fileDialogOpened): `next(ms)` resolves to the next one's
// {context, element}, to answer with input.setFiles.
async function fileDialogs(driver) {
  const bidi = await driver.getBidi();
  const queue = [];
  const waiting = [];
  bidi.socket.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (m.type !== 'event' || m.method !== 'input.fileDialogOpened') return;
    const w = waiting.shift();
    if (w) w(m.params);
    else queue.push(m.params);
  });
  await bidi.send({ method: 'session.subscribe', params: { events: ['input.fileDialogOpened'] } });
  return {
    bidi,
    drain: () => queue.splice(0),
    next: (ms) =>
      new Promise((resolve, reject) => {
        if (queue.length) return resolve(queue.shift());
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(done), 1);
          reject(new Error(`no file chooser opened within ${ms} ms`));
        }, ms);
        const done = (params) => {
          clearTimeout(timer);
          resolve(params);
        };
        waiting.push(done);
      }),
  };
}

// A force-installed add-on appears some time after the browser starts.
async function waitForAddon(driver) {
  const deadline = Date.now() + 30000;
  await driver.setContext('chrome');
  try {
    for (;;) {
      const ok = await driver.executeScript(
        `const { AddonManager } = ChromeUtils.importESModule('resource://gre/modules/AddonManager.sys.mjs');
         return AddonManager.getAddonByID(arguments[0]).then((a) => Boolean(a && a.isActive));`,
        GECKO_ID,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error('the force-installed add-on did not start within 30 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await driver.setContext('content');
  }
}

/**
 * The few things the tests do with a page, over WebDriver: a person's
 * navigation, typing, clicks and file picks, and reads of what the page's own
 * script recorded.
 */
export class Page {
  constructor(browser) {
    this.browser = browser;
  }
  get driver() {
    return this.browser.driver;
  }
  /** Navigates; `wait: false` does not wait for the load (a page that never reaches 'complete'). */
  async goto(url, { wait = true } = {}) {
    if (wait) return this.driver.get(url);
    await this.driver.executeScript('location.href = arguments[0]', url);
  }
  async url() {
    return this.driver.getCurrentUrl();
  }
  async el(selector) {
    return this.driver.wait(Until.elementLocated(By.css(selector)), 10000);
  }
  async fill(selector, text) {
    const e = await this.el(selector);
    await e.clear();
    await e.sendKeys(text);
  }
  /**
   * A person's click on `selector`, as pointer actions: WebDriver's element
   * click would wait about 5 s for a navigation that OrgSeal cancels (a
   * download it takes over).
   */
  async click(selector) {
    const el = await this.el(selector);
    await this.driver.executeScript('arguments[0].scrollIntoView({ block: "center" })', el);
    await this.driver.actions().move({ origin: el }).click().perform();
  }
  /** Picks files in a file input, as the file chooser does. */
  async setInputFiles(selector, paths) {
    await this.setFilesOn(await this.el(selector), paths);
  }
  /**
   * Puts files in a file input element (a WebElement, in this page or any
   * frame of it) through WebDriver BiDi's input.setFiles, the way the
   * chooser answers (`input`, then `change`; in Firefox neither is composed,
   * as after a real pick, so from a shadow root they never reach the window).
   */
  async setFilesOn(element, paths) {
    const { bidi } = this.browser.dialogs;
    const sharedId = await element.getId();
    const files = [paths].flat();
    const top = await this.driver.getWindowHandle();
    const tree = await bidi.send({ method: 'browsingContext.getTree', params: { root: top } });
    const contexts = [];
    const walk = (list) => {
      for (const c of list ?? []) {
        contexts.push(c.context);
        walk(c.children);
      }
    };
    walk(tree.result?.contexts);
    // The element's own browsing context (a frame's, for an input in a frame).
    for (const context of contexts.reverse()) {
      const answer = await bidi.send({ method: 'input.setFiles', params: { context, element: { sharedId }, files } });
      if (answer?.type !== 'error') return;
      if (answer.error !== 'no such element') throw new Error(`input.setFiles: ${answer.error}: ${answer.message}`);
    }
    throw new Error('input.setFiles: the element is in none of this tab\'s frames');
  }
  /**
   * A person's click (`click()`, e.g. a pointer action) that opens a file
   * chooser, answered with `paths`, as the person picks them there.
   */
  async chooseFiles(click, paths, { timeout = 8000 } = {}) {
    const dialogs = this.browser.dialogs;
    dialogs.drain();
    await click();
    const { context, element } = await dialogs.next(timeout);
    const answer = await dialogs.bidi.send({ method: 'input.setFiles', params: { context, element, files: [paths].flat() } });
    if (answer?.type === 'error') throw new Error(`input.setFiles: ${answer.error}: ${answer.message}`);
  }
  /** A person's pointer click on the element `selector` (at `x` from its left edge, if given). */
  async mouseClick(selector, x) {
    const el = await this.el(selector);
    const rect = await el.getRect();
    const dx = x === undefined ? 0 : Math.round(x - rect.width / 2);
    await this.driver.actions().move({ origin: el, x: dx, y: 0 }).click().perform();
  }
  /** Runs `fn(arg)` in the page (its main world); a promise is awaited. */
  async evaluate(fn, arg) {
    return this.driver.executeScript(`return (${fn})(arguments[0]);`, arg);
  }
  async waitForFunction(fn, arg, { timeout = 20000 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const v = await this.evaluate(fn, arg).catch(() => false);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`waited ${timeout} ms for ${String(fn).slice(0, 120)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async textContent(selector) {
    return (await this.el(selector)).getAttribute('textContent');
  }
  /** Runs `fn` with the driver inside the frame `selector` (then back at the top). */
  async inFrame(selector, fn) {
    await this.driver.switchTo().frame(await this.el(selector));
    try {
      return await fn(this);
    } finally {
      await this.driver.switchTo().defaultContent();
    }
  }
  /** Clicks something that navigates (a form post) and waits for the new document to load. */
  async submitAndLoad(selector) {
    const old = await this.el('html');
    await this.click(selector);
    await this.driver.wait(Until.stalenessOf(old), 20000).catch(async (e) => {
      const said = await this.evaluate(() => [...document.querySelectorAll('[role=status]')].map((x) => x.textContent).join(' | ')).catch(() => '?');
      throw new Error(`${selector} loaded no new page within 20 s (the page says: ${said})`, { cause: e });
    });
    await this.driver.wait(async () => (await this.evaluate(() => document.readyState)) === 'complete', 20000);
  }
}

/** Signs in to the vendor site through its login page and opens the file list (either engine's page). */
export async function openSite(page, origin) {
  await page.goto(origin + '/');
  if (!(await page.url()).startsWith(origin + '/login')) return;
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await submitForm(page, '#login-submit');
}

/** Clicks `selector`, which posts a form, and waits until the answer has loaded (either engine's page). */
export async function submitForm(page, selector) {
  if (page instanceof Page) return page.submitAndLoad(selector);
  return submitAndLoad(page, () => page.click(selector));
}

/**
 * Serves `pages` ({'/lab/x': html or {body, headers}}) on an origin of its
 * own that passes every other request to the vendor site, as if the vendor's
 * server sent them. (Cookies belong to the host, 127.0.0.1, so a sign-in on
 * either address holds for both.) Resolves to {origin, pages, stop()}; pages
 * added to `pages` later are served too.
 */
export async function labSite(vendorOrigin, pages) {
  const upstream = new URL(vendorOrigin);
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname.startsWith('/lab/')) {
      const page = pages[pathname];
      if (!page) return res.writeHead(404).end('no such lab page');
      const { body, headers = {} } = typeof page === 'string' ? { body: page } : page;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers });
      return res.end(body);
    }
    const up = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    pages,
    stop: () => new Promise((r) => server.close(r)),
  };
}

/** Names in the downloads folder, without Firefox's partial files. */
export async function downloaded(dir) {
  return existsSync(dir) ? (await readdir(dir)).filter((n) => !n.endsWith('.part') && !n.startsWith('.')) : [];
}

/** The browsers every shared suite runs in. */
export const ENGINES = ['chromium', 'firefox'];

/**
 * Launches `engine` with the real extension and `opts.policy`: Chromium
 * (harness.mjs launch) or Firefox ESR (launchFirefox). Both give `page`
 * (goto, click, fill, setInputFiles, evaluate, waitForFunction),
 * `downloads`, `popupText()` and `close()`.
 */
export async function launchIn(engine, opts) {
  if (engine === 'firefox') return launchFirefox(opts);
  return launch(opts);
}

// OrgSeal's own frame in a page (the sealer, which doubles as the overlay).
export const SEALER = 'iframe[src*="/extension/sealer/"]';

/**
 * Runs `fn` with OrgSeal's frame as a page-like object (waitForFunction,
 * textContent, click): Playwright's frame in Chromium, the driver switched
 * into the frame in Firefox.
 */
export function inSealer(engine, page, fn) {
  if (engine === 'firefox') return page.inFrame(SEALER, fn);
  return fn(page.frames().find((f) => f.url().includes('/extension/sealer/sealer.html')));
}

/** In the page: whether OrgSeal's frame is shown as the overlay (as the page's own script sees it). */
export const overlayShown = () => {
  const f = /** @type {HTMLIFrameElement | undefined} */ ([...document.querySelectorAll('iframe')].find((x) => x.src.includes('/extension/sealer/')));
  return Boolean(f && getComputedStyle(f).display !== 'none' && f.getBoundingClientRect().height > 50);
};

/** In the page: whether OrgSeal's frame is there and hidden. */
export const overlayHidden = () => {
  const f = [...document.querySelectorAll('iframe')].find((x) => x.src.includes('/extension/sealer/'));
  return Boolean(f && getComputedStyle(f).display === 'none');
};
