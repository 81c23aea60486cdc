// The committed OrgSeal vector files, run through the WebAssembly face the
// extension loads (extension/wasm/, as built by `cargo xtask build`), with the
// same reading steps the offscreen document takes. Every valid file must open
// to its recorded SHA-256, and every damaged one must be refused with exactly
// the code the native core gives (tests/vectors/orgseal/vectors.json).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const vectorsDir = path.join(root, 'tests/vectors/orgseal');
let core, table, policy;

before(async () => {
  core = await import(path.join(root, 'extension/wasm/orgseal_wasm.js'));
  core.initSync({ module: await readFile(path.join(root, 'extension/wasm/orgseal_wasm_bg.wasm')) });
  table = JSON.parse(await readFile(path.join(vectorsDir, 'vectors.json'), 'utf8'));
  policy = core.PolicyState.fromJson(await readFile(path.join(vectorsDir, 'policy.json'), 'utf8'));
  assert.equal(policy.status().state, 'valid');
});

// The offscreen document's steps: prefix length from the header, beginOpen on
// the prefix, then the content pushed in pieces of `step` bytes.
function open(bytes, step) {
  const need = core.prefixLength(bytes.subarray(0, core.headerLength()));
  const info = policy.beginOpen(bytes.subarray(0, need));
  const opener = new core.ContentOpener(info.chunkKey, info.contentOffset, info.size ?? undefined);
  const parts = [];
  try {
    for (let at = need; at < bytes.length; at += step) parts.push(opener.push(bytes.subarray(at, Math.min(at + step, bytes.length))));
    parts.push(opener.finish());
  } finally {
    opener.free();
  }
  return { info, plain: Buffer.concat(parts) };
}

test('every vector file opens, or is refused with the core\'s code, through the WASM face', async () => {
  assert.equal(table.vectors.length, 20, 'the vector table changed: update this test on purpose');
  let opened = 0;
  let refused = 0;
  for (const v of table.vectors) {
    const bytes = new Uint8Array(await readFile(path.join(vectorsDir, v.file)));
    for (const step of [1, 16400, 1 << 20]) {
      if (v.expect === 'open') {
        const { info, plain } = open(bytes, step);
        assert.equal(info.name, v.name, v.file);
        assert.equal(createHash('sha256').update(plain).digest('hex'), v.sha256, `${v.file}, pieces of ${step}`);
      } else {
        assert.throws(() => open(bytes, step), (e) => e.code === v.code, `${v.file}: expected code ${v.code}`);
      }
    }
    if (v.expect === 'open') opened++;
    else refused++;
  }
  assert.ok(opened > 0 && refused > 0);
});

test('bytes that are not an OrgSeal file are told apart from a damaged one by code', () => {
  assert.throws(() => core.prefixLength(new TextEncoder().encode('%PDF-1.7 and more bytes here...')), (e) => e.code === 'not-orgseal');
  // A strict prefix of the magic is a cut file, not an unsealed one (as in the CLI).
  assert.throws(() => core.prefixLength(new TextEncoder().encode('OrgS')), (e) => e.code === 'short-file');
});

test('numbers from JS must be whole byte counts', () => {
  const key = new Uint8Array(44);
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(() => new core.ContentOpener(key, bad, undefined), (e) => e.code === 'bad-argument', String(bad));
    assert.throws(() => policy.beginSeal('a.bin', '', bad, undefined), (e) => e.code === 'bad-argument', String(bad));
  }
});

test('safeFileName is the core\'s rule', () => {
  assert.equal(core.safeFileName('../../etc/passwd'), 'passwd');
  assert.equal(core.safeFileName('C:\\Users\\x\\report.pdf'), 'report.pdf');
  assert.equal(core.safeFileName('.hidden'), 'hidden');
  assert.equal(core.safeFileName('nul.txt'), '_nul.txt');
  assert.equal(core.safeFileName(''), 'opened-file');
  assert.equal(core.safeFileName('a\u0000b:c'), 'a_b_c');
});
