import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it, test } from 'node:test';
import { JOURNAL_FILE, type JournalLine } from '../src/results/results-journal';
import type { TestResult } from '../src/results/results';
import { PartialReports } from '../src/results/partial-reports';
import { kunitParse } from './kunit-parse';
import { recoverReports, recoverRun } from '../src/results/results-recovery';
import { parseResults } from '../src/results/compare';
import { resultsSchemaErrors } from './results-schema-check';
import { parseKtap } from '../src/results/ktap-parse';

const SRC = path.resolve(__dirname, '..', 'src');
const ANNOTATIONS = JSON.stringify(path.join(SRC, 'suite-runner', 'test-annotations.js'));

/** A suite whose third test never ends (and whose mocha timeout is far away). */
const HANGING_SUITE = `const { skipWithReason } = require(${ANNOTATIONS});
const assert = require('node:assert/strict');
describe('stuck', function () {
  this.timeout(600000);
  it('passes', function () {});
  it('fails', function () { assert.equal(1, 2); });
  it('skips', function () { skipWithReason(this, 'no UDC'); });
  it('hangs', function () { return new Promise(() => setInterval(() => {}, 1000)); });
  it('never starts', function () {});
});`;

/** In a child: the real runner with a journal on `suite`, as runOnTarget sets it up. */
const RUNNER = `
const { runSuites } = require(${JSON.stringify(path.join(SRC, 'suite-runner', 'mocha-runner.js'))});
const { ResultsJournal } = require(${JSON.stringify(path.join(SRC, 'results', 'results-journal.js'))});
const [file, journalFile] = process.argv.slice(1);
const journal = ResultsJournal.create(journalFile);
journal.write({ event: 'run', kernel: { release: '6.12.1-test', features: { mmap: 'present', dmabuf: 'absent' } }, startedAt: new Date().toISOString() });
runSuites([{ name: 'stuck', file, optIn: false }], { journal, out: process.stderr });
`;

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-journal-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Run the hanging suite in a child and SIGKILL it once the journal says `hangs` began. */
async function killedRun(dir: string): Promise<string> {
  const file = path.join(dir, 'stuck.suite.js');
  const journal = path.join(dir, JOURNAL_FILE);
  fs.writeFileSync(file, HANGING_SUITE);
  const child = spawn(process.execPath, ['-e', RUNNER, file, journal], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 60_000;
  try {
    while (!(fs.existsSync(journal) && fs.readFileSync(journal, 'utf8').includes('"name":"hangs"'))) {
      assert.ok(Date.now() < deadline, 'the runner never began the hanging test');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  return fs.readFileSync(journal, 'utf8');
}

describe('results.jsonl: a run that is killed still ends with reports', () => {
  it('the journal of a killed runner gives every finished test and the running one as an error', async () => {
    const dir = tmpDir();
    const text = await killedRun(dir);
    const r = recoverRun(text, { cause: 'lab timed out after 900 s', endedAt: Date.now() });
    assert.equal(r.unreadable, 0);
    assert.deepEqual(r.run.tests.map((t) => [t.name, t.status]), [
      ['passes', 'passed'],
      ['fails', 'failed'],
      ['skips', 'skipped'],
      ['hangs', 'error'],
    ]);
    assert.equal(r.unfinished?.name, 'hangs');
    assert.equal(r.unfinished?.reason, 'lab timed out after 900 s during this test');
    assert.equal(r.run.tests[2]!.reason, 'no UDC');
    assert.match(r.run.tests[1]!.reason!, /Expected values to be strictly equal/);
    assert.deepEqual(r.run.totals, { passed: 1, failed: 1, skipped: 1, errors: 1 });
    assert.equal(r.run.kernel.release, '6.12.1-test');
  });

  it('recoverReports writes results.json (the documented shape), junit.xml and results.ktap; a torn last line is skipped', async () => {
    const dir = tmpDir();
    const text = await killedRun(dir);
    // The kill tore the line being written: keep the first half of a copy of the last result line.
    const last = text.trimEnd().split('\n').filter((l) => l.includes('"event":"result"')).pop()!;
    fs.appendFileSync(path.join(dir, JOURNAL_FILE), last.slice(0, Math.floor(last.length / 2)));
    const r = recoverReports(dir, { cause: 'the suite runner was killed by signal 9', endedAt: Date.now() });
    assert.ok(r);
    assert.equal(r.unreadable, 1);
    const run = parseResults(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'), 'results.json');
    assert.deepEqual(Object.keys(run).sort(), ['durationMs', 'endedAt', 'kernel', 'schemaVersion', 'startedAt', 'tests', 'totals']);
    assert.deepEqual(resultsSchemaErrors(run), []);
    assert.equal(run.tests.length, 4);
    assert.equal(run.tests[3]!.reason, 'the suite runner was killed by signal 9 during this test');
    assert.deepEqual(parseKtap(fs.readFileSync(path.join(dir, 'results.ktap'), 'utf8')).cases.map((c) => c.status), ['pass', 'fail', 'skip', 'fail']);
    assert.match(fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8'), /<testcase classname="stuck" name="hangs"[^>]*>\n\s*<error message="the suite runner was killed by signal 9 during this test">/);
    // Reports that are complete are left alone.
    assert.equal(recoverReports(dir, { cause: 'x', endedAt: Date.now() }), undefined);
  });

  it('a hang in a hook between tests is reported on the hook; in a hook of a test, on the test', () => {
    const line = (o: object) => JSON.stringify({ at: 1000, ...o });
    const result = (index: number, name: string) => line({ event: 'result', index, result: { suite: 's', name, status: 'passed', durationMs: 1 } });
    const between = [
      line({ event: 'run', kernel: { release: 'r', features: { mmap: 'absent', dmabuf: 'absent' } }, startedAt: new Date(0).toISOString() }),
      line({ event: 'begin', kind: 'test', suite: 's', name: 'a > t1' }),
      result(0, 'a > t1'),
      line({ event: 'begin', kind: 'all-hook', suite: 's', name: 'b > "before all" hook' }),
    ].join('\n');
    const h = recoverRun(between, { cause: 'lab timed out after 5 s', endedAt: 4000 });
    assert.deepEqual(h.run.tests.map((t) => [t.name, t.status]), [['a > t1', 'passed'], ['b > "before all" hook', 'error']]);
    assert.equal(h.unfinished?.reason, 'lab timed out after 5 s during this hook');
    assert.equal(h.unfinished?.durationMs, 3000);
    const inTest = [line({ event: 'begin', kind: 'test', suite: 's', name: 'a > t2' }), line({ event: 'begin', kind: 'each-hook', suite: 's', name: 'a > "after each" hook' })].join('\n');
    const e = recoverRun(inTest, { cause: 'c', endedAt: 2000, kernel: { release: 'from the lab', features: { mmap: 'unknown', dmabuf: 'unknown' } } });
    assert.equal(e.unfinished?.name, 'a > t2');
    assert.equal(e.unfinished?.reason, 'c during this test (in its hook a > "after each" hook)');
    assert.equal(e.run.kernel.release, 'from the lab', 'no run line: the kernel the lab knows');
    // A run that finished (done) leaves nothing unfinished; a later result line for a test replaces the first.
    const done = [result(0, 'x'), line({ event: 'result', index: 0, result: { suite: 's', name: 'x', status: 'failed', reason: 'kernel report', durationMs: 1 } }), line({ event: 'done' })].join('\n');
    const d = recoverRun(done, { cause: 'c', endedAt: 2000 });
    assert.equal(d.unfinished, undefined);
    assert.deepEqual(d.run.tests.map((t) => t.status), ['failed']);
    // Garbage and lines of the wrong shape are counted, never thrown.
    assert.equal(recoverRun('\u0000\n[1]\n{"event":"result","at":1,"index":-1}\nnull\n{', { cause: 'c', endedAt: 1 }).unreadable, 5);
  });
});

test('partial reports: junit.xml and results.ktap rewritten whole as each suite ends, valid for the tests so far; no results.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-partial-'));
  try {
    const p = new PartialReports(dir);
    const result = (index: number, suite: string, name: string, status: TestResult['status']): JournalLine => ({ event: 'result', at: 0, index, result: { suite, id: `${suite}.${name}`, name, status, durationMs: 5 } });
    const begin = (suite: string, name: string): JournalLine => ({ event: 'begin', at: Date.parse('2026-12-07T00:00:02Z'), kind: 'test', suite, name });
    p.line({ event: 'run', at: 0, kernel: { release: '6.12.118-ffslab', features: { mmap: 'present', dmabuf: 'present' } }, startedAt: '2026-12-07T00:00:00.000Z' });
    p.line(begin('kernel-info', 'release'));
    p.line(result(0, 'kernel-info', 'release', 'passed'));
    p.line(begin('kernel-info', 'ep0'));
    p.line(result(1, 'kernel-info', 'ep0', 'failed'));
    assert.equal(p.writes, 0, 'nothing before a suite ends');
    // The next suite's before-all hook begins: kernel-info has ended (a hang in that hook must not lose it).
    p.line({ event: 'begin', at: Date.parse('2026-12-07T00:00:02Z'), kind: 'all-hook', suite: 'integrity', name: '"before all" hook' });
    assert.equal(p.writes, 1);
    p.line(begin('integrity', 'copy-in-1b'));
    assert.equal(p.writes, 1, 'once per suite');
    assert.ok(!fs.existsSync(path.join(dir, 'results.json')), 'results.json means complete: not written');
    const ktap = fs.readFileSync(path.join(dir, 'results.ktap'), 'utf8');
    assert.match(ktap, /^1\.\.2$/m);
    assert.match(ktap, /^not ok 2 kernel-info: ep0$/m);
    assert.match(fs.readFileSync(path.join(dir, 'junit.xml'), 'utf8'), /<testsuites name="ffs-lab" tests="2" failures="1"/);
    const k = kunitParse(path.join(dir, 'results.ktap'));
    if (typeof k !== 'string') assert.deepEqual([k.passed, k.failed], [1, 1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
