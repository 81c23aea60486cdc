// @ts-check
// Every sentence a person reads from OrgSeal, in one list: the notifications,
// the notices on a page, the badge's titles and the popup's states. Plain
// words, the file's name, and a next step; never a key, a policy path or a
// byte offset (those are IT's detail: the popup's "Details", `orgseal`).
//
// Loaded as a classic script (the content script's file list) and imported
// as a module (background, popup, attach window): either way it sets
// `globalThis.ORGSEAL_WORDS` in that extension world, which the page cannot
// reach.
(() => {
  // Names come from files and from servers (a download's name is the
  // server's): each is shown quoted, without control or format characters
  // (line breaks, bidirectional and zero-width marks) or quotation marks that
  // could close the quote and add words of its own, and cut to 80 characters.
  const cut = (/** @type {string} */ s) => {
    const clean = String(s)
      .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}"“”„‟«»‹›]/gu, '')
      .replace(/\s+/gu, ' ')
      .trim();
    return clean.length > 80 ? `${clean.slice(0, 77)}…` : clean;
  };
  /** @param {string[] | string} names */
  const list = (names) => {
    const n = (Array.isArray(names) ? names : [names]).map(cut);
    if (n.length <= 1) return `“${n[0] ?? 'the file'}”`;
    if (n.length <= 3) return `${n.slice(0, -1).map((x) => `“${x}”`).join(', ')} and “${n.at(-1)}”`;
    return `${n.length} files`;
  };
  /** @param {string} s */
  const host = (s) => {
    try {
      return new URL(s).host;
    } catch {
      return s;
    }
  };
  const ATTACH = 'To add a file anyway, click the OrgSeal icon and choose “Attach a sealed file”.';

  const WORDS = Object.freeze({
    list,
    host,
    /** A byte count as people read it: 629145600 → "600 MB" (SI, as file managers show). */
    size(/** @type {number | null | undefined} */ n) {
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return '';
      if (n < 1000) return `${n} byte${n === 1 ? '' : 's'}`;
      const units = ['kB', 'MB', 'GB', 'TB'];
      let v = n / 1000;
      let i = 0;
      while (v >= 1000 && i < units.length - 1) {
        v /= 1000;
        i++;
      }
      return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
    },

    // The toolbar button's title for each badge state.
    badge: {
      seal: 'OrgSeal protects this page: files you pick, drop or paste are sealed',
      blocked: 'OrgSeal blocks files on this page (click for why)',
      quarantined: 'OrgSeal blocks files on part of this page, which could read them first (click for why)',
      off: 'OrgSeal: this page is not a site your organisation protects',
      opening: (/** @type {number} */ pct) => `OrgSeal is opening a download: ${pct} %`,
    },

    // Notification titles.
    title: {
      upload: 'OrgSeal did not attach a file',
      download: 'OrgSeal did not save a download',
      quarantine: 'OrgSeal blocked files on this page',
      guard: 'OrgSeal stopped an upload',
    },

    // Why an upload (a pick, drop, paste or attach) was refused, by reason.
    upload: {
      /** @param {string[]} names @param {string} [why] the page-level reason, already plain */
      blocked: (names, why) => {
        const reason = why ?? 'OrgSeal blocks files on this page';
        return `${names.length ? `${list(names)} was not attached` : 'No file was chosen'}: ${reason.replace(/[.;\s]+$/, '')}.`;
      },
      'seal-failed': (/** @type {string[]} */ names) => `${list(names)} could not be sealed, so nothing was attached or sent. Try again; if it keeps happening, tell IT.`,
      'page-drag': () => 'Files dragged from a web page are not attached. Drag the file from your computer (or your file manager) instead.',
      'no-target': (/** @type {string[]} */ names) => `OrgSeal could not tell where on the page ${list(names)} should go, so nothing was attached. Try again. ${ATTACH}`,
      'no-chooser': () => `OrgSeal could not tell which file field this page meant, so no file was chosen. Try again. ${ATTACH}`,
      sandbox: (/** @type {string[]} */ names) => `${list(names)} was not attached: this part of the page cannot take sealed files. Tell the site’s owner or IT.`,
      'disk-full': (/** @type {string[]} */ names) => `${list(names)} could not be sealed: the disk is full. Free some space and try again.`,
    },

    // The guard (a request stopped on its way out).
    guard: {
      unsealed: (/** @type {string} */ site) => `An upload to ${host(site)} carried a file that was not sealed, and OrgSeal stopped it. Pick the file again on the page; if it keeps happening, tell IT.`,
      starting: () => 'OrgSeal was starting and stopped an upload it could not check yet. Try the upload again.',
    },

    // Why a download was not saved, by the reader's code (docs/FORMAT.md §8).
    download: {
      damaged: (/** @type {string} */ name) => `${list(name)} was damaged or changed and was not saved. Ask whoever shared it to upload it again.`,
      'unknown-key': (/** @type {string} */ name) => `${list(name)} was sealed with a key this browser does not have, so it was not saved. Tell IT: they can add the key.`,
      'unsupported-version': (/** @type {string} */ name) => `${list(name)} was sealed by a newer OrgSeal and was not saved. Ask IT to update OrgSeal.`,
      'not-a-file': (/** @type {string} */ name) => `The site sent a web page instead of ${list(name)}, so nothing was saved. Sign in to the site again and retry.`,
      'not-set-up': (/** @type {string} */ name) => `${list(name)} was not opened or saved: OrgSeal is not set up correctly in this browser. Tell IT.`,
      'other-site': (/** @type {string} */ name) => `Another website tried to download ${list(name)} from your organisation’s site. OrgSeal stopped it; nothing was saved.`,
      failed: (/** @type {string} */ name) => `${list(name)} could not be downloaded (the connection or the site failed), so nothing was saved. Try again.`,
    },
    /** The person-facing reason for a download refusal with this reader code. */
    downloadReason(/** @type {string | undefined} */ code) {
      const damaged = ['damaged', 'commitment-mismatch', 'truncated', 'short-file', 'size-mismatch', 'bad-header', 'bad-metadata', 'too-long'];
      if (code && damaged.includes(code)) return 'damaged';
      if (code === 'invalid-policy') return 'not-set-up';
      if (code && code in WORDS.download) return code;
      return 'failed';
    },

    quarantine: (/** @type {string} */ site) => `OrgSeal blocks files on part of ${host(site)}: the page could have read them before OrgSeal sealed them. ${ATTACH} If you did not expect this, tell IT.`,

    // What the popup says about the tab it opened over.
    tab: {
      seal: (/** @type {string} */ site, /** @type {string} */ key) => `This page is protected. Files you pick, drop or paste here are sealed for ${host(site)} with the key “${key}”.`,
      blocked: (/** @type {string} */ why) => `This page is a protected site, but OrgSeal blocks files here: ${why}`,
      quarantined: 'This page is protected, but OrgSeal blocks files in these parts of it, because the page could read them first:',
      off: 'This page is not a site your organisation protects: OrgSeal does nothing here.',
      sealing: (/** @type {string} */ name, /** @type {string} */ size) => `Sealing ${name} (${size})`,
      opening: (/** @type {string} */ name, /** @type {number} */ pct) => `Opening ${name}: ${pct} %`,
      noWindow: (/** @type {string} */ why) => `OrgSeal could not open its window (${why}). Try again.`,
    },

    // The popup's other words: its own failure, buttons and labels.
    popup: {
      notRunning: (/** @type {string} */ why) => `OrgSeal is not running (${why}). Restart the browser; if this stays, tell IT.`,
      cancel: 'Cancel',
      details: 'Details',
      notified: (/** @type {string} */ title) => `Shown as a notification: ${title}`,
      namesSealed: ' (names sealed too)',
    },

    // The popup's "For IT" section.
    it: {
      guard: {
        noPolicy: 'Upload guard: off (no policy).',
        notAsked: 'Upload guard: off (the policy does not ask OrgSeal to fail closed).',
        firefox: 'Upload guard: on. Uploads to the protected sites that carry a file OrgSeal did not seal as the whole request body are stopped (Firefox does not show the files in a form upload).',
        on: 'Upload guard: on. Uploads to the protected sites that carry a file OrgSeal did not seal are stopped.',
        cannot: 'Upload guard: off (this browser does not let OrgSeal block requests). Files are still sealed when they are picked, dropped or pasted.',
        byHand: 'Upload guard: off. OrgSeal was loaded by hand, not installed by policy, and only an extension installed by policy may stop requests. Files are still sealed when they are picked, dropped or pasted.',
      },
      failClosed: 'Fail closed: yes. A file OrgSeal cannot seal on a protected site is never sent.',
      failOpen: 'Fail closed: no. The policy lets a file OrgSeal cannot seal go unsealed.',
      privateOn: 'Private windows: OrgSeal runs there too.',
      privateOff: 'Private windows: OrgSeal is not allowed there. Turn them off by policy (orgseal policy render does), or allow OrgSeal there.',
    },

    // OrgSeal's frame on the page (the overlay).
    overlay: {
      sealing: 'OrgSeal is sealing',
      sealed: 'Sealed: the site gets only the sealed file',
      opening: 'OrgSeal is opening a download',
      cancelling: 'cancelling…',
    },

    // The popup's policy states.
    policy: {
      none: 'No OrgSeal policy is installed: files are not sealed or opened. Ask IT to install it.',
      invalid: 'OrgSeal is not set up correctly: nothing is sealed or opened, and files are blocked on your organisation’s sites. Tell IT (details below).',
      valid: (/** @type {string} */ key) => `OrgSeal is set up: new files are sealed with the key “${key}”.`,
      loading: 'Loading…',
      missing: 'OrgSeal’s policy has gone: files are blocked on the sites it protected until IT restores it.',
      broken: 'OrgSeal could not read its policy: files are blocked on the sites it last protected. Tell IT (details below).',
    },

    // One line per event in the popup's lists.
    event: {
      sealed: 'sealed',
      opened: 'opened',
      passed: 'saved as sent (not sealed)',
      refused: 'refused',
      cancelled: 'cancelled',
      quarantined: 'blocked part of the page',
    },

    // The "Attach a sealed file" window, and what the page's OrgSeal answers it.
    attach: {
      handing: (/** @type {number} */ pct) => `Handing over to OrgSeal in the page: ${pct} %`,
      sealing: 'OrgSeal is sealing the files in the page; only the sealed files go to the file field.',
      failed: (/** @type {string} */ why) => `Nothing was attached: ${why}. Reopen the page and try again.`,
      noTab: 'Open this from the OrgSeal button of the page you want to attach to.',
      cannot: (/** @type {string} */ why) => `Nothing can be attached: ${why}.`,
      to: (/** @type {string} */ label, /** @type {string} */ origin) => `To: ${label}, on ${origin}. The file is sealed before the page gets it.`,
      notRunning: 'OrgSeal is not running in that page: reload it and try again',
      noAnswer: 'the page did not answer',
      stopped: 'the page stopped answering',
      notTaken: 'the page did not take the files',
      notProtected: 'this page is not a site your organisation protects',
      selectField: 'select the page\'s file field first (click next to it and press Tab until it is selected), then open "Attach a sealed file" again',
      reloaded: 'the page was reloaded; open "Attach a sealed file" again',
      incomplete: 'a file arrived incomplete',
      confused: 'OrgSeal did not understand the attach window',
      field: (/** @type {string} */ name) => (name ? `the file field "${name}"` : 'the file field you selected'),
    },

    // The page's in-page notice for a refusal (drawn by OrgSeal, but in the
    // page: the notification is the one the page cannot hide).
    notice: (/** @type {string} */ text) => `OrgSeal: ${text}`,
  });
  /** @type {any} */ (globalThis).ORGSEAL_WORDS = WORDS;
})();
