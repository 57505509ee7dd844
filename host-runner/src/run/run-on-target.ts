import * as fs from 'node:fs';
import * as path from 'node:path';
import { GADGET_PREFIX, GADGET_ROOT } from '@ffs-lab/contract/gadget-names';
import type { KernelFeatures } from '@ffs-lab/contract/protocol';
import { launchAgent } from '../agent/agent-launch';
import { KernelMonitor } from '../kernel/kernel-monitor';
import { ExitCode, infraError } from '@ffs-lab/contract/exit-codes';
import { DEFAULT_ENUMERATE_TIMEOUT_MS } from '../config/lab-config';
import { exitCodeOf, finishedRun, type RunMetadata, type RunResults, type TestResult } from '../results/results';
import { hostIdentity, toolIdentity } from '../results/run-metadata';
import { writeReports } from '../results/write-reports';
import { JOURNAL_FILE, ResultsJournal, type JournalLine } from '../results/results-journal';
import { WaiverBook, type Waiver } from '../results/waivers';
import { PartialReports } from '../results/partial-reports';
import { setLabContext, type AgentHandle, type KernelUnderTest, type LabContext, type TargetTools } from '../suite-runner/lab-context';
import { runSuites } from '../suite-runner/mocha-runner';
import type { SuiteEntry } from '../suite-runner/suite-catalog';
import type { TestSelection } from '../suite-runner/test-selection';
import { confineToUsbPort } from '../usb/usb-port';
import type { Target } from './target';

/** Options of {@link runOnTarget}. */
export interface RunOnTargetOptions {
  target: Target;
  /** Suites to run, in order (resolve names with selectSuites()). */
  suites: readonly SuiteEntry[];
  /** Which tests of the suites run; default all. */
  select?: TestSelection;
  /**
   * Write results.json, junit.xml and results.ktap here (created) at the end, and results.jsonl
   * as the run goes (each test and hook as it begins, each result as it ends). Default: no files.
   */
  reportDir?: string;
  /** Default per-test timeout: ms. Default 60000 (suites raise their own where they need more). */
  testTimeoutMs?: number;
  /** Run a failed test again up to this many times (see SuiteRunOptions.retries). Default 0. */
  retries?: number;
  /** What the caller knows about the kernel (the lab built it); the release defaults to what the agent reports. */
  kernel?: { release?: string; variant?: string; seriesLength?: number; patches?: string[]; configSha256?: string; expected?: KernelUnderTest['expected'] };
  /**
   * What made the run, for results.json's `meta`: default this checkout's identity and this
   * process's command line (the lab's guest passes the host's, which it cannot see).
   */
  made?: { tool?: RunMetadata['tool']; command?: string[] };
  /** Lab tools on the target; default from the target config's `tools:`. */
  tools?: TargetTools;
  /** Prefix of the summary lines (`lab`, `run`). */
  label: string;
  /** Terminal output. Default stdout. */
  out?: NodeJS.WritableStream;
  /** Known failures the run accepts until their dates (results/waivers.ts); expired ones fail the run. */
  waivers?: readonly Waiver[];
  /** Each results.jsonl line as the run writes it (report dir or not), e.g. for the LAVA reporter. */
  onJournal?: (line: JournalLine) => void;
}

/**
 * Run suites against one target: the one path behind both `ffs-lab run` and the lab's guest, so
 * the lab tests exactly what users run on hardware.
 *
 * 1. Start an agent (over a fresh connection) to learn the kernel release and UDCs and to
 *    probe the features (skipped, features `unknown`, when the target has no probe binary);
 *    that agent then follows the kernel log for the whole run.
 * 2. Run the suites with mocha; each suite starts its own agents through the context.
 * 3. Check that no ffs-lab gadget is left in the target's configfs.
 * 4. Write the reports and print the totals (results.jsonl is written from the start, test by
 *    test, so a run that never gets here can still be reported: results-recovery).
 *
 * Returns the exit code: 0 passed, 1 a test failed, 3 infrastructure (a test ended on an
 * infrastructure error and none failed, or a gadget was left behind), 4 all skipped.
 * Throws LabError when the target cannot be reached or the agent not started (exit 3).
 */
