// The extension's own crypto path outside the browser: the WebAssembly face
// it loads (extension/wasm/, as built by `cargo xtask build`) and its WebCrypto
// code (extension/bulk/gcm.js, run on Node's WebCrypto), with the steps the
// offscreen document and the sealer frame take.
// - Every committed vector file opens to its recorded SHA-256, or is refused
//   with exactly the code the native core gives (vectors.json).
// - Files sealed this way at sizes around the chunk edges are opened by the
//   native `orgseal` CLI. AES-GCM is deterministic for a key and nonce and the
//   CLI checks every tag, so this holds only if the bytes are the ones the
//   native core writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importChunkKey, openPieces, sealBlob } from '../../extension/bulk/gcm.js';
import { byteReader } from '../../extension/lib/bytes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const vectorsDir = path.join(root, 'tests/vectors/orgseal');
const CLI_BIN = process.env.ORGSEAL_CLI_BIN ?? path.join(root, 'target/debug/orgseal');
let core, table, policy, work;

before(async () => {
  core = await import(path.join(root, 'extension/wasm/orgseal_wasm.js'));
  core.initSync({ module: await readFile(path.join(root, 'extension/wasm/orgseal_wasm_bg.wasm')) });
  table = JSON.parse(await readFile(path.join(vectorsDir, 'vectors.json'), 'utf8'));
  policy = core.PolicyState.fromJson(await readFile(path.join(vectorsDir, 'policy.json'), 'utf8'));
  assert.equal(policy.status().state, 'valid');
  work = await mkdtemp(path.join(tmpdir(), 'orgseal-unit-'));
});

after(() => work && rm(work, { recursive: true, force: true }));

// Collects what a sink would. One that `consumes` copies what it is given
// and says so, and the pipeline then reuses the arrays it pushed: a window
// written over before it was taken would show in the bytes collected.
function collector(consumes = false) {
  const parts = [];
  return {
    consumes,
    push: async (b) => parts.push(consumes ? Buffer.from(b) : b),
    bytes: () => Buffer.concat(parts),
  };
}

// `bytes` as a stream of pieces of `step` bytes: a byte stream (read with a
// BYOB reader, as a download in Chromium is) or a plain one (read piece by
// piece, the fallback), the pieces each in an array of its own.
function streamOf(bytes, step, byob) {
  let at = 0;
  const next = () => {
    const piece = bytes.slice(at, Math.min(at + step, bytes.length));
    at += piece.length;
    return piece;
  };
  if (!byob) {
    return new ReadableStream({
      pull(c) {
        if (at >= bytes.length) c.close();
        else c.enqueue(next());
      },
    });
  }
  return new ReadableStream({
    type: 'bytes',
    pull(c) {
      if (at >= bytes.length) {
        c.close();
        c.byobRequest?.respond(0);
      } else c.enqueue(next());
    },
  });
}

// The offscreen document's steps: prefix length from the header, beginOpen on
// the prefix, then the content opened by the core's OpenPlan with WebCrypto,
// arriving in pieces of `step` bytes.
async function open(bytes, step, { byob = false, consumes = false } = {}) {
  const need = core.prefixLength(bytes.subarray(0, core.headerLength()), bytes.length < core.headerLength());
  const info = policy.beginOpen(bytes.subarray(0, need));
  const plan = new core.OpenPlan(info.chunkKey, info.contentOffset, info.size ?? undefined);
  const key = await importChunkKey(plan.aesKey());
  const sink = collector(consumes);
  try {
    // (With the size the file records, as the offscreen document passes it:
    // the window arrays are sized by it, and a longer stream still refused.)
    await openPieces(byteReader(streamOf(bytes.subarray(need), step, byob)), plan, key, sink, undefined, null, info.size ?? null);
  } finally {
    plan.free();
  }
  return { info, plain: sink.bytes() };
}

// The sealer frame's steps: beginSeal, then the content sealed by the core's
// SealPlan with WebCrypto.
async function seal(name, data, consumes = false) {
  const begin = policy.beginSeal(name, '', data.length, undefined);
  const plan = new core.SealPlan(begin.chunkKey, data.length);
  const key = await importChunkKey(plan.aesKey());
  const sink = collector(consumes);
  sink.push(Buffer.from(begin.prefix));
  try {
    await sealBlob(new Blob([data]), plan, key, sink);
  } finally {
    plan.free();
  }
  return sink.bytes();
}

