import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { labContext } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { testBodySettled } from '@ffs-lab/host-runner/suite-runner/test-body';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import { fillPattern, verifyPattern } from '@ffs-lab/contract/pattern';
import { FfsFunction } from '@ffs-lab/gadget-agent/gadget/ffs-function';
import { probeDmabuf } from '@ffs-lab/gadget-agent/probes/dmabuf-probe';
import { MMAP_ABSENT } from './mmap-gate';
import { openEndpoint } from '@ffs-lab/native/open-endpoint';
import type { EndpointIo } from '@ffs-lab/native/endpoint-io';
import type { IoModeName } from '@ffs-lab/contract/io-modes';
import { native } from '@ffs-lab/native/bindings';
import { hasCode } from '@ffs-lab/native/errno';
import { AioQueue } from '@ffs-lab/native/aio-queue';
import { EndpointFile } from '@ffs-lab/native/endpoint-file';

/** Cycles of the leak test; the nightly profile (FFS_LAB_PROFILE=nightly) runs the full 10,000. */
const LEAK_CYCLES = process.env.FFS_LAB_PROFILE === 'nightly' ? 10_000 : 2_000;

/** RSS after a full garbage collection (so only memory that is still referenced counts): bytes. */
function settledRss(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().rss;
}

/** Transfer sizes: ZLP, 1, around the high-speed packet size, a page, a large transfer. */
const SIZES = [0, 1, 511, 512, 513, 4096, 65536];
const MPS = 512;
const MODES: IoModeName[] = ['copy', 'aio', 'mmap', 'dmabuf'];

/** The lab has the gadget and the host in one machine: this suite drives the addon directly. */
function localUdc(): boolean {
  return fs.existsSync('/sys/class/udc/dummy_udc.0') && process.getuid?.() === 0;
}

/**
 * The native addon against the real kernel: every I/O mode, both directions, byte-exact data
 * (short packets and zero-length transfers included), with node usb as the host in the same
 * process; mmap limits and errors; no leaks over many open/mmap/submit/release cycles.
 */
