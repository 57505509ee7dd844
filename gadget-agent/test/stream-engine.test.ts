import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fillPattern } from '@ffs-lab/contract/pattern';
import { withFunctionDefaults } from '../src/gadget/function-params';
import { PROTOCOL_VERSION } from '@ffs-lab/contract/protocol';
import { effectiveDepth, expectedLength, receiveLength, shapeProblems, slotBytes, transferCount, transferOffset } from '@ffs-lab/contract/stream-layout';
import { withStreamDefaults } from '../src/streams/stream-params';
import { REQUEST_SCHEMAS } from '@ffs-lab/contract/request-schemas';
import { problemsOf } from '@ffs-lab/contract/schema';
import type { MethodName } from '@ffs-lab/contract/protocol';
import { StreamTally } from '@ffs-lab/contract/stream-tally';
import { runPipeline } from '@ffs-lab/contract/transfer-pipeline';

const GOOD = { kind: 'source', mode: 'aio', transferSize: 512, totalBytes: 4096, depth: 8, seed: 7 } as const;

/** The agent answers BAD_REQUEST with these problems before any handler runs. */
function refused(method: MethodName, params: unknown, ...fields: RegExp[]): void {
  const problems = problemsOf(REQUEST_SCHEMAS[method], params, method);
  assert.ok(problems, `${method} took ${JSON.stringify(params)}`);
  for (const f of fields) assert.match(problems, f);
}

test('stream.start params: the contract\'s schema names every malformed field in one message', () => {
  refused('stream.start', undefined, /must be an object/);
  refused('stream.start', [1], /must be an object/);
  refused(
    'stream.start',
    { kind: 'loop', mode: 'zerocopy', transferSize: -1, totalBytes: 1.5, depth: 0, seed: 2 ** 32, extra: 1 },
    /kind must be/, /mode must be/, /transferSize must be/, /totalBytes must be/, /depth must be/, /seed must be/, /unknown field 'extra'/,
  );
  refused('stream.start', { ...GOOD, transferSize: 8 << 20 }, /transferSize must be an integer 0\.\.4194304/);
  refused('stream.start', { ...GOOD, transferSize: '512' }, /transferSize must be an integer/);
  refused('stream.start', { ...GOOD, timeoutMs: 0 }, /timeoutMs/);
  refused('stream.start', { ...GOOD, kind: 'echo', endpoint: 1 }, /endpoint is not used by echo/);
  // Zero-length-packet streams give a transfer count, not bytes.
  refused('stream.start', { ...GOOD, transferSize: 0, totalBytes: 0 }, /transfers must be/);
  refused('stream.start', { ...GOOD, transferSize: 0, totalBytes: 10, transfers: 3 }, /totalBytes must be 0/);
  refused('stream.start', { ...GOOD, transfers: 3 }, /transfers is only for/);
  assert.equal(problemsOf(REQUEST_SCHEMAS['stream.start'], GOOD), undefined);
});

test('stream.start params: defaults are filled in', () => {
  const p = withStreamDefaults(GOOD);
  assert.equal(p.timeoutMs, 120_000);
  assert.equal(p.maxBytesInFlight, 16 << 20);
  assert.equal(p.endpoint, undefined);
  assert.deepEqual(withStreamDefaults({ ...GOOD, transferSize: 0, totalBytes: 0, transfers: 5 }).transfers, 5);
  assert.equal(withStreamDefaults({ ...GOOD, timeoutMs: 5 }).timeoutMs, 5);
});

