import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runSuites } from '../src/suite-runner/mocha-runner';
import { finishedRun, RESULTS_SCHEMA_VERSION, type RunResults } from '../src/results/results';
import { hostIdentity, toolIdentity } from '../src/results/run-metadata';
import { ResultsJournal } from '../src/results/results-journal';
import { recoverRun } from '../src/results/results-recovery';
import { writeReports } from '../src/results/write-reports';
import { RESULTS_SCHEMA_FILE, resultsSchemaErrors } from './results-schema-check';

const ANNOTATIONS = path.resolve(__dirname, '..', 'src', 'suite-runner', 'test-annotations.js');

/** A suite with every kind of result: passed with a measurement and a log, failed, skipped with a reason, a hook error and the tests it stopped. */
const SUITE = `const assert = require('node:assert');
const { measure, attachLog, skipWithReason } = require(${JSON.stringify(ANNOTATIONS)});
describe('all kinds', function () {
  it('passes and measures', function () { measure(this, 'throughput', 12.5, 'MB/s'); attachLog(this, 'agent: fine'); });
  it('fails', function () { assert.equal(1, 2); });
  it('skips', function () { skipWithReason(this, 'no DMABUF here'); });
  describe('behind a broken hook', function () {
    before(function () { throw new Error('agent gone'); });
    it('never runs', function () {});
  });
});`;

/** Every field of the format set, as the lab sets them. */
const KERNEL: RunResults['kernel'] = {
  release: '6.12.57',
  variant: 'arm64-64k',
  machine: 'aarch64',
  pageSize: 65536,
  agentArch: 'arm',
  features: { mmap: 'present', dmabuf: 'present' },
  configSha256: 'a'.repeat(64),
  patches: ['0001-usb-gadget-f_fs-mmap.patch'],
};

/** results.json as ffs-lab writes it, checked against the published schema with ajv (strict). */
describe('results.json and its published schema', () => {
  let dir: string;
  let run: RunResults;
  let journal: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-schema-'));
    const file = path.join(dir, 'k.suite.js');
    fs.writeFileSync(file, SUITE);
    journal = path.join(dir, 'results.jsonl');
    const j = ResultsJournal.create(journal);
    const meta = { tool: toolIdentity(), command: ['lab', '--report-dir', dir], target: 'ssh://root@127.0.0.1:22', host: hostIdentity() };
    j.write({ event: 'run', kernel: KERNEL, meta, startedAt: new Date().toISOString() });
    const out = new PassThrough();
    out.resume();
    const started = new Date();
    const tests = await runSuites([{ name: 'k', file, optIn: false }], { out, journal: j });
    j.close();
    run = finishedRun({ meta, kernel: KERNEL, tests, started, ended: new Date() });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a finished run with every kind of result and every field is valid, as written to results.json', () => {
    assert.deepEqual(run.tests.map((t) => t.status), ['passed', 'failed', 'skipped', 'error', 'error']);
    assert.equal(run.schemaVersion, RESULTS_SCHEMA_VERSION);
    assert.deepEqual(resultsSchemaErrors(run), []);
    writeReports(dir, run);
    assert.deepEqual(resultsSchemaErrors(JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'))), []);
  });

  it('the run metadata: this checkout\'s version and commit, the host and its node, start and end', () => {
    assert.equal(run.meta!.tool.version, (JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version);
    if (fs.existsSync(path.resolve(__dirname, '..', '..', '..', '.git'))) assert.match(run.meta!.tool.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal(run.meta!.host.node, process.version);
    assert.ok(Date.parse(run.endedAt!) >= Date.parse(run.startedAt));
  });

  it('a run rebuilt from a journal cut mid-test is valid too, its metadata kept', () => {
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    const cut = lines.findIndex((l) => l.includes('"event":"begin"') && l.includes('"name":"fails"'));
    const { run: partial, unfinished } = recoverRun(lines.slice(0, cut + 1).join('\n'), { cause: 'lab timed out after 20 s', endedAt: Date.now() });
    assert.equal(unfinished?.name, 'fails');
    assert.deepEqual(partial.meta, run.meta);
    assert.deepEqual(resultsSchemaErrors(partial), []);
    const bare = recoverRun('', { cause: 'lab timed out after 20 s', endedAt: Date.now() }).run;
    assert.deepEqual(resultsSchemaErrors(bare), [], 'a run that died before its first line');
  });

  it('the schema refuses what the format is not: an unknown field, a status, a missing version, a bad time', () => {
    const bad = (edit: (r: Record<string, unknown> & RunResults) => void) => {
      const r = structuredClone(run) as Record<string, unknown> & RunResults;
      edit(r);
      return resultsSchemaErrors(r).join('; ');
    };
    assert.match(bad((r) => (r.extra = 1)), /additional properties.*"extra"/);
    assert.match(bad((r) => ((r.tests[0] as unknown as Record<string, unknown>).status = 'flaky')), /\/tests\/0\/status/);
    assert.match(bad((r) => delete r.schemaVersion), /schemaVersion/);
    assert.match(bad((r) => (r.startedAt = 'yesterday')), /\/startedAt must match format "date-time"/);
    assert.match(bad((r) => ((r.kernel as Record<string, unknown>).pageSize = 512)), /\/kernel\/pageSize/);
  });

  it('is published beside the runner and says which version it describes', () => {
    const schema = JSON.parse(fs.readFileSync(RESULTS_SCHEMA_FILE, 'utf8')) as { properties: { schemaVersion: { const: number } } };
    assert.equal(schema.properties.schemaVersion.const, RESULTS_SCHEMA_VERSION);
  });
});
