import * as fs from 'node:fs';
import * as path from 'node:path';
import { labUdc, SANITIZER_VARIANTS } from '@ffs-lab/fixtures/kernel/kernel-variant';
import type { GuestJob } from '@ffs-lab/fixtures/lab/guest-job';
import type { TargetConfig } from '../config/lab-config';
import { launchAgent } from '../agent/agent-launch';
import { deployAgent } from '../deploy/deploy-agent';
import { DOCTOR_FILE, runDoctor } from '../doctor/doctor';
import type { AgentHandle } from '../suite-runner/lab-context';
import { runOnTarget } from '../run/run-on-target';
import { targetOf } from '../run/target';
import { selectSuites } from '../suite-runner/suite-catalog';
import { ExitCode } from '@ffs-lab/contract/exit-codes';
import { checkRunningKernel, KERNEL_CHECK_FILE } from '@ffs-lab/fixtures/kernel/guest-kernel-check';

/** The repository root inside the VM (same path as on the host). */
const REPO = path.resolve(__dirname, '..', '..', '..', '..');

/** Where `lab --agent-bundle` deploys the agent in the VM (tmpfs, like a board's fresh install dir). */
export const BUNDLE_INSTALL_DIR = '/tmp/ffs-lab-agent';

/**
 * The lab's target, as a lab config would describe it: ssh://root@127.0.0.1 with the key and
 * known_hosts init made for this boot (host key verified), and this checkout's agent, or with
 * `--agent-bundle` the bundle deployed into {@link BUNDLE_INSTALL_DIR}.
 */
export function labTargetConfig(job: Pick<GuestJob, 'sshDir' | 'cpuProfDir' | 'directIoDir' | 'agentBundle' | 'agentNode'> & { kernel?: Pick<GuestJob['kernel'], 'variant'> }): TargetConfig {
  // --cpu-prof: node writes each agent's profile when it exits (the agent exits normally on shutdown).
  const prof = job.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${job.cpuProfDir}`] : [];
  return {
    name: 'lab',
    transport: {
      type: 'ssh',
      host: '127.0.0.1',
      port: 22,
      user: 'root',
      identity: path.join(job.sshDir, 'client_ed25519'),
      knownHosts: path.join(job.sshDir, 'known_hosts'),
      // KASAN and friends (or KCSAN's watchpoint delays) make node start several times slower on
      // TCG (an agent's hello took over 60 s on a loaded machine): give those kernels four times
      // the default.
      ...(job.kernel && SANITIZER_VARIANTS.includes(job.kernel.variant) ? { commandTimeoutMs: 240_000 } : {}),
    },
    agent: { command: [job.agentNode ?? process.execPath, ...prof, job.agentBundle ? path.join(BUNDLE_INSTALL_DIR, 'bin', 'ffs-lab-agent.js') : path.join(REPO, 'bin', 'ffs-lab-agent.js')] },
    udc: labUdc(job.kernel?.variant),
    ...(job.directIoDir ? { directIoDir: job.directIoDir } : {}),
  };
}

/**
 * Inside the lab VM: run the suites on the lab target through the same path as `ffs-lab run`
 * (runOnTarget), with what the lab knows about its kernel, and write the reports into the share.
 */
export async function runGuestJob(jobFile: string): Promise<number> {
  const job = JSON.parse(fs.readFileSync(jobFile, 'utf8')) as GuestJob;
  if (job.doctor) return guestDoctor(job);
  const variant = job.kernel.variant;
  const seriesLength = job.kernel.seriesLength;
  // Before any suite: a kernel that cannot run the lab is named as such, not failed test by test.
  const check = checkRunningKernel();
  if (check.lacking.length > 0) {
    for (const line of check.lacking) process.stderr.write(`ffs-lab: kernel ${job.kernel.release}: ${line}\n`);
    process.stderr.write(`ffs-lab: kernel ${job.kernel.release} cannot run the lab (checked ${check.source}); no suite ran\n`);
    fs.writeFileSync(path.join(job.reportDir, KERNEL_CHECK_FILE), check.lacking.join('\n') + '\n');
    return ExitCode.Usage;
  }
  const target = targetOf(labTargetConfig(job));
  if (job.agentBundle) {
    // As to a board: nothing of the checkout's agent is used past this point.
    await deployAgent({ target, installDir: BUNDLE_INSTALL_DIR, bundle: job.agentBundle });
  }
  return runOnTarget({
    target,
    suites: selectSuites(job.suites),
    ...(job.select ? { select: job.select } : {}),
    ...(job.retries ? { retries: job.retries } : {}),
    ...(job.waivers ? { waivers: job.waivers } : {}),
    reportDir: job.reportDir,
    kernel: {
      release: job.kernel.release,
      variant,
      // A tree or prebuilt image is of unknown origin: no expectation.
      ...(job.kernel.patches ? { patches: job.kernel.patches } : {}),
      ...(job.kernel.configSha256 ? { configSha256: job.kernel.configSha256 } : {}),
      ...(seriesLength === undefined ? {} : { seriesLength, expected: { mmap: seriesLength > 0 ? 'present' : 'absent', dmabuf: dmabufExpected(job.kernel.release) } }),
    },
    tools: { ...job.tools, ...(job.cPair ? { cPair: job.cPair } : {}) },
    ...(job.made ? { made: job.made } : {}),
    label: 'lab',
  });
}

/**
 * `lab --doctor`: doctor on the lab target, as on a board (no kernel check first: diagnosing is
 * doctor's job). `udc-busy` first binds a gadget of another agent session to the lab's UDC and
 * keeps it there while doctor runs; closing that session removes it.
 */
async function guestDoctor(job: GuestJob): Promise<number> {
  const target = targetOf(labTargetConfig(job));
  let holder: AgentHandle | undefined;
  try {
    if (job.doctor?.break === 'udc-busy') {
      holder = await launchAgent(() => target.makeTransport(), { argv: target.agentArgv, targetName: target.name, timeoutMs: target.commandTimeoutMs });
      await holder.agent.call('function.create', { gadget: { name: 'holder', vendorId: 0x1d6b, productId: 0x01d1, manufacturer: 'ffs-lab', product: 'doctor-break udc-busy', serial: 'holder', function: 'holder' } });
      await holder.agent.call('gadget.bind', { udc: target.config.udc! });
    }
    return await runDoctor(target, process.stdout, path.join(job.reportDir, DOCTOR_FILE));
  } finally {
    await holder?.close();
  }
}

/** FunctionFS DMABUF arrived in Linux 6.9: expected on releases from 6.9 on, absent before. */
export function dmabufExpected(release: string): 'present' | 'absent' {
  const [major = 0, minor = 0] = release.split(/[.-]/).map((x) => Number(x));
  return major > 6 || (major === 6 && minor >= 9) ? 'present' : 'absent';
}
