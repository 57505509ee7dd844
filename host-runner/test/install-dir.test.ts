import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { INSTALL_MARKER, INSTALL_MARKER_TEXT, installDirProblem } from '../src/deploy/install-dir';
import { INSTALL_DIR_SCRIPT } from '../src/deploy/remote-install-dir';

describe('install dir rule of ffs-lab deploy', () => {
  it('accepts directories of their own', () => {
    for (const d of ['/opt/ffs-lab', '/opt/ffs lab', '/usr/local/ffs-lab', '/home/lab/ffs-lab', '/srv/lab/agent', '/tmp/ffs-deploy-x/opt/ffs-lab', '/var/lib/ffs-lab', '/root/ffs-lab', '/data/ffs-lab']) {
      assert.equal(installDirProblem(d), undefined, d);
    }
  });

  it('refuses / and every top-level directory', () => {
    for (const d of ['/', '/usr', '/opt', '/home', '/root', '/var', '/tmp', '/boot', '/lib', '/lib64', '/sbin', '/srv', '/dev', '/proc', '/sys', '/run', '/etc', '/bin', '/mnt', '/anything']) {
      assert.ok(installDirProblem(d), d);
    }
  });

  it('refuses system and home directories below the top level, and whole system trees', () => {
    for (const d of ['/usr/local', '/usr/lib', '/usr/games', '/var/lib', '/var/log', '/home/lab', '/usr/local/bin', '/usr/local/lib', '/usr/local/share', '/usr/lib/node_modules/x', '/usr/share/ffs-lab', '/etc/ffs-lab', '/boot/efi', '/proc/self', '/sys/kernel/config/usb_gadget', '/dev/shm/x', '/lib/firmware/x', '/bin/x']) {
      assert.ok(installDirProblem(d), d);
    }
    assert.match(installDirProblem('/usr/local')!, /system or home directory/);
    assert.match(installDirProblem('/etc/ffs-lab')!, /in \/etc, a system directory/);
  });

  it('refuses paths that are not in normal form', () => {
    const cases: [string, RegExp][] = [
      ['//', /\/\//],
      ['//usr', /\/\//],
      ['/opt//ffs-lab', /\/\//],
      ['/.', /\. or \.\./],
      ['/opt/./ffs-lab', /\. or \.\./],
      ['/opt/../usr', /\. or \.\./],
      ['/opt/ffs-lab/..', /\. or \.\./],
      ['/opt/ffs-lab/', /end with \//],
      ['opt/ffs-lab', /absolute/],
      ['', /absolute/],
      ['~/ffs-lab', /absolute/],
      ['/opt/ffs\nlab', /control/],
      ['/opt/ffs\0lab', /control/],
    ];
    for (const [d, re] of cases) assert.match(installDirProblem(d) ?? 'accepted', re, JSON.stringify(d));
  });
});

describe('the install dir script (run on the target)', () => {
  const script = (...args: string[]) => spawnSync('sh', ['-c', INSTALL_DIR_SCRIPT, 'sh', ...args], { encoding: 'utf8' }).stdout.trim();

  it('prep removes nothing when the dir no longer leads where the probe saw it (a parent link swapped in between)', () => {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-install-')));
    try {
      const a = path.join(root, 'a');
      const b = path.join(root, 'b');
      for (const d of [a, b]) {
        fs.mkdirSync(path.join(d, 'ffs-lab', 'bin'), { recursive: true });
        fs.writeFileSync(path.join(d, 'ffs-lab', INSTALL_MARKER), `${INSTALL_MARKER_TEXT}\n`);
      }
      fs.symlinkSync(a, path.join(root, 'via'));
      const dir = path.join(root, 'via', 'ffs-lab');
      assert.equal(script('probe', dir, INSTALL_MARKER, INSTALL_MARKER_TEXT), `ours ${a}/ffs-lab`);
      // The parent link now points elsewhere: prep must see it and leave b's files alone.
      fs.rmSync(path.join(root, 'via'));
      fs.symlinkSync(b, path.join(root, 'via'));
      assert.equal(script('prep', dir, INSTALL_MARKER, INSTALL_MARKER_TEXT, `${a}/ffs-lab`), `moved ${b}/ffs-lab`);
      assert.ok(fs.existsSync(path.join(b, 'ffs-lab', 'bin')), 'nothing was removed');
      assert.equal(script('prep', dir, INSTALL_MARKER, INSTALL_MARKER_TEXT, `${b}/ffs-lab`), `prepared ${b}/ffs-lab`);
      assert.ok(!fs.existsSync(path.join(b, 'ffs-lab', 'bin')), 'the unchanged dir is prepared');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
