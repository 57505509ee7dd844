import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measurementName, parseMeasurementName, parsePeerMeasurementName, peerMeasurementName, sizeLabel, type BenchCase, type BenchMetric, type BenchStack, type PeerShape, type PeerStack } from '../src/bench/bench-case';
import { buildBenchReport } from '../src/bench/bench-report';
import { geomean, spreadOf, spreadPercent } from '../src/bench/bench-stats';
import { benchText, directionTable, ratiosText, textTable } from '../src/bench/bench-table';
import { directionChart, niceMax } from '../src/bench/bench-chart';
import { xmlAttr as xmlEscape } from '../src/results/report-text';
import { benchHtml } from '../src/bench/bench-html';
import { writeBenchOutputs } from '../src/bench/bench-output';
import { main } from '../src/cli/main';
import { totalsOf, type Measurement, type RunResults, type TestResult } from '../src/results/results';

const MB = 1e6;

/** A test result carrying one rep of one case on one stack, as the suite records it. */
function caseTest(c: BenchCase, stack: BenchStack, rep: number, f: Record<BenchMetric, number>): TestResult {
  const measurements: Measurement[] = (Object.entries(f) as Array<[BenchMetric, number]>).map(([metric, value]) => ({
    name: measurementName({ ...c, stack, rep }, metric),
    value,
    unit: metric === 'throughput' ? 'B/s' : 's/GiB',
  }));
  return { suite: 'bench-io-modes', name: `rep ${rep}, ${stack} > ${c.mode}, ${sizeLabel(c.transferSize)} transfers, depth ${c.depth}`, status: 'passed', durationMs: 10, measurements };
}

/**
 * A small run: IN, copy and mmap, 64 KiB, depth 8, 3 reps per stack. ours: copy 10/20/30 MB/s,
 * mmap 40/50/60; C: copy 20 MB/s, mmap 50 MB/s every time. Gadget CPU: ours 100 (copy) / 25
 * (mmap), C 50 / 10; host CPU 40 everywhere. dmabuf skipped twice with one reason.
 */
function sampleRun(): RunResults {
  const tests: TestResult[] = [];
  const copy: BenchCase = { direction: 'in', mode: 'copy', transferSize: 65536, depth: 8 };
  const mmap: BenchCase = { direction: 'in', mode: 'mmap', transferSize: 65536, depth: 8 };
  for (let rep = 1; rep <= 3; rep++) {
    tests.push(caseTest(copy, 'ours', rep, { throughput: rep * 10 * MB, 'gadget CPU': 100, 'host CPU': 40 }));
    tests.push(caseTest(copy, 'c', rep, { throughput: 20 * MB, 'gadget CPU': 50, 'host CPU': 40 }));
    tests.push(caseTest(mmap, 'ours', rep, { throughput: (30 + rep * 10) * MB, 'gadget CPU': 25, 'host CPU': 40 }));
    tests.push(caseTest(mmap, 'c', rep, { throughput: 50 * MB, 'gadget CPU': 10, 'host CPU': 40 }));
  }
  const skip = 'DMABUF attach: EPERM: ioctl(FUNCTIONFS_DMABUF_ATTACH): Operation not permitted';
  tests.push({ suite: 'bench-io-modes', name: 'rep 1, ours > dmabuf, 16 KiB transfers, depth 1', status: 'skipped', reason: skip, durationMs: 0 });
  tests.push({ suite: 'bench-io-modes', name: 'rep 1, c > dmabuf, 16 KiB transfers, depth 1', status: 'skipped', reason: skip, durationMs: 0 });
  tests.push({ suite: 'bench-io-modes', name: 'rep 2, c > aio, 1 MiB transfers, depth 32', status: 'failed', reason: 'checksums differ: gadget sent 1, host received 2\nmore', durationMs: 5 });
  // Foreign measurements are ignored.
  tests.push({ suite: 'integrity', name: 'x', status: 'passed', durationMs: 1, measurements: [{ name: 'throughput', value: 1, unit: 'MB/s' }] });
  return { kernel: { release: '6.12.117-ffslab', variant: 'patched', features: { mmap: 'present', dmabuf: 'present' } }, totals: totalsOf(tests), tests, startedAt: '2026-11-24T00:00:00.000Z', durationMs: 600_000 };
}

test('measurement names round-trip and nothing else parses', () => {
  const c = { direction: 'out' as const, mode: 'dmabuf' as const, transferSize: 1 << 20, depth: 32, stack: 'c' as const, rep: 2 };
  const name = measurementName(c, 'gadget CPU');
  assert.equal(name, 'bench out dmabuf 1048576 32 c #2: gadget CPU');
  assert.deepEqual(parseMeasurementName(name, 1.5), { ...c, metric: 'gadget CPU', value: 1.5 });
  assert.equal(parseMeasurementName('throughput', 1), undefined);
  assert.equal(parseMeasurementName('bench in zerocopy 1 1 c #1: throughput', 1), undefined);
});

