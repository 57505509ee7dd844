import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { parseResults } from '../src/results/compare';
import { guestfsStubDir, lavaDispatcherRoot, lavaPythonDir } from '../test/lava-dispatcher';
import { startSshd } from '../test/sshd-fixture';

const REPO = path.resolve(__dirname, '..', '..', '..');

/** One `results` line of lava-run's log: what a LAVA server would store for a case. */
interface LavaResult {
  case: string;
  definition: string;
  result: string;
  set?: string;
}

/**
 * A whole LAVA job, run by Debian's lava-run (lava-dispatcher 2023.01, extracted into the
 * cache) on this machine: LAVA's `ssh` device type is this machine over a loopback sshd;
 * lava-run clones this checkout's git HEAD for the test definition (integrations/lava/
 * ffs-lab.yaml), copies its overlay over SSH, and the test shell runs the definition, which runs
 * `ffs-lab lab --lava` with the smoke selection of kernel-info: the embedded lab boots, and LAVA
 * records what ffs-lab sends through LAVA's own helper scripts.
 */
test('a real lava-run: LAVA deploys the test definition over SSH, the lab runs in its test shell, and LAVA\'s results are ffs-lab\'s', { timeout: 600_000 }, async (t) => {
  const lavaRoot = lavaDispatcherRoot();
  const sshd = await startSshd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-lava-run-'));
  // LAVA's ssh deployment unpacks its overlay at / of the device (here this machine): a job ID of its own, removed after.
  const jobId = String(900_000 + (process.pid % 100_000));
  const leftovers = () => fs.readdirSync('/').filter((f) => f === `lava-${jobId}` || f.startsWith(`lava-${jobId}-overlay`)).map((f) => path.join('/', f));
  try {
    const device = {
      device_type: 'ssh',
      constants: {
        'shutdown-message': 'The system is going down for reboot NOW',
        'kernel-start-message': 'Linux version [0-9]',
        'default-shell-prompt': 'lava-test: # ',
        failure_retry: 1,
        boot_retry: 1,
        spawn_maxread: '4092',
        posix: { lava_test_sh_cmd: '/bin/sh', lava_test_results_dir: '/lava-%s', lava_test_shell_file: '~/.bashrc' },
      },
      commands: { connect: '' },
      actions: {
        deploy: { connections: { ssh: null, serial: null }, methods: { ssh: { host: '127.0.0.1', port: sshd.port, user: 'root', identity_file: sshd.clientKey, options: ['-o', 'PasswordAuthentication=no', '-o', 'LogLevel=FATAL'] } } },
        boot: { connections: { ssh: null, serial: null }, methods: { ssh: null } },
      },
      timeouts: { actions: {}, connections: {} },
    };
    const job = {
      device_type: 'ssh',
      job_name: 'ffs-lab over ssh (loopback)',
      timeouts: { job: { minutes: 9 }, action: { minutes: 8 }, connection: { minutes: 2 } },
      priority: 'medium',
      visibility: 'public',
      actions: [
        { deploy: { to: 'ssh', os: 'debian', timeout: { minutes: 2 } } },
        { boot: { method: 'ssh', connection: 'ssh', prompts: ['root@'], timeout: { minutes: 2 } } },
        {
          test: {
            timeout: { minutes: 8 },
            definitions: [{ repository: REPO, from: 'git', path: 'integrations/lava/ffs-lab.yaml', name: 'ffs-lab', parameters: { FFS_LAB_DIR: REPO, FFS_LAB_VERB: 'lab', FFS_LAB_ARGS: '--tag smoke --suite kernel-info --accel tcg' } }],
          },
        },
      ],
    };
    fs.writeFileSync(path.join(dir, 'device.yaml'), stringify(device));
    fs.writeFileSync(path.join(dir, 'job.yaml'), stringify(job));
    fs.mkdirSync(path.join(dir, 'out'));
    const lavaRun = path.join(lavaRoot, 'usr', 'bin', 'lava-run');
    const started = Date.now();
    const r = await run('/usr/bin/python3', [lavaRun, '--job-id', jobId, '--output-dir', path.join(dir, 'out'), '--device', path.join(dir, 'device.yaml'), path.join(dir, 'job.yaml')], {
      ...process.env,
      PYTHONPATH: [guestfsStubDir(), lavaPythonDir(lavaRoot)].join(path.delimiter),
    });
    // lava-run logs one YAML mapping per line on stderr.
    const log = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    const results = log.map((l) => parseYaml(l) as { lvl?: string; msg?: unknown }).filter((l) => l.lvl === 'results').map((l) => l.msg as LavaResult);
    const tail = log.slice(-15).join('\n');
    assert.equal(r.code, 0, `lava-run exit ${r.code}:\n${tail}\n${r.stdout.slice(-2000)}`);
    assert.deepEqual(results.find((x) => x.case === 'job')?.result, 'pass', tail);
    // What ffs-lab sent, as LAVA stored it: kernel-info's smoke cases in their set, and the verdict.
    const ours = results.filter((x) => x.definition === '0_ffs-lab');
    const kernelInfo = ours.filter((x) => x.set === 'kernel-info');
    assert.deepEqual(kernelInfo.map((x) => x.case).sort(), ['agent-home-tmpfs', 'dmabuf-matches-release', 'ep0-mmap-enodev', 'mmap-matches-build', 'release']);
    assert.equal(ours.find((x) => x.case === 'ffs-lab-verdict')?.result, 'pass');
    // ffs-lab's own report (kept under the test shell's LAVA_RESULT_DIR) agrees case by case.
    const reportFile = findFile(`/lava-${jobId}`, 'results.json');
    assert.ok(reportFile, `no results.json under /lava-${jobId}`);
    const report = parseResults(fs.readFileSync(reportFile, 'utf8'), 'results.json');
    assert.deepEqual(
      kernelInfo.map((x) => [x.case, x.result]).sort(),
      report.tests.map((x) => [x.id!.slice('kernel-info.'.length), { passed: 'pass', failed: 'fail', error: 'fail', skipped: 'skip' }[x.status]]).sort(),
    );
    t.diagnostic(`lava-run: ${results.length} results, ${kernelInfo.length} kernel-info cases (${kernelInfo.map((x) => x.result).join(' ')}), job ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    for (const f of leftovers()) fs.rmSync(f, { recursive: true, force: true });
    fs.rmSync(path.join('/var/lib/lava/dispatcher/tmp', jobId), { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
    await sshd.stop();
  }
});

function findFile(dir: string, name: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name === name) return p;
    if (e.isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    }
  }
  return undefined;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
