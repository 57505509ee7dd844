import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ProbeParams } from '../src/probes/probe-params';
import { METHOD_NAMES } from '../../contract/src/protocol';

const badRequest = (re: RegExp) => (e: unknown) => (e as { code?: string }).code === 'BAD_REQUEST' && re.test((e as Error).message);

test('every mmap.* probe method is in METHOD_NAMES', () => {
  for (const m of ['mmap.mount', 'mmap.unmount', 'mmap.mounts', 'mmap.open', 'mmap.dup', 'mmap.close', 'mmap.buffer', 'mmap.fill', 'mmap.release', 'mmap.mremap', 'mmap.poke', 'mmap.peek', 'mmap.submit', 'mmap.wait', 'mmap.race', 'mmap.reset']) {
    assert.ok((METHOD_NAMES as readonly string[]).includes(m), m);
  }
});

test('probe params: integers in range, defaults, choices, endpoint files, mounts, mount options', () => {
  const p = new ProbeParams({ fd: 3, bytes: 0, kind: 'mapping', file: 'ep2', mount: 'function', opts: { mmap_memory_mb: 'abc', no_disconnect: true } }, 'mmap.x');
  assert.equal(p.int('fd', 1, 10), 3);
  assert.equal(p.int('missing', 0, 10, 7), 7);
  assert.throws(() => p.int('bytes', 1, 10), badRequest(/mmap\.x: bytes must be an integer 1\.\.10/));
  assert.throws(() => p.int('missing', 0, 10), badRequest(/missing must be an integer/));
  assert.equal(p.choice('kind', ['mapping', 'anonymous'] as const), 'mapping');
  assert.throws(() => p.choice('file', ['in', 'out'] as const), badRequest(/file must be one of in, out/));
  assert.equal(p.endpointFile('file'), 'ep2');
  assert.throws(() => new ProbeParams({ file: '../ep1' }, 'm').endpointFile('file'), badRequest(/endpoint file name/));
  assert.throws(() => new ProbeParams({ file: 'ep32' }, 'm').endpointFile('file'), badRequest(/endpoint file name/));
  assert.equal(p.mount('mount'), 'function');
  assert.equal(new ProbeParams({ mount: 4 }, 'm').mount('mount'), 4);
  assert.throws(() => new ProbeParams({ mount: 0 }, 'm').mount('mount'), badRequest(/mmap\.mount id or 'function'/));
  // Malformed option values pass through: refusing them is the kernel's job, and what the suites check.
  assert.deepEqual(p.mountOptions('opts'), { mmap_memory_mb: 'abc', no_disconnect: true });
  assert.throws(() => new ProbeParams({ o: { a: [1] } }, 'm').mountOptions('o'), badRequest(/string, number or boolean/));
  assert.throws(() => new ProbeParams([], 'm'), badRequest(/params must be an object/));
  assert.equal(new ProbeParams({}, 'm').flag('private'), false);
  assert.equal(new ProbeParams({ dir: '/run/x' }, 'm').directory('dir'), '/run/x');
  assert.equal(new ProbeParams({}, 'm').directory('dir'), undefined);
  for (const dir of ['run/x', 7, '/a\0b']) assert.throws(() => new ProbeParams({ dir }, 'm').directory('dir'), badRequest(/dir must be an absolute path/));
  assert.throws(() => new ProbeParams({ private: 1 }, 'm').flag('private'), badRequest(/private must be a boolean/));
});
