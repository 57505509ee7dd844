import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GuestJob } from '../../../fixtures/lab/src/guest-job';
import { seriesPatches } from '../../../fixtures/kernel/src/kernel-variant';
import type { TargetConfig } from '../config/lab-config';
import { runOnTarget } from '../run/run-on-target';
import { targetOf } from '../run/target';
import { selectSuites } from '../suite-runner/suite-catalog';

/** The repository root inside the VM (same path as on the host). */
const REPO = path.resolve(__dirname, '..', '..', '..', '..');

/**
 * The lab's target, as a lab config would describe it: ssh://root@127.0.0.1 with the key and
 * known_hosts init made for this boot (host key verified), and this checkout's agent.
 */
export function labTargetConfig(job: Pick<GuestJob, 'sshDir'>): TargetConfig {
  return {
    name: 'lab',
    transport: {
      type: 'ssh',
      host: '127.0.0.1',
      port: 22,
      user: 'root',
      identity: path.join(job.sshDir, 'client_ed25519'),
      knownHosts: path.join(job.sshDir, 'known_hosts'),
    },
    agent: { command: [process.execPath, path.join(REPO, 'bin', 'ffs-lab-agent.js')] },
    udc: 'dummy_udc.0',
  };
}

/**
 * Inside the lab VM: run the suites on the lab target through the same path as `ffs-lab run`
 * (runOnTarget), with what the lab knows about its kernel, and write the reports into the share.
 */
export async function runGuestJob(jobFile: string): Promise<number> {
  const job = JSON.parse(fs.readFileSync(jobFile, 'utf8')) as GuestJob;
  const variant = job.kernel.variant;
  return runOnTarget({
    target: targetOf(labTargetConfig(job)),
    suites: selectSuites(job.suites),
    ...(job.grep ? { grep: job.grep } : {}),
    reportDir: job.reportDir,
    kernel: {
      release: job.kernel.release,
      variant,
      ...(variant === 'image' ? {} : { seriesLength: variant === 'vanilla' ? 0 : seriesPatches().length }),
      // A prebuilt image is of unknown origin: no expectation.
      ...(variant === 'image' ? {} : { expected: { mmap: variant === 'vanilla' || seriesPatches().length === 0 ? 'absent' : 'present', dmabuf: 'present' } }),
    },
    tools: job.tools,
    label: 'lab',
  });
}
