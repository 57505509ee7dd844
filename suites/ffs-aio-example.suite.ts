import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import type { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import type { GadgetSpec } from '@ffs-lab/contract/protocol';
import { mbpsSince } from './throughput';

const NIGHTLY = process.env.FFS_LAB_PROFILE === 'nightly';
/** Both device apps submit requests of BUF_LEN = 8 KiB. */
const BUF_LEN = 8192;
/** simple: transfers each way whose completions the app's own lines are checked for (4 lines each: well within the 1000 first lines the agent keeps). */
const COUNTED = 64;
/** simple: transfers each way for throughput (2 MiB; 32 MiB in the nightly profile). */
const ECHO_TRANSFERS = NIGHTLY ? 4096 : 256;
/** multibuff: bytes read from its IN endpoint (16 MiB; 256 MiB nightly). */
const MULTIBUFF_BYTES = (NIGHTLY ? 256 : 16) << 20;
/** multibuff: requests per buffer (BUFS_MAX); it keeps two buffers of them submitted. */
const REQUESTS_PER_BUFFER = 128;
/** multibuff: the host's pause at each of its buffer boundaries (see the test). */
const BOUNDARY_PAUSE_MS = 100;

/**
 * Gadgets nobody here wrote: the kernel's tools/usb/ffs-aio-example device apps, built from the
 * lab's linux-source tree with libaio, run by the agent in a configfs gadget's FunctionFS mount
 * (their own descriptors: bulk IN ep1, bulk OUT ep2, VID:PID 1d6b:0105 as their host apps
 * expect), driven by our host runner. Neither app checks or makes a data pattern (their buffers
 * are whatever malloc gave), so this suite checks what they do promise: lengths, counts, that
 * they keep running, and what each says it completed; and measures throughput.
 */
describe("ffs-aio-example: the kernel's AIO example gadgets against our host runner", function () {
  blockInfo(this, { needs: ['ffs-aio-example'], tags: ['interop', 'aio'] });
  this.timeout(180_000);

  /** Start `tool` (a device app) in a fresh gadget and open it on the host; line-buffered output when stdbuf is there. */
  async function startApp(ctx: Mocha.Context, name: string, tool: string | undefined): Promise<{ h: AgentHandle; dev: UsbFunctionHandle; lineBuffered: boolean }> {
    const lab = labContext();
    if (!tool) skipWithReason(ctx, "ffs-aio-example is not among this target's tools (the lab builds it for x86_64 only: it links libaio; on a board set tools.aioSimple and tools.aioMultibuff)");
    const h = await lab.startAgent();
    try {
      // The agent runs programs by absolute path only: stdbuf's is looked up here.
      const present = await h.agent.call('program.run', { argv: ['/bin/sh', '-c', 'test -x "$1" || exit 3; command -v stdbuf || exit 4', 'sh', tool] });
      if (present.exitCode === 3) skipWithReason(ctx, `${tool} is not on the target`);
      const stdbuf = present.exitCode === 0 ? present.stdout.trim() : undefined;
      const lineBuffered = stdbuf !== undefined;
      const spec: GadgetSpec = { name, vendorId: 0x1d6b, productId: 0x0105, manufacturer: 'ffs-lab', product: `ffs-aio-example ${name}`, serial: crypto.randomBytes(6).toString('hex'), function: name.replace(/-/g, '_') };
      await h.agent.call('gadget.create', spec);
      // The apps take the mount as argv[1]; stdbuf makes their per-event printf lines arrive as they happen.
      await h.agent.call('program.start', { argv: [...(stdbuf ? [stdbuf, '-oL'] : []), tool, '.'], cwdInMount: true, waitFor: ['ep1', 'ep2'] });
      await h.agent.call('gadget.bind', lab.udc ? { udc: lab.udc } : {});
      const found = await openUsbFunction({ vendorId: spec.vendorId, productId: spec.productId, serial: spec.serial }, lab.usb.enumerateTimeoutMs);
      found.handle.bulkIn.timeout = 10_000;
      found.handle.bulkOut.timeout = 10_000;
      return { h, dev: found.handle, lineBuffered };
    } catch (err) {
      await h.agent.call('gadget.remove', {}).catch(() => undefined);
      await h.close();
      throw err;
    }
  }

  async function stopApp(ctx: Mocha.Context, app: { h: AgentHandle; dev: UsbFunctionHandle } | undefined): Promise<void> {
    if (!app) return;
    await app.dev.close();
    const status = await app.h.agent.call('program.status', {}).catch(() => undefined);
    if (status) attachLog(ctx, `device app output (first and last lines):\n${status.output.join('\n')}`);
    await app.h.agent.call('gadget.remove', {}).catch(() => undefined);
    await app.h.close();
  }

  /** The app's `ev=out; ret=N` (or `ev=in`) completions so far, once `enough` holds or after 10 s. */
  async function completions(h: AgentHandle, ev: 'in' | 'out', enough: (rets: number[]) => boolean): Promise<number[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { output } = await h.agent.call('program.status', {});
      const rets = output.flatMap((l) => {
        const m = new RegExp(`^ev=${ev}; ret=(\\d+)$`).exec(l);
        return m ? [Number(m[1])] : [];
      });
      if (enough(rets) || Date.now() > deadline) return rets;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  describe('simple: one AIO request each way, its host app echoing IN back to OUT', function () {
    let app: Awaited<ReturnType<typeof startApp>> | undefined;
    before(async function () {
      app = await startApp(this, 'aio-simple', labContext().tools?.aioSimple);
    });
    after(async function () {
      await stopApp(this, app);
    });

    testCase('simple-echo', `IN transfers of 8 KiB arrive whole and go back OUT whole, as its own host app does: ${COUNTED} with each completion aio-simple reports checked, then ${ECHO_TRANSFERS} for throughput`, async function () {
      const { h, dev, lineBuffered } = app!;
      const echo = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const data = await dev.bulkIn.transferAsync(BUF_LEN);
          assert.equal(data?.length, BUF_LEN, `IN transfer ${i}`);
          assert.equal(await dev.bulkOut.transferAsync(data!), BUF_LEN, `OUT transfer ${i}`);
        }
      };
      await echo(COUNTED);
      if (lineBuffered) {
        // Four lines per transfer: counted while they are all within the first lines the agent keeps.
        const outs = await completions(h, 'out', (r) => r.length >= COUNTED);
        assert.equal(outs.length, COUNTED, 'aio-simple reports one OUT completion per transfer');
        assert.ok(outs.every((n) => n === BUF_LEN), `an OUT completion of another length: ${outs.find((n) => n !== BUF_LEN)}`);
        assert.ok((await completions(h, 'in', (r) => r.length >= COUNTED)).length >= COUNTED, 'aio-simple reports an IN completion per transfer read');
      } else {
        attachLog(this, "no stdbuf on the target: aio-simple's own completion lines are not checked");
      }
      const t0 = process.hrtime.bigint();
      await echo(ECHO_TRANSFERS);
      measure(this, 'echo throughput (each way)', mbpsSince(ECHO_TRANSFERS * BUF_LEN, t0), 'MB/s');
      const status = await h.agent.call('program.status', {});
      assert.ok(status.running, `aio-simple exited: ${status.output.slice(-3).join(' | ')}`);
    });

    testCase('simple-short-out-seen', 'a short OUT transfer (100 bytes) is reported by aio-simple with its length (its report is read, not assumed)', async function () {
      const { h, dev, lineBuffered } = app!;
      if (!lineBuffered) skipWithReason(this, "no stdbuf on the target: aio-simple's completion lines arrive only when it exits");
      assert.ok(!(await completions(h, 'out', () => true)).includes(100), 'no 100-byte completion before the short transfer');
      assert.equal(await dev.bulkOut.transferAsync(Buffer.alloc(100, 0x5a)), 100);
      // Only ours is ever 100 bytes long; the newest lines are always among those the agent keeps.
      const outs = await completions(h, 'out', (r) => r.includes(100));
      assert.ok(outs.includes(100), `aio-simple did not report a 100-byte OUT completion within 10 s; its last: ${outs.slice(-3).join(', ')}`);
    });
  });

  describe('multibuff: 2 x 128 IN requests in flight; it sends no data pattern, so throughput only', function () {
    let app: Awaited<ReturnType<typeof startApp>> | undefined;
    before(async function () {
      app = await startApp(this, 'aio-multibuff', labContext().tools?.aioMultibuff);
    });
    after(async function () {
      await stopApp(this, app);
    });

    testCase('multibuff-in-throughput', `IN: ${MULTIBUFF_BYTES >> 20} MiB in 8 KiB reads, paced at its buffer boundaries, arrive whole; throughput measured, no data checked (the app sends no pattern)`, async function () {
      const { h, dev } = app!;
      const reads = MULTIBUFF_BYTES / BUF_LEN;
      const t0 = process.hrtime.bigint();
      try {
        for (let i = 0; i < reads; i++) {
          // An IN request completes only when the host reads: with no read outstanding at a
          // buffer's end, aio-multibuff can reap that buffer's last completion alone. Completions
          // of both buffers in one io_getevents() call stall it for good (its bookkeeping,
          // `iobuf[actual].requested -= ret`, then never reaches zero again), and nothing it
          // prints tells when it has reaped (it resubmits only at its next wakeup), so the pause
          // is a time: 100 ms for the completion's work item and its wakeup, even on loaded TCG.
          if (i > 0 && i % REQUESTS_PER_BUFFER === 0) await new Promise((r) => setTimeout(r, BOUNDARY_PAUSE_MS));
          const data = await dev.bulkIn.transferAsync(BUF_LEN);
          assert.equal(data?.length, BUF_LEN, `read ${i}: one 8 KiB request`);
        }
      } catch (err) {
        const status = await h.agent.call('program.status', {}).catch(() => undefined);
        if (status) attachLog(this, `aio-multibuff (${status.running ? 'running' : `exited ${status.exitCode ?? status.signal}`}) output:\n${status.output.slice(-40).join('\n')}`);
        throw err;
      }
      measure(this, 'IN throughput (its pauses included)', mbpsSince(MULTIBUFF_BYTES, t0), 'MB/s');
      const status = await h.agent.call('program.status', {});
      assert.ok(status.running, `aio-multibuff exited: ${status.output.slice(-3).join(' | ')}`);
      assert.ok(!status.output.some((l) => /unable to submit/.test(l)), `aio-multibuff could not submit: ${status.output.find((l) => /unable to submit/.test(l))}`);
    });
  });
});
