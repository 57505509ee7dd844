/**
 * Params and results of the agent's `fault.*` methods (the races of README "Faults" and docs/behaviour.md section 5): the gadget-side
 * halves of the fault and race tests, run inside the agent where the timing must be tight (an
 * io_cancel storm at the instant of a soft disconnect, endpoint files opened and closed while the
 * function is torn down), and signals to another agent process (SIGKILL, a dropped SSH session,
 * SIGSTOP/SIGCONT) sent from the gadget machine, where the runner on the host has no pid to signal.
 */

/** Signals `fault.signal` sends. */
export const FAULT_SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGCONT'] as const;
export type FaultSignal = (typeof FAULT_SIGNALS)[number];

/** Params of `fault.signal`. */
export interface FaultSignalParams {
  /** pid of another ffs-lab agent on this machine (HelloResult.pid); the agent refuses any other process. */
  pid: number;
  signal: FaultSignal;
  /** `agent` (default): the agent itself; `ssh-session`: the sshd session process it runs under (its parent), which drops its SSH connection. */
  of?: 'agent' | 'ssh-session';
}

/** Result of `fault.signal`: the process that got the signal. */
export interface FaultSignalResult {
  pid: number;
  /** Its command line, NULs as spaces (for the report). */
  cmdline: string;
}

/** Result of `fault.process`: whether a pid is alive, and its state letter (`S`, `T` stopped, `Z`...). */
export interface FaultProcessResult {
  alive: boolean;
  state?: string;
  /** With `threads: true`: each thread as `tid state wchan (comm)`, and the children: where a process that will not exit is stuck. */
  threads?: string[];
}

/** Params of `fault.stopLoop`: `rounds` x (SIGSTOP, wait `stopMs`, SIGCONT, wait `runMs`) to another agent. */
export interface FaultStopLoopParams {
  pid: number;
  rounds: number;
  stopMs: number;
  runMs: number;
}

/** Result of `fault.stopLoop`. The process is always left running (SIGCONT last). */
export interface FaultStopLoopResult {
  rounds: number;
  elapsedMs: number;
}

/** Params of `fault.cancelStorm` (on the function of `function.create`, bound and enabled). */
export interface CancelStormParams {
  /** aio: buffers in process memory; mmap: buffers mapped from the endpoint files (zero-copy requests). */
  mode: 'aio' | 'mmap';
  /** Requests in flight per endpoint file (IN and OUT each), 1..256. */
  depth: number;
  /** Bytes per request. */
  transferSize: number;
  /** Disconnect + storm rounds; the function is reconnected and re-enabled between rounds. */
  rounds: number;
  /** soft: `disconnect` to the UDC's soft_connect (unbind when it has none); unbind: `echo "" > UDC`. Default soft. */
  disconnect?: 'soft' | 'unbind';
  /** Wait for the host to re-enable the function after each reconnect (ms). Default 15000. */
  enableTimeoutMs?: number;
}

/** Result of `fault.cancelStorm`: every request ended (or the method fails with TIMEOUT naming the hung ones). */
export interface CancelStormResult {
  rounds: number;
  /** How the disconnect was made (soft_connect, or unbind where the UDC has no soft_connect). */
  disconnect: 'soft' | 'unbind';
  submitted: number;
  /** io_cancel calls made during the storms, and how many the kernel accepted (0 or EINPROGRESS). */
  cancelCalls: number;
  cancelAccepted: number;
  /** Completions by outcome: `ok` (data moved) or the errno name (ESHUTDOWN, ECONNRESET...). */
  outcomes: Record<string, number>;
  /** Longest time from the disconnect to the last completion of a round (ms). */
  worstSettleMs: number;
  /** Addon mappings still live in the agent afterwards (must be 0). */
  liveMappings: number;
}

/** Params of `fault.openCloseTeardown`: worker threads open and close the function's endpoint files in a loop while the agent removes the gadget. */
export interface OpenCloseTeardownParams {
  /** Worker threads, 1..16. */
  workers: number;
  /** How long the loops run before the teardown starts (ms). */
  leadMs: number;
  /** How long they keep running after it (ms). */
  tailMs: number;
  /** Each opened file also maps one page and unmaps it (kernels with mmap). */
  mmap: boolean;
  /**
   * Leave ep0 out of the loops (default false: ep0 is opened too). An ep0 open racing the last
   * close double-frees in f_fs up to 6.12 (our series' patch 0003); kernels without the fix are
   * spared that race unless asked.
   */
  dataFilesOnly?: boolean;
}

/** Result of `fault.openCloseTeardown`. The gadget is gone when it returns (the function state is cleared). */
export interface OpenCloseTeardownResult {
  /** Successful opens over all workers. */
  opens: number;
  /** Outcomes of the loop steps: `open`, `mmap`, `read:EAGAIN`, `open:ENOENT`... with counts. */
  outcomes: Record<string, number>;
  /** Duration of the teardown (unbind, close, unmount, configfs removal): ms. */
  teardownMs: number;
  /** Addon mappings the workers left (must be 0). */
  liveMappings: number;
}

/** The fault methods: params and results. */
export interface FaultMethods {
  /** Send a signal to another ffs-lab agent process (or its sshd session). */
  'fault.signal': { params: FaultSignalParams; result: FaultSignalResult };
  /** Whether a process is alive (any pid; read-only). */
  'fault.process': { params: { pid: number; threads?: boolean }; result: FaultProcessResult };
  /** SIGSTOP/SIGCONT another ffs-lab agent in a loop; returns after the last SIGCONT. */
  'fault.stopLoop': { params: FaultStopLoopParams; result: FaultStopLoopResult };
  /** Many AIO requests in flight on the function, then a disconnect and an io_cancel storm at the same instant, in rounds. */
  'fault.cancelStorm': { params: CancelStormParams; result: CancelStormResult };
  /** Open/close endpoint files in worker threads while the function is torn down (gadget removed). */
  'fault.openCloseTeardown': { params: OpenCloseTeardownParams; result: OpenCloseTeardownResult };
}

export const FAULT_METHOD_NAMES = ['fault.signal', 'fault.process', 'fault.stopLoop', 'fault.cancelStorm', 'fault.openCloseTeardown'] as const satisfies ReadonlyArray<keyof FaultMethods>;
