import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { runSuites } from '../src/suite-runner/mocha-runner';
import { allSuites, type SuiteEntry } from '../src/suite-runner/suite-catalog';
import { CASE_NAME, MAX_TEST_ID } from '../src/suite-runner/test-case';
import { checkSelection, listTests } from '../src/suite-runner/test-list';
import { idPatternRegExp, selectionArgs, selectionOf, type TestSelection } from '../src/suite-runner/test-selection';
import { compareRuns } from '../src/results/compare';
import { totalsOf, type RunResults, type TestResult } from '../src/results/results';
import type { JournalLine } from '../src/results/results-journal';

const TEST_CASE_MODULE = JSON.stringify(require.resolve('../src/suite-runner/test-case'));
const MOCHA_MODULE = JSON.stringify(require.resolve('mocha'));

/** A suite file using the ID API as the real suites do; one test made at run time, one per "KTAP case". */
const SUITE = `
const Mocha = require(${MOCHA_MODULE});
const { testCase, blockInfo, identify } = require(${TEST_CASE_MODULE});
describe('ids: a suite', function () {
  blockInfo(this, { tags: ['stream'], needs: ['mmap-zero-copy'] });
  testCase('first', 'the first test', function () {});
  testCase('second', 'the second test', function () {}, { tags: ['smoke'] });
  describe('a block', function () {
    blockInfo(this, { tags: ['race'] });
    testCase('third', 'the third test', async function () {});
    testCase.skip('fourth', 'a skipped test', function () {});
  });
  describe('made at run time', function () {
    before(function () {
      this.test.parent.addTest(identify(new Mocha.Test('ktap case one', function () {}), 'case-one'));
    });
    testCase('runs', 'runs to completion', function () {});
  });
});`;

