import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { runSuites } from '../src/suite-runner/mocha-runner';
import type { JournalLine } from '../src/results/results-journal';

async function run(suiteText: string, grep?: string, journal?: JournalLine[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-hooks-'));
  const file = path.join(dir, 'h.suite.js');
  fs.writeFileSync(file, suiteText);
  const out = new PassThrough();
  out.resume();
  try {
    return await runSuites([{ name: 'h', file, optIn: false }], { out, ...(grep ? { select: { grep } } : {}), ...(journal ? { journal: { write: (l) => void journal.push({ ...l, at: 0 } as JournalLine) } } : {}) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Real mocha runs: every test a failed hook kept from running is in the results as an error. */
describe('tests stopped by a failed hook', () => {
  it('a failed "before all" reports every test of its block and the blocks inside as errors naming the hook', async () => {
    const results = await run(`
describe('outer', function () {
  before('connect', function () { throw new Error('no agent'); });
  it('a', function () {});
  describe('inner', function () {
    it('b', function () {});
  });
});
describe('next block', function () {
  it('c', function () {});
});`);
    assert.deepEqual(results.map((r) => [r.name, r.status]), [
      ['"before all" hook: connect for "a"', 'error'],
      ['a', 'error'],
      ['inner > b', 'error'],
      ['c', 'passed'],
    ]);
    assert.equal(results[1]!.reason, 'not run: the "before all" hook: connect failed (no agent)');
    assert.equal(results[1]!.details, undefined, 'no stack of ours');
  });

  it('a failed "before each" stops the rest of its block: those are errors; tests already run keep their results', async () => {
    const results = await run(`
let n = 0;
describe('s', function () {
  beforeEach(function () { if (++n === 2) throw new Error('second setup broke'); });
  it('first', function () {});
  it('second', function () {});
  it('third', function () {});
});`);
    assert.deepEqual(results.map((r) => [r.name, r.status]), [
      ['first', 'passed'],
      ['"before each" hook for "second"', 'error'],
      ['second', 'error'],
      ['third', 'error'],
    ]);
    assert.match(results[2]!.reason!, /^not run: the "before each" hook failed \(second setup broke\)$/);
  });

  it('tests outside --grep, and tests a hook skipped on purpose, stay out or skipped', async () => {
    const results = await run(
      `
describe('g', function () {
  before(function () { throw new Error('down'); });
  it('wanted one', function () {});
  it('other', function () {});
});
describe('k', function () {
  before(function () { this.skip(); });
  it('wanted too', function () {});
});`,
      'wanted',
    );
    assert.deepEqual(results.map((r) => [r.name, r.status]), [
      ['"before all" hook for "wanted one"', 'error'],
      ['wanted one', 'error'],
      ['wanted too', 'skipped'],
    ]);
  });

  it('the stopped tests are in the journal before the block\'s after hooks run (which may hang); one marked skip stays a skip', async () => {
    const journal: JournalLine[] = [];
    const results = await run(
      `
describe('j', function () {
  before(function () { throw new Error('no agent'); });
  after('teardown', function () {});
  it('a', function () {});
  it.skip('b, not written yet', function () {});
});`,
      undefined,
      journal,
    );
    assert.deepEqual(results.map((r) => [r.name, r.status]), [
      ['"before all" hook for "a"', 'error'],
      ['a', 'error'],
      ['b, not written yet', 'skipped'],
    ]);
    const at = (p: (l: JournalLine) => boolean) => journal.findIndex(p);
    const stopped = at((l) => l.event === 'result' && l.result.name === 'a');
    const teardown = at((l) => l.event === 'begin' && l.name.includes('teardown'));
    assert.ok(stopped >= 0 && teardown > stopped, `result of a at ${stopped}, teardown begins at ${teardown}`);
  });
});