export async function runOnTarget(o: RunOnTargetOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  if (o.reportDir) fs.mkdirSync(o.reportDir, { recursive: true });
  const file = o.reportDir ? ResultsJournal.create(path.join(o.reportDir, JOURNAL_FILE), (err) => out.write(`(${JOURNAL_FILE} is no longer written: ${err.message})\n`)) : undefined;
  const partial = o.reportDir ? new PartialReports(o.reportDir) : undefined;
  const listeners = [o.onJournal, partial && ((l: JournalLine) => partial.line(l))].filter((f): f is (l: JournalLine) => void => f !== undefined);
  const journal: JournalSink | undefined = file || listeners.length
    ? {
        write: (line) => {
          file?.write(line);
          const stamped = { ...line, at: Date.now() } as JournalLine;
          for (const f of listeners) f(stamped);
        },
      }
    : undefined;
  // Every gadget of this run is looked for on the target's port only (lab config usb.port).
  confineToUsbPort(o.target.config.usb?.port);
  try {
    return await runJournaled(o, out, journal);
  } finally {
    confineToUsbPort(undefined);
    file?.close();
  }
}

/** Where the run's journal lines go: the file, a listener, or both. */
type JournalSink = Pick<ResultsJournal, 'write'>;

async function runJournaled(o: RunOnTargetOptions, out: NodeJS.WritableStream, journal: JournalSink | undefined): Promise<number> {
  const say = (line: string) => out.write(`${line}\n`);
  const started = new Date();
  const t = o.target;
  const tools = o.tools ?? toolsOf(t);
  const launch = () => launchAgent(() => t.makeTransport(), { argv: t.agentArgv, targetName: t.name, timeoutMs: Math.min(t.commandTimeoutMs, 120_000) });
  // The latest agent a suite started: its log goes into the report of a test that fails.
  let latest: AgentHandle | undefined;
  const startAgent = async () => (latest = await launch());

  // This first agent probes the target, then follows its kernel log for the whole run (one
  // agent start less: seconds on a TCG lab). Suites never see it.
  const probe = await launch();
  let features: KernelFeatures;
  let hello;
  try {
    hello = probe.agent.hello!;
    const udc = t.config.udc;
    if (udc !== undefined && !hello.udcs.includes(udc)) {
      throw infraError(`UDC '${udc}' is not present on ${t.description} (UDCs there: ${hello.udcs.join(', ') || 'none'})`, 'is the UDC driver loaded and the board in peripheral mode? (lab config: udc)');
    }
    const probeBinary = o.tools?.ffsFeatures ?? t.config.tools?.ffsFeatures ?? (t.config.tools?.dir ? path.posix.join(t.config.tools.dir, 'ffs-features') : undefined);
    features = probeBinary ? await probe.agent.call('features', { probe: probeBinary }, t.commandTimeoutMs) : notProbed();
  } catch (err) {
    await probe.close();
    throw err;
  }

  const kernel: RunResults['kernel'] = {
    release: o.kernel?.release ?? hello.kernelRelease,
    ...(o.kernel?.variant !== undefined ? { variant: o.kernel.variant } : {}),
    ...(hello.machine ? { machine: hello.machine, pageSize: hello.pageSize, agentArch: hello.processArch } : {}),
    features: { mmap: features.mmap, dmabuf: features.dmabuf },
    ...(o.kernel?.configSha256 ? { configSha256: o.kernel.configSha256 } : {}),
    ...(o.kernel?.patches ? { patches: o.kernel.patches } : {}),
  };
  const waivers = o.waivers ? new WaiverBook(o.waivers, kernel.release) : undefined;
  const meta: RunMetadata = { tool: o.made?.tool ?? toolIdentity(), command: o.made?.command ?? process.argv.slice(2), target: t.description, host: hostIdentity() };
  journal?.write({ event: 'run', kernel, meta, startedAt: started.toISOString() });
  const expected = o.kernel?.expected ?? t.config.features;
  const ctx: LabContext = {
    kernel: {
      release: o.kernel?.release ?? hello.kernelRelease,
      pageSize: hello.pageSize ?? 4096,
      ...(hello.maxPageOrder !== undefined ? { maxPageOrder: hello.maxPageOrder } : {}),
      ...(hello.machine ? { machine: hello.machine, agentArch: hello.processArch } : {}),
      ...(o.kernel?.variant !== undefined ? { variant: o.kernel.variant } : {}),
      ...(o.kernel?.seriesLength !== undefined ? { seriesLength: o.kernel.seriesLength } : {}),
      ...(o.kernel?.patches !== undefined ? { patches: o.kernel.patches } : {}),
      features,
      ...(expected ? { expected } : {}),
    },
    ...(tools ? { tools } : {}),
    ...(t.config.udc !== undefined ? { udc: t.config.udc } : {}),
    usb: { ...t.config.usb, enumerateTimeoutMs: t.config.usb?.enumerateTimeoutMs ?? DEFAULT_ENUMERATE_TIMEOUT_MS },
    targetDescription: t.description,
    startAgent,
    target: t.config,
  };
  say(
    `kernel ${ctx.kernel.release}${o.kernel?.variant ? ` (${o.kernel.variant})` : ''} on ${t.description}${ctx.kernel.machine ? ` (${ctx.kernel.machine}, ${ctx.kernel.pageSize / 1024} KiB pages, ${ctx.kernel.agentArch} agent)` : ''}: mmap zero-copy ${features.mmap} (${features.mmapProbe}), ` +
      `DMABUF ${features.dmabuf} (attach: ${features.dmabufProbe}); suites: ${o.suites.map((s) => s.name).join(', ')}`,
  );

  const infrastructure = new Set<string>();
  const monitor = await KernelMonitor.start(probe, t.commandTimeoutMs).catch((err: Error) => {
    say(`(kernel log not followed per test: ${err.message})`);
    return undefined;
  });
  setLabContext(ctx);
  let tests;
  try {
    tests = await runSuites(o.suites, {
      ...(o.select ? { select: o.select } : {}),
      ...(o.testTimeoutMs ? { timeoutMs: o.testTimeoutMs } : {}),
      ...(o.retries ? { retries: o.retries } : {}),
      out,
      onInfrastructureError: (_r, err) => infrastructure.add(err.message),
      ...(monitor ? { kernelMonitor: monitor } : {}),
      failureLog: () => (latest && latest.agent.log.length ? `agent log (last lines):\n${latest.agent.log.join('\n')}` : undefined),
      ...(journal ? { journal } : {}),
      ...(waivers ? { waive: (r: TestResult, stopped?: readonly string[]) => waivers.mark(r, stopped) } : {}),
    });
  } finally {
    setLabContext(undefined);
    await monitor?.close();
  }
  if (monitor?.failure) say(`(the kernel log was followed only until: ${monitor.failure})`);
  // Without the per-test kernel log, a failure gets the end of dmesg instead.
  if ((!monitor || monitor.failure) && tests.some((x) => x.status === 'failed' || x.status === 'error')) await attachDmesg(tests, launch, t.commandTimeoutMs, say);
  const leftovers = await leftoverGadgets(t).catch((err: Error) => {
    infrastructure.add(`cannot check the target's configfs after the run: ${err.message}`);
    return [];
  });
  if (leftovers.length > 0) infrastructure.add(`gadget(s) left in ${GADGET_ROOT} on ${t.description} after the run: ${leftovers.join(', ')}`);

  const run = finishedRun({ meta, kernel, tests, started, ended: new Date() });
  if (o.waivers) run.waivers = { given: o.waivers.length, expired: waivers!.expired };
  if (o.reportDir) writeReports(o.reportDir, run);
  const tot = run.totals;
  say(`\n${o.label}: ${tot.passed} passed${tot.flaky ? ` (${tot.flaky} flaky: passed only on a retry)` : ''}, ${tot.failed + tot.errors} failed${tot.waived ? ` (${tot.waived} waived)` : ''}, ${tot.skipped} skipped`);
  if (tot.errors) say(`${o.label}: ${tot.errors} of the failures are errors (infrastructure or hooks)`);
  for (const m of infrastructure) say(`${o.label}: infrastructure: ${m}`);
  for (const w of waivers?.expired ?? []) say(`${o.label}: waiver for ${w.id} expired on ${w.expires} (${w.reason}): it waives nothing and fails the run; renew or remove it`);
  const failedAssertions = tests.filter((x) => x.status === 'failed' && !x.waiver).length;
  const code = verdict(exitCodeOf(tot), failedAssertions, infrastructure.size > 0);
  // An expired waiver fails a run that would otherwise pass.
  return (waivers?.expired.length ?? 0) > 0 && (code === ExitCode.Ok || code === ExitCode.AllSkipped) ? ExitCode.TestFailed : code;
}

