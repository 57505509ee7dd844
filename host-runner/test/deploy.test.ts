import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUNDLE_FILES, packAgent, type BundleManifest } from '../src/deploy/agent-bundle';
import { bundleDeployFiles, directoriesOf } from '../src/deploy/deploy-files';
import { INSTALL_MARKER, INSTALL_MARKER_TEXT } from '../src/deploy/install-dir';
import { uploadFiles } from '../src/deploy/sftp-upload';
import { SshTransport } from '../src/transport/ssh-transport';
import { startSshd, type Sshd } from './sshd-fixture';

const REPO = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO, 'bin', 'ffs-lab.js');

/** Run the CLI: exit code and stderr. */
function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Every path under `root` (not following links) with its kind and content: to see that nothing changed. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) out[rel] = `link ${fs.readlinkSync(abs)}`;
    else if (st.isDirectory()) {
      out[rel] = 'dir';
      for (const e of fs.readdirSync(abs).sort()) walk(path.join(rel, e));
    } else out[rel] = `file ${fs.readFileSync(abs, 'utf8')}`;
  };
  walk('.');
  return out;
}

describe('deploy refuses install dirs that are not its own, before connecting', () => {
  // Port 1 on loopback: connecting would fail with exit 3, so exit 2 shows nothing was tried.
  for (const dir of ['/usr', '/usr/local', '//', '/.', '/opt/../usr', '/opt/ffs-lab/', '/', 'opt/ffs-lab', '/etc/ffs-lab']) {
    it(`--install-dir ${JSON.stringify(dir)}: exit 2`, async () => {
      const r = await cli(['deploy', '--target', 'ssh://root@127.0.0.1:1', '--install-dir', dir]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^ffs-lab: install dir ${JSON.stringify(dir).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is refused: `));
      assert.doesNotMatch(r.stderr, /connecting/);
    });
  }

  it('agent.installDir in the config is checked when the config loads (exit 2, with its line)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-deploy-cfg-'));
    try {
      const cfg = path.join(dir, 'lab.yaml');
      fs.writeFileSync(cfg, 'targets:\n  b:\n    transport: {type: ssh, host: 127.0.0.1, port: 1, user: root}\n    agent: {installDir: /opt/../usr}\n');
      const r = await cli(['deploy', '--config', cfg]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /lab\.yaml:4: targets\.b\.agent\.installDir: expected an absolute path in normal form/);
      assert.doesNotMatch(r.stderr, /connecting/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Against a real sshd, install dirs deploy did not make are refused on the target before
 * anything there is removed or written (and before a bundle is packed: these stop early).
 */
describe('deploy checks the install dir on the target (real sshd)', () => {
  let sshd: Sshd;
  let dir: string;
  let args: (install: string) => string[];

  before(async () => {
    sshd = await startSshd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-deploy-chk-'));
    const kh = sshd.knownHosts('known_hosts', `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    args = (install) => ['deploy', '--target', `ssh://root@127.0.0.1:${sshd.port}`, '--identity', sshd.clientKey, '--known-hosts', kh, '--install-dir', install];
  });
  after(async () => {
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A directory with someone's files: a bin/ and dist/ that deploy would have replaced. */
  const foreign = (at: string) => {
    fs.mkdirSync(path.join(at, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(at, 'dist'));
    fs.writeFileSync(path.join(at, 'bin', 'important'), 'do not lose me');
    fs.writeFileSync(path.join(at, 'notes.txt'), 'mine');
  };

  it('a non-empty dir without the marker: exit 2, left untouched', async () => {
    const install = path.join(dir, 'foreign');
    foreign(install);
    const before = snapshot(install);
    const r = await cli(args(install));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`is not empty and has no ${INSTALL_MARKER.replace('.', '\\.')}`));
    assert.deepEqual(snapshot(install), before);
  });

  it('a marker that deploy did not write (other content, a link, a directory): exit 2, left untouched', async () => {
    for (const [name, plantMarker] of [
      ['content', (m: string) => fs.writeFileSync(m, 'something else\n')],
      ['link', (m: string) => fs.symlinkSync('/etc/hostname', m)],
      ['dir', (m: string) => fs.mkdirSync(m)],
    ] as const) {
      const install = path.join(dir, `marker-${name}`);
      foreign(install);
      plantMarker(path.join(install, INSTALL_MARKER));
      const before = snapshot(install);
      const r = await cli(args(install));
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`has a ${INSTALL_MARKER.replace('.', '\\.')} that ffs-lab deploy did not write`), name);
      assert.deepEqual(snapshot(install), before, name);
    }
  });

  it('an install dir that is a symbolic link is not followed, even to a marked install: exit 2', async () => {
    const victim = path.join(dir, 'victim-install');
    foreign(victim);
    fs.writeFileSync(path.join(victim, INSTALL_MARKER), `${INSTALL_MARKER_TEXT}\n`);
    const link = path.join(dir, 'link');
    fs.symlinkSync(victim, link);
    const before = snapshot(victim);
    const r = await cli(args(link));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is a symbolic link/);
    assert.deepEqual(snapshot(victim), before);
  });

  it('the SFTP upload writes nothing through links planted where its files and directories go', async () => {
    const install = path.join(dir, 'upload');
    const victim = path.join(dir, 'upload-victim');
    fs.mkdirSync(path.join(install, 'dist'), { recursive: true });
    fs.mkdirSync(victim);
    fs.writeFileSync(path.join(victim, 'keep.json'), 'precious');
    fs.symlinkSync(path.join(victim, 'keep.json'), path.join(install, 'package.json')); // a file's path
    fs.symlinkSync(path.join(victim, 'nothing-yet'), path.join(install, 'dist', 'new.js')); // dangling: O_CREAT alone would create the target
    fs.symlinkSync(victim, path.join(install, 'bin')); // a directory's path
    const kh = sshd.knownHosts('known_hosts_upload', `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    const t = new SshTransport({ host: '127.0.0.1', port: sshd.port, username: 'root', privateKeyPath: sshd.clientKey, knownHostsPath: kh, connectTimeoutMs: 10_000, keepaliveIntervalMs: 1_000, killGraceMs: 500, environment: {} });
    await t.connect();
    try {
      const sftp = await t.sftp();
      try {
        const file = (rel: string) => ({ rel, content: Buffer.from(`new ${rel}`), mode: 0o644 });
        await uploadFiles(sftp, install, [file('package.json'), file('dist/new.js')], () => undefined);
        await assert.rejects(uploadFiles(sftp, install, [file('bin/ffs-lab-agent.js')], () => undefined), /cannot create .*\/bin on the target: something that is not a directory is there/);
      } finally {
        sftp.end();
      }
    } finally {
      await t.close();
    }
    assert.deepEqual(snapshot(victim), { '.': 'dir', 'keep.json': 'file precious' }, 'the links\' targets are unchanged, none created');
    assert.equal(fs.readFileSync(path.join(install, 'package.json'), 'utf8'), 'new package.json');
    assert.ok(fs.lstatSync(path.join(install, 'package.json')).isFile() && fs.lstatSync(path.join(install, 'dist', 'new.js')).isFile(), 'the links were replaced by files');
  });

  it('a path that is a file: exit 2', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const r = await cli(args(file));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /exists and is not a directory/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'x');
  });
});

describe('what deploy uploads', () => {
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-deploy-files-'));
    await packAgent('x86_64', path.join(dir, 'bundle'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the bundle\'s files, into bin/, the agent executable; a directory that is no bundle, or a file that does not match the manifest, is exit 2', () => {
    const { manifest, files } = bundleDeployFiles(path.join(dir, 'bundle'));
    assert.equal(manifest.arch, 'x86_64');
    assert.deepEqual(files.map((f) => f.rel).sort(), BUNDLE_FILES.map((f) => `bin/${f}`).sort());
    assert.equal(files.find((f) => f.rel === 'bin/ffs-lab-agent.js')!.mode, 0o755);
    assert.deepEqual(directoriesOf(files), ['bin']);
    assert.throws(() => bundleDeployFiles(path.join(dir, 'nothing')), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && /is not an agent bundle: manifest.json: ENOENT/.test(e.message ?? ''));
    fs.cpSync(path.join(dir, 'bundle'), path.join(dir, 'tampered'), { recursive: true });
    fs.appendFileSync(path.join(dir, 'tampered', 'bindings.js'), '\n// changed\n');
    assert.throws(() => bundleDeployFiles(path.join(dir, 'tampered')), (e: { exitCode?: number; message?: string }) => e.exitCode === 2 && /bindings\.js does not match the bundle's manifest/.test(e.message ?? ''));
    assert.deepEqual(directoriesOf([{ rel: 'a/b/c.js', content: Buffer.alloc(0), mode: 0o644 }, { rel: 'd.js', content: Buffer.alloc(0), mode: 0o644 }]), ['a', 'a/b']);
  });
});

/**
 * SLOW (about a minute): a real deploy over SSH+SFTP to an OpenSSH sshd on 127.0.0.1, into a
 * temp install dir that an npm-based deploy had used, then the agent started from there answers
 * hello; a second deploy takes a bundle packed beforehand.
 */
describe('ffs-lab deploy against a real sshd (slow: packs the bundle)', () => {
  let sshd: Sshd;
  let dir: string;

  before(async () => {
    sshd = await startSshd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-deploy-'));
  });
  after(async () => {
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('installs only the bundle, and the deployed agent answers hello; a second deploy works too, and writes nothing through links planted in the install', { timeout: 600_000 }, async () => {
    const kh = sshd.knownHosts('known_hosts', `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    const install = path.join(dir, 'opt', 'ffs lab'); // a space: paths go through argv, never a pasted shell string
    // What the npm-based deploy left: deploy removes it.
    fs.mkdirSync(path.join(install, 'node_modules', 'ssh2'), { recursive: true });
    fs.mkdirSync(path.join(install, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(install, 'package.json'), '{}');
    fs.writeFileSync(path.join(install, INSTALL_MARKER), `${INSTALL_MARKER_TEXT}\n`);
    const args = ['deploy', '--target', `ssh://root@127.0.0.1:${sshd.port}`, '--identity', sshd.clientKey, '--known-hosts', kh, '--install-dir', install];
    const victim = path.join(dir, 'victim');
    for (const round of [1, 2]) {
      const extra: string[] = [];
      if (round === 2) {
        // Links planted in our install: the redeploy replaces them and writes nothing through them.
        fs.mkdirSync(victim);
        fs.writeFileSync(path.join(victim, 'keep'), 'precious');
        fs.writeFileSync(path.join(dir, 'victim.json'), 'precious');
        fs.rmSync(path.join(install, 'bin'), { recursive: true });
        fs.symlinkSync(victim, path.join(install, 'bin'));
        fs.symlinkSync(path.join(dir, 'victim.json'), path.join(install, 'package.json'));
        await packAgent('x86_64', path.join(dir, 'packed'));
        extra.push('--bundle', path.join(dir, 'packed'));
      }
      const r = await cli([...args, ...extra]);
      assert.equal(r.code, 0, `round ${round}:\n${r.stderr}`);
      assert.match(r.stderr, /deploy: uploading the agent bundle \(5 files, 0\.\d\d MB\)/);
      if (round === 1) assert.match(r.stderr, /pack-agent: (compiling the addon for x86_64|the addon for x86_64 reused from the cache)/);
      else assert.doesNotMatch(r.stderr, /pack-agent:/);
      assert.doesNotMatch(r.stderr, /npm/);
      assert.match(r.stderr, new RegExp(`deploy: agent \\S+ answers on ssh://root@127\\.0\\.0\\.1:${sshd.port} \\(protocol 1, kernel ${os.release().replace(/[.+]/g, '\\$&')}`));
      assert.deepEqual(fs.readdirSync(install).sort(), [INSTALL_MARKER, 'bin'].sort(), `round ${round}: only the bundle and the marker`);
      assert.deepEqual(fs.readdirSync(path.join(install, 'bin')).sort(), [...BUNDLE_FILES].sort());
    }
    assert.deepEqual(snapshot(victim), { '.': 'dir', keep: 'file precious' }, 'nothing written into the planted bin link\'s target');
    assert.equal(fs.readFileSync(path.join(dir, 'victim.json'), 'utf8'), 'precious', 'nothing written through the planted package.json link');
    assert.ok(fs.lstatSync(path.join(install, 'bin')).isDirectory());
    assert.equal(fs.readFileSync(path.join(install, INSTALL_MARKER), 'utf8'), `${INSTALL_MARKER_TEXT}\n`);
    assert.equal(fs.statSync(path.join(install, 'bin', 'ffs-lab-agent.js')).mode & 0o111, 0o111);
  });

  it('an addon the board cannot load fails the deploy (exit 3), though the agent answers hello', { timeout: 120_000 }, async () => {
    const kh = sshd.knownHosts('known_hosts3', `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    const broken = path.join(dir, 'broken-bundle');
    fs.cpSync(path.join(dir, 'packed'), broken, { recursive: true });
    // A shared object for another machine, with a manifest that matches it: only loading it tells.
    const junk = Buffer.concat([fs.readFileSync(path.join(broken, 'ffs_native.node')).subarray(0, 64), Buffer.alloc(4096)]);
    junk.writeUInt16LE(183, 18);
    fs.writeFileSync(path.join(broken, 'ffs_native.node'), junk);
    const m = JSON.parse(fs.readFileSync(path.join(broken, 'manifest.json'), 'utf8')) as BundleManifest;
    m.files['ffs_native.node'] = { bytes: junk.length, sha256: crypto.createHash('sha256').update(junk).digest('hex') };
    fs.writeFileSync(path.join(broken, 'manifest.json'), JSON.stringify(m));
    const r = await cli(['deploy', '--target', `ssh://root@127.0.0.1:${sshd.port}`, '--identity', sshd.clientKey, '--known-hosts', kh, '--install-dir', path.join(dir, 'broken-install'), '--bundle', broken]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /the agent answers on ssh:\/\/root@127\.0\.0\.1:\d+, but its addon does not work there: /);
  });

  it('a bundle for another architecture is refused before anything on the target changes (exit 2)', { timeout: 120_000 }, async () => {
    const kh = sshd.knownHosts('known_hosts2', `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    const other = path.join(dir, 'arm64-bundle');
    fs.cpSync(path.join(dir, 'packed'), other, { recursive: true });
    const m = JSON.parse(fs.readFileSync(path.join(other, 'manifest.json'), 'utf8')) as { arch: string };
    fs.writeFileSync(path.join(other, 'manifest.json'), JSON.stringify({ ...m, arch: 'arm64' }));
    const install = path.join(dir, 'other-install');
    const r = await cli(['deploy', '--target', `ssh://root@127.0.0.1:${sshd.port}`, '--identity', sshd.clientKey, '--known-hosts', kh, '--install-dir', install, '--bundle', other]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the bundle .* is for arm64, and ssh:\/\/root@127\.0\.0\.1:\d+ is x86_64/);
    assert.ok(!fs.existsSync(install), 'nothing made on the target');
  });

  it('deploy to a local target is a usage error', async () => {
    const r = await cli(['deploy', '--target', 'local']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ffs-lab: deploy needs an ssh target; 'local' is local/);
  });
});
