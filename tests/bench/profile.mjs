// Where the time of a seal or an open goes, from a Chromium trace of the
// whole browser (every process, every thread) taken through the DevTools
// protocol while the work runs. `cargo xtask bench-browser --profile` prints,
// for each process that worked (the browser process, the page's renderer,
// the extension's renderer, ...):
// - per thread: wall time in tasks and the CPU time they used;
// - the trace events that took the most time themselves (nested events
//   subtracted), with JavaScript entry points named by function and script;
// - the JavaScript functions the sampling profiler found running most.
import { readFileSync } from 'node:fs';

// Busy threads show up through the scheduler's top-level task events;
// the rest name what runs inside them.
const CATEGORIES = [
  'toplevel',
  'v8',
  'v8.execute',
  'blink',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-v8.gc',
  'mojom',
  'ipc',
  'ServiceWorker',
  'storage',
  'loading',
  'navigation',
  'blink.user_timing',
  // JavaScript sampled on every thread that runs it; `.hires` samples more
  // often (about 0.2 ms apart here; the summary prints the interval it got).
  'disabled-by-default-v8.cpu_profiler',
  'disabled-by-default-v8.cpu_profiler.hires',
].join(',');

/**
 * Starts tracing through `cdp` (a page's DevTools session; Chromium traces
 * every process of the browser). Returns `stop()`, which ends the trace and
 * gives back its events.
 * @param {import('playwright').CDPSession} cdp
 */
export async function startTrace(cdp) {
  await cdp.send('Tracing.start', { transferMode: 'ReturnAsStream', traceConfig: { includedCategories: CATEGORIES.split(','), recordMode: 'recordContinuously' } });
  return async () => {
    const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    const { stream, dataLossOccurred } = /** @type {{ stream: string, dataLossOccurred?: boolean }} */ (await done);
    // The trace buffer wraps: figures from a trace that lost events would
    // undercount without saying so.
    if (dataLossOccurred) console.log('profile: WARNING: the trace buffer overflowed and lost events; the figures below undercount');
    let text = '';
    for (;;) {
      const { data, eof, base64Encoded } = await cdp.send('IO.read', { handle: stream, size: 1 << 22 });
      text += base64Encoded ? Buffer.from(data, 'base64').toString('utf8') : data;
      if (eof) break;
    }
    await cdp.send('IO.close', { handle: stream });
    const parsed = JSON.parse(text);
    return /** @type {any[]} */ (Array.isArray(parsed) ? parsed : parsed.traceEvents);
  };
}

// What kind of browser process `pid` is: the browser itself, a renderer (the
// extension's, where the sealer frame and its workers run, or a page's), the
// GPU process... (the trace's process ids are the system's: no sandbox here).
export function processKind(pid) {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const type = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
    return cmd.includes('--extension-process') ? `${type} (extension)` : type;
  } catch {
    return 'ended';
  }
}

/** A script's URL, short: `ext:` for the extension, `site:` for the vendor site. */
const shortUrl = (url) =>
  String(url ?? '')
    .replace(/^chrome-extension:\/\/[a-p]{32}/, 'ext:')
    .replace(/^https?:\/\/127\.0\.0\.1:\d+/, 'site:');

/** `map`'s entry for `key`, made by `make()` the first time. */
function entry(map, key, make) {
  if (!map.has(key)) map.set(key, make());
  return map.get(key);
}

/** What an event is, for the table: JavaScript calls name their function and script. */
function label(e) {
  const d = e.args?.data;
  if ((e.name === 'FunctionCall' || e.name === 'EvaluateScript' || e.name === 'v8.callFunction') && d) {
    const script = shortUrl(d.url);
    return `${e.name} ${d.functionName || '(anonymous)'} ${script}${d.lineNumber ? `:${d.lineNumber}` : ''}`;
  }
  if (e.name === 'EventDispatch' && d?.type) return `EventDispatch ${d.type}`;
  if (e.name === 'TimerFire' || e.name === 'FireAnimationFrame') return e.name;
  return e.name;
}

/**
 * The trace time (µs) of the user-timing mark `name` (performance.mark in a
 * page), or undefined.
 * @param {any[]} events
 * @param {string} name
 */
