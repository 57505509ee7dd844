import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { ConfigError, loadLabConfig, parseLabConfig } from '../src/config/load-config';
import { didYouMean } from '../src/config/did-you-mean';
import { selectTarget } from '../src/config/target-selection';
import { agentArgvOf, targetOf } from '../src/run/target';

const EXAMPLE = path.resolve(__dirname, '..', '..', '..', 'docs', 'lab-config.example.yaml');

/** The problems a config text produces (fails the test if it parses cleanly). */
function problems(text: string, file = 'lab.yaml'): string[] {
  try {
    parseLabConfig(text, file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.exitCode, ExitCode.Usage);
    assert.equal(err.message.split('\n').length, err.problems.length + 1, 'a header line, then one line per mistake');
    return [...err.problems];
  }
  assert.fail('expected the config to be refused');
}

test('the example config in docs/ loads and validates', () => {
  const c = loadLabConfig(EXAMPLE);
  assert.deepEqual(Object.keys(c.targets), ['rpi4', 'zynqmp', 'here']);
  const rpi = c.targets.rpi4!;
  assert.equal(rpi.name, 'rpi4');
  assert.equal(rpi.usb?.vendorId, 0x1d6b);
  assert.equal(rpi.directIoDir, '/var/lib/ffs-lab');
  assert.equal(rpi.transport.type, 'ssh');
  if (rpi.transport.type === 'ssh') assert.equal(rpi.transport.identity, path.join(os.homedir(), '.ssh', 'ffs-lab-boards'));
  assert.deepEqual(agentArgvOf(rpi), ['/usr/bin/node', '/opt/ffs-lab/bin/ffs-lab-agent.js']);
  assert.deepEqual(agentArgvOf(c.targets.zynqmp!), ['/usr/local/bin/node', '/home/lab/ffs-lab/bin/ffs-lab-agent.js']);
  assert.equal(targetOf(rpi).description, 'ssh://root@192.0.2.40:22');
  assert.equal(targetOf(c.targets.here!).description, 'local');
});

test('JSON configs work too, and USB IDs may be hex strings', () => {
  const c = parseLabConfig(JSON.stringify({ targets: { b: { transport: { type: 'ssh', host: 'b.lab', user: 'u', knownHosts: 'kh' }, usb: { vendorId: '0x1d6b', productId: '0104' } } } }), '/etc/ffs/lab.json');
  const b = c.targets.b!;
  assert.equal(b.usb?.vendorId, 0x1d6b);
  assert.equal(b.usb?.productId, 0x0104);
  assert.equal(b.transport.type === 'ssh' && b.transport.knownHosts, '/etc/ffs/kh', 'relative paths are relative to the config file');
});

test('every mistake is reported, one per line, with file line and key path', () => {
  const text = [
    'targets:', //                                   1
    '  rpi4:', //                                    2
    '    transport:', //                             3
    '      type: ssh', //                            4
    '      host: 192.0.2.4', //                      5
    '      port: "22x"', //                          6
    '      known_hosts: ~/.ssh/kh', //               7
    '      passwordEnv: "hunter2 is my password"', // 8
    '    usb:', //                                   9
    '      vendorId: 0x12345', //                    10
    '    features:', //                              11
    '      mmap: yes-please', //                     12
    '    agent:', //                                 13
    '      command: []', //                          14
    '  bad name!:', //                               15
    '    transport: {type: sshh}', //                16
    '  other:', //                                   17
    '    transprt: {type: local}', //                18
  ].join('\n');
  const p = problems(text);
  const expected = [
    /^lab\.yaml:6: targets\.rpi4\.transport\.port: expected a whole number from 1 to 65535, got the string "22x"$/,
    /^lab\.yaml:7: targets\.rpi4\.transport\.known_hosts: unknown key for ssh \(did you mean 'knownHosts'\?\)$/,
    /^lab\.yaml:8: targets\.rpi4\.transport\.passwordEnv: expected the NAME of an environment variable/,
    /^lab\.yaml:10: targets\.rpi4\.usb\.vendorId: expected a 16-bit USB ID/,
    /^lab\.yaml:12: targets\.rpi4\.features\.mmap: must be one of present, absent, got the string "yes-please"$/,
    /^lab\.yaml:14: targets\.rpi4\.agent\.command: needs at least 1 element$/,
    /^lab\.yaml:15: targets\.bad name!: bad name/,
    /^lab\.yaml:16: targets\.bad name!\.transport\.type: must be one of ssh, local, got the string "sshh" \(did you mean 'ssh'\?\)$/,
    /^lab\.yaml:18: targets\.other\.transprt: unknown key \(did you mean 'transport'\?\)$/,
    /^lab\.yaml:17: targets\.other\.transport: missing \(required\)$/,
  ];
  assert.equal(p.length, expected.length, p.join('\n'));
  for (const re of expected) assert.ok(p.some((l) => re.test(l)), `no line matches ${re}:\n${p.join('\n')}`);
  assert.ok(!p.join('\n').includes('hunter2'), 'a secret pasted where a variable name belongs is never echoed');
});

