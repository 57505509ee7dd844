import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { parseRequest } from '../src/session/agent-main';
import { PROTOCOL_VERSION } from '@ffs-lab/contract/protocol';
import { mountOptionString } from '../src/gadget/functionfs-mount';
import { validateSpec } from '../src/gadget/configfs-gadget';

test('malformed requests become error replies with a code', () => {
  const code = (line: string) => {
    const r = parseRequest(line);
    return 'error' in r ? r.error.code : 'ok';
  };
  assert.equal(code('{'), 'BAD_REQUEST');
  assert.equal(code('[]'), 'BAD_REQUEST');
  assert.equal(code('{"v":1,"method":"hello"}'), 'BAD_REQUEST');
  assert.equal(code('{"v":99,"id":1,"method":"hello"}'), 'VERSION_MISMATCH');
  assert.equal(code('{"v":1,"id":1,"method":"rm -rf"}'), 'UNKNOWN_METHOD');
  assert.equal(code('{"v":1,"id":1,"method":"hello","params":[1]}'), 'BAD_REQUEST');
  assert.equal(code(`{"v":1,"id":1,"method":"hello","params":{"x":"${'a'.repeat(1 << 20)}"}}`), 'BAD_REQUEST');
  assert.equal(code('{"v":1,"id":7,"method":"hello"}'), 'ok');
});

test('mount options are validated before mount(8) sees them', () => {
  assert.equal(mountOptionString({ mmap_memory_mb: 1, no_disconnect: true, uid: 0 }), 'mmap_memory_mb=1,no_disconnect,uid=0');
  assert.throws(() => mountOptionString({ 'a,b': 1 }), /bad mount option name/);
  assert.throws(() => mountOptionString({ mode: '1,uid=0' }), /bad value/);
  assert.throws(() => mountOptionString({ mode: '1=2' }), /bad value/);
  assert.equal(mountOptionString({ mmap_memory_mb: ' 5' }), 'mmap_memory_mb= 5');
});

test('gadget specs are checked field by field', () => {
  assert.throws(
    () => validateSpec({ name: '../x', vendorId: 0x10000, productId: 1, manufacturer: 'm', product: 'p', serial: 's\n', function: 'f' }),
    (e: Error) => /name must be/.test(e.message) && /vendorId must be/.test(e.message) && /serial must be/.test(e.message),
  );
  validateSpec({ name: 'ok-1', vendorId: 0x1d6b, productId: 0x104, manufacturer: 'm', product: 'p', serial: 's', function: 'f_1' });
});

test('the real agent process answers, survives garbage, and exits on stdin EOF', async () => {
  const agent = spawn(process.execPath, [path.resolve(__dirname, '..', '..', '..', 'bin', 'ffs-lab-agent.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const replies = readline.createInterface({ input: agent.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await replies.next()).value as string) as Record<string, unknown>;
  agent.stdin!.write('not json\n');
  assert.deepEqual((await next()).error, { code: 'BAD_REQUEST', message: 'request is not valid JSON' });
  agent.stdin!.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id: 1, method: 'hello', params: {} })}\n`);
  const hello = await next();
  assert.equal(hello.id, 1);
  assert.equal(hello.ok, true);
  assert.equal((hello.result as { kernelRelease: string }).kernelRelease, os.release());
  agent.stdin!.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id: 2, method: 'program.status', params: {} })}\n`);
  assert.equal(((await next()).error as { code: string }).code, 'BAD_STATE');
  const exited = new Promise<number | null>((r) => agent.on('exit', (c) => r(c)));
  agent.stdin!.end();
  assert.equal(await exited, 0);
});