/**
 * The exit code of a run: an assertion failure is a verdict on the kernel and wins (1); failing
 * only on infrastructure (no enumeration, SSH lost, a gadget left behind) is 3, as documented.
 */
export function verdict(code: number, failedAssertions: number, infrastructure: boolean): number {
  if (!infrastructure) return code;
  return failedAssertions > 0 ? ExitCode.TestFailed : ExitCode.Infrastructure;
}

/** Kernel log lines attached to each failed test: the end of dmesg is where a failure's trace is. */
const DMESG_TAIL_LINES = 200;

/** Attach the end of the target's kernel log to every failed or errored test (best effort). */
async function attachDmesg(tests: TestResult[], launch: () => Promise<AgentHandle>, timeoutMs: number, say: (line: string) => void): Promise<void> {
  let dmesg: string;
  try {
    const h = await launch();
    try {
      dmesg = (await h.agent.call('kernel.log', {}, timeoutMs)).dmesg;
    } finally {
      await h.close();
    }
  } catch (err) {
    say(`(could not read the target's kernel log for the failure reports: ${(err as Error).message})`);
    return;
  }
  const tail = `dmesg (last ${DMESG_TAIL_LINES} lines after the run):\n${dmesg.trimEnd().split('\n').slice(-DMESG_TAIL_LINES).join('\n')}`;
  for (const x of tests) if (x.status === 'failed' || x.status === 'error') x.log = x.log ? `${x.log}\n${tail}` : tail;
}

