import * as path from 'node:path';
import * as readline from 'node:readline';
import { launchAgent } from '../agent/agent-launch';
import { infraError, usageError } from '../../../contract/src/exit-codes';
import type { Target } from '../run/target';
import { installDirOf } from '../run/target';
import { SshTransport } from '../transport/ssh-transport';
import { settlesWithin } from '../transport/process-lifecycle';
import { Progress, formatDuration } from '../../../host-util/src/progress';
import { deployFiles } from './deploy-files';
import { installDirProblem } from './install-dir';
import { prepareInstallDir } from './remote-install-dir';
import { uploadFiles } from './sftp-upload';

/** This checkout (the file is dist/host-runner/src/deploy/deploy-agent.js). */
const REPO = path.resolve(__dirname, '..', '..', '..', '..');

/** Options of {@link deployAgent}. */
export interface DeployOptions {
  target: Target;
  /**
   * Install dir on the target; default the target's agent.installDir, else /opt/ffs-lab. It must
   * pass {@link installDirProblem}, and on the target be new, empty, or marked by an earlier deploy.
   */
  installDir?: string;
  /** Limit for `npm ci` on the target: ms. Default 900000 (building an addon on a small board takes minutes). */
  installTimeoutMs?: number;
  /** Progress lines. Default stderr. */
  log?: (line: string) => void;
  /** The checkout to deploy. Default this one. */
  repo?: string;
}

/** Node.js major version the agent needs (package.json engines). */
const MIN_NODE_MAJOR = 20;

/**
 * `ffs-lab deploy`: put the agent on an ssh target that has Node.js. Uploads package.json,
 * package-lock.json, bin/, dist/ and native/ sources with SFTP, runs `npm ci --omit=dev --omit=optional` there
 * (which builds native code for the target's architecture), then starts the agent and checks
 * that it answers `hello`. Returns the exit code (0); failures are LabErrors (2 usage, 3 target).
 */
export async function deployAgent(o: DeployOptions): Promise<number> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const t = o.target;
  if (t.config.transport.type !== 'ssh') throw usageError(`deploy needs an ssh target; '${t.name}' is ${t.config.transport.type} (on this machine, run npm ci in the checkout)`);
  const dir = o.installDir ?? installDirOf(t.config);
  const problem = installDirProblem(dir);
  if (problem) throw usageError(`install dir ${JSON.stringify(dir)} is refused: ${problem}`, 'deploy replaces bin/, dist/ and native/ there: give it a directory of its own, e.g. /opt/ffs-lab');
  const node = t.config.agent?.command?.[0] ?? t.config.agent?.node ?? 'node';
  const started = Date.now();
  const files = deployFiles(o.repo ?? REPO);

  const transport = t.makeTransport() as SshTransport;
  log(`deploy: connecting to ${t.description}`);
  await transport.connect();
  try {
    const v = await transport.exec([node, '-p', 'process.versions.node + " " + process.arch'], { timeoutMs: t.commandTimeoutMs });
    if (v.code === 127) throw infraError(`'${node}' not found on ${t.description}: install Node.js >= ${MIN_NODE_MAJOR} there (or set agent.node)`);
    if (v.code !== 0) throw infraError(`'${node} -p' failed on ${t.description} (exit ${v.code ?? v.signal}): ${lastLine(v.stderr)}`);
    const [version, arch] = v.stdout.trim().split(' ');
    if (Number(version?.split('.')[0]) < MIN_NODE_MAJOR) throw infraError(`Node.js ${version} on ${t.description} is too old: the agent needs >= ${MIN_NODE_MAJOR}`);
    log(`deploy: target has Node.js ${version} (${arch}); installing into ${dir}`);

    // Old trees go first, so files removed from the project do not linger; node_modules stays (npm ci replaces it).
    await prepareInstallDir(transport, dir, t.commandTimeoutMs);

    const bytes = files.reduce((n, f) => n + f.content.length, 0);
    log(`deploy: uploading ${files.length} files (${(bytes / 1e6).toFixed(1)} MB) over SFTP`);
    const progress = new Progress(process.stderr, 2_000);
    const sftp = await transport.sftp();
    try {
      await uploadFiles(sftp, dir, files, (done, total) => progress.update(`deploy: uploaded ${done}/${total} files`));
    } finally {
      sftp.end();
    }
    progress.done(`deploy: uploaded ${files.length} files`);

    log(`deploy: npm ci --omit=dev --omit=optional in ${dir} (builds native code on the target; may take minutes)`);
    await npmCi(transport, dir, o.installTimeoutMs ?? 900_000, log);

    const h = await launchAgent(() => t.makeTransport(), { argv: t.config.agent?.command ?? [node, path.posix.join(dir, 'bin', 'ffs-lab-agent.js')], targetName: t.name, timeoutMs: t.commandTimeoutMs });
    const hello = h.agent.hello!;
    await h.close();
    log(`deploy: agent ${hello.agentVersion} answers on ${t.description} (protocol ${hello.protocol}, kernel ${hello.kernelRelease}, UDCs: ${hello.udcs.join(', ') || 'none'}) after ${formatDuration((Date.now() - started) / 1000)}`);
    return 0;
  } finally {
    await transport.close();
  }
}

/** Run npm ci in `dir`, forwarding its output as progress lines; bounded by `timeoutMs`. */
async function npmCi(transport: SshTransport, dir: string, timeoutMs: number, log: (line: string) => void): Promise<void> {
  // --prefer-offline: a board re-deployed nightly gets its packages from its npm cache.
  const proc = await transport.spawn(['sh', '-c', 'cd -- "$1" && exec npm ci --omit=dev --omit=optional --no-audit --no-fund --prefer-offline', 'sh', dir]);
  proc.stdin.end();
  const tail: string[] = [];
  for (const s of [proc.stdout, proc.stderr]) {
    readline.createInterface({ input: s, crlfDelay: Infinity }).on('line', (l) => {
      if (!l.trim()) return;
      tail.push(l);
      if (tail.length > 5) tail.shift();
      log(`  npm: ${l}`);
    });
  }
  if (!(await settlesWithin(proc.exited, timeoutMs))) {
    proc.kill('TERM');
    await settlesWithin(proc.exited, 10_000);
    throw infraError(`npm ci did not finish within ${timeoutMs / 1000} s on ${transport.description}; it was killed`, 'raise --install-timeout (building native code on a small board is slow)');
  }
  const e = await proc.exited;
  if (e.code === 127) throw infraError(`npm not found on ${transport.description}: install npm (it comes with Node.js) there`);
  if (e.code !== 0) throw infraError(`npm ci failed on ${transport.description} (exit ${e.code ?? e.signal}): ${tail.slice(-1)[0] ?? 'no output'}`);
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop() || 'no output';
}
