import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installDirProblem } from '../src/deploy/install-dir';

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
