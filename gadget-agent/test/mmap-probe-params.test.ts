import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { METHOD_NAMES, type MethodName } from '@ffs-lab/contract/protocol';
import { REQUEST_SCHEMAS } from '@ffs-lab/contract/request-schemas';
import { problemsOf } from '@ffs-lab/contract/schema';
import { FaultHandlers } from '../src/faults/fault-handlers';

/** The problems the agent answers BAD_REQUEST with before any handler runs, or undefined. */
const problems = (method: MethodName, params: unknown) => problemsOf(REQUEST_SCHEMAS[method], params, method);

test('every mmap.* probe method is in METHOD_NAMES', () => {
  for (const m of ['mmap.mount', 'mmap.unmount', 'mmap.mounts', 'mmap.open', 'mmap.dup', 'mmap.close', 'mmap.buffer', 'mmap.fill', 'mmap.release', 'mmap.mremap', 'mmap.poke', 'mmap.peek', 'mmap.submit', 'mmap.wait', 'mmap.race', 'mmap.reset']) {
    assert.ok((METHOD_NAMES as readonly string[]).includes(m), m);
  }
});

test('probe params are checked once, by the contract: ranges, choices, endpoint files, mounts, mount options, directories', () => {
  assert.equal(problems('mmap.buffer', { kind: 'mapping', fd: 3, bytes: 4096 }), undefined);
  assert.match(problems('mmap.buffer', { kind: 'mapping', fd: 3, bytes: 0 }) ?? '', /bytes/);
  assert.match(problems('mmap.buffer', { kind: 'mapping', bytes: 4096 }) ?? '', /a mapping needs fd/);
  assert.equal(problems('mmap.buffer', { kind: 'anonymous', bytes: 4096 }), undefined);
  assert.match(problems('mmap.buffer', { kind: 'file', bytes: 4096 }) ?? '', /kind/);
  assert.match(problems('mmap.buffer', { kind: 'anonymous', bytes: 4096, private: 1 }) ?? '', /private/);
  for (const file of ['../ep1', 'ep32', 'ep1/x']) assert.match(problems('mmap.open', { mount: 'function', file }) ?? '', /endpoint file name/, file);
  assert.equal(problems('mmap.open', { mount: 4, file: 'ep2' }), undefined);
  assert.match(problems('mmap.open', { mount: 0, file: 'ep2' }) ?? '', /mount/);
  // Malformed option values pass: refusing them is the kernel's job, and what the suites check.
  assert.equal(problems('mmap.mount', { mountOptions: { mmap_memory_mb: 'abc', no_disconnect: true } }), undefined);
  assert.match(problems('mmap.mount', { mountOptions: { a: [1] } }) ?? '', /mountOptions/);
  assert.match(problems('mmap.mount', []) ?? '', /object/);
  assert.equal(problems('mmap.peek', { buffer: 1, offset: 0, length: 1, via: 'o_direct', dir: '/run/x' }), undefined);
  for (const dir of ['run/x', 7, '/a\0b']) assert.match(problems('mmap.peek', { buffer: 1, offset: 0, length: 1, via: 'o_direct', dir }) ?? '', /dir/, String(dir));
});

test('fault params are checked by the contract (the stopLoop budget included); the handlers check the state', async () => {
  assert.match(problems('fault.signal', { pid: 'x', signal: 'SIGKILL' }) ?? '', /pid/);
  assert.match(problems('fault.signal', { pid: 1234, signal: 'SIGSEGV' }) ?? '', /signal/);
  assert.match(problems('fault.stopLoop', { pid: 1234, rounds: 100_000, stopMs: 10_000, runMs: 10_000 }) ?? '', /rounds x \(stopMs \+ runMs\) must be at most 600000 ms/);
  assert.equal(problems('fault.stopLoop', { pid: 1234, rounds: 10, stopMs: 100, runMs: 100 }), undefined);
  assert.match(problems('fault.cancelStorm', { mode: 'zero', depth: 8, transferSize: 512, rounds: 1 }) ?? '', /mode/);
  assert.match(problems('fault.openCloseTeardown', { workers: 0, leadMs: 0, tailMs: 0, mmap: false }) ?? '', /workers/);
  assert.match(problems('fault.openCloseTeardown', { workers: 1, leadMs: 0, tailMs: 0, mmap: false, dataFilesOnly: 'yes' }) ?? '', /dataFilesOnly/);
  const h = new FaultHandlers({ fn: () => undefined, removeFunction: async () => undefined }).handlers;
  await assert.rejects(async () => h['fault.cancelStorm']({ mode: 'aio', depth: 8, transferSize: 512, rounds: 1 }), (e: { code?: string }) => e.code === 'BAD_STATE');
  await assert.rejects(async () => h['fault.openCloseTeardown']({ workers: 1, leadMs: 0, tailMs: 0, mmap: false }), (e: { code?: string }) => e.code === 'BAD_STATE');
});
