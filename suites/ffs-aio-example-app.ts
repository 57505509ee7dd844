import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { labContext, type AgentHandle } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import type { UsbFunctionHandle } from '@ffs-lab/host-runner/usb/usb-function-handle';
import { openUsbFunction } from '@ffs-lab/host-runner/usb/usb-function-open';
import type { GadgetSpec } from '@ffs-lab/contract/protocol';

/** Both device apps of tools/usb/ffs-aio-example submit requests of BUF_LEN = 8 KiB. */
export const AIO_APP_BUF_LEN = 8192;
/** multibuff: requests per buffer (BUFS_MAX); it keeps two buffers of them submitted. */
const REQUESTS_PER_BUFFER = 128;
/** multibuff: the host's pause at each of its buffer boundaries (see readMultibuffPaced). */
const BOUNDARY_PAUSE_MS = 100;

/** A running device app, its gadget bound and opened on the host. */
export interface AioApp {
  h: AgentHandle;
  dev: UsbFunctionHandle;
  /** Its printf lines arrive as they happen (stdbuf -oL was there). */
  lineBuffered: boolean;
}

/**
 * Start `tool` (aio-simple or aio-multibuff) in a fresh gadget, as its own host apps expect it
 * (VID:PID 1d6b:0105, its own descriptors: bulk IN ep1, bulk OUT ep2), and open it on the host.
 * Skips with the reason when the target has no such tool.
 */
export async function startAioApp(ctx: Mocha.Context, name: string, tool: string | undefined): Promise<AioApp> {
  const lab = labContext();
  if (!tool) skipWithReason(ctx, "ffs-aio-example is not among this target's tools (the lab builds it for x86_64 only: it links libaio; on a board set tools.aioSimple and tools.aioMultibuff)");
  const h = await lab.startAgent();
  try {
    // The agent runs programs by absolute path only: stdbuf's is looked up here.
    const present = await h.agent.call('program.run', { argv: ['/bin/sh', '-c', 'test -x "$1" || exit 3; command -v stdbuf || exit 4', 'sh', tool] });
    if (present.exitCode === 3) skipWithReason(ctx, `${tool} is not on the target`);
    const stdbuf = present.exitCode === 0 ? present.stdout.trim() : undefined;
    const spec: GadgetSpec = { name, vendorId: 0x1d6b, productId: 0x0105, manufacturer: 'ffs-lab', product: `ffs-aio-example ${name}`, serial: crypto.randomBytes(6).toString('hex'), function: name.replace(/-/g, '_') };
    await h.agent.call('gadget.create', spec);
    // The apps take the mount as argv[1]; stdbuf makes their per-event printf lines arrive as they happen.
    await h.agent.call('program.start', { argv: [...(stdbuf ? [stdbuf, '-oL'] : []), tool, '.'], cwdInMount: true, waitFor: ['ep1', 'ep2'] });
    await h.agent.call('gadget.bind', lab.udc ? { udc: lab.udc } : {});
    const found = await openUsbFunction({ vendorId: spec.vendorId, productId: spec.productId, serial: spec.serial }, lab.usb.enumerateTimeoutMs);
    found.handle.bulkIn.timeout = 10_000;
    found.handle.bulkOut.timeout = 10_000;
    return { h, dev: found.handle, lineBuffered: stdbuf !== undefined };
  } catch (err) {
    await h.agent.call('gadget.remove', {}).catch(() => undefined);
    await h.close();
    throw err;
  }
}

/** Close the host side, attach the app's output to `ctx`, remove the gadget, end the agent. */
export async function stopAioApp(ctx: Mocha.Context, app: AioApp | undefined): Promise<void> {
  if (!app) return;
  await app.dev.close();
  const status = await app.h.agent.call('program.status', {}).catch(() => undefined);
  if (status) attachLog(ctx, `device app output (first and last lines):\n${status.output.join('\n')}`);
  await app.h.agent.call('gadget.remove', {}).catch(() => undefined);
  await app.h.close();
}

/**
 * Read `bytes` from aio-multibuff's IN endpoint in 8 KiB reads, one at a time, pausing at each of
 * its buffer boundaries; returns the seconds spent reading (the pauses left out).
 *
 * An IN request completes only when the host reads: with no read outstanding at a buffer's end,
 * aio-multibuff can reap that buffer's last completion alone. Completions of both buffers in one
 * io_getevents() call stall it for good (its bookkeeping, `iobuf[actual].requested -= ret`, then
 * never reaches zero again), and nothing it prints tells when it has reaped (it resubmits only at
 * its next wakeup), so the pause is a time: 100 ms for the completion's work item and its wakeup,
 * even on loaded TCG.
 */
export async function readMultibuffPaced(dev: UsbFunctionHandle, bytes: number): Promise<number> {
  let reading = 0n;
  for (let i = 0; i < bytes / AIO_APP_BUF_LEN; i++) {
    if (i > 0 && i % REQUESTS_PER_BUFFER === 0) await new Promise((r) => setTimeout(r, BOUNDARY_PAUSE_MS));
    const t0 = process.hrtime.bigint();
    const data = await dev.bulkIn.transferAsync(AIO_APP_BUF_LEN);
    reading += process.hrtime.bigint() - t0;
    assert.equal(data?.length, AIO_APP_BUF_LEN, `read ${i}: one 8 KiB request`);
  }
  return Number(reading) / 1e9;
}

/** Echo `transfers` 8 KiB transfers as aio-simple's own host app does (read IN, write it back OUT); returns the seconds taken. */
export async function echoSimple(dev: UsbFunctionHandle, transfers: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < transfers; i++) {
    const data = await dev.bulkIn.transferAsync(AIO_APP_BUF_LEN);
    assert.equal(data?.length, AIO_APP_BUF_LEN, `IN transfer ${i}`);
    assert.equal(await dev.bulkOut.transferAsync(data!), AIO_APP_BUF_LEN, `OUT transfer ${i}`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
