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

// Collects what a BlobSink would.
// (Sealing pushes a Blob per window; opening pushes bytes.)
function collector() {
  const parts = [];
  return {
    push: async (b) => parts.push(b instanceof Blob ? new Uint8Array(await b.arrayBuffer()) : b),
    bytes: () => Buffer.concat(parts),
  };
}

async function* piecesOf(bytes, step) {
  for (let at = 0; at < bytes.length; at += step) yield bytes.subarray(at, Math.min(at + step, bytes.length));
}

// The offscreen document's steps: prefix length from the header, beginOpen on
// the prefix, then the content opened by the core's OpenPlan with WebCrypto,
// arriving in pieces of `step` bytes.
async function open(bytes, step) {
  const need = core.prefixLength(bytes.subarray(0, core.headerLength()), bytes.length < core.headerLength());
  const info = policy.beginOpen(bytes.subarray(0, need));
  const plan = new core.OpenPlan(info.chunkKey, info.contentOffset, info.size ?? undefined);
  const key = await importChunkKey(plan.aesKey());
  const sink = collector();
  try {
    await openPieces(piecesOf(bytes.subarray(need), step), plan, key, sink);
  } finally {
    plan.free();
  }
  return { info, plain: sink.bytes() };
}

// The sealer frame's steps: beginSeal, then the content sealed by the core's
// SealPlan with WebCrypto.
async function seal(name, data) {
  const begin = policy.beginSeal(name, '', data.length, undefined);
  const plan = new core.SealPlan(begin.chunkKey, data.length);
  const key = await importChunkKey(plan.aesKey());
  const sink = collector();
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
      if (v.expect === 'open') {
        const { info, plain } = await open(bytes, step);
        assert.equal(info.name, v.name, v.file);
        assert.equal(createHash('sha256').update(plain).digest('hex'), v.sha256, `${v.file}, pieces of ${step}`);
      } else {
        await assert.rejects(open(bytes, step), (e) => e.code === v.code, `${v.file}: expected code ${v.code}`);
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
