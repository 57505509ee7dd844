import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { kernelCarriesPatch, labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { type UsbMatch } from '@ffs-lab/host-runner/usb/usb-device-wait';
import { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import { streamIn, streamOut, type HostStreamReport } from '@ffs-lab/host-runner/usb/usb-stream';
import { fillPattern, verifyPattern } from '@ffs-lab/contract/pattern';
import type { DmabufFenceState, DmabufLoopReport } from '@ffs-lab/contract/dmabuf-protocol';
import type { AgentClient } from '@ffs-lab/host-runner/agent/agent-client';
import type { Device as UsbDevice } from 'usb';

const NIGHTLY = process.env.FFS_LAB_PROFILE === 'nightly';
/** Cycles of each DETACH/close-after-completion loop. */
const LOOP_CYCLES = NIGHTLY ? 10_000 : 1_000;
/** The function's endpoint files (the agent's default function): ep1 bulk IN, ep2 bulk OUT. */
const EP_IN = 1;
const EP_OUT = 2;
/** The target kernel's page size in bytes: DMABUF sizes here are whole pages. */
const page = (): number => labContext().kernel.pageSize;
/** How long a fence is watched to show it is still pending (ms). */
const STILL_PENDING_MS = 300;
/** f_fs waits this long for conflicting fences before EBUSY (DMABUF_ENQUEUE_TIMEOUT_MS). */
const ENQUEUE_TIMEOUT_MS = 5000;
/** Run the cases that oops a 6.12 kernel (set in the runner's environment). */
const RUN_HAZARDS = process.env.FFS_LAB_DMABUF_HAZARDS === '1';
/** Our series' fix for the unbound-gadget NULL dereference (patch file name, without its number). */
const UNBOUND_GADGET_FIX = 'usb-gadget-f_fs-do-not-dereference-an-unbound-gadget';


/**
 * FunctionFS DMABUF (docs/behaviour.md, section 6), driven through the agent so it runs on any target: the
 * ioctls' errors (EINVAL for flags and length, EPERM for a buffer not attached, EAGAIN before
 * ENABLE on a non-blocking file, EBUSY while a fence is pending), completion by fence (pending
 * until the host moves the data, then signalled with the request's status), ESHUTDOWN on the
 * fence when the host deconfigures the device and after a UDC unbind, DETACH and close with transfers pending, and
 * DETACH or close right after completion in a loop (the use-after-free fixed in 2026; the
 * kernel-health suite, which runs last, reads the log). On a UDC without scatter-gather (stock
 * dummy_udc) ATTACH is EPERM and the suite skips with that reason; on a UDC that claims it, that
 * EPERM fails the first test.
 */
describe('dmabuf: FunctionFS DMABUF transfers and their fences', function () {
  blockInfo(this, { needs: ['dmabuf'], tags: ['dmabuf'] });
  this.timeout(60_000);
  let h: AgentHandle | undefined;
  let dev: UsbFunctionHandle | undefined;
  /** The device as libusb lists it (kept across the handle's close, e.g. for SET_CONFIGURATION). */
  let usbDevice: UsbDevice | undefined;
  let missing: string | undefined;
  const seed = crypto.randomInt(1, 2 ** 31);
  const match: UsbMatch = { vendorId: 0x1d6b, productId: 0x0120, serial: crypto.randomBytes(6).toString('hex') };
  let offset = 0;

  const agent = (): AgentClient => h!.agent;

  before(async function () {
    const ctx = labContext();
    h = await ctx.startAgent();
    await agent().call('function.create', {
      gadget: { name: 'dmabuf', ...match, serial: match.serial!, manufacturer: 'ffs-lab', product: 'dmabuf', function: 'dmabuf' },
    });
    await agent().call('gadget.bind', ctx.udc ? { udc: ctx.udc } : {});
    await openHost();
    const probe = await agent().call('dmabuf.probe', {});
    if (probe.usable) return;
    if (!probe.sgExpected) skipWithReason(this, probe.reason ?? `DMABUF attach: ${probe.attach}`);
    missing = probe.reason;
  });

  after(async function () {
    await dev?.close();
    await h?.agent.call('gadget.remove', {}).catch(() => undefined);
    await h?.close();
  });

  beforeEach(function () {
    if (missing && this.currentTest?.title !== FIRST) skipWithReason(this, missing);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && h) attachLog(this, `agent log (last lines):\n${h.agent.log.slice(-30).join('\n')}`);
    // Every case starts clean: files closed (the kernel detaches), buffers and fences freed.
    await h?.agent.call('dmabuf.reset', {});
  });

  /** (Re)open the host side once the device is configured, and wait for the function's ENABLE. */
  async function openHost(): Promise<void> {
    await dev?.close();
    dev = undefined;
    const found = await openUsbFunction(match, labContext().usb.enumerateTimeoutMs);
    usbDevice = found.device;
    dev = found.handle;
    dev.bulkIn.timeout = 10_000;
    dev.bulkOut.timeout = 10_000;
    await agent().call('function.status', { waitEnabledMs: 10_000 }, 15_000);
  }

  /** SET_CONFIGURATION from the host (0: unconfigured); the interface is released first, as usbfs requires. */
  async function hostSetConfiguration(value: number): Promise<void> {
    await dev?.close();
    dev = undefined;
    const d = usbDevice!;
    d.open();
    try {
      await new Promise<void>((resolve, reject) => d.setConfiguration(value, (err) => (err ? reject(err) : resolve())));
    } finally {
      d.close();
    }
  }

  /** Open ep `n`, make `count` page-multiple buffers, attach those asked for. */
  async function setup(n: number, sizes: number[], opts: { attach?: boolean; nonBlocking?: boolean } = {}): Promise<{ handle: number; bufs: number[] }> {
    const { handle } = await agent().call('dmabuf.open', { endpoint: n, ...(opts.nonBlocking === false ? { nonBlocking: false } : {}) });
    const bufs: number[] = [];
    for (const size of sizes) {
      const { buffer } = await agent().call('dmabuf.create', { size });
      if (opts.attach !== false) await agent().call('dmabuf.attach', { handle, buffer });
      bufs.push(buffer);
    }
    return { handle, bufs };
  }

  /** The agent call must fail with errno `code`. */
  async function rejectsWith(p: Promise<unknown>, code: string, what: string): Promise<void> {
    await assert.rejects(p, (e: { code?: string; message?: string }) => {
      assert.equal(e.code, code, `${what}: got ${e.code}: ${e.message}`);
      return true;
    });
  }

  const wait = (transfer: number, timeoutMs: number): Promise<DmabufFenceState> => agent().call('dmabuf.wait', { transfer, timeoutMs }, timeoutMs + 10_000);

  /** An IN transfer of `length` pattern bytes from `buffer`; returns its id and stream offset. */
  async function sendIn(handle: number, buffer: number, length: number): Promise<{ transfer: number; at: number }> {
    const at = offset;
    offset += length;
    const { transfer } = await agent().call('dmabuf.transfer', { handle, buffer, length, fill: { seed, offset: at } });
    return { transfer, at };
  }

  /** The host reads `length` bytes and checks them against the pattern at `at`. */
  async function hostReads(length: number, at: number): Promise<void> {
    const got = await dev!.bulkIn.transferAsync(length);
    assert.equal(got?.length ?? 0, length, 'bytes the host received');
    assert.equal(verifyPattern(got!, seed, at), -1, 'the host received wrong bytes');
  }

  /**
   * After transfers were dequeued: the host's next read gets exactly the bytes of a new IN
   * transfer from `buffer`, not those of a dequeued one (every transfer has its own stream
   * offset, so its own bytes). Gadget first, then the host: node usb's libusb noticed its own
   * transfer timeouts only after tens of seconds in the lab, so "nothing arrives" is not timed.
   */
  async function hostNextReadIs(handle: number, buffer: number): Promise<number> {
    const next = await sendIn(handle, buffer, page());
    const got = await dev!.bulkIn.transferAsync(page());
    assert.equal(got?.length ?? 0, page(), 'bytes the host received');
    assert.equal(verifyPattern(got!, seed, next.at), -1, 'the host received other bytes than the new transfer\'s (a dequeued transfer was sent?)');
    return next.transfer;
  }

  /** Set when a fence's errno could not be read (no CONFIG_SYNC_FILE); see uncheckedErrno(). */
  let errnoUnread = false;
  beforeEach(function () {
    errnoUnread = false;
  });

  /** The fence signalled, with errno `code` (checked when the kernel lets it be read). */
  function fenceError(f: DmabufFenceState, code: string, what = 'the transfer'): void {
    assert.equal(f.state, 'signaled', `${what}: the fence is still pending`);
    if (f.errorKnown) assert.equal(f.error, code, `${what}: fence signalled ${f.error ?? 'success'}, expected ${code}`);
    else errnoUnread = true;
  }

  /** End of a case that checks fence errnos: if one could not be read, the case is a skip that says so. */
  function uncheckedErrno(ctx: Mocha.Context): void {
    if (errnoUnread) skipWithReason(ctx, `every other check of this case passed, but the fence's errno cannot be read: this kernel lacks CONFIG_SYNC_FILE (DMA_BUF_IOCTL_EXPORT_SYNC_FILE is ENOTTY)`);
  }

  const FIRST = 'DMABUF attach works on this UDC (when it claims scatter-gather)';
  testCase('attach-works', FIRST, function () {
    assert.equal(missing, undefined, `${missing}, so DMABUF should work here`);
  });

  describe('TRANSFER argument checks', function () {
    testCase('transfer-flags-einval', 'flags other than 0: EINVAL', async function () {
      const { handle, bufs } = await setup(EP_IN, [page()]);
      for (const flags of [1, 0x80000000]) {
        await rejectsWith(agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: page(), flags }), 'EINVAL', `flags ${flags}`);
      }
    });

    testCase('transfer-length-einval', 'length 0 and a length past the buffer: EINVAL; exactly the buffer size is taken', async function () {
      const { handle, bufs } = await setup(EP_IN, [2 * page()]);
      await rejectsWith(agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: 0 }), 'EINVAL', 'length 0');
      await rejectsWith(agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: 2 * page() + 1 }), 'EINVAL', 'length = size + 1');
      const { transfer, at } = await sendIn(handle, bufs[0]!, 2 * page());
      await hostReads(2 * page(), at);
      assert.deepEqual(pick(await wait(transfer, 5000)), { state: 'signaled' });
    });

    testCase('not-attached-eperm', 'a buffer not attached to this endpoint file: TRANSFER and DETACH fail EPERM', async function () {
      const { handle, bufs } = await setup(EP_IN, [page()], { attach: false });
      await rejectsWith(agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: page() }), 'EPERM', 'TRANSFER, never attached');
      await rejectsWith(agent().call('dmabuf.detach', { handle, buffer: bufs[0]! }), 'EPERM', 'DETACH, never attached');
      // Attachments belong to one open file: attached to ep2 is not attached to ep1.
      const other = await agent().call('dmabuf.open', { endpoint: EP_OUT });
      await agent().call('dmabuf.attach', { handle: other.handle, buffer: bufs[0]! });
      await rejectsWith(agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: page() }), 'EPERM', 'TRANSFER, attached to another endpoint file');
      // And after DETACH it is no longer attached.
      await agent().call('dmabuf.attach', { handle, buffer: bufs[0]! });
      await agent().call('dmabuf.detach', { handle, buffer: bufs[0]! });
      await rejectsWith(agent().call('dmabuf.detach', { handle, buffer: bufs[0]! }), 'EPERM', 'second DETACH');
      await rejectsWith(agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: page() }), 'EPERM', 'TRANSFER after DETACH');
    });
  });

  describe('completion by fence', function () {
    testCase('fence-in', 'IN: the fence stays pending until the host reads, then signals without error; the host gets every byte', async function () {
      const { handle, bufs } = await setup(EP_IN, [16 * page()]);
      const { transfer, at } = await sendIn(handle, bufs[0]!, 16 * page());
      assert.deepEqual(pick(await wait(transfer, STILL_PENDING_MS)), { state: 'pending' }, 'the fence signalled before the host read anything');
      await hostReads(16 * page(), at);
      const done = await wait(transfer, 5000);
      assert.deepEqual(pick(done), { state: 'signaled' });
      measure(this, 'transfer to fence seen', Math.round(done.elapsedMs), 'ms');
    });

    testCase('fence-out', 'OUT: the fence signals once the host has sent; the buffer then holds the bytes', async function () {
      const { handle, bufs } = await setup(EP_OUT, [4 * page()]);
      const { transfer } = await agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: 4 * page() });
      assert.deepEqual(pick(await wait(transfer, STILL_PENDING_MS)), { state: 'pending' }, 'the fence signalled before the host sent anything');
      const data = Buffer.alloc(4 * page());
      fillPattern(data, seed, offset);
      await dev!.bulkOut.transferAsync(data);
      assert.deepEqual(pick(await wait(transfer, 5000)), { state: 'signaled' });
      assert.deepEqual(await agent().call('dmabuf.verify', { buffer: bufs[0]!, length: 4 * page(), seed, offset }), { firstBadOffset: null });
      offset += 4 * page();
    });

    testCase('fence-out-short', 'OUT shorter than the buffer: the received bytes reach it, and the bytes past the transfer keep what user space wrote after ATTACH (each transfer syncs its own bytes only; series patch 8)', async function () {
      // Under swiotlb=force, without patch 8 no received byte reaches the buffer; syncing the
      // whole attachment instead would put the bounce buffer's attach-time zeros over the tail.
      const { handle, bufs } = await setup(EP_OUT, [4 * page()]);
      const tailSeed = (seed ^ 0x5a5a5a5a) >>> 0;
      const { transfer } = await agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: page(), fill: { seed: tailSeed, offset: 0, length: 4 * page() } });
      const data = Buffer.alloc(page());
      fillPattern(data, seed, offset);
      await dev!.bulkOut.transferAsync(data);
      assert.deepEqual(pick(await wait(transfer, 5000)), { state: 'signaled' });
      assert.deepEqual(await agent().call('dmabuf.verify', { buffer: bufs[0]!, length: page(), seed, offset }), { firstBadOffset: null }, 'the received page');
      assert.deepEqual(await agent().call('dmabuf.verify', { buffer: bufs[0]!, from: page(), length: 3 * page(), seed: tailSeed, offset: page() }), { firstBadOffset: null }, 'the three pages past the transfer');
      offset += page();
    });

    testCase('fence-pending-ebusy', 'OUT: a second TRANSFER while the buffer\'s fence is pending: EBUSY at once (non-blocking), after 5 s (blocking)', async function () {
      this.timeout(60_000);
      const nb = await setup(EP_OUT, [page()]);
      await agent().call('dmabuf.transfer', { handle: nb.handle, buffer: nb.bufs[0]!, length: page() });
      const t0 = Date.now();
      await rejectsWith(agent().call('dmabuf.transfer', { handle: nb.handle, buffer: nb.bufs[0]!, length: page() }), 'EBUSY', 'non-blocking');
      const fast = Date.now() - t0;
      assert.ok(fast < ENQUEUE_TIMEOUT_MS / 2, `the non-blocking EBUSY took ${fast} ms`);
      const bl = await setup(EP_OUT, [page()], { nonBlocking: false });
      await agent().call('dmabuf.transfer', { handle: bl.handle, buffer: bl.bufs[0]!, length: page() });
      const t1 = Date.now();
      await rejectsWith(agent().call('dmabuf.transfer', { handle: bl.handle, buffer: bl.bufs[0]!, length: page() }, ENQUEUE_TIMEOUT_MS + 20_000), 'EBUSY', 'blocking');
      const slow = Date.now() - t1;
      measure(this, 'blocking EBUSY after', slow, 'ms');
      assert.ok(slow >= ENQUEUE_TIMEOUT_MS - 250, `the blocking TRANSFER gave up after ${slow} ms, before the ${ENQUEUE_TIMEOUT_MS} ms the kernel waits`);
    });
  });

  describe('DETACH and close with transfers pending', function () {
    testCase('detach-pending-in', 'DETACH dequeues a pending IN transfer: its fence signals ECONNRESET, the host gets nothing, the buffer works again after ATTACH', async function () {
      const { handle, bufs } = await setup(EP_IN, [page()]);
      const { transfer } = await sendIn(handle, bufs[0]!, page());
      assert.deepEqual(pick(await wait(transfer, STILL_PENDING_MS)), { state: 'pending' });
      await agent().call('dmabuf.detach', { handle, buffer: bufs[0]! });
      fenceError(await wait(transfer, 5000), 'ECONNRESET');
      await agent().call('dmabuf.attach', { handle, buffer: bufs[0]! });
      const next = await hostNextReadIs(handle, bufs[0]!);
      assert.deepEqual(pick(await wait(next, 5000)), { state: 'signaled' });
      uncheckedErrno(this);
    });

    testCase('detach-pending-out', 'DETACH dequeues a pending OUT transfer: ECONNRESET; the host\'s next data goes whole to the next transfer', async function () {
      const { handle, bufs } = await setup(EP_OUT, [page()]);
      const { transfer } = await agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: page() });
      await agent().call('dmabuf.detach', { handle, buffer: bufs[0]! });
      fenceError(await wait(transfer, 5000), 'ECONNRESET');
      await agent().call('dmabuf.attach', { handle, buffer: bufs[0]! });
      const next = await agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: page() });
      const data = Buffer.alloc(page());
      fillPattern(data, seed, offset);
      await dev!.bulkOut.transferAsync(data);
      assert.deepEqual(pick(await wait(next.transfer, 5000)), { state: 'signaled' });
      assert.deepEqual(await agent().call('dmabuf.verify', { buffer: bufs[0]!, length: page(), seed, offset }), { firstBadOffset: null });
      offset += page();
      uncheckedErrno(this);
    });

    testCase('close-pending', 'closing the endpoint file with 4 buffers attached, 3 transfers pending: every pending fence signals an error; the buffers attach again elsewhere', async function () {
      const { handle, bufs } = await setup(EP_IN, [page(), page(), 2 * page(), page()]);
      const pending = [];
      for (const b of bufs.slice(0, 3)) pending.push((await sendIn(handle, b, page())).transfer);
      await agent().call('dmabuf.close', { handle });
      for (const t of pending) {
        fenceError(await wait(t, 5000), 'ECONNRESET', `transfer ${t}, its endpoint file closed`);
      }
      const again = await agent().call('dmabuf.open', { endpoint: EP_IN });
      for (const b of bufs) await agent().call('dmabuf.attach', { handle: again.handle, buffer: b });
      const next = await hostNextReadIs(again.handle, bufs[3]!);
      assert.deepEqual(pick(await wait(next, 5000)), { state: 'signaled' });
      uncheckedErrno(this);
    });
  });

  describe('the endpoint goes away', function () {
    testCase('deconfigure-eshutdown', 'the host deconfigures (SET_CONFIGURATION 0): a pending fence signals ESHUTDOWN; until the next ENABLE a non-blocking TRANSFER is EAGAIN; then DMABUF works again', async function () {
      this.timeout(90_000);
      const { handle, bufs } = await setup(EP_IN, [page(), page()]);
      const { transfer } = await sendIn(handle, bufs[0]!, page());
      try {
        // SET_CONFIGURATION completes after the gadget handled it: the endpoints are disabled now.
        await hostSetConfiguration(0);
        fenceError(await wait(transfer, 5000), 'ESHUTDOWN');
        await rejectsWith(agent().call('dmabuf.transfer', { handle, buffer: bufs[1]!, length: page() }), 'EAGAIN', 'TRANSFER while the function is disabled');
      } finally {
        await hostSetConfiguration(1);
        await openHost();
      }
      // openHost's function.status opened and closed ep1 to read its descriptor, and in f_fs any
      // close of an endpoint detaches every buffer on it (see the hazard case below): attach again.
      await agent().call('dmabuf.attach', { handle, buffer: bufs[1]! });
      const next = await sendIn(handle, bufs[1]!, page());
      await hostReads(page(), next.at);
      assert.deepEqual(pick(await wait(next.transfer, 5000)), { state: 'signaled' });
      uncheckedErrno(this);
    });

    testCase('close-other-file-keeps-attached', 'hazard: closing one open file of an endpoint leaves the buffers attached through another open file alone', async function () {
      if (!RUN_HAZARDS) {
        skipWithReason(this, 'not run by default, fails on Linux 6.12: f_fs keeps DMABUF attachments per endpoint (struct ffs_epfile), not per open file, and ffs_epfile_release() detaches all of them (dequeuing their transfers) when any open file of the endpoint is closed, so one process closing its own fd of epN silently detaches another\'s buffers (their next TRANSFER is EPERM); set FFS_LAB_DMABUF_HAZARDS=1 to run it');
      }
      const { handle, bufs } = await setup(EP_IN, [page()]);
      const other = await agent().call('dmabuf.open', { endpoint: EP_IN });
      await agent().call('dmabuf.close', { handle: other.handle });
      const next = await sendIn(handle, bufs[0]!, page());
      await hostReads(page(), next.at);
      assert.deepEqual(pick(await wait(next.transfer, 5000)), { state: 'signaled' });
    }, { tags: ['hazard'] });

    testCase('unbind-eshutdown', 'UDC unbind: a pending fence signals ESHUTDOWN; closing the file afterwards is clean; after a new bind DMABUF works', async function () {
      this.timeout(90_000);
      const { handle, bufs } = await setup(EP_IN, [page()]);
      const { transfer } = await sendIn(handle, bufs[0]!, page());
      try {
        await agent().call('gadget.unbind', {});
        fenceError(await wait(transfer, 5000), 'ESHUTDOWN');
        // Close, never DETACH, while unbound: see the hazard case below.
        await agent().call('dmabuf.close', { handle });
      } finally {
        await agent().call('gadget.bind', labContext().udc ? { udc: labContext().udc! } : {});
      }
      await openHost();
      const again = await setup(EP_IN, [page()]);
      const next = await sendIn(again.handle, again.bufs[0]!, page());
      await hostReads(page(), next.at);
      assert.deepEqual(pick(await wait(next.transfer, 5000)), { state: 'signaled' });
      uncheckedErrno(this);
    });

    testCase('unbind-detach-transfer', 'hazard: DETACH and TRANSFER after a UDC unbind fail cleanly (6.12 f_fs dereferences the unbound gadget); with series patch 5, TRANSFER and a new ATTACH fail with ENODEV', async function () {
      const fixed = kernelCarriesPatch(UNBOUND_GADGET_FIX);
      if (!RUN_HAZARDS && !fixed) {
        skipWithReason(this, `not run by default on kernels without our fix (${UNBOUND_GADGET_FIX}): on Linux 6.12 f_fs, DMABUF_DETACH and _TRANSFER read ffs->gadget->dev.parent while ffs->gadget is NULL after a UDC unbind, a NULL dereference that oopses the kernel; set FFS_LAB_DMABUF_HAZARDS=1 in the runner's environment to run it`);
      }
      this.timeout(90_000);
      const { handle, bufs } = await setup(EP_IN, [page(), page()]);
      const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);
      try {
        await agent().call('gadget.unbind', {});
        // TRANSFER first, while the buffer is still attached: the unbound check is what answers.
        const transfer = await outcome(agent().call('dmabuf.transfer', { handle, buffer: bufs[0]!, length: page() }));
        const detach = await outcome(agent().call('dmabuf.detach', { handle, buffer: bufs[0]! }));
        const { buffer: fresh } = await agent().call('dmabuf.create', { size: page() });
        const attach = await outcome(agent().call('dmabuf.attach', { handle, buffer: fresh }));
        assert.ok(detach === 'ok' || /^E/.test(detach ?? ''), `DETACH after unbind: ${detach}`);
        assert.notEqual(transfer, 'ok', 'TRANSFER after unbind was accepted');
        assert.notEqual(attach, 'ok', 'ATTACH after unbind was accepted');
        if (fixed) {
          // The series' Documentation: "ENODEV: the function is not bound to a UDC".
          assert.equal(transfer, 'ENODEV', 'TRANSFER after unbind (series patch 5)');
          assert.equal(attach, 'ENODEV', 'ATTACH after unbind (series patch 5)');
        }
      } finally {
        await agent().call('dmabuf.reset', {});
        await agent().call('gadget.bind', labContext().udc ? { udc: labContext().udc! } : {});
        await openHost();
      }
    }, { tags: ['hazard'] });
  });

  describe(`ending a cycle right after its completion, ${LOOP_CYCLES} cycles (the 2026 DETACH-after-completion use-after-free)`, function () {
    /** Run the agent's loop on `endpoint` while the host moves the same pattern stream. */
    async function loop(ctx: Mocha.Context, endpoint: number, end: 'detach' | 'close'): Promise<{ report: DmabufLoopReport; host: HostStreamReport }> {
      // Read when a test runs, not when the file loads: there is no lab context then (`ffs-lab list`).
      const SIZE = page();
      const timeoutMs = 30_000 + LOOP_CYCLES * 20;
      ctx.timeout(timeoutMs + 30_000);
      const shape = { transferSize: SIZE, totalBytes: LOOP_CYCLES * SIZE, seed, depth: 4, timeoutMs };
      const host = endpoint === EP_IN ? streamIn(dev!.bulkIn, shape) : streamOut(dev!.bulkOut, shape);
      const report = await agent().call('dmabuf.loop', { endpoint, cycles: LOOP_CYCLES, size: SIZE, seed, end, timeoutMs }, timeoutMs + 10_000);
      const hostReport = await host;
      if (report.error) attachLog(ctx, `agent loop: ${JSON.stringify(report)}`);
      assert.equal(report.error, undefined, `cycle ${report.error?.cycle}: ${report.error?.code}: ${report.error?.message}`);
      assert.equal(report.completed, LOOP_CYCLES);
      assert.equal(report.badCycles, 0, 'OUT cycles with wrong bytes');
      assert.equal(hostReport.error, undefined, `host ${hostReport.error?.code}: ${hostReport.error?.message}`);
      assert.equal(hostReport.tally.firstBadOffset, null, `host: ${hostReport.tally.fault}`);
      assert.equal(hostReport.tally.bytes, LOOP_CYCLES * SIZE);
      measure(ctx, 'cycles per second', Math.round(LOOP_CYCLES / (report.elapsedMs / 1000)), '1/s');
      measure(ctx, 'completion seen to end of DETACH/close', report.meanEndUs, 'µs');
      measure(ctx, 'ATTACH/TRANSFER retried after EBUSY', report.busyRetries, 'times');
      return { report, host: hostReport };
    }

    testCase('loop-in-detach', 'IN: attach, transfer, complete, DETACH at once; every byte reaches the host', async function () {
      await loop(this, EP_IN, 'detach');
    });

    testCase('loop-in-close', 'IN: attach, transfer, complete, close the endpoint file at once', async function () {
      await loop(this, EP_IN, 'close');
    });

    testCase('loop-out-detach', 'OUT: attach, transfer, complete, DETACH at once; every byte checked on the gadget', async function () {
      await loop(this, EP_OUT, 'detach');
    });
  });
});

/** A fence state without its timing and readability, for deepEqual. */
function pick(f: DmabufFenceState): Pick<DmabufFenceState, 'state' | 'error'> {
  return { state: f.state, ...(f.error !== undefined ? { error: f.error } : {}) };
}
