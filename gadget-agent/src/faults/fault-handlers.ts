import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '@ffs-lab/native/bindings';
import { AgentError } from '../session/agent-error';
import type { AgentFunction } from '../gadget/agent-function';
import { cancelStorm } from './fault-cancel-storm';
import { openCloseDuringTeardown } from './fault-open-close';
import { processState, signalFaultTarget, stopLoop } from './fault-process';
import type { FaultMethods } from '@ffs-lab/contract/fault-protocol';

type Handler<M extends keyof FaultMethods> = (params: FaultMethods[M]['params']) => Promise<FaultMethods[M]['result']> | FaultMethods[M]['result'];

/** What the fault methods need of the session. */
export interface FaultSession {
  /** The function of `function.create`, if any. */
  fn(): AgentFunction | undefined;
  /** Remove the function and its gadget exactly as `gadget.remove` does. */
  removeFunction(): Promise<void>;
}

/**
 * The `fault.*` methods (contract/src/fault-protocol.ts): the state checked first (BAD_STATE),
 * then the fault. Holds no state between calls:
 * each method releases what it made before it returns.
 */
export class FaultHandlers {
  /** A fault method runs at a time: two storms on one function would measure nothing. */
  private busy = false;

  constructor(private readonly session: FaultSession) {}

  /** Params arrive checked against the method's schema (contract/src/request-schemas.ts); defaults are filled in here. */
  readonly handlers: { [M in keyof FaultMethods]: Handler<M> } = {
    'fault.signal': (p) => signalFaultTarget(p.pid, p.signal, p.of ?? 'agent'),
    'fault.process': (p) => processState(p.pid, p.threads ?? false),
    'fault.stopLoop': (p) => stopLoop(p.pid, p.rounds, p.stopMs, p.runMs),
    'fault.cancelStorm': (p) => {
      const { mode, depth, transferSize, rounds } = p;
      const disconnect = p.disconnect ?? 'soft';
      const enableTimeoutMs = p.enableTimeoutMs ?? 15_000;
      const fn = this.requireBoundFunction('fault.cancelStorm');
      const inIdx = fn.params.function.endpoints.findIndex((e) => e.direction === 'in');
      const outIdx = fn.params.function.endpoints.findIndex((e) => e.direction === 'out');
      if (inIdx < 0 || outIdx < 0) throw new AgentError('BAD_STATE', 'fault.cancelStorm: the function needs an IN and an OUT endpoint');
      const udc = fn.gadget.boundUdc();
      const soft = path.join('/sys/class/udc', udc, 'soft_connect');
      const kind = disconnect === 'soft' && fs.existsSync(soft) ? 'soft' : 'unbind';
      return this.exclusive(async () => {
        const r = await cancelStorm(
          {
            inPath: path.join(fn.gadget.mountPoint!, `ep${inIdx + 1}`),
            outPath: path.join(fn.gadget.mountPoint!, `ep${outIdx + 1}`),
            disconnect: kind === 'soft' ? { file: soft, off: 'disconnect', kind } : { file: path.join(fn.gadget.dir, 'UDC'), off: '\n', kind },
            // Not `connect` to soft_connect: on 6.12 that restarts the UDC without re-enabling its
            // async callbacks (soft_connect_store never calls usb_gadget_enable_async_callbacks),
            // so dummy_udc answers nothing and the host gives up with -71. A rebind does it right.
            reconnect: () => {
              fn.gadget.unbind();
              fn.gadget.bind(udc);
            },
            waitEnabled: async (ms) => void (await fn.status(ms)),
            waitDisabled: (ms) => until(() => !fn.info().enabled, ms, 'the function did not see the disconnect (no DISABLE/UNBIND)'),
          },
          { mode, depth, transferSize, rounds, enableTimeoutMs },
        );
        return { ...r, liveMappings: native().liveMappings() };
      });
    },
    'fault.openCloseTeardown': (p) => {
      const { workers, leadMs, tailMs, mmap } = p;
      const dataFilesOnly = p.dataFilesOnly ?? false;
      const fn = this.requireFunction('fault.openCloseTeardown');
      const mount = fn.gadget.mountPoint!;
      const files = fn.params.function.endpoints.map((_, i) => `ep${i + 1}`);
      const paths = (dataFilesOnly ? files : ['ep0', ...files]).map((f) => path.join(mount, f));
      return this.exclusive(async () => {
        const r = await openCloseDuringTeardown({ paths, workers, leadMs, tailMs, mmap, teardown: () => this.session.removeFunction() });
        return { ...r, liveMappings: native().liveMappings() };
      });
    },
  };

  private requireFunction(method: string): AgentFunction {
    const fn = this.session.fn();
    if (!fn) throw new AgentError('BAD_STATE', `${method}: no function: call function.create first`);
    return fn;
  }

  private requireBoundFunction(method: string): AgentFunction {
    const fn = this.requireFunction(method);
    if (!fn.gadget.boundUdc()) throw new AgentError('BAD_STATE', `${method}: the function is not bound: call gadget.bind first`);
    return fn;
  }

  private async exclusive<T>(run: () => Promise<T>): Promise<T> {
    if (this.busy) throw new AgentError('BAD_STATE', 'another fault method is running');
    this.busy = true;
    try {
      return await run();
    } finally {
      this.busy = false;
    }
  }
}

/** Poll `cond` every 10 ms until true; TIMEOUT error after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new AgentError('TIMEOUT', `${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