/** Tool paths from the target config, when all three are known (a `dir`, or each one). */
function toolsOf(t: Target): TargetTools | undefined {
  const c = t.config.tools;
  if (!c) return undefined;
  const inDir = (f: string) => (c.dir ? path.posix.join(c.dir, f) : undefined);
  const ffsTest = c.ffsTest ?? inDir('ffs-test');
  const testusb = c.testusb ?? inDir('testusb');
  const ffsFeatures = c.ffsFeatures ?? inDir('ffs-features');
  // The AIO examples may be missing from a dir (built for x86_64 only): the suite checks on the target.
  const aioSimple = c.aioSimple ?? inDir('aio-simple');
  const aioMultibuff = c.aioMultibuff ?? inDir('aio-multibuff');
  return ffsTest && testusb && ffsFeatures ? { ffsTest, testusb, ffsFeatures, ...(aioSimple ? { aioSimple } : {}), ...(aioMultibuff ? { aioMultibuff } : {}) } : undefined;
}

/** Features of a target without the probe binary: unknown, and the reports say why. */
function notProbed(): KernelFeatures {
  const why = 'not probed: no ffs-features probe on this target (lab config tools.ffsFeatures)';
  return { mmap: 'unknown', mmapProbe: why, ep0MmapProbe: why, dmabuf: 'unknown', dmabufProbe: why };
}

/** Names of ffs-lab gadgets (prefix `ffslab-`) in the target's configfs; none when configfs is absent. */
export async function leftoverGadgets(t: Target): Promise<string[]> {
  const transport = t.makeTransport();
  await transport.connect();
  try {
    const script = 'for d in "$1"/"$2"*; do [ -d "$d" ] && echo "${d##*/}"; done; exit 0';
    const r = await transport.exec(['sh', '-c', script, 'sh', GADGET_ROOT, GADGET_PREFIX], { timeoutMs: t.commandTimeoutMs });
    return r.stdout.split('\n').filter(Boolean);
  } finally {
    await transport.close();
  }
}
