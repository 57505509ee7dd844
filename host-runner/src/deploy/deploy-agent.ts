import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchAgent } from '../agent/agent-launch';
import { infraError, usageError } from '@ffs-lab/contract/exit-codes';
import type { Target } from '../run/target';
import { installDirOf } from '../run/target';
import { SshTransport } from '../transport/ssh-transport';
import { Progress, formatDuration } from '@ffs-lab/host-util/progress';
import { BUNDLE_ARCHES, MIN_NODE, packAgent } from './agent-bundle';
import { bundleDeployFiles } from './deploy-files';
import { cpuArchOfNode } from '@ffs-lab/host-util/cpu-arch';
import { installDirProblem } from './install-dir';
import { checkInstallDir } from './remote-install-dir';
import { uploadFiles } from './sftp-upload';

/** Options of {@link deployAgent}. */
export interface DeployOptions {
  target: Target;
  /**
   * Install dir on the target; default the target's agent.installDir, else /opt/ffs-lab. It must
   * pass {@link installDirProblem}, and on the target be new, empty, or marked by an earlier deploy.
   */
  installDir?: string;
  /** An agent bundle made by `ffs-lab pack-agent` for the target's architecture. Default: pack one now. */
  bundle?: string;
  /** Progress lines. Default stderr. */
  log?: (line: string) => void;
}

/**
 * `ffs-lab deploy`: put the agent on an ssh target that has Node.js. Asks the target's Node
 * version and architecture, packs the agent bundle for it (or takes `bundle`), uploads its files
 * into the install dir's bin/ with SFTP, then starts the agent and checks that it answers
 * `hello`. Nothing is built or fetched on the target. Returns the exit code (0); failures are
 * LabErrors (2 usage, 3 target).
 */
export async function deployAgent(o: DeployOptions): Promise<number> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const t = o.target;
  if (t.config.transport.type !== 'ssh') throw usageError(`deploy needs an ssh target; '${t.name}' is ${t.config.transport.type} (on this machine the checkout's agent runs as it is)`);
  const dir = o.installDir ?? installDirOf(t.config);
  const problem = installDirProblem(dir);
  if (problem) throw usageError(`install dir ${JSON.stringify(dir)} is refused: ${problem}`, 'deploy replaces bin/ there: give it a directory of its own, e.g. /opt/ffs-lab');
  const given = o.bundle ? bundleDeployFiles(o.bundle) : undefined;
  const node = t.config.agent?.command?.[0] ?? t.config.agent?.node ?? 'node';
  const started = Date.now();

  const transport = t.makeTransport() as SshTransport;
  log(`deploy: connecting to ${t.description}`);
  await transport.connect();
  let packed: string | undefined;
  try {
    const v = await transport.exec([node, '-p', 'process.versions.node + " " + process.arch'], { timeoutMs: t.commandTimeoutMs });
    if (v.code === 127) throw infraError(`'${node}' not found on ${t.description}: install Node.js >= ${MIN_NODE.join('.')} there (or set agent.node)`);
    if (v.code !== 0) throw infraError(`'${node} -p' failed on ${t.description} (exit ${v.code ?? v.signal}): ${lastLine(v.stderr)}`);
    const [version, nodeArch] = v.stdout.trim().split(' ');
    const [major = 0, minor = 0] = (version ?? '').split('.').map(Number);
    if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) throw infraError(`Node.js ${version} on ${t.description} is too old: the agent needs >= ${MIN_NODE.join('.')}`);
    const arch = cpuArchOfNode(nodeArch ?? '');
    if (!arch) throw infraError(`no agent bundle for ${t.description}'s architecture (node's process.arch is ${nodeArch}): pack-agent builds ${BUNDLE_ARCHES.join(', ')}`);
    log(`deploy: target has Node.js ${version} (${arch}); installing into ${dir}`);

    const prepareInstallDir = await checkInstallDir(transport, dir, t.commandTimeoutMs);
    let bundle = given;
    if (!bundle) {
      packed = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lab-bundle-'));
      await packAgent(arch, path.join(packed, 'bundle'), log);
      bundle = bundleDeployFiles(path.join(packed, 'bundle'));
    } else if (bundle.manifest.arch !== arch) {
      throw usageError(`the bundle ${o.bundle} is for ${bundle.manifest.arch}, and ${t.description} is ${arch}`, `pack one with ffs-lab pack-agent --arch ${arch}`);
    }

    // The old install goes first (bin/, and what an npm-based deploy left), so nothing lingers.
    await prepareInstallDir();

    const { files } = bundle;
    const bytes = files.reduce((n, f) => n + f.content.length, 0);
    log(`deploy: uploading the agent bundle (${files.length} files, ${(bytes / 1e6).toFixed(2)} MB) over SFTP`);
    const progress = new Progress(process.stderr, 2_000);
    const sftp = await transport.sftp();
    try {
      await uploadFiles(sftp, dir, files, (done, total) => progress.update(`deploy: uploaded ${done}/${total} files`));
    } finally {
      sftp.end();
    }
    progress.done(`deploy: uploaded ${files.length} files`);

    const h = await launchAgent(() => t.makeTransport(), { argv: t.config.agent?.command ?? [node, path.posix.join(dir, 'bin', 'ffs-lab-agent.js')], targetName: t.name, timeoutMs: t.commandTimeoutMs });
    const hello = h.agent.hello!;
    try {
      // hello needs no addon: load it (every symbol is bound at load), so a board whose C library
      // or node cannot take this build fails here, not in the middle of the suites.
      await h.agent.call('mmap.buffer', { kind: 'anonymous', bytes: 4096 }, t.commandTimeoutMs);
      await h.agent.call('mmap.reset', {}, t.commandTimeoutMs);
    } catch (e) {
      throw infraError(`the agent answers on ${t.description}, but its addon does not work there: ${(e as Error).message}`, 'the bundle is built with Debian 12\'s toolchains (glibc 2.36, ARMv7 for armhf): the board needs that C library or newer');
    } finally {
      await h.close();
    }
    log(`deploy: agent ${hello.agentVersion} answers on ${t.description} (protocol ${hello.protocol}, kernel ${hello.kernelRelease}, UDCs: ${hello.udcs.join(', ') || 'none'}) after ${formatDuration((Date.now() - started) / 1000)}`);
    return 0;
  } finally {
    if (packed) fs.rmSync(packed, { recursive: true, force: true });
    await transport.close();
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() || 'no output';
}
