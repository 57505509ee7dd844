import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { C_PAIR_CFLAGS, C_PAIR_SOURCES } from '../src/bench/c-pair';
import { fillPattern, verifyPattern, PATTERN_PERIOD } from '@ffs-lab/contract/pattern';

// The C pair checks bytes with bench/src/pattern.c; it must make exactly the TypeScript oracle's bytes.
let dir: string;
let dump: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-bench-pattern-'));
  dump = path.join(dir, 'pattern-dump');
  execFileSync('gcc', [...C_PAIR_CFLAGS, '-Werror', '-o', dump, 'pattern-dump.c', 'pattern.c'], { cwd: C_PAIR_SOURCES, stdio: 'pipe' });
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function cFill(seed: number, offset: number, length: number): Buffer {
  return execFileSync(dump, ['fill', String(seed), String(offset), String(length)], { maxBuffer: length + 1024 });
}

function cVerify(seed: number, offset: number, data: Buffer): number {
  return Number(execFileSync(dump, ['verify', String(seed), String(offset)], { input: data }).toString().trim());
}

const SEEDS = [0, 1, 7, 0x68e31da4, 0x7fffffff, 0x80000000, 0xffffffff, 1_234_567_891];
/** Offsets at the start, around the period's end (the wrap), and far into a long stream. */
const SPANS: Array<[number, number]> = [
  [0, 4096],
  [1, 1],
  [PATTERN_PERIOD - 3, 10],
  [PATTERN_PERIOD, 513],
  [5 * 2 ** 30 + 17, 70_000],
];

test('the C pattern makes the same bytes as the TypeScript one, for every seed and offset tried', () => {
  for (const seed of SEEDS) {
    for (const [offset, length] of SPANS) {
      const ts = Buffer.alloc(length);
      fillPattern(ts, seed, offset);
      const c = cFill(seed, offset, length);
      assert.equal(c.length, length);
      assert.ok(c.equals(ts), `seed ${seed} offset ${offset} length ${length}: first difference at ${ts.findIndex((b, i) => b !== c[i])}`);
    }
  }
});

test('the whole table of a seed agrees, across two periods (the wrap included)', () => {
  const length = 2 * PATTERN_PERIOD + 5;
  const ts = Buffer.alloc(length);
  fillPattern(ts, 42, 3);
  assert.ok(cFill(42, 3, length).equals(ts));
});

test('C and TypeScript verify name the same first wrong byte, and -1 when all match', () => {
  const seed = 99;
  const offset = PATTERN_PERIOD - 100;
  const data = Buffer.alloc(4096);
  fillPattern(data, seed, offset);
  assert.equal(cVerify(seed, offset, data), -1);
  assert.equal(verifyPattern(data, seed, offset), -1);
  for (const bad of [0, 99, 100, 4095]) {
    const copy = Buffer.from(data);
    copy[bad] = copy[bad]! ^ 0x01;
    assert.equal(cVerify(seed, offset, copy), bad);
    assert.equal(verifyPattern(copy, seed, offset), bad);
  }
  // Another seed's stream is caught at once.
  assert.equal(cVerify(seed + 1, offset, data), verifyPattern(data, seed + 1, offset));
});
