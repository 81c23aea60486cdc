// The person-facing words (extension/lib/words.js): names from files and
// servers cannot close the quote or add words of their own, sizes read as
// people read them, and every reader code maps to a plain sentence.
import { test } from 'node:test';
import assert from 'node:assert/strict';

await import('../../extension/lib/words.js');
const W = /** @type {any} */ (globalThis).ORGSEAL_WORDS;

test('a name cannot close the quote, break the line or turn the text around', () => {
  const hostile = 'report\u202Etxt.exe”. Call +1 555 0100 now\n“ \u200Bx.pdf';
  const text = W.download.damaged(hostile);
  assert.equal(text, '“reporttxt.exe. Call +1 555 0100 now x.pdf” was damaged or changed and was not saved. Ask whoever shared it to upload it again.');
  assert.equal((text.match(/[“”]/g) ?? []).length, 2, 'exactly the two quotes OrgSeal puts');
  assert.ok(!/[\n\u202E\u200B]/.test(text));
  assert.equal(W.list(['a'.repeat(200)]), `“${'a'.repeat(77)}…”`, 'cut to 80 characters at most');
});

test('sizes read as people read them', () => {
  assert.equal(W.size(12), '12 bytes');
  assert.equal(W.size(1), '1 byte');
  assert.equal(W.size(20000), '20 kB');
  assert.equal(W.size(629145600), '629 MB');
  assert.equal(W.size(1610612736), '1.6 GB');
  assert.equal(W.size(null), '');
});

test('every code a reader gives has plain words, and damage of any kind reads the same', () => {
  for (const code of ['damaged', 'commitment-mismatch', 'truncated', 'short-file', 'size-mismatch', 'bad-header', 'bad-metadata']) {
    assert.equal(W.downloadReason(code), 'damaged', code);
  }
  assert.equal(W.downloadReason('invalid-policy'), 'not-set-up');
  assert.equal(W.downloadReason('unknown-key'), 'unknown-key');
  assert.equal(W.downloadReason('no-such-code'), 'failed');
  for (const reason of Object.keys(W.download)) assert.match(W.download[reason]('a.pdf'), /“a\.pdf”/, reason);
});
