import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DmabufHandlers } from '../src/probes/dmabuf-handlers';
import { DMABUF_METHOD_NAMES } from '@ffs-lab/contract/dmabuf-protocol';
import { METHOD_NAMES, type MethodName } from '@ffs-lab/contract/protocol';
import { REQUEST_SCHEMAS } from '@ffs-lab/contract/request-schemas';
import { problemsOf } from '@ffs-lab/contract/schema';

// Requests are checked before anything touches the kernel, so these run anywhere.
const lab = new DmabufHandlers(() => {
  throw new Error('the resolver must not be reached by a malformed request');
});

/** The agent answers BAD_REQUEST with these problems before the handler runs. */
function refused(method: MethodName, params: unknown, message: RegExp): void {
  assert.match(problemsOf(REQUEST_SCHEMAS[method], params, method) ?? 'taken', message);
}

const badRequest = (message: RegExp) => (e: { code?: string; message?: string }) => e.code === 'BAD_REQUEST' && message.test(e.message ?? '');

test('dmabuf methods are part of the protocol', () => {
  for (const m of DMABUF_METHOD_NAMES) assert.ok(METHOD_NAMES.includes(m), m);
});

test('dmabuf params are checked once, by the contract: endpoints, whole-page sizes, fences, loops', () => {
  refused('dmabuf.open', { endpoint: 0 }, /endpoint must be an integer 1\.\.30/);
  refused('dmabuf.open', { endpoint: 1, nonBlocking: 'yes' }, /nonBlocking must be/);
  refused('dmabuf.open', { endpoint: 1, extra: 1 }, /unknown field 'extra'/);
  refused('dmabuf.open', [], /must be an object/);
  refused('dmabuf.create', { size: 100 }, /size must be an integer 4096\.\./);
  refused('dmabuf.create', { size: 4096 + 1 }, /multiple of 4096/);
  refused('dmabuf.create', { size: 128 << 20 }, /size must be an integer/);
  assert.equal(problemsOf(REQUEST_SCHEMAS['dmabuf.create'], { size: 8192 }), undefined);
  refused('dmabuf.wait', { transfer: 1, timeoutMs: -1 }, /timeoutMs must be an integer/);
  const loop = { endpoint: 1, cycles: 10, size: 4096, seed: 1, end: 'detach', timeoutMs: 1000 };
  assert.equal(problemsOf(REQUEST_SCHEMAS['dmabuf.loop'], loop), undefined);
  refused('dmabuf.loop', { ...loop, end: 'unbind' }, /end must be one of 'detach', 'close'/);
  refused('dmabuf.loop', { ...loop, cycles: 0 }, /cycles must be an integer/);
  refused('dmabuf.loop', { ...loop, size: 0 }, /size must be an integer/);
});

test('handles, buffers and transfers must exist; ranges must fit the buffer', async () => {
  assert.throws(() => lab.attach({ handle: 7, buffer: 8 }), badRequest(/no open endpoint handle 7/));
  assert.throws(() => lab.transfer({ handle: 7, buffer: 8, length: 4096 }), badRequest(/no open endpoint handle 7/));
  assert.throws(() => lab.verify({ buffer: 8, length: 1, seed: 1, offset: 0 }), badRequest(/no buffer 8/));
  assert.throws(() => lab.close({ handle: 3 }), badRequest(/no open endpoint handle 3/));
  await assert.rejects(lab.wait({ transfer: 1, timeoutMs: 10 }), badRequest(/no transfer 1/));
});

test('reset on an empty lab is a no-op, and safe twice', () => {
  lab.reset();
  lab.reset();
});
