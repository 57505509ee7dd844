import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { native, type NativeAioContext } from '@ffs-lab/native/bindings';
import { openEndpointFd } from '@ffs-lab/native/open-endpoint-fd';
import { AgentError } from '../session/agent-error';
import type { CancelStormResult } from '@ffs-lab/contract/fault-protocol';
import { pageSize } from '@ffs-lab/native/page-size';

/** What the storm needs of the agent's function. */
export interface StormTarget {
  /** Endpoint files (paths) of the first IN and OUT endpoints. */
  inPath: string;
  outPath: string;
  /** sysfs/configfs file and value that disconnect. */
  disconnect: { file: string; off: string; kind: 'soft' | 'unbind' };
  /** Connect again (see fault-handlers.ts for why a soft disconnect is undone by a rebind). */
  reconnect(): void;
  /** Resolves once the host has (re-)enabled the function; rejects past `ms`. */
  waitEnabled(ms: number): Promise<void>;
  /** Resolves once the function has seen the disconnect (DISABLE/UNBIND); rejects past `ms`. */
  waitDisabled(ms: number): Promise<void>;
}

/** Options of {@link cancelStorm}. */
export interface StormOptions {
  mode: 'aio' | 'mmap';
  depth: number;
  transferSize: number;
  rounds: number;
  enableTimeoutMs: number;
}

/** How long the cancel loop runs at most while the disconnect write has not returned (ms). */
const STORM_MAX_MS = 3000;
/** How long every request of a round gets to complete after the storm (ms). */
const SETTLE_MS = 10_000;
const EINPROGRESS = 115;

/**
 * The disconnect thread: waits at a barrier (an Int32Array over shared memory, so the release is
 * one store, not a message through the event loop) and writes the disconnect value the instant
 * the main thread starts its io_cancel storm. flags: [0] go, [1] done, [2] ready.
 */
