import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { answer } from '../src/session/agent-main';
import { AgentSession } from '../src/session/agent-session';
import { METHOD_NAMES, PROTOCOL_VERSION, type MethodName } from '@ffs-lab/contract/protocol';
import { REQUEST_SCHEMAS } from '@ffs-lab/contract/request-schemas';
import { problemsOf } from '@ffs-lab/contract/schema';

const refused = (method: MethodName, params: unknown, pattern: RegExp) => {
  const p = problemsOf(REQUEST_SCHEMAS[method], params);
  assert.ok(p, `${method} accepted ${JSON.stringify(params)}`);
  assert.match(p, pattern);
};
const accepted = (method: MethodName, params: unknown) => assert.equal(problemsOf(REQUEST_SCHEMAS[method], params), undefined, `${method} refused ${JSON.stringify(params)}`);

test('every method has a schema, and every schema refuses a non-object', () => {
  for (const m of METHOD_NAMES) {
    assert.ok(REQUEST_SCHEMAS[m], m);
    for (const bad of [null, [], 'x', 5]) refused(m, bad, /params must be an object/);
  }
});

test('program.run: timeoutMs is bounded (past 2^31 Node fires a timer at once), argv is absolute, env names are names', () => {
  accepted('program.run', { argv: ['/bin/true'], timeoutMs: 3_600_000, env: { KTAP: '1' } });
  for (const t of [2 ** 31 + 1, 3_600_001, 0, -1, 1.5, '5']) refused('program.run', { argv: ['/bin/true'], timeoutMs: t }, /timeoutMs must be an integer 1\.\.3600000/);
  refused('program.run', { argv: ['true'] }, /argv: its first item \(the program\) must be an absolute path/);
  refused('program.run', { argv: [] }, /argv must be an array of 1\.\.256 items/);
  refused('program.run', { argv: ['/bin/sh', 'a\0b'] }, /argv\[1\] must be a string/);
  for (const k of ['__proto__', 'constructor', 'A B', '1X']) refused('program.run', JSON.parse(`{"argv":["/bin/true"],"env":{${JSON.stringify(k)}:"1"}}`), /key .* must be an environment variable name/);
});

test('program.start: the string "5" is no timeout, and waitFor names endpoint files, never a path', () => {
  accepted('program.start', { argv: ['/usr/bin/ffs-test'], cwdInMount: true, waitFor: ['ep1', 'ep2'], timeoutMs: 5 });
  refused('program.start', { argv: ['/usr/bin/ffs-test'], timeoutMs: '5' }, /timeoutMs must be an integer/);
  for (const f of ['../..', 'ep1/../../etc', '/etc/passwd', 'ep32', '']) refused('program.start', { argv: ['/x'], waitFor: [f] }, /waitFor\[0\] must be an endpoint file name/);
  refused('program.start', { argv: ['/x'], cwdInMount: 'yes' }, /cwdInMount must be a boolean/);
});

test('mount options cannot smuggle in another option, and reserved names are refused', () => {
  accepted('mmap.mount', { mountOptions: { mmap_memory_mb: 1 } });
  accepted('mmap.mount', { mountOptions: { mmap_memory_mb: '0x2', no_disconnect: true } });
  accepted('mmap.mount', { mountOptions: { mmap_memory_mb: 99999999999 } });
  accepted('mmap.mount', { mountOptions: { mmap_memory_mb: -1 } });
  refused('mmap.mount', { mountOptions: { mmap_memory_mb: '1,uid=0' } }, /mountOptions\.mmap_memory_mb must be/);
  refused('mmap.mount', { mountOptions: { 'a,b': 1 } }, /key 'a,b' must be a mount option name/);
  refused('mmap.mount', JSON.parse('{"mountOptions":{"__proto__":1}}'), /key '__proto__'/);
  refused('gadget.create', { name: 'g', vendorId: 1, productId: 2, manufacturer: 'm', product: 'p', serial: 's', function: 'f', mountOptions: { uid: '0,rw' } }, /mountOptions\.uid must be/);
  refused('mmap.remount', { id: 1, mountOptions: { mmap_memory_mb: '1=2' } }, /mountOptions\.mmap_memory_mb must be/);
  // A blank stays inside its value (one argv item for mount(8), no shell): the kernel's parsing of it is under test.
  accepted('mmap.remount', { id: 1, mountOptions: { mmap_memory_mb: ' 5' } });
});