describe('native: the FunctionFS addon against the real kernel', function () {
  // In-process, gadget and host in one machine: the embedded lab only.
  blockInfo(this, { needs: ['embedded-lab'], tags: ['native', 'stream'] });
  this.timeout(30_000);
  let fn: FfsFunction | undefined;
  let udc = '';
  let host: UsbFunctionHandle | undefined;
  const seed = crypto.randomInt(1, 2 ** 31);
  let streamOffset = 0;

  before(async function () {
    if (!localUdc()) skipWithReason(this, 'needs a local dummy_udc and root (the embedded lab)');
    const serial = crypto.randomBytes(6).toString('hex');
    fn = FfsFunction.create({
      gadget: { name: 'native-io', vendorId: 0x1d6b, productId: 0x0105, manufacturer: 'ffs-lab', product: 'native io', serial, function: 'nativeio' },
      function: { endpoints: [{ number: 1, direction: 'in', type: 'bulk' }, { number: 2, direction: 'out', type: 'bulk' }] },
      strings: ['ffs-lab native io'],
    });
    udc = fn.bind();
    host = (await openUsbFunction({ vendorId: 0x1d6b, productId: 0x0105, serial })).handle;
    await fn.waitEnabled();
  });

  after(async function () {
    await host?.close();
    fn?.destroy();
  });

  /** Gadget sends `size` pattern bytes; the host reads them and checks every byte. */
  async function inTransfer(io: EndpointIo, buf: Uint8Array, size: number): Promise<void> {
    const off = streamOffset;
    streamOffset += size;
    fillPattern(buf.subarray(0, size), seed, off);
    const sent = io.write(buf, size);
    const got = await host!.bulkIn.transferAsync(size === 0 ? MPS : size);
    assert.equal(await sent, size, 'gadget write result');
    assert.equal(got?.length ?? 0, size, 'bytes the host received');
    if (size) assert.equal(verifyPattern(got!, seed, off), -1, 'host received wrong bytes');
  }

  /** The host sends `size` pattern bytes; the gadget reads them and checks every byte. */
  async function outTransfer(io: EndpointIo, buf: Uint8Array, size: number): Promise<void> {
    const off = streamOffset;
    streamOffset += size;
    const data = Buffer.alloc(size);
    fillPattern(data, seed, off);
    buf.fill(0xee);
    const received = io.read(buf, size === 0 ? MPS : size);
    await host!.bulkOut.transferAsync(data);
    assert.equal(await received, size, 'bytes the gadget received');
    if (size) assert.equal(verifyPattern(buf.subarray(0, size), seed, off), -1, 'gadget received wrong bytes');
  }

  for (const mode of MODES) {
    describe(`${mode} mode`, function () {
      if (mode === 'mmap') blockInfo(this, { needs: ['mmap-zero-copy'] });
      if (mode === 'dmabuf') blockInfo(this, { needs: ['dmabuf'] });
      let epIn: EndpointIo | undefined;
      let epOut: EndpointIo | undefined;
      let bufIn: Uint8Array;
      let bufOut: Uint8Array;

      before(function () {
        if (mode === 'mmap' && labContext().kernel.features.mmap !== 'present') skipWithReason(this, MMAP_ABSENT);
        if (mode === 'dmabuf') {
          // The dmabuf suite's probe, so a kernel or UDC without DMABUF is skipped in the same words.
          const probe = probeDmabuf(fn!.endpointPath(1), udc);
          if (!probe.usable && !probe.sgExpected) skipWithReason(this, probe.reason!);
        }
        openBoth();
      });

      function openBoth(): void {
        epIn = openEndpoint(fn!.endpointPath(1), mode, { depth: 4 });
        epOut = openEndpoint(fn!.endpointPath(2), mode, { depth: 4 });
        bufIn = epIn.allocate(65536);
        bufOut = epOut.allocate(65536);
      }

      // A failed test may leave transfers queued on the gadget (or, after a timeout, a body still
      // running): let the body end, close both endpoints (their queued transfers are cancelled, so
      // no stale byte reaches the next test's host read) and start again clean, so one failure is
      // reported once and not again by every test after it.
      afterEach(async function () {
        if (this.currentTest?.state !== 'failed' || !epIn) return;
        this.timeout(60_000);
        const settled = await testBodySettled(this, 15_000);
        const t1 = Date.now();
        await epIn.close().catch(() => undefined);
        await epOut?.close().catch(() => undefined);
        const t2 = Date.now();
        openBoth();
        process.stdout.write(`      cleanup after the failure: the test's body ${settled ? 'had ended' : 'was still running after 15 s'}; both endpoints closed (their queued transfers cancelled) in ${t2 - t1} ms and reopened\n`);
      });

      after(async function () {
        await epIn?.close();
        await epOut?.close();
      });

      // A DMABUF transfer cannot be empty (EINVAL, checked below): no ZLP in that mode.
      for (const size of SIZES.filter((n) => mode !== 'dmabuf' || n > 0)) {
        testCase(`${mode}-in-${size}`, `IN ${size} bytes reach the host byte for byte`, async function () {
          await inTransfer(epIn!, bufIn, size);
        });
        testCase(`${mode}-out-${size}`, `OUT ${size} bytes reach the gadget byte for byte`, async function () {
          await outTransfer(epOut!, bufOut, size);
        });
      }

      if (mode === 'dmabuf') {
        testCase('dmabuf-zlp-einval', 'a zero-length DMABUF transfer is refused with EINVAL', async function () {
          await assert.rejects(epIn!.write(bufIn, 0), (e: unknown) => hasCode(e, 'EINVAL'));
        });
      }

      testCase(`${mode}-in-depth4`, 'keeps 4 IN transfers in flight and delivers them whole and in order', async function () {
        const size = 16384;
        const bufs = Array.from({ length: 4 }, () => epIn!.allocate(size));
        const t0 = process.hrtime.bigint();
        try {
          for (let round = 0; round < 4; round++) {
            const base = streamOffset;
            streamOffset += 4 * size;
            const sends = bufs.map((b, k) => {
              fillPattern(b, seed, base + k * size);
              return epIn!.write(b, size);
            });
            if (mode !== 'copy') assert.equal(epIn!.inFlight, 4, 'all four should be queued in the kernel at once');
            for (let k = 0; k < 4; k++) {
              const got = await host!.bulkIn.transferAsync(size);
              assert.equal(verifyPattern(got!, seed, base + k * size), -1, `transfer ${k} of round ${round} out of order or corrupt`);
            }
            assert.deepEqual(await Promise.all(sends), [size, size, size, size]);
          }
        } finally {
          for (const b of bufs) epIn!.release(b);
        }
        measure(this, `${mode} IN, depth 4, 16 KiB`, Math.round((16 * size) / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e5) / 10, 'MB/s');
      });
    });
  }

  describe('errors', function () {
    testCase('closed-endpoint-error', 'a closed endpoint gives a clear error, not a crash', async function () {
      const io = openEndpoint(fn!.endpointPath(2), 'aio');
      await io.close();
      await assert.rejects(io.read(io.allocate(16)), (e: Error) => /closed/.test(e.message));
    });

    testCase('cancel-same-tick', 'a cancel in the same tick as the submit rejects with ECANCELED and never reaches the kernel', async function () {
      const queue = new AioQueue(2);
      const f = new EndpointFile(fn!.endpointPath(2), true);
      try {
        const pending = queue.submit(f.fd, false, new ArrayBuffer(512), 0, 512);
        queue.cancelAll();
        await assert.rejects(pending, (e: unknown) => hasCode(e, 'ECANCELED'));
        assert.equal(queue.inFlight, 0);
      } finally {
        queue.close();
        f.close();
      }
    });

    testCase('ep0-mmap-enodev', 'mmap on ep0 fails with ENODEV', function () {
      const fd = fn!.ep0.fd;
      assert.throws(() => native().mmapFile(fd, 4096), (e: unknown) => hasCode(e, 'ENODEV'));
    });

    testCase('endpoint-mmap-matches-kernel', 'mmap on an endpoint: ENODEV exactly when the kernel lacks the feature', function () {
      const io = openEndpoint(fn!.endpointPath(1), 'mmap');
      try {
        if (labContext().kernel.features.mmap === 'present') io.release(io.allocate(4096));
        else assert.throws(() => io.allocate(4096), (e: unknown) => hasCode(e, 'ENODEV'));
      } finally {
        void io.close();
      }
    });

    testCase('released-mapping-detached', 'a released mapping is detached: JS sees zero bytes, never unmapped memory', async function () {
      if (labContext().kernel.features.mmap !== 'present') skipWithReason(this, MMAP_ABSENT);
      const io = openEndpoint(fn!.endpointPath(1), 'mmap');
      const b = io.allocate(8192);
      b[0] = 1;
      io.release(b);
      assert.equal(b.length, 0);
      assert.equal(b.buffer.byteLength, 0);
      await io.close();
    }, { needs: ['mmap-zero-copy'] });
  });

  describe('no leaks', function () {
    // LEAK_CYCLES depends on the profile: the name does not.
    testCase('cycles-leak-nothing', `${LEAK_CYCLES} open/mmap/submit/cancel/release cycles leave RSS, mappings and the mmap quota where they were`, async function () {
      this.timeout(600_000);
      const mmap = labContext().kernel.features.mmap === 'present';
      const queue = new AioQueue(4);
      const cycle = async () => {
        const f = new EndpointFile(fn!.endpointPath(2), true);
        const ab = mmap ? native().mmapFile(f.fd, 4096) : new ArrayBuffer(4096);
        const pending = queue.submit(f.fd, false, ab, 0, 4096);
        // Let the batch reach io_submit, so the cancel goes through the kernel's path.
        await new Promise((r) => setImmediate(r));
        assert.equal(queue.inFlight, 1);
        queue.cancelAll();
        await pending.then(
          () => assert.fail('a cancelled read completed'),
          (e: unknown) => assert.ok(hasCode(e, 'ECONNRESET') || hasCode(e, 'ECANCELED') || hasCode(e, 'ESHUTDOWN'), `unexpected completion ${String(e)}`),
        );
        if (mmap) native().munmapBuffer(ab);
        f.close();
      };
      try {
        // Warm up past V8's optimizing compiler and the allocator's first growth.
        for (let i = 0; i < 1000; i++) await cycle();
        const mappings = native().liveMappings();
        const rss0 = settledRss();
        const t0 = Date.now();
        for (let i = 0; i < LEAK_CYCLES; i++) await cycle();
        const grownMiB = (settledRss() - rss0) / 2 ** 20;
        measure(this, 'RSS growth', Math.round(grownMiB * 10) / 10, 'MiB');
        measure(this, 'cycle time', Math.round(((Date.now() - t0) / LEAK_CYCLES) * 100) / 100, 'ms');
        assert.equal(native().liveMappings(), mappings, 'mappings leaked');
        // 4 KiB mapped per cycle: a leak of the mapping or its bookkeeping would be >= 8 MiB here.
        assert.ok(grownMiB < 4, `RSS grew by ${grownMiB.toFixed(1)} MiB over ${LEAK_CYCLES} cycles`);
      } finally {
        queue.close();
      }
      if (!mmap) return;
      // The quota is back: the whole default limit (16 MiB) maps again, and one more page does not.
      const f = new EndpointFile(fn!.endpointPath(2), true);
      const maps: ArrayBuffer[] = [];
      try {
        for (let i = 0; i < 4; i++) maps.push(native().mmapFile(f.fd, 4 << 20));
        assert.throws(() => maps.push(native().mmapFile(f.fd, 4096)), (e: unknown) => hasCode(e, 'ENOMEM'), 'one page past the default limit must fail with ENOMEM');
      } finally {
        for (const ab of maps) native().munmapBuffer(ab);
        f.close();
      }
    });
  });
});