test('every vector file opens, or is refused with the core\'s code, through the WASM face', async () => {
  assert.equal(table.vectors.length, 34, 'the vector table changed: update this test on purpose');
  let opened = 0;
  let refused = 0;
  for (const v of table.vectors) {
    const bytes = new Uint8Array(await readFile(path.join(vectorsDir, v.file)));
    for (const step of [1, 7, 16400, 1 << 20]) {
      for (const byob of [false, true]) {
        const how = { byob, consumes: byob };
        const where = `${v.file}, pieces of ${step}${byob ? ', BYOB' : ''}`;
        if (v.expect === 'open') {
          const { info, plain } = await open(bytes, step, how);
          assert.equal(info.name, v.name, where);
          assert.equal(createHash('sha256').update(plain).digest('hex'), v.sha256, where);
        } else {
          await assert.rejects(open(bytes, step, how), (e) => e.code === v.code, `${where}: expected code ${v.code}`);
        }
      }
    }
    if (v.expect === 'open') opened++;
    else refused++;
  }
  assert.ok(opened > 0 && refused > 0);
});

test('bytes that are not an OrgSeal file are told apart from a damaged one by code', () => {
  assert.throws(() => core.prefixLength(new TextEncoder().encode('%PDF-1.7 and more bytes here...'), false), (e) => e.code === 'not-orgseal');
  // A strict prefix of the magic is a cut file, not an unsealed one (as in the CLI).
  assert.throws(() => core.prefixLength(new TextEncoder().encode('OrgS'), false), (e) => e.code === 'short-file');
  // A whole file shorter than the magic is not an OrgSeal file: an empty one,
  // or one that happens to start like it. Longer, it is a cut one.
  for (const whole of ['', 'O', 'OrgSea']) {
    assert.throws(() => core.prefixLength(new TextEncoder().encode(whole), true), (e) => e.code === 'not-orgseal', JSON.stringify(whole));
  }
  assert.throws(() => core.prefixLength(new TextEncoder().encode('OrgSeal'), true), (e) => e.code === 'short-file');
});

test('sealed through WebCrypto at sizes around the chunk edges, opened by the native CLI and by the same path', async () => {
  const policyFile = path.join(vectorsDir, 'policy.json');
  for (const size of [0, 1, 16383, 16384, 16385, 2 * 16384, 3 * 16384 + 5, (1 << 20) + 7, 64 * 16384, 64 * 16384 + 1]) {
    const data = randomBytes(size);
    const sealed = await seal(`s-${size}.bin`, data);
    const file = path.join(work, `s-${size}.bin.orgseal`);
    await writeFile(file, sealed);
    const native = execFileSync(CLI_BIN, ['decrypt', '--policy', policyFile, file, '-o', '-'], { maxBuffer: 64 << 20 });
    assert.ok(native.equals(data), `${size}: the native core opened other bytes`);
    assert.ok((await open(new Uint8Array(sealed), 65536)).plain.equals(data), `${size}: reopened`);
    // One flipped bit in the last chunk: refused by both, with the same code.
    const bad = Buffer.from(sealed);
    bad[bad.length - 1] ^= 1;
    await writeFile(file, bad);
    assert.throws(() => execFileSync(CLI_BIN, ['decrypt', '--policy', policyFile, file, '-o', '-'], { stdio: 'pipe' }), (e) => e.status === 1);
    await assert.rejects(open(new Uint8Array(bad), 65536), (e) => e.code === 'damaged');
  }
});

// Several windows (4 MiB each) through the pipeline, its arrays reused from
// window to window, with a sink that keeps nothing and one that keeps all.
test('files of several windows seal and open whole, arrays reused or not', async () => {
  const policyFile = path.join(vectorsDir, 'policy.json');
  const size = 3 * (4 << 20) + 16384 * 5 + 77;
  const data = randomBytes(size);
  for (const consumes of [false, true]) {
    const sealed = await seal('windows.bin', data, consumes);
    const file = path.join(work, 'windows.bin.orgseal');
    await writeFile(file, sealed);
    const native = execFileSync(CLI_BIN, ['decrypt', '--policy', policyFile, file, '-o', '-'], { maxBuffer: 64 << 20 });
    assert.ok(native.equals(data), `consumes ${consumes}: the native core opened other bytes`);
    for (const [step, byob] of [[65536, false], [65536, true], [(1 << 20) + 3, true], [5 << 20, false]]) {
      const { plain } = await open(new Uint8Array(sealed), step, { byob, consumes });
      assert.ok(plain.equals(data), `consumes ${consumes}, pieces of ${step}${byob ? ', BYOB' : ''}: reopened other bytes`);
    }
    // A flipped bit in the second window: refused, nothing more opened.
    const bad = Buffer.from(sealed);
    bad[sealed.length - size + (5 << 20)] ^= 1;
    await assert.rejects(open(new Uint8Array(bad), 65536, { byob: true, consumes }), (e) => e.code === 'damaged');
  }
});

test('numbers from JS must be whole byte counts', () => {
  const key = new Uint8Array(44);
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(() => new core.OpenPlan(key, bad, undefined), (e) => e.code === 'bad-argument', String(bad));
    assert.throws(() => new core.SealPlan(key, bad), (e) => e.code === 'bad-argument', String(bad));
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
