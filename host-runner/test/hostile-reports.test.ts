import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { totalsOf, type RunResults, type TestResult, type TestStatus } from '../src/results/results';
import { toKtap } from '../src/results/ktap';
import { toJUnitXml } from '../src/results/junit-xml';
import { parseKtap } from '../src/results/ktap-parse';
import { ktapText, oneLine, xmlAttr, xmlText } from '../src/results/report-text';
import { hasPython, kunitParse } from './kunit-parse';

/** Text a test name, a skip reason or a failure message may hold that breaks a naive report. */
export const HOSTILE_TEXT: readonly string[] = [
  'cr\rlf\nboth\r\nend',
  'ls\u2028ps\u2029nel\u0085vt\u000bff\u000c',
  'nul\u0000bell\u0007esc\u001b[31mred\u001b[0m',
  'del\u007f c1\u0080\u009f',
  'lone\ud800 high',
  'lone\udc00 low',
  'pair \ud83d\ude00 kept',
  'non\ufffechar\uffff',
  '# SKIP not really',
  'a # TODO b #',
  'ok 1 fake',
  'not ok 2 fake',
  '1..99',
  'Bail out! fake',
  'KTAP version 1',
  '# Subtest: fake',
  'x\n# Subtest: fake\n1..3\nok 1 - fake',
  'reboot: System halted',
  'List of all partitions:',
  'Kernel panic - not syncing: VFS: fake',
  '<xml attr="x">&amp;</xml> \'quoted\'',
  ']]> <![CDATA[ x',
  'tab\there',
  '\n\nleading newlines',
  '    indented',
  '- dash',
  '',
];

const STATUSES: readonly TestStatus[] = ['passed', 'failed', 'skipped', 'error'];

/** Every hostile text in every status, in the suite name, the name, the reason and a measurement. */
function hostileRun(): RunResults {
  const tests: TestResult[] = [];
  HOSTILE_TEXT.forEach((text, i) => {
    const status = STATUSES[i % STATUSES.length]!;
    tests.push({
      suite: `suite ${text}`,
      name: `test ${i} ${text}`,
      status,
      ...(status === 'passed' ? {} : { reason: `reason ${text}` }),
      measurements: [{ name: `m ${text}`, value: i, unit: `u ${text}` }],
      durationMs: i,
      details: `details ${text}`,
      log: `log ${text}`,
    });
  });
  return { kernel: { release: `6.12${HOSTILE_TEXT.join('')}`, features: { mmap: 'absent\n1..0', dmabuf: 'present # x' } }, totals: totalsOf(tests), tests, startedAt: '2026-11-24T00:00:00.000Z', durationMs: 1 };
}

const KTAP_STATUS: Record<TestStatus, string> = { passed: 'pass', failed: 'fail', skipped: 'skip', error: 'fail' };

/** The JUnit file through python's XML parser: every testcase's attributes and outcome. */
const JUNIT_PARSE = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = []
for s in root.iter('testsuite'):
    for c in s.iter('testcase'):
        kind = next((k for k in ('failure', 'error', 'skipped') if c.find(k) is not None), 'passed')
        el = c.find(kind) if kind != 'passed' else None
        out = c.find('system-out')
        cases.append({'suite': s.get('name'), 'name': c.get('name'), 'kind': kind,
                      'message': el.get('message') if el is not None else None,
                      'text': (el.text or '') if el is not None else None,
                      'out': out.text if out is not None else None})
