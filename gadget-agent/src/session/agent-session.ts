import * as os from 'node:os';
import { AgentError } from './agent-error';
import { AgentFunction } from '../gadget/agent-function';
import { withFunctionDefaults } from '../gadget/function-params';
import { withStreamDefaults } from '../streams/stream-params';
import { ConfigfsGadget, removeStaleGadgets } from '../gadget/configfs-gadget';
import { GadgetProgram } from '../programs/gadget-program';
import { probeKernelFeatures } from '../probes/kernel-features';
import { killRunPrograms, runProgram } from '../programs/run-program';
import { readKernelLog } from '../probes/kernel-log';
import { readKernelMessages } from '../probes/kernel-messages';
import { PROTOCOL_VERSION, type Methods, type MethodName } from '@ffs-lab/contract/protocol';
import { listUdcs } from '../gadget/udc';
import { maxPageOrder, pageSize } from '@ffs-lab/native/page-size';
import { MmapHandlers } from '../probes/mmap-handlers';
import { DmabufHandlers } from '../probes/dmabuf-handlers';
import { probeDmabuf } from '../probes/dmabuf-probe';
import { FaultHandlers } from '../faults/fault-handlers';

type Handler<M extends MethodName> = (params: Methods[M]['params']) => Promise<Methods[M]['result']> | Methods[M]['result'];

/**
 * The agent's state (at most one gadget and one program at a time) and the handler of every
 * method. teardown() undoes everything and is safe on any exit path.
 */
export class AgentSession {
  private gadget: ConfigfsGadget | undefined;
  private program: GadgetProgram | undefined;
  /** The function the agent serves itself (function.create); its gadget is also `gadget`. */
  private fn: AgentFunction | undefined;
  /** State of the dmabuf.* methods (files, buffers, fences) on the current function. */
  private dmabufHandlers: DmabufHandlers | undefined;
  /** Set by `shutdown`; the main loop exits after replying. */
  shuttingDown = false;
  /** State of the mmap.* probe methods (probe mounts, files, buffers, transfers). */
  private readonly mmapHandlers = new MmapHandlers(
    { mountPoint: () => this.fn?.gadget.mountPoint },
    (line) => this.log(line),
  );

  /** The fault.* methods (faults/fault-handlers.ts): storms and races on the current function, signals to other agents. */
  private readonly faultHandlers = new FaultHandlers({ fn: () => this.fn, removeFunction: () => this.removeGadget() });

  constructor(private readonly log: (line: string) => void) {
    const sweep = removeStaleGadgets();
    if (sweep.removed.length) log(`removed stale gadget(s) left by an earlier run: ${sweep.removed.join(', ')}`);
    for (const k of sweep.killed) log(`killed process ${k.pid} (${k.comm}): it held files of a stale gadget's FunctionFS mount`);
    for (const k of sweep.kept) log(`left gadget ${k.name} alone: process ${k.pid}, which made it, still runs`);
  }

