// tests/types/extension/wasm/orgseal_wasm.d.ts stands in for the module
// wasm-bindgen writes (extension/wasm/orgseal_wasm.js) when TypeScript checks a
// checkout not built yet, as a fresh clone in CI is. Written by hand, it can
// fall behind crates/orgseal-wasm: this test reads it and holds it to the
// built module, name by name, so that a method added to the core and used by
// the extension cannot pass the type check here and fail it on a fresh clone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const standIn = path.join(root, 'tests/types/extension/wasm/orgseal_wasm.d.ts');

/**
 * Names the stand-in declares: classes with their members, and functions. The
 * file is ours and kept to one shape (`export class X {`, one member a line,
 * `}` alone at the start of a line), which this reads; anything else in it is
 * an error here, not a silent skip.
 */
async function declared() {
  const lines = (await readFile(standIn, 'utf8')).split('\n');
  const classes = new Map();
  const functions = new Set();
  let current = null;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('//') || trimmed.startsWith('/**')) continue;
    let m;
    if (current) {
      if (line === '}') {
        current = null;
      } else if ((m = /^ {2}(static )?(?:private )?([A-Za-z_]\w*)\(/.exec(line))) {
        if (m[2] !== 'constructor') current.add(`${m[1] ?? ''}${m[2]}`);
      } else {
        assert.fail(`the stand-in has a class member this test cannot read: ${line}`);
      }
    } else if ((m = /^export class (\w+) \{$/.exec(line))) {
      current = new Set();
      classes.set(m[1], current);
    } else if ((m = /^export (?:default )?function (\w+)\(/.exec(line))) {
      functions.add(line.startsWith('export default') ? 'default' : m[1]);
    } else if (!/^export type \w+ = /.test(line) && !/^ {2}\S/.test(line) && trimmed !== '): Promise<InitOutput>;') {
      assert.fail(`the stand-in has a line this test cannot read: ${line}`);
    }
  }
  return { classes, functions };
}

/** The same names, as the built module exports them. */
async function built() {
  const core = await import(path.join(root, 'extension/wasm/orgseal_wasm.js'));
  const classes = new Map();
  const functions = new Set();
  for (const [name, value] of Object.entries(core)) {
    if (typeof value !== 'function') continue;
    const own = Object.getOwnPropertyNames(value.prototype ?? {}).filter((n) => n !== 'constructor');
    const isClass = /^class\b/.test(Function.prototype.toString.call(value));
    if (!isClass) {
      functions.add(name);
      continue;
    }
    const members = new Set(own.filter((n) => !n.startsWith('__')));
    for (const n of Object.getOwnPropertyNames(value)) {
      if (['length', 'name', 'prototype'].includes(n) || n.startsWith('__')) continue;
      if (typeof value[n] === 'function') members.add(`static ${n}`);
    }
    classes.set(name, members);
  }
  return { classes, functions };
}

test('the stand-in types name exactly what the built WebAssembly module exports', async () => {
  const want = await built();
  const have = await declared();
  assert.ok(want.classes.size >= 3, `the built module exports classes: ${[...want.classes.keys()]}`);
  assert.deepEqual([...have.classes.keys()].sort(), [...want.classes.keys()].sort(), 'classes');
  for (const [name, members] of want.classes) {
    assert.deepEqual([...have.classes.get(name)].sort(), [...members].sort(), `members of ${name}`);
  }
  assert.deepEqual([...have.functions].sort(), [...want.functions].sort(), 'functions');
});