print('ffs-lab-json', json.dumps({'tests': root.get('tests'), 'failures': root.get('failures'), 'errors': root.get('errors'), 'skipped': root.get('skipped'), 'cases': cases}))
`;

/** Run a script; its answer is the JSON after `ffs-lab-json ` on its last such line (kunit_parser prints too). */
function runPython(script: string, args: string[]): unknown {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split('\n').filter((l) => l.startsWith('ffs-lab-json ')).pop();
  assert.ok(line, r.stdout);
  return JSON.parse(line.slice('ffs-lab-json '.length));
}

describe('reports of tests with hostile names', () => {
  const run = hostileRun();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lab-hostile-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

  it('KTAP parses back (our parser) to one case per test with its status', () => {
    const ktap = toKtap(run);
    const parsed = parseKtap(ktap);
    assert.equal(parsed.planned, run.tests.length);
    assert.equal(parsed.bailOut, undefined);
    assert.deepEqual(parsed.cases.map((c) => [c.number, c.status]), run.tests.map((t, i) => [i + 1, KTAP_STATUS[t.status]]));
    parsed.cases.forEach((c, i) => {
      const t = run.tests[i]!;
      assert.equal(c.name, `${ktapText(t.suite)}: ${ktapText(t.name)}`);
      if (t.status === 'skipped') assert.equal(c.reason, ktapText(t.reason!));
    });
    // Nothing but the writer's own lines: every line is a header, a plan, a result or a diagnostic.
    for (const line of ktap.trimEnd().split('\n')) assert.match(line, /^(KTAP version 1|1\.\.\d+|(not )?ok \d+ |#)/, JSON.stringify(line));
    assert.doesNotMatch(ktap, /[\r\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it("KTAP parses back with Linux's kunit_parser.py to the same counts", (t) => {
    const file = path.join(dir, 'results.ktap');
    fs.writeFileSync(file, toKtap(run));
    const r = kunitParse(file);
    if (typeof r === 'string') return t.skip(r);
    const tt = run.totals;
    assert.deepEqual(
      { passed: r.passed, failed: r.failed, crashed: r.crashed, skipped: r.skipped, errors: r.errors },
      { passed: tt.passed, failed: tt.failed + tt.errors, crashed: 0, skipped: tt.skipped, errors: 0 },
    );
    const kunitStatus: Record<TestStatus, string> = { passed: 'SUCCESS', failed: 'FAILURE', skipped: 'SKIPPED', error: 'FAILURE' };
    assert.deepEqual(r.tests, run.tests.map((x) => kunitStatus[x.status]));
  });

  it('JUnit is well-formed XML (python3 xml.etree) with the same counts, names and messages', (t) => {
    if (!hasPython()) return t.skip('python3 is not installed');
    const file = path.join(dir, 'junit.xml');
    fs.writeFileSync(file, toJUnitXml(run));
    const r = runPython(JUNIT_PARSE, [file]) as { tests: string; failures: string; errors: string; skipped: string; cases: Array<{ suite: string; name: string; kind: string; message: string | null; text: string | null; out: string | null }> };
    const tt = run.totals;
    assert.deepEqual([r.tests, r.failures, r.errors, r.skipped], [run.tests.length, tt.failed, tt.errors, tt.skipped].map(String));
    // One <testsuite> per distinct suite, in first-seen order: the same order as the tests here.
    assert.deepEqual(r.cases.map((c) => c.kind), run.tests.map((x) => (x.status === 'failed' ? 'failure' : x.status)));
    // What an XML parser reads back is the text as the report shows it (see report-text): line
    // breaks and tabs in attributes survive as themselves, forbidden characters as escapes.
    const shown = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
      const n = c.charCodeAt(0);
      return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
    });
    r.cases.forEach((c, i) => {
      const x = run.tests[i]!;
      assert.equal(c.suite, shown(x.suite));
      assert.equal(c.name, shown(x.name));
      if (x.status !== 'passed') assert.equal(c.message, shown(x.reason!));
      if (x.status === 'failed' || x.status === 'error') assert.equal(c.text, shown(x.details!));
      assert.equal(c.out, shown(`${x.measurements![0]!.name}: ${i} ${x.measurements![0]!.unit}\n${x.log}`));
    });
  });

  it('the sanitizers: one line, no #, XML-safe, and harmless text unchanged', () => {
    assert.equal(oneLine('a\r\nb\rc\nd\u2028e'), 'a / b / c / d / e');
    assert.equal(oneLine('esc\u001b[0m nul\u0000 del\u007f nel-free\u0099 \ud800'), 'esc\\x1b[0m nul\\x00 del\\x7f nel-free\\x99 \\ud800');
    assert.equal(ktapText('  # SKIP x\n'), '\uff03 SKIP x /');
    assert.equal(ktapText('a # Subtest: b'), 'a \uff03 Subtest\uff1a b');
    assert.equal(xmlAttr('<"\'&>\t\n\r'), '&lt;&quot;&apos;&amp;&gt;&#9;&#10;&#13;');
    assert.equal(xmlText('a\tb\nc\r\nd\u0001'), 'a\tb\nc&#13;\nd\\x01');
    for (const s of ['IN 4 KiB', 'mmap mode: EP0 64 B', '6.12.117-ffslab', 'é ü 漢字 \ud83d\ude00']) {
      assert.equal(oneLine(s), s);
      assert.equal(ktapText(s), s);
      assert.equal(xmlText(s), s);
    }
  });
});
