import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GuestJob } from '../../../fixtures/lab/src/guest-job';
import { seriesPatches } from '../../../fixtures/kernel/src/kernel-variant';
import { SshTransport } from '../transport/ssh-transport';
import { setLabContext, startAgentOver, type LabContext } from '../suite-runner/lab-context';
import { runSuites } from '../suite-runner/mocha-runner';
import { selectSuites } from '../suite-runner/suite-catalog';
import { exitCodeOf, totalsOf, type RunResults } from '../results/results';
import { writeReports } from '../results/write-reports';
import { LabError } from '../cli/exit-codes';

/** The repository root inside the VM (same path as on the host). */
const REPO = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * Inside the lab VM: reach the gadget agent over SSH on 127.0.0.1 (keys made by init for this
 * boot, host key verified), probe the kernel, run the suites, write the reports into the share.
 */
export async function runGuestJob(jobFile: string): Promise<number> {
  const job = JSON.parse(fs.readFileSync(jobFile, 'utf8')) as GuestJob;
  const started = new Date();
  const suites = selectSuites(job.suites);
  const makeTransport = () =>
    new SshTransport({
      host: '127.0.0.1',
      username: 'root',
      privateKeyPath: path.join(job.sshDir, 'client_ed25519'),
      knownHostsPath: path.join(job.sshDir, 'known_hosts'),
    });
  const agentArgv = [process.execPath, path.join(REPO, 'bin', 'ffs-lab-agent.js')];

  let features;
  try {
    const probe = await startAgentOver(makeTransport, agentArgv);
    try {
      features = await probe.agent.call('features', { probe: job.tools.ffsFeatures });
    } finally {
      await probe.close();
    }
  } catch (err) {
    const msg = err instanceof LabError ? err.message : (err as Error).message;
    process.stdout.write(`guest: cannot reach the gadget agent: ${msg}\n`);
    return 3;
  }
  const ctx: LabContext = {
    kernel: { release: job.kernel.release, variant: job.kernel.variant, ...(job.kernel.variant === 'image' ? {} : { seriesLength: job.kernel.variant === 'vanilla' ? 0 : seriesPatches().length }), features },
    tools: job.tools,
    targetDescription: 'ssh://root@127.0.0.1:22',
    startAgent: () => startAgentOver(makeTransport, agentArgv),
  };
  process.stdout.write(
    `kernel ${ctx.kernel.release} (${job.kernel.variant}): mmap zero-copy ${features.mmap} (${features.mmapProbe}), ` +
      `DMABUF ${features.dmabuf} (attach: ${features.dmabufProbe}); suites: ${suites.map((s) => s.name).join(', ')}\n`,
  );
  setLabContext(ctx);
  const tests = await runSuites(suites, job.grep ? { grep: job.grep } : {});
  setLabContext(undefined);
  const run: RunResults = {
    kernel: { release: ctx.kernel.release, variant: job.kernel.variant, features: { mmap: features.mmap, dmabuf: features.dmabuf } },
    totals: totalsOf(tests),
    tests,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
  };
  writeReports(job.reportDir, run);
  const t = run.totals;
  process.stdout.write(`\nlab: ${t.passed} passed, ${t.failed + t.errors} failed, ${t.skipped} skipped\n`);
  if (t.errors) process.stdout.write(`lab: ${t.errors} of the failures are errors (infrastructure or hooks)\n`);
  return exitCodeOf(t);
}
