import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { parseProxyJump, readSshConfig } from '../src/transport/ssh-config-file';
import { resolveSshTransport } from '../src/config/ssh-resolution';

describe('ssh_config as ssh reads it for one destination', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-sshcfg-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('first value wins, IdentityFile collects, Host patterns with * ? and ! decide', () => {
    const f = file('a', [
      '# a comment',
      'Host rpi? !rpi9',
      '  HostName 10.0.0.%h',
      '  User pi',
      'Host rpi*',
      '  User nobody',
      '  Port 2222',
      '  IdentityFile ~/.ssh/rpi_key',
      'Host *',
      '  IdentityFile=%d/.ssh/%r@%h:%p',
      '  Port 22',
      '  UserKnownHostsFile "/tmp/kh one" /tmp/kh2',
      '  StrictHostKeyChecking accept-new',
    ].join('\n'));
    const a = readSshConfig('rpi4', { files: [f], env: {} });
    assert.equal(a.hostName, '10.0.0.rpi4');
    assert.equal(a.user, 'pi');
    assert.equal(a.port, 2222);
    assert.deepEqual(a.identityFiles, [path.join(os.homedir(), '.ssh/rpi_key'), `${os.homedir()}/.ssh/pi@10.0.0.rpi4:2222`]);
    assert.deepEqual(a.userKnownHostsFiles, ['/tmp/kh one', '/tmp/kh2']);
    assert.equal(a.strictHostKeyChecking, 'accept-new');
    const neg = readSshConfig('rpi9', { files: [f], env: {} });
    assert.equal(neg.hostName, undefined, 'a negated pattern excludes the host from the block');
    assert.equal(neg.user, 'nobody');
    const other = readSshConfig('zynq', { files: [f], env: {}, user: 'me' });
    assert.equal(other.port, 22);
    assert.deepEqual(other.identityFiles, [`${os.homedir()}/.ssh/me@zynq:22`], '%r is the command-line user when the config gives none');
  });

  it('Include follows globs, and inside a block only when the block applies', () => {
    fs.mkdirSync(path.join(dir, 'conf.d'), { recursive: true });
    file('conf.d/10-lab.conf', 'Host lab-*\n  User labuser\n  ProxyJump gw.example.org:2200\n');
    file('conf.d/20-other.conf', 'Host lab-b\n  Port 2022\n');
    file('conf.d/.hidden.conf', 'Host *\n  Port 1\n');
    file('inner.conf', 'HostName inner.example.org\n');
    const f = file('main', `Include ${dir}/conf.d/*.conf\nHost lab-a\n  Include ${dir}/inner.conf\nHost *\n  Include ${dir}/inner.conf\n`);
    const a = readSshConfig('lab-a', { files: [f], env: {} });
    assert.equal(a.user, 'labuser');
    assert.deepEqual(a.proxyJump, [{ host: 'gw.example.org', port: 2200 }]);
    assert.equal(a.hostName, 'inner.example.org');
    assert.equal(a.port, undefined, 'dot files are not matched by a glob');
    assert.equal(readSshConfig('lab-b', { files: [f], env: {} }).port, 2022);
    const loop = file('loop', `Include ${dir}/loop\n`);
    assert.throws(() => readSshConfig('x', { files: [loop], env: {} }), /nested more than 16 deep/);
  });

  it('Match host/originalhost/user/all apply; Match exec is never run, its block skipped with a note', () => {
    const f = file('match', [
      'Host board',
      '  HostName board.lan',
      'Match host *.lan user root',
      '  Port 2201',
      'Match originalhost board !user root',
      '  Port 2202',
      'Match exec "touch /tmp/ffs-lab-must-not-exist"',
      '  Port 9',
      'Match all',
      '  IdentitiesOnly yes',
      'Host *',
      '  ProxyCommand ssh -W %h:%p gw',
    ].join('\n'));
    assert.equal(readSshConfig('board', { files: [f], env: {}, user: 'root' }).port, 2201);
    const nonRoot = readSshConfig('board', { files: [f], env: {}, user: 'pi' });
    assert.equal(nonRoot.port, 2202);
    assert.equal(nonRoot.identitiesOnly, true);
    assert.ok(nonRoot.notes.some((n) => /Match exec' is not supported by ffs-lab: the block is skipped/.test(n)), nonRoot.notes.join('\n'));
    assert.ok(nonRoot.notes.some((n) => /'ProxyCommand' is not followed by ffs-lab/.test(n)), nonRoot.notes.join('\n'));
  });

  it('the command-line user and port win over the config for %r, %p and Match user; the other tokens expand', () => {
    const f = file('prec', ['Host b', '  User pi', '  Port 2222', 'Match user admin', '  IdentitiesOnly yes', 'Host *', '  IdentityFile ~/%r-%p-%L-%k', '  IdentityFile /c/%C', '  UserKnownHostsFile none', '  IdentityAgent $LAB_AGENT', '  HostKeyAlias b-alias'].join('\n'));
    const a = readSshConfig('b', { files: [f], env: { LAB_AGENT: '/run/lab-agent' }, user: 'admin', port: 2200 });
    assert.equal(a.identitiesOnly, true, 'Match user sees the command-line user');
    assert.equal(a.identityFiles[0], path.join(os.homedir(), `admin-2200-${os.hostname().split('.')[0]}-b`));
    assert.match(a.identityFiles[1]!, /^\/c\/[0-9a-f]{40}$/);
    assert.deepEqual(a.userKnownHostsFiles, ['/dev/null'], 'none: no file');
    assert.equal(a.identityAgent, '/run/lab-agent');
    assert.equal(a.hostKeyAlias, 'b-alias');
    const c = readSshConfig('b', { files: [f], env: {} });
    assert.equal(c.identitiesOnly, undefined);
    assert.equal(c.identityFiles[0], path.join(os.homedir(), `pi-2222-${os.hostname().split('.')[0]}-b`), 'without one, the config\'s');
    assert.equal(c.identityAgent, 'none', 'an unset $VAR: no agent');
  });

  it('${VAR} expands from the environment; unknown tokens, bad ports and a missing explicit file are usage errors', () => {
    const usage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage && re.test(e.message));
    const f = file('env', 'Host *\n  IdentityFile ${LAB_KEYS}/board\n');
    assert.deepEqual(readSshConfig('b', { files: [f], env: { LAB_KEYS: '/keys' } }).identityFiles, ['/keys/board']);
    usage(() => readSshConfig('b', { files: [f], env: {} }), /LAB_KEYS .* is not set/);
    usage(() => readSshConfig('b', { files: [file('tok', 'IdentityFile ~/.ssh/%T\n')], env: {} }), /token '%T'/);
    usage(() => readSshConfig('b', { files: [file('port', 'Port 70000\n')], env: {} }), /bad Port '70000'/);
    usage(() => readSshConfig('b', { files: [path.join(dir, 'nope')], env: {} }), /cannot read SSH config .*nope: ENOENT/);
    usage(() => readSshConfig('b', { files: [file('quote', 'User "pi\n')], env: {} }), /unbalanced quotes/);
  });

  it('ProxyJump lists: [user@]host[:port], ssh:// URLs and IPv6 in brackets', () => {
    assert.deepEqual(parseProxyJump('pi@gw:2222,ssh://root@[fe80::1]:22,bastion', 'x'), [
      { user: 'pi', host: 'gw', port: 2222 },
      { user: 'root', host: 'fe80::1', port: 22 },
      { host: 'bastion' },
    ]);
    assert.throws(() => parseProxyJump('gw:0', 'x'), /bad port/);
    assert.throws(() => parseProxyJump('a b', 'x'), /bad ProxyJump hop/);
  });

  it('a lab config target is completed from the SSH config, its own values winning', () => {
    const f = file('res', [
      'Host board',
      '  HostName 192.0.2.7',
      '  User pi',
      '  Port 2222',
      '  IdentityFile /keys/board',
      '  ProxyJump gw',
      'Host gw',
      '  HostName gw.example.org',
      '  User jump',
      '  IdentityFile /keys/gw',
      '  UserKnownHostsFile /kh/gw',
    ].join('\n'));
    const r = resolveSshTransport({ type: 'ssh', host: 'board', user: 'root' }, { sshConfigFiles: [f], env: { SSH_AUTH_SOCK: '/run/agent.sock' } });
    assert.equal(r.host, '192.0.2.7');
    assert.equal(r.user, 'root', 'the lab config wins over the SSH config');
    assert.equal(r.port, 2222);
    assert.deepEqual(r.identityFiles, ['/keys/board']);
    assert.equal(r.agentSocket, '/run/agent.sock');
    assert.deepEqual(r.jumps, [{ host: 'gw.example.org', port: 22, user: 'jump', identityFiles: ['/keys/gw'], agentSocket: '/run/agent.sock', knownHosts: '/kh/gw', extraKnownHosts: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'] }]);
    const own = resolveSshTransport({ type: 'ssh', host: 'board', proxyJump: 'none', sshAgent: false, identity: '/k' }, { sshConfigFiles: [f], env: { SSH_AUTH_SOCK: '/run/agent.sock' }, acceptNewHostKey: true });
    assert.equal(own.jumps, undefined, "proxyJump: none drops the SSH config's jump hosts");
    assert.equal(own.agentSocket, undefined);
    assert.equal(own.acceptNewHostKey, true);
    // accept-new: the command line's flag, else the lab config's own value (false too), else the SSH config; a hop only by the flag or its own config.
    const relaxed = file('relaxed', 'Host board\n  StrictHostKeyChecking accept-new\n  ProxyJump gw\nHost gw\n  HostName gw.example.org\n');
    assert.equal(resolveSshTransport({ type: 'ssh', host: 'board' }, { sshConfigFiles: [relaxed], env: {} }).acceptNewHostKey, true);
    const strictHere = resolveSshTransport({ type: 'ssh', host: 'board', acceptNewHostKey: false }, { sshConfigFiles: [relaxed], env: {} });
    assert.equal(strictHere.acceptNewHostKey, undefined, "the lab config's false wins over the SSH config");
    assert.equal(strictHere.jumps![0]!.acceptNewHostKey, undefined, "the board's relaxed check does not spread to its jump host");
    const flag = resolveSshTransport({ type: 'ssh', host: 'board', acceptNewHostKey: false }, { sshConfigFiles: [relaxed], env: {}, acceptNewHostKey: true });
    assert.deepEqual([flag.acceptNewHostKey, flag.jumps![0]!.acceptNewHostKey], [true, true]);
    const aliased = file('aliased', 'Host board\n  HostKeyAlias other\n');
    const warned: string[] = [];
    assert.equal(resolveSshTransport({ type: 'ssh', host: 'board' }, { sshConfigFiles: [aliased], env: {}, acceptNewHostKey: true, warn: (l) => warned.push(l) }).acceptNewHostKey, undefined, 'never accept-new where the key is looked up under another name');
    assert.match(warned.join('\n'), /HostKeyAlias other is not followed by ffs-lab, so accept-new is off/);
    const bare = resolveSshTransport({ type: 'ssh', host: 'elsewhere' }, { sshConfigFiles: [file('empty', '')], env: {} });
    assert.deepEqual(bare.identityFiles, ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => path.join(os.homedir(), '.ssh', n)), "no IdentityFile: ssh's default keys");
    assert.equal(bare.user, os.userInfo().username);
  });
});
