import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AgentError } from '../session/agent-error';
import type { OpenCloseTeardownResult } from '@ffs-lab/contract/fault-protocol';
import { BINDINGS_MODULE } from '@ffs-lab/native/bindings';

/**
 * The addon's TypeScript surface, for the workers (they load the addon themselves): bindings.js
 * beside the agent in a bundle (ffs-lab pack-agent), else the native package's.
 */
const BINDINGS = fs.existsSync(path.join(__dirname, 'bindings.js')) ? path.join(__dirname, 'bindings.js') : BINDINGS_MODULE;

/**
 * One loop thread: opens each path in turn (O_RDWR|O_NONBLOCK), on data endpoints maps and unmaps
 * one page (when asked) and asks FUNCTIONFS_FIFO_STATUS (an ioctl that looks at the endpoint under
 * the function's lock), then closes, until flags[0] is set. No blocking I/O: a loop must never
 * wait for the host. Posts {ready} once running and {counts} when stopped.
 */
const LOOP_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const flags = new Int32Array(workerData.shared);
const nat = workerData.mmap ? require(workerData.bindings).native() : undefined;
const counts = {};
const bump = (k) => { counts[k] = (counts[k] || 0) + 1; };
const code = (e) => (e && (e.code || e.message)) || 'error';
parentPort.postMessage({ ready: true });
for (let i = 0; !Atomics.load(flags, 0); i++) {
  const p = workerData.paths[i % workerData.paths.length];
  let fd;
  try { fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NONBLOCK); bump('open'); }
  catch (e) { bump('open:' + code(e)); if (i % 64 === 0) Atomics.wait(flags, 0, 0, 1); continue; }
  if (!p.endsWith('/ep0')) {
    if (nat) {
      try { const ab = nat.mmapFile(fd, 4096); bump('mmap'); nat.munmapBuffer(ab); } catch (e) { bump('mmap:' + code(e)); }
      try { nat.fifoStatus(fd); bump('fifo'); } catch (e) { bump('fifo:' + code(e)); }
    }
  }
  try { fs.closeSync(fd); } catch (e) { bump('close:' + code(e)); }
}
parentPort.postMessage({ counts });
`;

/** Options of {@link openCloseDuringTeardown}. */
export interface OpenCloseOptions {
  /** Files to open (ep0 and the data endpoint files of the function's mount). */
  paths: string[];
  workers: number;
  leadMs: number;
  tailMs: number;
  mmap: boolean;
  /** Removes the function and its gadget (the session's own teardown path). */
  teardown: () => Promise<void>;
}

/**
 * Spec section 5, "open/close of endpoint files in a loop during function teardown": worker
 * threads of this process (so the unmount's "kill whoever holds the mount" spares them and the
 * unmount really races them) open and close the endpoint files while the session removes the
 * gadget: unbind, ep0 closed, unmount, configfs removal. Returns the loop outcomes and how long
 * the teardown took; a teardown error is rethrown after the workers have stopped.
 */
export async function openCloseDuringTeardown(o: OpenCloseOptions): Promise<Omit<OpenCloseTeardownResult, 'liveMappings'>> {
  const shared = new SharedArrayBuffer(4);
  const flags = new Int32Array(shared);
  const workers: Worker[] = [];
  const finals: Array<Promise<Record<string, number>>> = [];
  let teardownMs: number;
  let teardownError: unknown;
  try {
    const readies: Array<Promise<void>> = [];
    for (let i = 0; i < o.workers; i++) {
      const w = new Worker(LOOP_WORKER, { eval: true, workerData: { shared, paths: o.paths, mmap: o.mmap, bindings: BINDINGS } });
      workers.push(w);
      let ready: () => void = () => undefined;
      let failed: (e: Error) => void = () => undefined;
      readies.push(new Promise<void>((res, rej) => ((ready = res), (failed = rej))));
      finals.push(
        new Promise((res) => {
          w.on('message', (m: { ready?: boolean; counts?: Record<string, number> }) => (m.ready ? ready() : m.counts && res(m.counts)));
          w.on('error', (e) => (failed(e), res({ [`worker:${e.message}`]: 1 })));
          w.on('exit', () => res({}));
        }),
      );
    }
    await within(Promise.all(readies), 15_000, 'the open/close threads did not start');
    await new Promise((r) => setTimeout(r, o.leadMs));
    const t0 = Date.now();
    try {
      await o.teardown();
    } catch (err) {
      teardownError = err;
    }
    teardownMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, o.tailMs));
  } finally {
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
  }
  const all = await within(Promise.all(finals), 15_000, 'the open/close threads did not stop').finally(() => Promise.all(workers.map((w) => w.terminate())));
  if (teardownError) throw teardownError;
  const outcomes: Record<string, number> = {};
  for (const c of all) for (const [k, n] of Object.entries(c)) outcomes[k] = (outcomes[k] ?? 0) + n;
  return { opens: outcomes.open ?? 0, outcomes, teardownMs };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new AgentError('TIMEOUT', `fault.openCloseTeardown: ${what} within ${ms} ms`)), ms))),
  ]);
}