  readonly handlers: { [M in MethodName]: Handler<M> } = {
    hello: () => {
      const order = maxPageOrder();
      return {
        protocol: PROTOCOL_VERSION,
        agentVersion: AGENT_VERSION,
        pid: process.pid,
        kernelRelease: os.release(),
        udcs: listUdcs(),
        pageSize: pageSize(),
        ...(order !== undefined ? { maxPageOrder: order } : {}),
        machine: os.machine(),
        processArch: process.arch,
      };
    },
    features: (p) => {
      requireString(p, 'probe');
      if (this.gadget) throw new AgentError('BAD_STATE', 'features: remove the current gadget first');
      return probeKernelFeatures(p.probe);
    },
    'gadget.create': (spec) => {
      if (this.gadget) throw new AgentError('BAD_STATE', `a gadget exists already (${this.gadget.dir}); remove it first`);
      const g = new ConfigfsGadget(spec);
      g.create();
      this.gadget = g;
      this.log(`gadget ${g.dir} created, ${g.mountPoint ? `FunctionFS at ${g.mountPoint}` : `function ${spec.kernelFunction?.type}`}`);
      return { configfs: g.dir, mount: g.mountPoint ?? '' };
    },
    'program.start': async (p) => {
      const g = this.requireGadget();
      if (this.program?.status().running) throw new AgentError('BAD_STATE', 'a program is running already');
      if (!g.mountPoint) throw new AgentError('BAD_STATE', `the gadget's function is the kernel's ${g.spec.kernelFunction?.type}: there is no FunctionFS mount for a program`);
      const argv = p.argv.map((a) => (a === '{mount}' ? g.mountPoint! : a));
      this.program = new GadgetProgram(argv, p.cwdInMount ? g.mountPoint! : '/');
      await this.program.waitForFiles(g.mountPoint!, p.waitFor ?? [], p.timeoutMs ?? 10_000);
      return { pid: this.program.status().pid ?? -1 };
    },
    'program.run': (p) => runProgram(p?.argv, p?.timeoutMs ?? 120_000, p?.env),
    'program.status': () => this.requireProgram().status(),
    'program.stop': () => this.requireProgram().stop(),
    'gadget.bind': (p) => {
      const udc = this.requireGadget().bind(p?.udc);
      this.log(`bound to ${udc}`);
      return { udc };
    },
    'gadget.unbind': () => {
      this.requireGadget().unbind();
      return {};
    },
    'gadget.remove': async () => {
      await this.removeGadget();
      return {};
    },
    'kernel.log': (p) => readKernelLog(p?.kmemleakScan === true),
    'kernel.messages': (p) => readKernelMessages(p?.afterSeq),
    'function.create': (p) => {
      const params = withFunctionDefaults(p);
      if (this.gadget) throw new AgentError('BAD_STATE', `a gadget exists already (${this.gadget.dir}); remove it first`);
      const fn = AgentFunction.create(params, this.log);
      this.fn = fn;
      this.gadget = fn.gadget;
      this.log(`function ${fn.gadget.dir} created, FunctionFS at ${fn.gadget.mountPoint}, descriptors written`);
      return fn.info();
    },
    'function.status': (p) => this.requireFunction().status(p.waitEnabledMs ?? 0),
    'stream.start': async (p) => {
      const { waitReady, ...rest } = p;
      const stream = this.requireFunction().startStream(withStreamDefaults(rest));
      if (waitReady) await stream.ready;
      return { id: stream.id };
    },
    'stream.status': (p) => this.requireFunction().stream(p.id).report(),
    'stream.wait': (p) => this.requireFunction().stream(p.id).wait(p.timeoutMs ?? 60_000),
    'stream.stop': (p) => this.requireFunction().stream(p.id).stop(),
    'dmabuf.open': (p) => this.dmabuf().open(p),
    'dmabuf.create': (p) => this.dmabuf().create(p),
    'dmabuf.attach': (p) => this.dmabuf().attach(p),
    'dmabuf.detach': (p) => this.dmabuf().detach(p),
    'dmabuf.transfer': (p) => this.dmabuf().transfer(p),
    'dmabuf.wait': (p) => this.dmabuf().wait(p),
    'dmabuf.verify': (p) => this.dmabuf().verify(p),
    'dmabuf.close': (p) => this.dmabuf().close(p),
    'dmabuf.loop': (p) => this.dmabuf().loop(p),
    'dmabuf.reset': () => {
      this.resetDmabuf();
      return {};
    },
    'dmabuf.probe': () => {
      const fn = this.requireFunction();
      return probeDmabuf(`${fn.gadget.mountPoint}/ep1`, fn.gadget.boundUdc());
    },
    ...this.mmapHandlers.handlers,
    ...this.faultHandlers.handlers,
    shutdown: async () => {
      this.mmapHandlers.reset();
      await this.removeGadget();
      this.shuttingDown = true;
      return {};
    },
  };

  private async removeGadget(): Promise<void> {
    this.mmapHandlers.releaseFunction();
    this.resetDmabuf();
    this.gadget?.unbind();
    await this.fn?.close();
    this.fn = undefined;
    if (this.program) await this.program.stop();
    this.program = undefined;
    this.gadget?.remove();
    this.gadget = undefined;
  }

  /** Synchronous best-effort teardown for exit paths (signals, stdin EOF, crashes). */
  teardown(): void {
    this.mmapHandlers.reset();
    this.resetDmabuf();
    try {
      this.gadget?.unbind();
    } catch {
      /* continue tearing down */
    }
    this.fn?.closeNow();
    this.fn = undefined;
    this.program?.killNow();
    killRunPrograms();
    try {
      this.gadget?.remove({ exiting: true });
    } catch (err) {
      this.log(`teardown: ${(err as Error).message}`);
    }
    this.gadget = undefined;
    this.program = undefined;
  }

  /** The dmabuf.* state, bound to the current function's endpoint files. */
  private dmabuf(): DmabufHandlers {
    this.requireFunction();
    return (this.dmabufHandlers ??= new DmabufHandlers((n) => {
      const fn = this.requireFunction();
      const e = fn.params.function.endpoints[n - 1];
      if (!e) throw new AgentError('BAD_REQUEST', `the function has no endpoint file ep${n}`);
      return { path: `${fn.gadget.mountPoint}/ep${n}`, direction: e.direction };
    }));
  }

  /** Before any unbind: closing the files detaches in the kernel, where DETACH after unbind would oops. */
  private resetDmabuf(): void {
    try {
      this.dmabufHandlers?.reset();
    } catch (err) {
      this.log(`dmabuf reset: ${(err as Error).message}`);
    }
    this.dmabufHandlers = undefined;
  }

  private requireGadget(): ConfigfsGadget {
    if (!this.gadget) throw new AgentError('BAD_STATE', 'no gadget: call gadget.create first');
    return this.gadget;
  }

  private requireFunction(): AgentFunction {
    if (!this.fn) throw new AgentError('BAD_STATE', 'no function: call function.create first');
    return this.fn;
  }

  private requireProgram(): GadgetProgram {
    if (!this.program) throw new AgentError('BAD_STATE', 'no program: call program.start first');
    return this.program;
  }
}

/** The agent's version (its package's package.json, by self-reference: the same name in a checkout and a bundle). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json is outside the compiled tree: read at run time
export const AGENT_VERSION: string = (require('@ffs-lab/gadget-agent/package.json') as { version: string }).version;

function requireString(p: unknown, key: string): void {
  if (!p || typeof (p as Record<string, unknown>)[key] !== 'string') throw new AgentError('BAD_REQUEST', `params.${key} must be a string`);
}
