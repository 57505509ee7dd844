import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deployFiles, deployPackageJson, directoriesOf } from '../src/deploy/deploy-files';
import { startSshd, type Sshd } from './sshd-fixture';

const REPO = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO, 'bin', 'ffs-lab.js');

describe('what deploy uploads', () => {
  it('package.json keeps its dependencies but only install scripts; no build outputs are uploaded', () => {
    const pkg = JSON.parse(deployPackageJson(JSON.stringify({ name: 'x', scripts: { prepare: 'tsc', install: 'node-gyp rebuild', test: 't' }, dependencies: { a: '1' }, devDependencies: { b: '2' } })));
    assert.deepEqual(pkg.scripts, { install: 'node-gyp rebuild' });
    assert.deepEqual(pkg.dependencies, { a: '1' });
    assert.deepEqual(pkg.devDependencies, { b: '2' }, 'kept, or npm ci would find package.json and the lock out of sync');
    const files = deployFiles(REPO).map((f) => f.rel);
    for (const f of ['package.json', 'package-lock.json', 'bin/ffs-lab-agent.js', 'dist/gadget-agent/src/agent-main.js']) assert.ok(files.includes(f), f);
    assert.ok(!files.some((f) => /(^|\/)(build|node_modules)\//.test(f) || f.endsWith('.node')), 'no build outputs');
    assert.deepEqual(directoriesOf([{ rel: 'a/b/c.js', content: Buffer.alloc(0), mode: 0o644 }, { rel: 'd.js', content: Buffer.alloc(0), mode: 0o644 }]), ['a', 'a/b']);
  });
});

/**
 * SLOW (tens of seconds; bounded at 10 minutes): a real deploy over SSH+SFTP to an OpenSSH sshd
 * on 127.0.0.1, into a temp install dir, with a real `npm ci --omit=dev` (from the npm cache when
 * it has the packages), then the agent started from there answers hello.
 */
describe('ffs-lab deploy against a real sshd (slow: runs npm ci)', () => {
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

  it('uploads, installs, and the deployed agent answers hello; a second deploy works too', { timeout: 600_000 }, async () => {
    const kh = sshd.knownHosts('known_hosts', `[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine}\n`);
    const install = path.join(dir, 'opt', 'ffs lab'); // a space: paths go through argv, never a pasted shell string
    const args = ['deploy', '--target', `ssh://root@127.0.0.1:${sshd.port}`, '--identity', sshd.clientKey, '--known-hosts', kh, '--install-dir', install, '--install-timeout', '540'];
    for (const round of [1, 2]) {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      assert.equal(r.code, 0, `round ${round}:\n${r.stderr}`);
      assert.match(r.stderr, /deploy: uploading \d+ files/);
      assert.match(r.stderr, /deploy: npm ci --omit=dev --omit=optional/);
      assert.match(r.stderr, new RegExp(`deploy: agent \\S+ answers on ssh://root@127\\.0\\.0\\.1:${sshd.port} \\(protocol 1, kernel ${os.release().replace(/[.+]/g, '\\$&')}`));
    }
    assert.ok(fs.existsSync(path.join(install, 'node_modules', 'ssh2')), 'dependencies installed');
    assert.ok(!fs.existsSync(path.join(install, 'node_modules', 'typescript')), '--omit=dev');
    assert.ok(!fs.existsSync(path.join(install, 'node_modules', 'playwright-core')), '--omit=optional: no browser driver on the board');
    assert.ok(fs.existsSync(path.join(install, 'dist', 'gadget-agent', 'src', 'agent-main.js')), 'dist survived npm ci (no prepare script)');
    assert.equal(fs.statSync(path.join(install, 'bin', 'ffs-lab-agent.js')).mode & 0o111, fs.statSync(path.join(REPO, 'bin', 'ffs-lab-agent.js')).mode & 0o111);
  });

  it('deploy to a local target is a usage error', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'deploy', '--target', 'local'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ffs-lab: deploy needs an ssh target; 'local' is local/);
  });
});
