import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '@ffs-lab/contract/exit-codes';
import { configTemplate } from '../src/config/config-template';
import { parseLabConfig } from '../src/config/load-config';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'ffs-lab.js');

test('init template: loads as written, and still loads with every commented key switched on (comments stay in step with the schema)', () => {
  const text = configTemplate({ name: 'rpi4', host: '192.0.2.40' });
  const plain = parseLabConfig(text, 'ffs-lab.yaml');
  assert.deepEqual(plain.targets.rpi4!.transport, { type: 'ssh', host: '192.0.2.40' });
  // "    # key: value" and "    #   key: value" become live YAML at the indentation they show.
  const all = text.split('\n').map((l) => l.replace(/^( *)# ( *)(?=[A-Za-z]+:)/, '$1$2')).join('\n');
  assert.notEqual(all, text);
  const full = parseLabConfig(all, 'all.yaml');
  const t = full.targets.rpi4!;
  assert.equal(t.transport.type === 'ssh' && t.transport.proxyJump, 'jump@gw.lab.example');
  assert.equal(t.usb?.port, '1-2.3');
  assert.equal(t.udc, 'fe980000.usb');
  assert.equal(t.features?.mmap, 'present');
  const filled = parseLabConfig(configTemplate({ name: 'zcu102', host: 'zcu102-1.lab.example', user: 'root', udc: 'fe200000.usb', proxyJump: 'jump@gw:2222' }), 'f.yaml').targets.zcu102!;
  assert.deepEqual([filled.transport.type === 'ssh' && filled.transport.user, filled.udc], ['root', 'fe200000.usb']);
});

test('ffs-lab init writes the file, never over an existing one without --force, and refuses bad values by key (exit 2)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-init-'));
  try {
    const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'init', ...args], { cwd: dir, encoding: 'utf8' });
    const ok = cli('--target', 'rpi4', '--host', '192.0.2.40');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^init: wrote ffs-lab\.yaml \(target 'rpi4'\); next: ffs-lab doctor --config ffs-lab\.yaml --target rpi4$/m);
    const again = cli('--target', 'other');
    assert.equal(again.status, ExitCode.Usage);
    assert.match(again.stderr, /init: ffs-lab\.yaml exists/);
    assert.match(fs.readFileSync(path.join(dir, 'ffs-lab.yaml'), 'utf8'), /^ {2}rpi4:/m, 'untouched');
    const bad = cli('--target', 'b', '--host', 'user@host', '--force');
    assert.equal(bad.status, ExitCode.Usage);
    assert.match(bad.stderr, /targets\.b\.transport\.host: expected a host name or address/);
    assert.equal(cli('--host', 'h').status, ExitCode.Usage);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
