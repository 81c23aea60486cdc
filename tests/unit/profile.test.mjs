// The benchmark's trace summary (tests/bench/profile.mjs): self time is an
// event's time less its children's, a window cuts events at its edges, and
// begin/end pairs count like complete events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize, markTime } from '../bench/profile.mjs';

const PID = 999999999; // no such process: its kind reads "ended"
const meta = [{ ph: 'M', name: 'thread_name', pid: PID, tid: 1, args: { name: 'CrRendererMain' } }];
// A task of 100 ms holding an AES call of 30 ms and a script of 20 ms.
const events = [
  ...meta,
  { ph: 'X', name: 'RunTask', pid: PID, tid: 1, ts: 0, dur: 100000, tdur: 50000 },
  { ph: 'X', name: 'DoEncrypt', pid: PID, tid: 1, ts: 10000, dur: 30000 },
  { ph: 'B', name: 'EvaluateScript', pid: PID, tid: 1, ts: 50000 },
  { ph: 'E', name: 'EvaluateScript', pid: PID, tid: 1, ts: 70000 },
  { ph: 'R', name: 'orgseal-bench-pick', cat: 'blink.user_timing', pid: PID, tid: 1, ts: 20000 },
];
const selfOf = (text, name) => Number(new RegExp(`([\\d.]+) ms  ${name}$`, 'm').exec(text)?.[1]);

test('self time subtracts nested events; wall and CPU come from top-level tasks', () => {
  const text = summarize(events);
  assert.equal(selfOf(text, 'RunTask'), 50);
  assert.equal(selfOf(text, 'DoEncrypt'), 30);
  assert.equal(selfOf(text, 'EvaluateScript'), 20);
  assert.match(text, /ended: tasks 100 ms; by thread: CrRendererMain 100 ms \(CPU 50\.0\)/);
});

test('a window cuts events at its edges, and its CPU in proportion', () => {
  const from = markTime(events, 'orgseal-bench-pick');
  assert.equal(from, 20000);
  const text = summarize(events, { from, to: 60000, timeline: true });
  assert.match(text, /the 40\.0 ms between the marks/);
  assert.equal(selfOf(text, 'DoEncrypt'), 20);
  assert.equal(selfOf(text, 'EvaluateScript'), 10);
  assert.equal(selfOf(text, 'RunTask'), 10);
  assert.match(text, /CrRendererMain 40\.0 ms \(CPU 20\.0\)/);
  // The timeline lists the AES call and the script, in order, from the mark.
  assert.match(text, /0\.0 \+20\.0 {2}ended CrRendererMain: DoEncrypt\n\s+30\.0 \+10\.0 {2}ended CrRendererMain: EvaluateScript/);
});

test('JavaScript samples: the time since the previous sample goes to the function on top, inside the window only', () => {
  const nodes = [
    { id: 1, callFrame: { functionName: '(root)', url: '' } },
    { id: 2, callFrame: { functionName: 'sealWindow', url: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/extension/bulk/gcm.js', lineNumber: 36 }, parent: 1 },
    { id: 3, callFrame: { functionName: '(idle)', url: '' }, parent: 1 },
  ];
  const sampled = [
    ...meta,
    { ph: 'P', name: 'Profile', pid: PID, tid: 1, id: '0x1', ts: 0, args: { data: { startTime: 0 } } },
    // Samples at 1, 2, 3 ms (sealWindow, idle, sealWindow) and at 10 ms (sealWindow, outside the window).
    { ph: 'P', name: 'ProfileChunk', pid: PID, tid: 1, id: '0x1', ts: 0, args: { data: { cpuProfile: { nodes, samples: [2, 3, 2, 2] }, timeDeltas: [1000, 1000, 1000, 7000] } } },
  ];
  const text = summarize(sampled, { from: 0, to: 5000 });
  assert.match(text, /JavaScript samples: 3, median 1\.0 ms apart/);
  // Two samples of sealWindow, a millisecond each; idle is not counted.
  assert.equal(selfOf(text, 'js sealWindow ext:/extension/bulk/gcm.js:37'), 2);
  assert.doesNotMatch(text, /idle/);
});