test('stream layout: lengths, receive lengths and ZLP streams follow the documented semantics', () => {
  const s = { transferSize: 513, totalBytes: 513 * 3 + 512 };
  assert.equal(transferCount(s), 4);
  assert.deepEqual([0, 1, 2, 3].map((k) => expectedLength(s, k)), [513, 513, 513, 512]);
  assert.equal(transferOffset(s, 3), 1539);
  // A remainder that is a whole number of packets is posted exactly, so it ends without a ZLP.
  assert.equal(receiveLength(512, 512), 512);
  assert.equal(receiveLength(513, 512), 1024);
  assert.equal(receiveLength(1, 512), 512);
  assert.equal(receiveLength(0, 512), 512, 'a ZLP is received into one packet');
  assert.equal(slotBytes(s, true, 512), 1024);
  assert.equal(slotBytes(s, false, 512), 513);
  const z = { transferSize: 0, totalBytes: 0, transfers: 9 };
  assert.equal(transferCount(z), 9);
  assert.equal(expectedLength(z, 4), 0);
  assert.deepEqual(shapeProblems(z), []);
  assert.equal(transferCount({ transferSize: 4096, totalBytes: 0 }), 0);
});

test('effective depth: bounded by the transfer count and the bytes-in-flight budget, never below 1', () => {
  assert.equal(effectiveDepth(32, 100, 4 << 20, 16 << 20), 4);
  assert.equal(effectiveDepth(32, 3, 512), 3);
  assert.equal(effectiveDepth(8, 100, 64 << 20, 16 << 20), 1);
  assert.equal(effectiveDepth(8, 0, 512), 1);
  assert.equal(effectiveDepth(8, 100, 0), 8);
});

test('stream tally: a wrong byte, a short and a long transfer are found at their stream offsets', () => {
  const shape = { transferSize: 1000, totalBytes: 3000 };
  const data = (k: number, n = 1000) => {
    const b = Buffer.alloc(n);
    fillPattern(b, 42, k * 1000);
    return b;
  };
  const sender = new StreamTally(shape, 42);
  const good = new StreamTally(shape, 42);
  for (let k = 0; k < 3; k++) {
    sender.sent(data(k));
    assert.equal(good.received(k, data(k)), true);
  }
  assert.equal(good.fault, undefined);
  assert.equal(good.checksum, sender.checksum);
  assert.equal(good.bytes, 3000);

  const corrupt = new StreamTally(shape, 42);
  const bad = data(1);
  bad[123] ^= 0x40;
  corrupt.received(0, data(0));
  assert.equal(corrupt.received(1, bad), false);
  corrupt.received(2, data(2));
  assert.equal(corrupt.fault?.offset, 1123);
  assert.match(corrupt.fault!.detail, /transfer 1/);
  assert.equal(corrupt.badTransfers, 1);
  assert.notEqual(corrupt.checksum, sender.checksum);

  const short = new StreamTally(shape, 42);
  short.received(0, data(0, 700));
  assert.deepEqual(short.fault, { offset: 700, detail: 'transfer 0: 700 bytes, expected 1000' });

  const long = new StreamTally(shape, 42);
  const extra = Buffer.concat([data(0), Buffer.alloc(24)]);
  long.received(0, extra);
  assert.equal(long.fault?.offset, 1000);
});

/** A fake endpoint: transfers complete after a per-transfer delay, possibly out of order. */
function fakeTransfers(delayOf: (k: number) => number | null) {
  const pending = new Set<NodeJS.Timeout>();
  const cancelled: number[] = [];
  const rejects = new Map<number, (e: Error) => void>();
  return {
    start: (k: number, n: number) =>
      new Promise<number>((resolve, reject) => {
        rejects.set(k, reject);
        const d = delayOf(k);
        if (d === null) return; // never completes unless cancelled
        const t = setTimeout(() => {
          pending.delete(t);
          rejects.delete(k);
          resolve(n);
        }, d);
        pending.add(t);
      }),
    cancel: () => {
      for (const [k, r] of rejects) {
        cancelled.push(k);
        r(Object.assign(new Error('cancelled'), { code: 'ECANCELED' }));
      }
      rejects.clear();
    },
    cancelled,
  };
}