export function markTime(events, name) {
  return events.find((e) => e.name === name && e.cat?.includes('blink.user_timing'))?.ts;
}

/**
 * Sums a trace: per process and thread, wall and CPU time in top-level
 * tasks; per process, the events with the most self time. With `from`/`to`
 * (trace µs, see markTime), only what ran between the two counts (events
 * that cross an edge are cut there), and `timeline` lists the JavaScript
 * entry points and the AES calls in that span, in order, by process.
 * @param {any[]} events
 * @param {{ top?: number, from?: number, to?: number, timeline?: boolean }} [opts]
 */
export function summarize(events, { top = 12, from = -Infinity, to = Infinity, timeline = false } = {}) {
  const threadNames = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
  // Complete events by thread, in order; begin/end pairs are folded into them.
  /** @type {Map<string, any[]>} */
  const byThread = new Map();
  const open = new Map();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    let x = null;
    if (e.ph === 'X') x = e;
    else if (e.ph === 'B') entry(open, key, () => []).push(e);
    else if (e.ph === 'E') {
      const b = open.get(key)?.pop();
      if (b) x = { ...b, ph: 'X', dur: e.ts - b.ts, tdur: e.tts != null && b.tts != null ? e.tts - b.tts : undefined };
    }
    if (x && x.dur != null) {
      const a = Math.max(x.ts, from);
      const b = Math.min(x.ts + x.dur, to);
      if (b <= a) continue;
      if (a !== x.ts || b !== x.ts + x.dur) x = { ...x, ts: a, dur: b - a, tdur: x.tdur != null && x.dur > 0 ? (x.tdur * (b - a)) / x.dur : undefined };
      entry(byThread, key, () => []).push(x);
    }
  }
  let first = Infinity;
  let last = -Infinity;
  /** @type {Map<number, { kind: string, threads: Map<string, { wall: number, cpu: number }>, self: Map<string, number>, js: Map<string, number> }>} */
  const procs = new Map();
  const newProc = (pid) => () => ({ kind: processKind(pid), threads: new Map(), self: new Map(), js: new Map() });
  for (const [key, list] of byThread) {
    const pid = Number(key.split(':')[0]);
    const proc = entry(procs, pid, newProc(pid));
    const tname = (threadNames.get(key) ?? 'thread').replace(/\d+$/, '');
    const t = entry(proc.threads, tname, () => ({ wall: 0, cpu: 0 }));
    list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    /** @type {{ end: number, e: any, child: number }[]} */
    const stack = [];
    const close = (until) => {
      while (stack.length && stack[stack.length - 1].end <= until) {
        const s = /** @type {{ end: number, e: any, child: number }} */ (stack.pop());
        const name = label(s.e);
        proc.self.set(name, (proc.self.get(name) ?? 0) + Math.max(0, s.e.dur - s.child));
        if (stack.length) stack[stack.length - 1].child += s.e.dur;
      }
    };
    for (const e of list) {
      close(e.ts);
      if (!stack.length) {
        t.wall += e.dur;
        t.cpu += e.tdur ?? 0;
        first = Math.min(first, e.ts);
        last = Math.max(last, e.ts + e.dur);
      }
      stack.push({ end: e.ts + e.dur, e, child: 0 });
    }
    close(Infinity);
  }
  // The V8 sampling profiler's chunks: each sample's time since the one
  // before goes to the function it found on top (self time), per process.
  /** @type {Map<string, { nodes: Map<number, any>, t: number }>} */
  const profiles = new Map();
  /** @type {number[]} each sample's time since the one before (µs) */
  const samples = [];
  for (const e of events) {
    if (e.ph !== 'P') continue;
    const key = `${e.pid}:${e.id}`;
    if (e.name === 'Profile') profiles.set(key, { nodes: new Map(), t: e.args?.data?.startTime ?? e.ts });
    if (e.name !== 'ProfileChunk') continue;
    const prof = entry(profiles, key, () => ({ nodes: new Map(), t: e.ts }));
    const cpu = e.args?.data?.cpuProfile ?? {};
    for (const n of cpu.nodes ?? []) prof.nodes.set(n.id, n);
    const deltas = e.args?.data?.timeDeltas ?? [];
    (cpu.samples ?? []).forEach((id, i) => {
      prof.t += deltas[i] ?? 0;
      if (prof.t < from || prof.t > to) return;
      samples.push(deltas[i] ?? 0);
      const f = prof.nodes.get(id)?.callFrame;
      if (!f) return;
      const script = shortUrl(f.url);
      const name = `js ${f.functionName || '(anonymous)'}${script ? ` ${script}:${(f.lineNumber ?? -1) + 1}` : ''}`;
      if (/^js \((idle|program|root)\)$/.test(name)) return;
      const proc = entry(procs, e.pid, newProc(e.pid));
      proc.js.set(name, (proc.js.get(name) ?? 0) + (deltas[i] ?? 0));
    });
  }
  const ms = (us) => (us / 1000).toFixed(us >= 100000 ? 0 : 1);
  const lines = [
    Number.isFinite(from) && Number.isFinite(to) ? `trace: the ${ms(to - from)} ms between the marks` : `trace: ${ms(last - first)} ms from the first task to the last`,
  ];
  if (samples.length) {
    const sorted = [...samples].sort((a, b) => a - b);
    lines.push(`  JavaScript samples: ${samples.length}, median ${ms(sorted[sorted.length >> 1])} ms apart`);
  }
  if (timeline) {
    const start = Number.isFinite(from) ? from : first;
    const steps = [];
    for (const [key, list] of byThread) {
      const pid = Number(key.split(':')[0]);
      const where = `${procs.get(pid)?.kind ?? pid} ${(threadNames.get(key) ?? '').replace(/\d+$/, '')}`;
      for (const e of list) {
        if (!/^(FunctionCall|EvaluateScript|DoEncrypt|DoDecrypt|BlobRegistry::Register|MessagePort::Accept|ParseHTML|v8.compile|V8.DeserializeContext)$/.test(e.name) || e.dur < 300) continue;
        steps.push({ ts: e.ts, dur: e.dur, text: `${where}: ${label(e)}` });
      }
    }
    steps.sort((a, b) => a.ts - b.ts);
    // Runs of the same step on the same thread are folded into one line.
    const folded = [];
    for (const s of steps) {
      const prev = folded[folded.length - 1];
      if (prev && prev.text === s.text) {
        prev.n++;
        prev.dur += s.dur;
        prev.end = s.ts + s.dur;
      } else folded.push({ ...s, n: 1, end: s.ts + s.dur });
    }
    lines.push('  timeline (ms from the first mark; JavaScript entry points and AES calls over 0.3 ms):');
    for (const f of folded.slice(0, 60)) lines.push(`    ${ms(f.ts - start).padStart(7)} +${ms(f.dur)}${f.n > 1 ? ` (${f.n}×, until ${ms(f.end - start)})` : ''}  ${f.text}`);
  }
  const ranked = [...procs.values()]
    .map((p) => ({ ...p, wall: [...p.threads.values()].reduce((n, t) => n + t.wall, 0) }))
    .filter((p) => p.wall > 0 || p.js.size)
    .sort((a, b) => b.wall - a.wall);
  for (const p of ranked) {
    const threads = [...p.threads]
      .filter(([, t]) => t.wall >= 1000)
      .sort((a, b) => b[1].wall - a[1].wall)
      .map(([n, t]) => `${n} ${ms(t.wall)} ms (CPU ${ms(t.cpu)})`);
    if (!threads.length && !p.js.size) continue;
    lines.push(`  ${p.kind}: tasks ${ms(p.wall)} ms; by thread: ${threads.join(', ') || 'none over 1 ms'}`);
    const selfTop = [...p.self].sort((a, b) => b[1] - a[1]).slice(0, top).filter(([, v]) => v >= 1000);
    for (const [name, v] of selfTop) lines.push(`      ${ms(v).padStart(7)} ms  ${name}`);
    const jsTop = [...p.js].sort((a, b) => b[1] - a[1]).slice(0, top).filter(([, v]) => v >= 500);
    if (jsTop.length) lines.push('    JavaScript, sampled (self time):');
    for (const [name, v] of jsTop) lines.push(`      ${ms(v).padStart(7)} ms  ${name}`);
  }
  return lines.join('\n');
}
