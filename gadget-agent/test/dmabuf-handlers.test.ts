import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DmabufHandlers } from '../src/probes/dmabuf-handlers';
import { DMABUF_METHOD_NAMES } from '../../contract/src/dmabuf-protocol';
import { METHOD_NAMES } from '../../contract/src/protocol';

// Requests are checked before anything touches the kernel, so these run anywhere.
const lab = new DmabufHandlers(() => {
  throw new Error('the resolver must not be reached by a malformed request');
});

const badRequest = (message: RegExp) => (e: { code?: string; message?: string }) => e.code === 'BAD_REQUEST' && message.test(e.message ?? '');

test('dmabuf methods are part of the protocol', () => {
  for (const m of DMABUF_METHOD_NAMES) assert.ok(METHOD_NAMES.includes(m), m);
});

test('dmabuf.open: endpoint and nonBlocking are checked, unknown fields refused', () => {
  assert.throws(() => lab.open({ endpoint: 0 }), badRequest(/endpoint must be an integer 1\.\.30/));
  assert.throws(() => lab.open({ endpoint: 1, nonBlocking: 'yes' }), badRequest(/nonBlocking must be a boolean/));
  assert.throws(() => lab.open({ endpoint: 1, extra: 1 }), badRequest(/unknown field 'extra'/));
  assert.throws(() => lab.open([]), badRequest(/params must be an object/));
});

test('dmabuf.create: sizes are whole pages, at most 64 MiB', () => {
  assert.throws(() => lab.create({ size: 100 }), badRequest(/size must be an integer 4096\.\./));
  assert.throws(() => lab.create({ size: 4096 + 1 }), badRequest(/multiple of 4096/));
  assert.throws(() => lab.create({ size: 128 << 20 }), badRequest(/size must be an integer/));
});

test('handles and buffers must exist', () => {
  assert.throws(() => lab.attach({ handle: 7, buffer: 8 }), badRequest(/no open endpoint handle 7/));
  assert.throws(() => lab.transfer({ handle: 7, buffer: 8, length: 4096 }), badRequest(/no open endpoint handle 7/));
  assert.throws(() => lab.verify({ buffer: 8, length: 1, seed: 1, offset: 0 }), badRequest(/no buffer 8/));
  assert.throws(() => lab.close({ handle: 3 }), badRequest(/no open endpoint handle 3/));
});

test('dmabuf.wait and dmabuf.loop check their params', async () => {
  await assert.rejects(lab.wait({ transfer: 1, timeoutMs: -1 }), badRequest(/timeoutMs must be an integer/));
  await assert.rejects(lab.wait({ transfer: 1, timeoutMs: 10 }), badRequest(/no transfer 1/));
  const loop = { endpoint: 1, cycles: 10, size: 4096, seed: 1, end: 'detach', timeoutMs: 1000 };
  await assert.rejects(lab.loop({ ...loop, end: 'unbind' }), badRequest(/end must be 'detach' or 'close'/));
  await assert.rejects(lab.loop({ ...loop, cycles: 0 }), badRequest(/cycles must be an integer/));
  await assert.rejects(lab.loop({ ...loop, size: 0 }), badRequest(/size must be an integer/));
});

test('reset on an empty lab is a no-op, and safe twice', () => {
  lab.reset();
  lab.reset();
});