test('pipeline: keeps depth transfers in flight, starts them in order, finishes them in order', async () => {
  // Later transfers complete first: finish() must still see 0, 1, 2, ...
  const fake = fakeTransfers((k) => 20 - (k % 4) * 5);
  const started: number[] = [];
  const finished: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const slots = [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }];
  const used = new Set<object>();
  const p = runPipeline(
    slots,
    {
      start: (s, k) => {
        used.add(s);
        started.push(k);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        return fake.start(k, 100).finally(() => inFlight--);
      },
      finish: (_s, k, n) => {
        assert.equal(n, 100);
        finished.push(k);
      },
      cancel: fake.cancel,
    },
    { transfers: 23, timeoutMs: 5000 },
  );
  const out = await p.done;
  assert.equal(out.error, undefined);
  assert.equal(out.finished, 23);
  assert.deepEqual(finished, [...Array(23).keys()]);
  assert.deepEqual(started, [...Array(23).keys()]);
  assert.equal(maxInFlight, 4);
  assert.equal(used.size, 4, 'every slot is reused, none is added');
});

test('pipeline: a failing transfer aborts the rest and is the reported error', async () => {
  const fake = fakeTransfers((k) => (k === 5 ? null : 2));
  const p = runPipeline([1, 2, 3], {
    start: (_s, k) => (k === 5 ? Promise.reject(Object.assign(new Error('EPIPE: io'), { code: 'EPIPE' })) : fake.start(k, 1)),
    finish: () => undefined,
    cancel: fake.cancel,
  }, { transfers: 100, timeoutMs: 5000 });
  const out = await p.done;
  assert.equal(out.error?.code, 'EPIPE');
  assert.ok(out.finished <= 5);
});

test('pipeline: a transfer that never completes ends in TIMEOUT, cancelled, within the deadline', async () => {
  const fake = fakeTransfers((k) => (k < 3 ? 1 : null));
  const t0 = Date.now();
  const out = await runPipeline([1, 2], { start: (_s, k) => fake.start(k, 1), finish: () => undefined, cancel: fake.cancel }, { transfers: 10, timeoutMs: 200 }).done;
  assert.equal(out.error?.code, 'TIMEOUT');
  assert.equal(out.finished, 3);
  assert.ok(fake.cancelled.length > 0, 'in-flight transfers were cancelled');
  assert.ok(Date.now() - t0 < 2000);
});

test('pipeline: transfers that ignore cancel are abandoned after the settle time, not waited for forever', async () => {
  const out = await runPipeline([1], { start: () => new Promise<number>(() => undefined), finish: () => undefined, cancel: () => undefined }, { transfers: 2, timeoutMs: 50, settleMs: 50 }).done;
  assert.equal(out.error?.code, 'TIMEOUT');
  assert.equal(out.abandoned, 1);
});

test('pipeline: stop() aborts with the given reason', async () => {
  const fake = fakeTransfers(() => null);
  const p = runPipeline([1, 2], { start: (_s, k) => fake.start(k, 1), finish: () => undefined, cancel: fake.cancel }, { transfers: 10, timeoutMs: 5000 });
  p.stop(Object.assign(new Error('stopped'), { code: 'STOPPED' }));
  const out = await p.done;
  assert.equal(out.error?.code, 'STOPPED');
  assert.equal(out.abandoned, 0);
});

