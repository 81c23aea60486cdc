// @ts-check
// "Attach a sealed file": a window of OrgSeal's own, which the page can
// neither draw, cover nor see into. The person picks or drops files here;
// they go, over the extension's own messaging, to the content script of the
// tab the popup was opened over, which has them sealed in that page's sealer
// frame and hands the page's selected file field only the sealed files. It
// is the way to upload where OrgSeal refuses files handed to the page (a
// quarantined frame, a page that listened first).
import { toBase64 } from '../lib/bytes.js';
import '../lib/words.js';

const A = /** @type {any} */ (globalThis).ORGSEAL_WORDS.attach;

const api = globalThis.browser ?? globalThis.chrome;
const tabId = Number(new URLSearchParams(location.search).get('tab'));
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const CHUNK = 1 << 20; // bytes per message (runtime messages are JSON in Chromium)

const toTab = (msg) => api.tabs.sendMessage(tabId, msg, { frameId: 0 });

function say(text, refused = false) {
  $('state').textContent = text;
  $('state').className = refused ? 'refused' : '';
}

async function send(files) {
  $('choose').setAttribute('disabled', '');
  try {
    const metas = files.map((f, i) => ({ id: i, name: f.name, mime: f.type, lastModified: f.lastModified, size: f.size }));
    const begun = await toTab({ type: 'attach-begin', files: metas });
    if (!begun?.ok) throw new Error(begun?.message ?? A.noAnswer);
    const total = files.reduce((n, f) => n + f.size, 0);
    let sent = 0;
    for (const [id, file] of files.entries()) {
      for (let at = 0; at < file.size; at += CHUNK) {
        const bytes = new Uint8Array(await file.slice(at, at + CHUNK).arrayBuffer());
        const ok = await toTab({ type: 'attach-chunk', id, data: toBase64(bytes) });
        if (!ok?.ok) throw new Error(ok?.message ?? A.stopped);
        sent += bytes.length;
        say(A.handing(Math.floor((100 * sent) / Math.max(total, 1))));
      }
    }
    const ended = await toTab({ type: 'attach-end' });
    if (!ended?.ok) throw new Error(ended?.message ?? A.notTaken);
    say(A.sealing);
    setTimeout(() => window.close(), 1500);
  } catch (e) {
    say(A.failed(e?.message ?? String(e)), true);
    $('choose').removeAttribute('disabled');
  }
}

async function start() {
  if (!Number.isSafeInteger(tabId)) return say(A.noTab, true);
  let target;
  try {
    target = await toTab({ type: 'attach-target' });
  } catch {
    target = { ok: false, message: A.notRunning };
  }
  if (!target?.ok) {
    $('where').textContent = '';
    return say(A.cannot(target?.message ?? A.noAnswer), true);
  }
  $('where').textContent = A.to(target.label, target.origin);
  $('choose').removeAttribute('disabled');
  const picker = /** @type {HTMLInputElement} */ ($('picker'));
  $('choose').addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => picker.files?.length && send([...picker.files]));
  const zone = $('zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer?.files.length) send([...e.dataTransfer.files]);
  });
}
start();