const DISCONNECT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const flags = new Int32Array(workerData.shared);
parentPort.on('message', (m) => {
  if (m.exit) { parentPort.close(); return; }
  Atomics.store(flags, 2, 1);
  Atomics.wait(flags, 0, 0, 20000);
  let err = null;
  try { fs.writeFileSync(m.file, m.value); } catch (e) { err = e.code || e.message; }
  Atomics.store(flags, 0, 0);
  Atomics.store(flags, 1, 1);
  parentPort.postMessage({ err });
});
`;

interface Pending {
  settled: boolean;
}

/**
 * CVE-2024-36894 class: per round, `depth` AIO requests in flight on each of the function's IN
 * and OUT endpoint files (nobody on the host moves data, so they stay queued in the UDC), then at
 * one instant a worker thread disconnects (soft_connect or UDC unbind) while this thread calls
 * io_cancel on every request, again and again until the disconnect write has returned: cancel
 * races completion by the disconnect. Then every request must complete (any outcome) within
 * SETTLE_MS, and the function is reconnected and must be enabled again by the host.
 *
 * A request that never completes fails the method with TIMEOUT; its AIO context is then left
 * open on purpose, because io_destroy would wait for it forever (the agent's teardown still runs).
 */
export async function cancelStorm(t: StormTarget, o: StormOptions): Promise<Omit<CancelStormResult, 'liveMappings'>> {
  const shared = new SharedArrayBuffer(12);
  const flags = new Int32Array(shared);
  const worker = new Worker(DISCONNECT_WORKER, { eval: true, workerData: { shared } });
  worker.on('error', () => undefined);
  const result: Omit<CancelStormResult, 'liveMappings'> = { rounds: 0, disconnect: t.disconnect.kind, submitted: 0, cancelCalls: 0, cancelAccepted: 0, outcomes: {}, worstSettleMs: 0 };
  const bump = (k: string) => (result.outcomes[k] = (result.outcomes[k] ?? 0) + 1);
  try {
    for (let round = 0; round < o.rounds; round++) {
      await t.waitEnabled(o.enableTimeoutMs);
      await stormRound(t, o, worker, flags, result, bump, round);
      result.rounds++;
    }
    await t.waitEnabled(o.enableTimeoutMs);
  } finally {
    worker.postMessage({ exit: true });
    await Promise.race([new Promise((r) => worker.once('exit', r)), new Promise((r) => setTimeout(r, 2000))]);
    await worker.terminate();
  }
  return result;
}

async function stormRound(
  t: StormTarget,
  o: StormOptions,
  worker: Worker,
  flags: Int32Array,
  result: Omit<CancelStormResult, 'liveMappings'>,
  bump: (k: string) => void,
  round: number,
): Promise<void> {
  const page = pageSize();
  const slot = Math.max(page, Math.ceil(o.transferSize / page) * page);
  const files: number[] = [];
  const maps: ArrayBuffer[] = [];
  const pending = new Map<number, Pending>();
  let wake: () => void = () => undefined;
  const ctx: NativeAioContext = new (native().AioContext)(2 * o.depth, (ids, results) => {
    for (let i = 0; i < ids.length; i++) {
      const p = pending.get(ids[i]!);
      if (!p || p.settled) continue;
      p.settled = true;
      const r = results[i]!;
      bump(r >= 0 ? 'ok' : native().errnoName(-r));
    }
    if ([...pending.values()].every((p) => p.settled)) wake();
  });
  let hung = false;
  let reconnectError: unknown;
  try {
    const reqs = [];
    let id = 1;
    for (const [path, write] of [[t.inPath, true], [t.outPath, false]] as const) {
      const fd = openEndpointFd(path, true);
      files.push(fd);
      for (let k = 0; k < o.depth; k++) {
        const buffer = o.mode === 'mmap' ? native().mmapFile(fd, slot) : new ArrayBuffer(slot);
        if (o.mode === 'mmap') maps.push(buffer);
        reqs.push({ fd, write, buffer, offset: 0, length: o.transferSize, id });
        pending.set(id++, { settled: false });
      }
    }
    // The worker must be parked at the barrier before the requests go in, so that nothing but the
    // storm runs between the last io_submit and the disconnect.
    Atomics.store(flags, 1, 0);
    Atomics.store(flags, 2, 0);
    const workerDone = new Promise<{ err: string | null }>((r) => worker.once('message', r));
    worker.postMessage({ file: t.disconnect.file, value: t.disconnect.off });
    const parked = Date.now();
    while (Atomics.load(flags, 2) !== 1) {
      if (Date.now() - parked > 5000) throw new AgentError('TIMEOUT', 'fault.cancelStorm: the disconnect thread did not start within 5000 ms');
      await new Promise((r) => setTimeout(r, 5));
    }
    const taken = ctx.submit(reqs);
    result.submitted += taken;
    for (const r of reqs.slice(taken)) pending.delete(r.id);
    if (taken < reqs.length) throw new AgentError('EAGAIN', `fault.cancelStorm: round ${round + 1}: io_submit took ${taken} of ${reqs.length} requests`);
    const ids = reqs.map((r) => r.id).reverse();
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    const t0 = Date.now();
    // The storm: synchronous on purpose, so completions are not even reaped while it runs.
    // Sweep while the disconnect write runs, and twice more after it returned.
    for (let after = 0; after < 2; ) {
      if (Atomics.load(flags, 1) === 1) after++;
      for (const i of ids) {
        result.cancelCalls++;
        const r = ctx.cancel(i);
        if (r === 0 || r === EINPROGRESS) result.cancelAccepted++;
      }
      if (Date.now() - t0 > STORM_MAX_MS) break;
    }
    const { err } = await workerDone;
    if (err) throw new AgentError(err.startsWith('E') ? err : 'EIO', `fault.cancelStorm: writing '${t.disconnect.off}' to ${t.disconnect.file}: ${err}`);
    const all = new Promise<void>((r) => (wake = r));
    if ([...pending.values()].every((p) => p.settled)) wake();
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([all.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), SETTLE_MS)))]);
    clearTimeout(timer);
    result.worstSettleMs = Math.max(result.worstSettleMs, Date.now() - t0);
    if (!ok) {
      hung = true;
      const left = [...pending.values()].filter((p) => !p.settled).length;
      throw new AgentError('TIMEOUT', `fault.cancelStorm: round ${round + 1}: ${left} of ${pending.size} requests never completed within ${SETTLE_MS} ms of the disconnect`);
    }
    await t.waitDisabled(5000);
  } finally {
    if (!hung) ctx.close();
    for (const ab of maps) native().munmapBuffer(ab);
    for (const fd of files) fs.closeSync(fd);
    // Reconnect in every case, so the function is usable (and removable) afterwards.
    try {
      t.reconnect();
    } catch (err) {
      reconnectError = err;
    }
  }
  // Only when the round itself went well: its own error says more than the reconnect's.
  if (reconnectError !== undefined) throw new AgentError('EIO', `fault.cancelStorm: reconnecting after round ${round + 1}: ${(reconnectError as Error).message}`);
}