test('statistics: median (odd and even), spread, geometric mean', () => {
  assert.deepEqual(spreadOf([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.equal(spreadOf([4, 1, 2, 3])!.median, 2.5);
  assert.equal(spreadOf([]), undefined);
  assert.equal(spreadPercent({ median: 20, min: 10, max: 30, n: 3 }), 50);
  assert.ok(Math.abs(geomean([2, 8])! - 4) < 1e-12);
  assert.equal(geomean([0, -1]), undefined);
});

test('the report has medians per case and stack, ours/C per case and per mode, mmap/copy per stack', () => {
  const r = buildBenchReport(sampleRun(), { machine: 'test' });
  assert.equal(r.reps, 3);
  assert.equal(r.rows.length, 2);
  const [copy, mmap] = r.rows;
  assert.equal(copy!.mode, 'copy', 'grid order: copy before mmap');
  assert.deepEqual(copy!.ours!.throughput, { median: 20 * MB, min: 10 * MB, max: 30 * MB, n: 3 });
  assert.equal(copy!.throughputRatio, 1);
  assert.equal(mmap!.throughputRatio, 1);
  const inCopy = r.oursOverC.find((x) => x.mode === 'copy')!;
  assert.equal(inCopy.gadgetCpu, 2);
  assert.equal(inCopy.hostCpu, 1);
  assert.equal(inCopy.cases, 1);
  const ours = r.mmapOverCopy.find((x) => x.stack === 'ours')!;
  assert.equal(ours.throughput, 50 / 20);
  assert.equal(ours.gadgetCpu, 0.25);
  const c = r.mmapOverCopy.find((x) => x.stack === 'c')!;
  assert.equal(c.throughput, 2.5);
  assert.equal(c.gadgetCpu, 0.2);
  assert.deepEqual(r.skipped.map((n) => n.count), [2]);
  assert.equal(r.failed.length, 1);
  assert.equal(r.failed[0]!.reason, 'checksums differ: gadget sent 1, host received 2', 'first line only');
  assert.equal(r.conditions.machine, 'test');
});

test('the terminal table lines up, shows median ±spread, and prints the ratios last', () => {
  const r = buildBenchReport(sampleRun());
  const t = directionTable(r.rows, 'in').split('\n');
  assert.match(t[0]!, /^mode\s+size\s+depth\s+MB\/s ours\s+MB\/s C\s+ours\/C/);
  assert.match(t[1]!, /^-+ {2}-+/);
  assert.match(t[2]!, /^copy\s+64 KiB\s+8\s+20\.0 ±50%\s+20\.0 ±0%\s+1\.00\s+100\.0 ±0%\s+50\.0 ±0%\s+40\.0 ±0%\s+40\.0 ±0%$/);
  assert.equal(new Set(t.map((l) => l.length)).size <= 2, true, 'rows are padded to the same width');
  const text = benchText(r);
  const ratios = ratiosText(r);
  assert.ok(text.trimEnd().endsWith(ratios.trimEnd()), 'ratios come last');
  assert.match(ratios, /IN\s+copy\s+1\.00\s+2\.00\s+1\.00\s+1/);
  assert.match(ratios, /IN\s+ours \(agent \+ node usb\)\s+2\.50\s+0\.25/);
  assert.match(text, /skipped:\n {2}2 x DMABUF attach: EPERM/);
  assert.match(text, /FAILED:\n {2}1 x checksums differ/);
  assert.equal(textTable([['a', 'b'], ['long', '1']]), 'a     b\n----  -\nlong  1');
});

test('a mode below 0.9x the C pair is called out', () => {
  const run = sampleRun();
  for (const t of run.tests) for (const m of t.measurements ?? []) if (/ ours #\d: throughput/.test(m.name) && / mmap /.test(m.name)) m.value = 10 * MB;
  const r = buildBenchReport(run);
  assert.match(ratiosText(r), /below 0\.9x the C pair: IN mmap \(0\.20\)/);
});

test('the chart is one SVG per direction: three panels, a bar per stack and size with data, whiskers, escaped text', () => {
  const r = buildBenchReport(sampleRun());
  const svg = directionChart(r, 'in', 8);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  for (const title of ['throughput (MB/s', 'gadget CPU (s per GiB', 'host CPU (s per GiB']) assert.ok(svg.includes(title), title);
  // 2 modes x 1 size with data x 2 stacks x 3 panels.
  assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 12);
  assert.equal((svg.match(/<path d="M/g) ?? []).length, 12, 'every bar has min-max whiskers (3 reps)');
  // Axis top of the throughput panel: max 60 MB/s -> 100 (1, 2, 2.5, 5 x 10^k).
  assert.ok(svg.includes('>100</text>'));
  assert.equal(niceMax(60), 100);
  assert.equal(niceMax(0.3), 0.5);
  assert.equal(niceMax(200), 200);
  assert.equal(niceMax(0), 1);
  assert.equal(xmlEscape('<a & "b">'), '&lt;a &amp; &quot;b&quot;&gt;');
  // A depth without figures draws empty slots, not bars.
  assert.equal((directionChart(r, 'in', 32).match(/<rect [^>]*><title>/g) ?? []).length, 0);
});

test('index.html inlines the charts and holds the ratios, the notes and the full grid', () => {
  const r = buildBenchReport(sampleRun(), { 'host machine': 'x <y>' });
  const html = benchHtml(r, { in: directionChart(r, 'in') });
  assert.match(html, /^<!DOCTYPE html>/);
  assert.equal((html.match(/<svg /g) ?? []).length, 1);
  assert.ok(html.includes('x &lt;y&gt;'), 'conditions are escaped');
  assert.ok(html.includes('<h3>our stack / C pair</h3>'));
  assert.ok(html.includes('<h3>zero-copy (mmap) / copy</h3>'));
  assert.ok(html.includes('skipped (2): DMABUF attach'));
  assert.ok(html.includes('<h2>All cases: IN (gadget to host)</h2>'));
  assert.ok(!html.includes('All cases: OUT'), 'no empty direction');
});

test('writeBenchOutputs writes bench.json, a chart per direction with figures, and index.html', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-bench-out-'));
  try {
    const written = writeBenchOutputs(dir, buildBenchReport(sampleRun()), 8).map((f) => path.basename(f));
    assert.deepEqual(written, ['bench.json', 'bench-in.svg', 'index.html']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'bench.json'), 'utf8'));
    assert.equal(json.chartDepth, 8);
    assert.equal(json.rows.length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('`ffs-lab bench --results` renders an earlier run without running anything; bad input is a usage error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-bench-verb-'));
  const out = process.stdout.write;
  const err = process.stderr.write;
  let printed = '';
  process.stdout.write = ((s: string) => ((printed += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((printed += s), true)) as typeof process.stderr.write;
  try {
    const results = path.join(dir, 'results.json');
    fs.writeFileSync(results, JSON.stringify(sampleRun()));
    const code = await main(['bench', '--results', results, '--report-dir', path.join(dir, 'out'), '--chart-depth', '8']);
    assert.equal(code, 0);
    assert.ok(fs.existsSync(path.join(dir, 'out', 'index.html')));
    assert.match(printed, /zero-copy \(mmap\) \/ copy/);
    assert.equal(await main(['bench', '--results', results, '--chart-depth', '4']), 2);
    assert.equal(await main(['bench', '--results', path.join(dir, 'missing.json'), '--report-dir', path.join(dir, 'out')]), 3);
    printed = '';
    assert.equal(await main(['bench', '--help']), 0);
    for (const o of ['--target', '--kernel', '--timeout', '--grep', '--report-dir', '--results', '--chart-depth']) assert.ok(printed.includes(o), `help lists ${o}`);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('peers: the ffs-aio-example figures beside ours and the C pair, medians and ours/app, in text and HTML; no peers, no section', () => {
  const run = sampleRun();
  assert.deepEqual(buildBenchReport(run).peers, []);
  assert.doesNotMatch(benchText(buildBenchReport(run)), /peers:/);
  const peer = (shape: PeerShape, stack: PeerStack, rep: number, mbPerS: number) => ({ name: peerMeasurementName(shape, stack, rep), value: mbPerS * MB, unit: 'B/s' });
  run.tests.push({
    suite: 'bench-io-modes',
    name: 'peers',
    status: 'passed',
    durationMs: 1,
    measurements: [peer('in-8k', 'ffs-aio-example', 1, 10), peer('in-8k', 'ffs-aio-example', 2, 12), peer('in-8k', 'ours', 1, 15), peer('in-8k', 'ours', 2, 15), peer('in-8k', 'c', 1, 20), peer('echo-8k', 'ffs-aio-example', 1, 5)],
  });
  assert.deepEqual(parsePeerMeasurementName('bench peer in-8k ours #2: throughput', 3), { shape: 'in-8k', stack: 'ours', rep: 2, value: 3 });
  assert.equal(parsePeerMeasurementName('bench peer in-16k ours #2: throughput', 3), undefined);
  // A peer figure is not a grid figure, and the reverse.
  assert.equal(parseMeasurementName(peerMeasurementName('in-8k', 'c', 1), 1), undefined);
  const r = buildBenchReport(run);
  assert.equal(r.rows.length, 2, 'the grid is unchanged');
  assert.deepEqual(
    r.peers.map((p) => [p.shape, p.app?.median, p.ours?.median, p.c?.median, p.oursOverApp]),
    [
      ['in-8k', 11 * MB, 15 * MB, 20 * MB, 15 / 11],
      ['echo-8k', 5 * MB, undefined, undefined, undefined],
    ],
  );
  const text = benchText(r);
  assert.match(text, /peers: the kernel's tools\/usb\/ffs-aio-example device apps/);
  assert.match(text, /in-8k\s+11\.0 ±9%\s+15\.0 ±0%\s+20\.0\s+1\.36/);
  assert.match(text, /echo-8k\s+5\.0\s+-\s+-\s+-/);
  assert.match(benchHtml(r, {}), /<h2>Peers: the kernel's ffs-aio-example apps<\/h2>[\s\S]*<td>in-8k<\/td><td>11\.0<\/td><td>15\.0<\/td><td>20\.0<\/td><td>1\.36<\/td>/);
});