test('wrong top-level shapes, empty files and YAML syntax errors are refused with exit 2', () => {
  assert.match(problems('')[0]!, /\(top level\): expected a mapping/);
  assert.match(problems('targets: {}')[0]!, /targets: needs at least 1 entry/);
  assert.match(problems('targets: [a, b]')[0]!, /targets: expected a mapping of names to entries, got a list/);
  assert.match(problems('target:\n  a: {transport: {type: local}}').join('\n'), /target: unknown key \(did you mean 'targets'\?\)/);
  assert.match(problems('targets:\n  a: {transport: {type: local}}\n  a: {transport: {type: local}}')[0]!, /^lab\.yaml:3: Map keys must be unique/);
  assert.match(problems('targets: [unclosed')[0]!, /^lab\.yaml:\d+: /);
  assert.match(problems('targets:\n  a:\n    transport:\n      type: ssh\n      host: h\n      user: u\n      fingerprint: MD5:aa:bb')[0]!, /fingerprint: expected SHA256:<43 base64 characters>/);
  assert.match(problems('targets:\n  a:\n    transport:\n      type: ssh\n      host: h\n      proxyJump: "jump host"')[0]!, /proxyJump: expected OpenSSH ProxyJump/);
  const ok = parseLabConfig('targets:\n  a:\n    transport: {type: ssh, host: h, proxyJump: "u@j1:2222,j2", acceptNewHostKey: true, sshAgent: false}', 'lab.yaml');
  assert.equal(ok.targets.a!.transport.type === 'ssh' && ok.targets.a!.transport.user, undefined, 'user is optional (the SSH config or the local user name)');
});

test('did you mean: separators and case are ignored, far words get no suggestion', () => {
  assert.equal(didYouMean('known_hosts', ['knownHosts', 'host']), 'knownHosts');
  assert.equal(didYouMean('identiy', ['identity', 'user']), 'identity');
  assert.equal(didYouMean('zzz', ['identity', 'user']), undefined);
});

test('--target: ssh:// URLs, local, and names from the config; mistakes are usage errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-cfg-'));
  try {
    const a = selectTarget({ target: 'ssh://pi@[fe80::1]:2222', cwd: dir, env: {} });
    assert.equal(a.transport.type === 'ssh' && `${a.transport.user}@${a.transport.host}:${a.transport.port}`, 'pi@fe80::1:2222');
    assert.equal(targetOf(a).description, 'ssh://pi@[fe80::1]:2222');
    const pw = selectTarget({ target: 'ssh://pi@board', cwd: dir, env: { FFS_LAB_SSH_PASSWORD: 'x' }, identity: 'k' });
    assert.equal(pw.transport.type === 'ssh' && pw.transport.passwordEnv, 'FFS_LAB_SSH_PASSWORD');
    assert.equal(pw.transport.type === 'ssh' && pw.transport.identity, path.join(dir, 'k'));
    assert.equal(selectTarget({ target: 'local', cwd: dir }).transport.type, 'local');
    const usage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage && re.test(e.message));
    usage(() => selectTarget({ target: 'ssh://u:secret@board', cwd: dir }), /never put a password in the URL/);
    fs.writeFileSync(path.join(dir, 'ssh_config'), '');
    const noUser = selectTarget({ target: 'ssh://board', cwd: dir, sshConfig: 'ssh_config', env: {} });
    assert.equal(noUser.transport.type === 'ssh' && noUser.transport.user, os.userInfo().username, 'as ssh: the local user name when neither the URL nor the SSH config gives one');
    usage(() => selectTarget({ target: 'rpi4', cwd: dir }), /no lab config to look the name up in/);
    usage(() => selectTarget({ cwd: dir }), /^no target/);
    fs.writeFileSync(path.join(dir, 'ffs-lab.yaml'), 'targets:\n  rpi4: {transport: {type: ssh, host: h, user: u}}\n  bbb: {transport: {type: local}}\n');
    assert.equal(selectTarget({ target: 'rpi4', cwd: dir }).name, 'rpi4', './ffs-lab.yaml is the default config');
    usage(() => selectTarget({ target: 'rpi3', cwd: dir }), /unknown target 'rpi3' in .*ffs-lab\.yaml \(targets: rpi4, bbb\); did you mean 'rpi4'\?/);
    usage(() => selectTarget({ cwd: dir }), /has 2 targets \(rpi4, bbb\): pick one/);
    usage(() => selectTarget({ target: 'bbb', cwd: dir, identity: 'k' }), /apply to ssh targets/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('transposed letters count as one edit', () => {
  assert.equal(didYouMean('prot', ['port', 'host']), 'port');
});

test('tools paths live on the target and must be absolute: the agent never looks a program up from its login dir', () => {
  const p = problems(['targets:', '  b:', '    transport: { type: local }', '    tools: { ffsFeatures: bin/ffs-features }'].join('\n'));
  assert.equal(p.length, 1, p.join('\n'));
  assert.match(p[0]!, /tools\.ffsFeatures: expected an absolute path on the target, got the string "bin\/ffs-features"/);
});