test('function.create params: gadget, descriptors and strings are checked by the contract before anything touches configfs', () => {
  const gadget = { name: 'x', vendorId: 0x1d6b, productId: 0x110, manufacturer: 'm', product: 'p', serial: 's', function: 'f' };
  assert.equal(problemsOf(REQUEST_SCHEMAS['function.create'], { gadget }), undefined);
  const ok = withFunctionDefaults({ gadget });
  assert.equal(ok.function.endpoints.length, 2);
  assert.deepEqual(ok.strings, ['p']);
  refused('function.create', null, /must be an object/);
  refused('function.create', { gadget: { ...gadget, vendorId: -1 } }, /vendorId must be/);
  refused('function.create', { gadget, function: { endpoints: [{ number: 1, direction: 'in', type: 'bulk', maxPacket: { hs: 64 } }] } }, /high-speed bulk maxPacket must be 512/);
  refused('function.create', { gadget, function: { endpoints: 'ep1' } }, /endpoints must be an array of 1\.\.30/);
  refused('function.create', { gadget, function: { endpoints: [null] } }, /endpoints\[0\] must be an object/);
  refused('function.create', { gadget, strings: [1] }, /strings\[0\] must be a string/);
  refused('function.create', { gadget, strings: [] }, /interfaceString 1 is past/);
  refused('function.create', { gadget, functions: {} }, /unknown field 'functions'/);
});

test('the real agent answers malformed stream requests with BAD_REQUEST and stream requests without a function with BAD_STATE', async () => {
  const agent = spawn(process.execPath, [path.resolve(__dirname, '..', '..', '..', 'bin', 'ffs-lab-agent.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const replies = readline.createInterface({ input: agent.stdout! })[Symbol.asyncIterator]();
  let id = 0;
  const call = async (method: string, params: unknown) => {
    agent.stdin!.write(`${JSON.stringify({ v: PROTOCOL_VERSION, id: ++id, method, params })}\n`);
    const r = JSON.parse((await replies.next()).value as string) as { id: number; ok: boolean; error?: { code: string; message: string } };
    assert.equal(r.id, id);
    return r;
  };
  try {
    assert.equal((await call('stream.start', { kind: 'source' })).error?.code, 'BAD_REQUEST');
    assert.equal((await call('stream.start', GOOD)).error?.code, 'BAD_STATE');
    assert.match((await call('stream.start', { ...GOOD, waitReady: 'yes' })).error?.message ?? '', /waitReady must be a boolean/);
    assert.equal((await call('stream.start', [GOOD])).error?.code, 'BAD_REQUEST');
    assert.equal((await call('stream.wait', { id: 'x' })).error?.code, 'BAD_REQUEST');
    assert.equal((await call('stream.wait', { id: 1, timeoutMs: -5 })).error?.code, 'BAD_REQUEST');
    assert.equal((await call('stream.status', { id: 1 })).error?.code, 'BAD_STATE');
    assert.equal((await call('function.status', { waitEnabledMs: 'soon' })).error?.code, 'BAD_REQUEST');
    assert.equal((await call('function.create', { gadget: 7 })).error?.code, 'BAD_REQUEST');
    assert.equal((await call('hello', {})).ok, true, 'the agent is still alive');
  } finally {
    const exited = new Promise<number | null>((r) => agent.on('exit', (c) => r(c)));
    agent.stdin!.end();
    assert.equal(await exited, 0);
  }
});

test('pipeline: a transfer that completes after a stop, out of turn, does not hold the outcome until the settle timeout', async () => {
  // Transfer 0 never completes until cancelled late; transfer 1 completes just after the stop.
  let release0: (n: number) => void = () => undefined;
  let release1: (n: number) => void = () => undefined;
  const p = runPipeline([0, 1], {
    start: (_s, k) => new Promise<number>((r) => (k === 0 ? (release0 = r) : k === 1 ? (release1 = r) : undefined)),
    finish: () => undefined,
    cancel: () => setTimeout(() => { release1(10); setTimeout(() => release0(0), 20); }, 10),
  }, { transfers: 4, timeoutMs: 60_000, settleMs: 4000 });
  const t0 = Date.now();
  p.stop(Object.assign(new Error('stopped'), { code: 'STOPPED' }));
  const out = await p.done;
  assert.equal(out.error?.message, 'stopped');
  assert.ok(Date.now() - t0 < 1000, `the outcome took ${Date.now() - t0} ms (the late, out-of-turn completion waited for its turn)`);
  assert.equal(out.abandoned, 0);
});
