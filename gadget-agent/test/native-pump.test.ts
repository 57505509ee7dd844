import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from '@ffs-lab/contract/crc32';
import { after, before, describe, it } from 'node:test';
import { fillPattern, verifyPattern } from '@ffs-lab/contract/pattern';
import { runNativePump } from '../src/streams/native-pump';
import { StreamTally } from '@ffs-lab/contract/stream-tally';
import { transferCount, type StreamShape } from '@ffs-lab/contract/stream-layout';

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
      assert.deepEqual([t.bytes, t.transfers, t.crc, t.firstBadOffset, t.badTransfers, t.inFlight], [shape.totalBytes, 10, crc32(got), null, 0, 0]);
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

  it('copy engine: a stop while a read is blocked interrupts the read; the stream ends with the stop, nothing left in flight', async () => {
    const fd = fs.openSync(fifo, fs.constants.O_RDWR);
    try {
      const shape: StreamShape = { transferSize: 1024, totalBytes: 4096 };
      const pump = runNativePump({ engine: 'copy', fd, write: false, slots: slots(1, 1024), shape, transfers: 4, maxPacketSize: MPS, seed, timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      pump.stop(Object.assign(new Error('stopped by the test'), { code: 'STOPPED' }));
      const outcome = await pump.done;
      assert.equal(outcome.error?.code, 'STOPPED');
      assert.equal(outcome.abandoned, 0, 'the blocked read was interrupted, not left in the kernel');
      assert.ok(Date.now() - t0 < 1000, `the stop took ${Date.now() - t0} ms`);
    } finally {
      fs.closeSync(fd);
    }
  });

  /*
   * Transfers that block: a full blocking pipe holds a write (aio: inside io_submit; copy: in
   * write()), an empty one a read. The scenario runs in a child process so that a pump that blocks
   * the event loop fails the test instead of hanging it. `interruptOnStop: false` keeps the pump
   * from interrupting its thread: a transfer that a cancel cannot end, as on a UDC that never
   * gives a request back.
   */
  const blocked = (engine: 'aio' | 'copy', write: boolean, interruptOnStop: boolean) => {
    const script = `
      const fs = require('fs');
      const { runNativePump } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'streams', 'native-pump.js'))});
      const fd = fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_RDWR);
      if (${write}) { fs.writeSync(fd, Buffer.alloc(65536)); } // full: the next write blocks
      const shape = { transferSize: 4096, totalBytes: 65536 };
      const pump = runNativePump({ engine: '${engine}', fd, write: ${write}, slots: [new Uint8Array(4096), new Uint8Array(4096)].slice(0, '${engine}' === 'copy' ? 1 : 2),
        shape, transfers: 16, maxPacketSize: 512, seed: 1, timeoutMs: 300, settleMs: 500, interruptOnStop: ${interruptOnStop} });
      let last = Date.now(), gap = 0;
      const tick = setInterval(() => { gap = Math.max(gap, Date.now() - last); last = Date.now(); }, 10);
      const t0 = Date.now();
      pump.done.then((o) => {
        const ended = Date.now() - t0;
        clearInterval(tick);
        const t = pump.tally();
        process.stdout.write(JSON.stringify({ ended, gap, code: o.error && o.error.code, message: o.error && o.error.message, abandoned: o.abandoned, inFlight: t.inFlight }) + '\\n');
        // Let a blocked thread end (its transfer completes), so the process can exit.
        if (${write}) { const b = Buffer.alloc(65536); fs.readSync(fd, b); } else fs.writeSync(fd, Buffer.alloc(4096));
      });
    `;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000, killSignal: 'SIGKILL' });
    assert.equal(r.signal, null, `the child was still running after 15 s (its event loop blocked?): ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ended: number; gap: number; code?: string; message?: string; abandoned: number; inFlight: number };
  };

  for (const engine of ['aio', 'copy'] as const) {
    for (const write of [true, false]) {
      it(`${engine} ${write ? 'source' : 'sink'}: a transfer blocked at the deadline is interrupted; the stream ends TIMEOUT at once and the event loop never stalls`, () => {
        const r = blocked(engine, write, true);
        assert.equal(r.code, 'TIMEOUT', r.message);
        assert.equal(r.abandoned, 0);
        assert.ok(r.ended < 300 + 1000, `ended ${r.ended} ms after the start (deadline 300 ms)`);
        assert.ok(r.gap < 250, `the event loop stalled for ${r.gap} ms`);
      });
    }
    it(`${engine}: a transfer that the cancel cannot end: the stream ends after the settle deadline naming it; close() does not wait for it`, () => {
      const r = blocked(engine, true, false);
      assert.equal(r.code, 'TRANSFERS_STUCK', r.message);
      const stuck = /^stream did not finish within 300 ms; (\d+) transfer\(s\) did not complete within 500 ms after cancel$/.exec(r.message ?? '');
      assert.ok(stuck, r.message);
      // aio: the batch inside the blocked io_submit (both slots); copy: the one write.
      assert.equal(Number(stuck[1]), engine === 'aio' ? 2 : 1);
      assert.equal(r.abandoned, Number(stuck[1]));
      // The deadline timer counts from the loop time cached at the child's start, some tens of ms
      // before its own clock starts: slack below, but well past the 300 ms an interrupted stop takes.
      assert.ok(r.ended >= 300 + 500 - 100 && r.ended < 300 + 500 + 1000, `ended ${r.ended} ms after the start`);
      assert.ok(r.gap < 250, `the event loop stalled for ${r.gap} ms`);
    });
  }

  it('rejects a slot smaller than the largest transfer before anything is submitted', () => {
    const shape: StreamShape = { transferSize: 4096, totalBytes: 8192 };
    assert.throws(() => runNativePump({ engine: 'aio', fd: 0, write: true, slots: slots(2, 1024), shape, transfers: 2, maxPacketSize: MPS, seed, timeoutMs: 1000 }), /at least the largest transfer/);
  });
});