async function withSuite<T>(body: (suite: SuiteEntry) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-ids-'));
  const file = path.join(dir, 'ids.suite.js');
  fs.writeFileSync(file, SUITE);
  try {
    return await body({ name: 'ids', file, optIn: false });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runSelected(select: TestSelection | undefined, journal?: JournalLine[]): Promise<TestResult[]> {
  const out = new PassThrough();
  out.resume();
  return withSuite((suite) => runSuites([suite], { out, ...(select ? { select } : {}), ...(journal ? { journal: { write: (l) => void journal.push({ ...l, at: 0 } as JournalLine) } } : {}) }));
}

describe('test IDs and selection (real mocha runs)', () => {
  it('every result carries its ID; the journal names the test that begins by it too', async () => {
    const journal: JournalLine[] = [];
    const results = await runSelected(undefined, journal);
    assert.deepEqual(results.map((r) => [r.id, r.status]), [
      ['ids.first', 'passed'],
      ['ids.second', 'passed'],
      ['ids.third', 'passed'],
      ['ids.fourth', 'skipped'],
      ['ids.runs', 'passed'],
      ['ids.case-one', 'passed'],
    ]);
    const begun = journal.filter((l) => l.event === 'begin' && l.kind === 'test').map((l) => (l as { id?: string }).id);
    assert.deepEqual(begun, ['ids.first', 'ids.second', 'ids.third', 'ids.runs', 'ids.case-one']);
  });

  it('--id exact and glob, --tag from the test or its blocks, --grep: each given must hold, any of several', async () => {
    const ids = async (select: TestSelection) => (await runSelected(select)).map((r) => r.id);
    assert.deepEqual(await ids({ ids: ['ids.third'] }), ['ids.third']);
    assert.deepEqual(await ids({ ids: ['ids.first', 'ids.th*'] }), ['ids.first', 'ids.third']);
    assert.deepEqual(await ids({ tags: ['smoke'] }), ['ids.second']);
    assert.deepEqual(await ids({ tags: ['race'] }), ['ids.third', 'ids.fourth']);
    assert.deepEqual(await ids({ tags: ['stream'], ids: ['*.f*'] }), ['ids.first', 'ids.fourth']);
    assert.deepEqual(await ids({ tags: ['race'], grep: 'third' }), ['ids.third']);
    // A test made at run time runs when a test of its block is selected too.
    assert.deepEqual(await ids({ ids: ['ids.runs', 'ids.case-one'] }), ['ids.runs', 'ids.case-one']);
    assert.deepEqual(await ids({ ids: ['ids.runs'] }), ['ids.runs']);
  });

  it('list: the declared tests with IDs, titles below the suite block, tags and needs; the files load again afterwards', async () => {
    await withSuite(async (suite) => {
      const listed = listTests([suite]);
      assert.deepEqual(listed.map((t) => t.id), ['ids.first', 'ids.second', 'ids.third', 'ids.fourth', 'ids.runs']);
      assert.deepEqual(listed[2], { id: 'ids.third', suite: 'ids', title: 'a block > the third test', tags: ['stream', 'race'], needs: ['mmap-zero-copy'] });
      assert.deepEqual(listTests([suite], { tags: ['smoke'] }).map((t) => t.id), ['ids.second']);
      assert.throws(() => checkSelection('lab', [suite], { ids: ['ids.nothing'] }), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && /lab: no test .* matches --id ids\.nothing/.test(e.message ?? ''));
      assert.doesNotThrow(() => checkSelection('lab', [suite], { ids: ['ids.*'] }));
      const out = new PassThrough();
      out.resume();
      assert.equal((await runSuites([suite], { out })).length, 6, 'a run after the listing loads the suite afresh');
    });
  });
});

describe('retries', () => {
  it('a retried attempt keeps its test\'s ID and tags (mocha clones the test without our fields)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-ids-retry-'));
    try {
      const file = path.join(dir, 'r.suite.js');
      fs.writeFileSync(file, `const { testCase } = require(${TEST_CASE_MODULE});
let n = 0;
describe('r', function () {
  testCase('flaky', 'passes the second time', function () { if (++n === 1) throw new Error('first'); }, { tags: ['smoke'] });
});`);
      const out = new PassThrough();
      out.resume();
      const journal: JournalLine[] = [];
      const results = await runSuites([{ name: 'r', file, optIn: false }], { out, retries: 1, select: { tags: ['smoke'] }, journal: { write: (l) => void journal.push({ ...l, at: 0 } as JournalLine) } });
      assert.deepEqual(results.map((r) => [r.id, r.status, r.attempts]), [['r.flaky', 'passed', 2]]);
      assert.deepEqual(journal.filter((l) => l.event === 'begin').map((l) => (l as { id?: string }).id), ['r.flaky', 'r.flaky']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('selection options', () => {
  it('ID globs: * spans any characters, every other character is literal', () => {
    assert.ok(idPatternRegExp('mmap-limits.*').test('mmap-limits.default-limit-boundary'));
    assert.ok(!idPatternRegExp('mmap-limits.*').test('mmap-limitsx.y'));
    assert.ok(!idPatternRegExp('a.b').test('axb'));
    assert.ok(idPatternRegExp('*.largest-contiguous').test('mmap-limits.largest-contiguous'));
  });

  it('bad values are usage errors naming the option; none given is no selection; the options round-trip', () => {
    const usage = (values: Record<string, unknown>, re: RegExp) => assert.throws(() => selectionOf('lab', values), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && re.test(e.message ?? ''));
    usage({ grep: '(' }, /--grep '\(' is not a regular expression/);
    usage({ id: ['Mmap'] }, /--id 'Mmap' is not a test ID/);
    usage({ id: ['a'.repeat(65)] }, /--id/);
    usage({ tag: ['a b'] }, /--tag 'a b' is not a tag/);
    assert.equal(selectionOf('lab', {}), undefined);
    const sel = selectionOf('lab', { grep: 'x', id: ['a.b', 'c.*'], tag: ['smoke'] })!;
    assert.deepEqual(selectionArgs(sel), ['--grep', 'x', '--id', 'a.b', '--id', 'c.*', '--tag', 'smoke']);
  });
});

describe('the suites', () => {
  it('every declared test has an ID: present, unique, a valid case name, at most 64 characters', () => {
    const listed = listTests(allSuites());
    assert.ok(listed.length > 300, `${listed.length} tests`);
    const missing = listed.filter((t) => !t.id).map((t) => `${t.suite}: ${t.title}`);
    assert.deepEqual(missing, [], 'tests without an ID');
    const titles = listed.map((t) => `${t.suite} ${t.title}`);
    assert.equal(new Set(titles).size, titles.length, 'full titles are unique too: mocha\'s grep (and so --id) tells tests apart by them');
    const seen = new Map<string, string>();
    for (const t of listed) {
      const id = t.id!;
      assert.ok(id.length <= MAX_TEST_ID, `${id}: longer than ${MAX_TEST_ID}`);
      assert.ok(id.startsWith(`${t.suite}.`) && CASE_NAME.test(id.slice(t.suite.length + 1)), id);
      assert.ok(!seen.has(id), `${id} is both '${seen.get(id)}' and '${t.title}'`);
      seen.set(id, t.title);
    }
  });

  it('the smoke tag is what the arm64 smoke of npm test runs: kernel-info, a 64 KiB mmap stream each way, the default quota boundary', () => {
    const smoke = listTests(allSuites(), { tags: ['smoke'] });
    assert.deepEqual([...new Set(smoke.map((t) => t.suite))], ['kernel-info', 'integrity', 'mmap-limits']);
    assert.deepEqual(smoke.filter((t) => t.suite === 'integrity').map((t) => t.title), ['mmap mode > streams > IN (gadget to host): 64 KiB transfers, depth 8', 'mmap mode > streams > OUT (host to gadget): 64 KiB transfers, depth 8']);
    assert.deepEqual(smoke.filter((t) => t.suite === 'mmap-limits').map((t) => t.id), ['mmap-limits.default-limit-boundary']);
  });
});

describe('compare pairs by ID', () => {
  const run = (tests: TestResult[]): RunResults => ({ kernel: { release: 'r', features: { mmap: 'present', dmabuf: 'present' } }, totals: totalsOf(tests), tests, startedAt: '2026-12-07T00:00:00.000Z', durationMs: 1 });
  it('a test whose title was reworded between the runs still pairs; runs without IDs pair by title', () => {
    const a = run([{ suite: 'enumeration', id: 'enumeration.ids', name: 'the IDs match', status: 'passed', durationMs: 1 }]);
    const b = run([{ suite: 'enumeration', id: 'enumeration.ids', name: 'vendor and product IDs match', status: 'failed', durationMs: 1 }]);
    const c = compareRuns(a, b);
    assert.equal(c.paired, 1);
    assert.deepEqual(c.differences.map((d) => [d.id, d.a?.status, d.b?.status]), [['enumeration.ids', 'passed', 'failed']]);
    const noIds = (r: RunResults) => run(r.tests.map(({ id: _id, ...t }) => t));
    assert.equal(compareRuns(noIds(a), noIds(b)).paired, 0, 'by title: two different tests');
  });
});