test('unknown fields, NaN spellings and out-of-range numbers are named with their path', () => {
  refused('stream.status', { id: 1, extra: 2 }, /unknown field 'extra'/);
  refused('stream.status', JSON.parse('{"id":1e999}'), /id must be an integer/);
  refused('stream.status', { id: -0.5 }, /id must be an integer/);
  refused('stream.wait', { id: 1, timeoutMs: 2 ** 31 }, /timeoutMs must be an integer 0\.\.3600000/);
  refused('function.create', { gadget: { name: 'g', vendorId: 70000 } }, /gadget\.vendorId must be an integer 0\.\.65535/);
  refused('function.create', { gadget: { name: 'g', vendorId: 1, productId: 2, manufacturer: 'm', product: 'p', serial: 's', function: 'f' }, function: { endpoints: [{ number: 1, direction: 'up', type: 'bulk' }] } }, /function\.endpoints\[0\]\.direction must be one of 'in', 'out'/);
  refused('function.create', { gadget: { name: 'g', vendorId: 1, productId: 2, manufacturer: 'm', product: 'p', serial: 's', function: 'f' }, function: { endpoints: [{ number: 1, direction: 'in', type: 'bulk', maxPacket: { hs: 64 } }] } }, /high-speed bulk maxPacket must be 512/);
  refused('stream.start', { kind: 'echo', mode: 'aio', transferSize: 0, totalBytes: 5, depth: 1, seed: 0, endpoint: 1 }, /totalBytes must be 0 .*endpoint is not used by echo/);
  accepted('stream.start', { kind: 'source', mode: 'mmap', transferSize: 16384, totalBytes: 1 << 20, depth: 8, seed: 7, waitReady: true });
});

test('a hostile value costs one pass: 100,000 keys and 100,000 items are refused at once', () => {
  const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
  const t0 = process.hrtime.bigint();
  refused('hello', wide, /unknown field 'k0'.*and more/);
  refused('program.run', { argv: Array.from({ length: 100_000 }, () => '/x') }, /argv must be an array of 1\.\.256/);
  refused('mmap.mount', { mountOptions: wide }, /mountOptions must be an object of at most 16 entries/);
  assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 2000, 'checking took over 2 s');
});

test('the agent refuses a malformed request before its handler runs: BAD_REQUEST naming method and field', async () => {
  const session = new AgentSession(() => undefined);
  const reply = await answer(session, JSON.stringify({ v: PROTOCOL_VERSION, id: 7, method: 'program.start', params: { argv: ['/bin/true'], waitFor: ['../..'] } }));
  assert.equal(reply.ok, false);
  assert.equal(reply.id, 7);
  // Without the schema this reached the handler, which answers BAD_STATE (no gadget) instead.
  assert.equal(!reply.ok && reply.error.code, 'BAD_REQUEST');
  assert.match(!reply.ok ? reply.error.message : '', /^program\.start: waitFor\[0\] must be an endpoint file name/);
});

test('what the runner sends as it is: a field set to undefined is absent (JSON drops it), a UDC name as the kernel spells it', () => {
  accepted('stream.status', { id: 1, extra: undefined });
  accepted('gadget.bind', { udc: 'fe980000.usb' });
  accepted('gadget.bind', { udc: 'musb-hdrc.2.auto' });
  accepted('gadget.bind', { udc: 'soc:usb@ff,1+x' });
  refused('gadget.bind', { udc: '../x' }, /udc must be a UDC name/);
});
