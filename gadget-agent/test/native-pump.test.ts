import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { fillPattern, verifyPattern } from '../../host-runner/src/oracle/pattern';
import { runNativePump } from '../src/native-pump';
import { StreamTally } from '../src/stream-tally';
import { transferCount, type StreamShape } from '../src/stream-layout';

/*
 * The addon's pump on a FIFO instead of an endpoint file: Linux AIO on a pipe runs each request
 * synchronously inside io_submit, and a pipe holds 64 KiB, so small streams go through whole.
 * Transfers are multiples of the "packet size", so a receiver's post is exactly its transfer.
 */
describe('native pump (AIO on a FIFO)', () => {
  const MPS = 512;
  const seed = 0x5eed1234;
  let dir: string;
  let fifo: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-pump-'));
    fifo = path.join(dir, 'ep');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // O_RDWR on a FIFO never blocks on open; O_NONBLOCK turns an empty or full pipe into EAGAIN.
  const openFifo = () => fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  const slots = (n: number, size: number) => Array.from({ length: n }, () => new Uint8Array(size));

  it('source: writes the pattern in stream order, counts it and its CRC-32 as the JS tally does', async () => {
    const fd = openFifo();
    try {
      const shape: StreamShape = { transferSize: 4096, totalBytes: 40 * 1024 };
      const pump = runNativePump({ engine: 'aio', fd, write: true, slots: slots(3, 4096), shape, transfers: transferCount(shape), maxPacketSize: MPS, seed, timeoutMs: 5000 });
      const outcome = await pump.done;
      assert.equal(outcome.error, undefined);
      assert.equal(outcome.finished, 10);
      const got = Buffer.alloc(shape.totalBytes);
      assert.equal(fs.readSync(fd, got), shape.totalBytes);
      assert.equal(verifyPattern(got, seed, 0), -1);
      const t = pump.tally();
      assert.deepEqual([t.bytes, t.transfers, t.crc, t.firstBadOffset, t.badTransfers, t.inFlight], [shape.totalBytes, 10, zlib.crc32(got), null, 0, 0]);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('sink: checks every byte; the first wrong one is named at its stream offset, as the JS tally names it', async () => {
    const fd = openFifo();
    try {
      const shape: StreamShape = { transferSize: 2048, totalBytes: 16 * 1024 };
      const data = Buffer.alloc(shape.totalBytes);
      fillPattern(data, seed, 0);
      data[5000] ^= 0xff;
      data[9000] ^= 0x01;
      fs.writeSync(fd, data);
      const pump = runNativePump({ engine: 'aio', fd, write: false, slots: slots(4, 2048), shape, transfers: transferCount(shape), maxPacketSize: MPS, seed, timeoutMs: 5000 });
      const outcome = await pump.done;
      assert.equal(outcome.error, undefined, 'a wrong byte is a finding, not a failure of the stream');
      const js = new StreamTally(shape, seed);
      for (let k = 0; k < 8; k++) js.received(k, data.subarray(k * 2048, (k + 1) * 2048));
      const native = new StreamTally(shape, seed);
      native.mirror(pump.tally());
      assert.deepEqual(native.report(), js.report());
      assert.equal(native.report().firstBadOffset, 5000);
      assert.equal(native.report().badTransfers, 2);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('a failing transfer ends the stream with its errno; nothing stays in flight', async () => {
    const fd = openFifo();
    try {
      const shape: StreamShape = { transferSize: 1024, totalBytes: 8 * 1024 };
      const data = Buffer.alloc(3 * 1024);
      fillPattern(data, seed, 0);
      fs.writeSync(fd, data); // three of eight transfers: the fourth read finds the pipe empty
      const pump = runNativePump({ engine: 'aio', fd, write: false, slots: slots(2, 1024), shape, transfers: transferCount(shape), maxPacketSize: MPS, seed, timeoutMs: 5000 });
      const outcome = await pump.done;
      assert.equal(outcome.error?.code, 'EAGAIN');
      assert.match(outcome.error?.message ?? '', /io_submit\(PREAD\)/);
      assert.equal(outcome.abandoned, 0);
      assert.equal(pump.tally().transfers, 3);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('copy engine: a source and a sink by blocking write/read on a thread of the pump, same bytes and tally', async () => {
    const fd = fs.openSync(fifo, fs.constants.O_RDWR);
    try {
      const shape: StreamShape = { transferSize: 4096, totalBytes: 30 * 1024 };
      const out = runNativePump({ engine: 'copy', fd, write: true, slots: slots(1, 4096), shape, transfers: transferCount(shape), maxPacketSize: MPS, seed, timeoutMs: 5000 });
      assert.equal((await out.done).error, undefined);
      const sent = out.tally();
      const back = runNativePump({ engine: 'copy', fd, write: false, slots: slots(1, 4096), shape, transfers: transferCount(shape), maxPacketSize: MPS, seed, timeoutMs: 5000 });
      const outcome = await back.done;
      assert.equal(outcome.error, undefined);
      assert.equal(outcome.finished, 8);
      const got = back.tally();
      assert.deepEqual([got.bytes, got.transfers, got.crc, got.firstBadOffset, got.inFlight], [sent.bytes, 8, sent.crc, null, 0]);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('copy engine on an O_NONBLOCK descriptor: EAGAIN past the grace ends the stream with a reason (an endpoint disabled mid-stream)', async () => {
    const fd = openFifo();
    try {
      const data = Buffer.alloc(1024);
      fillPattern(data, seed, 0);
      fs.writeSync(fd, data); // one of four transfers: the second read finds the pipe empty
      const shape: StreamShape = { transferSize: 1024, totalBytes: 4096 };
      const t0 = Date.now();
      const pump = runNativePump({ engine: 'copy', fd, write: false, slots: slots(1, 1024), shape, transfers: 4, maxPacketSize: MPS, seed, timeoutMs: 5000 });
      const outcome = await pump.done;
      assert.equal(outcome.error?.code, 'EAGAIN');
      assert.match(outcome.error!.message, /^read: EAGAIN: the endpoint is disabled/);
      assert.equal(outcome.finished, 1);
      assert.ok(Date.now() - t0 < 2000, 'ended within the grace, not at the deadline');
    } finally {
      fs.closeSync(fd);
    }
  });

  it('copy engine: a stop while a read is blocked ends the stream at once; the thread ends when the read does', async () => {
    const fd = fs.openSync(fifo, fs.constants.O_RDWR);
    try {
      const shape: StreamShape = { transferSize: 1024, totalBytes: 4096 };
      const pump = runNativePump({ engine: 'copy', fd, write: false, slots: slots(1, 1024), shape, transfers: 4, maxPacketSize: MPS, seed, timeoutMs: 5000, settleMs: 100 });
      await new Promise((r) => setTimeout(r, 100));
      pump.stop(Object.assign(new Error('stopped by the test'), { code: 'STOPPED' }));
      const outcome = await pump.done;
      assert.equal(outcome.error?.code, 'STOPPED');
      assert.equal(outcome.abandoned, 1, 'the blocked read is still in the kernel');
      // Unblock the read: the thread then sees the stop and ends (else this test never exits).
      const data = Buffer.alloc(1024);
      fillPattern(data, seed, 0);
      fs.writeSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('rejects a slot smaller than the largest transfer before anything is submitted', () => {
    const shape: StreamShape = { transferSize: 4096, totalBytes: 8192 };
    assert.throws(() => runNativePump({ engine: 'aio', fd: 0, write: true, slots: slots(2, 1024), shape, transfers: 2, maxPacketSize: MPS, seed, timeoutMs: 1000 }), /at least the largest transfer/);
  });
});
