import * as assert from 'node:assert/strict';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, measure, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';
import { mbpsSince } from './throughput';
import { AIO_APP_BUF_LEN, readMultibuffPaced, startAioApp, stopAioApp, type AioApp } from './ffs-aio-example-app';

const NIGHTLY = process.env.FFS_LAB_PROFILE === 'nightly';
const BUF_LEN = AIO_APP_BUF_LEN;
/** simple: transfers each way whose completions the app's own lines are checked for (4 lines each: well within the 1000 first lines the agent keeps). */
const COUNTED = 64;
/** simple: transfers each way for throughput (2 MiB; 32 MiB in the nightly profile). */
const ECHO_TRANSFERS = NIGHTLY ? 4096 : 256;
/** multibuff: bytes read from its IN endpoint (16 MiB; 256 MiB nightly). */
const MULTIBUFF_BYTES = (NIGHTLY ? 256 : 16) << 20;

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
    let app: AioApp | undefined;
    before(async function () {
      app = await startAioApp(this, 'aio-simple', labContext().tools?.aioSimple);
    });
    after(async function () {
      await stopAioApp(this, app);
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
    let app: AioApp | undefined;
    before(async function () {
      app = await startAioApp(this, 'aio-multibuff', labContext().tools?.aioMultibuff);
    });
    after(async function () {
      await stopAioApp(this, app);
    });

    testCase('multibuff-in-throughput', `IN: ${MULTIBUFF_BYTES >> 20} MiB in 8 KiB reads, paced at its buffer boundaries, arrive whole; throughput measured, no data checked (the app sends no pattern)`, async function () {
      const { h, dev } = app!;
      const t0 = process.hrtime.bigint();
      const reading = await readMultibuffPaced(dev, MULTIBUFF_BYTES).catch(async (err: unknown) => {
        const status = await h.agent.call('program.status', {}).catch(() => undefined);
        if (status) attachLog(this, `aio-multibuff (${status.running ? 'running' : `exited ${status.exitCode ?? status.signal}`}) output:\n${status.output.slice(-40).join('\n')}`);
        throw err;
      });
      measure(this, 'IN throughput (its pauses included)', mbpsSince(MULTIBUFF_BYTES, t0), 'MB/s');
      measure(this, 'IN throughput (reading only)', Math.round((MULTIBUFF_BYTES / reading / 1e6) * 10) / 10, 'MB/s');
      const status = await h.agent.call('program.status', {});
      assert.ok(status.running, `aio-multibuff exited: ${status.output.slice(-3).join(' | ')}`);
      assert.ok(!status.output.some((l) => /unable to submit/.test(l)), `aio-multibuff could not submit: ${status.output.find((l) => /unable to submit/.test(l))}`);
    });
  });
});
