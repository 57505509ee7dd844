import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKtap } from '../src/results/ktap-parse';
import { scanKernelLog, scanKmemleak } from '../src/kernel/dmesg-scan';
import { hostsFieldMatches } from '../src/transport/known-hosts';

/**
 * Parsers of untrusted text (program output, the kernel log, a known_hosts file) must be linear
 * in their input. A timing bound is enough to tell: on inputs of 200 K characters a linear parse
 * takes milliseconds and a quadratic one seconds (the KTAP result regex took minutes).
 */
const SIZE = 200_000;
/** Generous for a loaded machine; quadratic parses of these inputs exceed it many times over. */
const BOUND_MS = 500;

function fastest(f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

function assertLinear(what: string, f: () => void): void {
  const ms = fastest(f);
  assert.ok(ms < BOUND_MS, `${what}: ${ms.toFixed(0)} ms for ${SIZE} characters`);
}

const fill = (unit: string, size = SIZE) => unit.repeat(Math.ceil(size / unit.length));

const KTAP_INPUTS: Record<string, string> = {
  'a line of spaces': fill(' '),
  'a result line padded with spaces before a #': `ok 1 ${fill(' ')}#x`,
  'a result line of spaces and tabs before a #': `not ok 1 a${fill(' \t')}# x`,
  'a line of #': fill('#'),
  'ok ok ok': fill('ok '),
  'dashes': `ok 1 ${fill('- ')}`,
  'nested indentation': Array.from({ length: 600 }, (_, i) => `${' '.repeat(i)}ok ${i} x`).join('\n'),
  'deep indentation': `${fill('    ')}ok 1 x\n${fill('\t')}#`,
  'a bail-out padded with spaces': `Bail out!${fill(' ')}\u2028`,
  'a plan with a long number': `1..${fill('9')}x`,
  'a 1 MB result line': `not ok 1 ${fill('a', 1_000_000)} # SKIP ${fill(' # SKIP', 10_000)}`,
  'carriage returns': fill('ok 1 \r\r'),
};

describe('parsing untrusted text is linear', () => {
  for (const [what, text] of Object.entries(KTAP_INPUTS)) {
    it(`parseKtap: ${what}`, () => assertLinear(what, () => parseKtap(text)));
  }

  it('parseKtap still reads the adversarial lines right', () => {
    assert.deepEqual(parseKtap(KTAP_INPUTS['a result line padded with spaces before a #']!).cases.map((c) => [c.number, c.name, c.status]), [[1, '', 'pass']]);
    const big = parseKtap(KTAP_INPUTS['a 1 MB result line']!).cases;
    assert.equal(big.length, 1);
    assert.equal(big[0]!.status, 'skip');
    assert.equal(big[0]!.name.length, 1_000_000);
  });

  const DMESG_INPUTS: Record<string, string> = {
    'INFO: task repeated': fill('INFO: task '),
    'BUG: spinlock repeated': fill('BUG: spinlock '),
    'WARNING: CPU: repeated': fill('WARNING: CPU: 1 PID: '),
    'a timestamp of spaces': `[${fill(' ')}1.`,
    'a timestamp of digits': `[ ${fill('1')}`,
    'many short lines': fill('[    1.000000] INFO: task x\n'),
    'unreferenced object repeated': fill('unreferenced object '),
  };
  for (const [what, text] of Object.entries(DMESG_INPUTS)) {
    it(`scanKernelLog: ${what}`, () => assertLinear(what, () => (scanKernelLog(text), scanKmemleak(text))));
  }

  it('scanKernelLog still finds the reports those patterns describe', () => {
    const kinds = scanKernelLog(['[ 1.0] INFO: task a b:1 blocked for more than 120 seconds.', '[ 2.0] BUG: spinlock bad magic on CPU#0, x/1', 'INFO: task  blocked for more than'].join('\n')).map((r) => r.kind);
    assert.deepEqual(kinds, ['hung-task', 'lockdep', 'hung-task']);
    assert.deepEqual(scanKernelLog('INFO: task x blocked\nBUG: spinlock on CPU'), []);
  });

  it('known_hosts globs: many stars against a long name', () => {
    const pattern = `${'a*'.repeat(30)}b`;
    const name = 'a'.repeat(250);
    const ms = fastest(() => hostsFieldMatches(pattern, name));
    assert.ok(ms < BOUND_MS, `${ms.toFixed(0)} ms`);
    assert.equal(hostsFieldMatches(pattern, name), false);
    assert.equal(hostsFieldMatches(pattern, `${name}b`), true);
  });
});
