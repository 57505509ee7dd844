import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { C_PAIR_CFLAGS, C_PAIR_SOURCES } from '../src/bench/c-pair';
import { layoutVectors, tallyVectors, type GoldenVector } from '@ffs-lab/contract/golden-vectors';

// The C pair keeps its own copy of the stream contract; the golden vectors say it is the same one.
let dir: string;
let check: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-contract-check-'));
  check = path.join(dir, 'contract-check');
  execFileSync('gcc', [...C_PAIR_CFLAGS, '-Werror', '-o', check, 'contract-check.c', 'pattern.c', 'stream-tally.c', '-lz'], { cwd: C_PAIR_SOURCES, stdio: 'pipe' });
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function agree(vectors: GoldenVector[]): void {
  const out = execFileSync(check, { input: vectors.map((v) => v.input).join('\n') + '\n', maxBuffer: 1 << 20 }).toString().split('\n');
  vectors.forEach((v, i) => assert.equal(out[i], v.expected, v.input));
  assert.equal(out.length, vectors.length + 1, 'one line per case');
}

test('the C pair cuts every stream of the golden vectors into the contract\'s transfers, slots and depths', () => {
  agree(layoutVectors());
});

test('the C pair\'s tally agrees with the contract\'s on every golden vector: counts, CRC-32, first bad offset, bad transfers, fault text', () => {
  agree(tallyVectors());
});

test('a copy that differs is caught: a vector with another expectation fails', () => {
  const [v] = layoutVectors();
  assert.throws(() => agree([{ input: v!.input, expected: v!.expected.replace(/count \d+/, 'count 999') }]), assert.AssertionError);
});
