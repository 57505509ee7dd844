import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCode } from '@ffs-lab/contract/exit-codes';

const CLI = path.resolve(__dirname, '..', '..', '..', 'bin', 'ffs-lab.js');
const RESERVED = ['__proto__', 'constructor', 'prototype'];

/**
 * One config with `k` at every level (the validator reports every mistake at once), and the key
 * paths the messages must name.
 */
function everywhere(k: string): { text: string; keyPaths: string[] } {
  const text = [
    `${k}: 1`,
    'targets:',
    `  ${k}:`,
    '    transport: {type: local}',
    '  b:',
    `    transport: {type: local, ${k}: {x: 1}}`,
    `    ${k}: {x: 1}`,
    `    agent: {${k}: 1}`,
    `    usb: {${k}: 1}`,
    `    features: {${k}: present}`,
    `    tools: {${k}: /x}`,
    '  s:',
    `    transport: {type: ssh, host: h, user: u, ${k}: 1}`,
    '',
  ].join('\n');
  const keyPaths = [k, `targets.${k}`, `targets.b.transport.${k}`, `targets.b.${k}`, `targets.b.agent.${k}`, `targets.b.usb.${k}`, `targets.b.features.${k}`, `targets.b.tools.${k}`, `targets.s.transport.${k}`];
  return { text, keyPaths };
}

/** Run the CLI: exit code and stderr. */
function cli(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

/**
 * Keys that name Object.prototype's members used to reach the schema's lookup tables
 * (`fields[k]` found Object itself) and crash the CLI with an internal error, or were accepted as
 * target names. Through the real CLI: each is a usage error that names the key, at every level.
 */
describe('reserved keys in the lab config (real CLI)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-reserved-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const k of RESERVED) {
    it(`${k} at the top level, as a target name, and inside a target, transport, agent, usb, features, tools: exit 2 naming each`, () => {
      const { text, keyPaths } = everywhere(k);
      const file = path.join(dir, `${k}.yaml`);
      fs.writeFileSync(file, text);
      // A real suite name, so that only the config can make this a usage error.
      const r = cli(['run', '--config', file, '--suite', 'kernel-info']);
      assert.equal(r.status, ExitCode.Usage, `stderr:\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^ffs-lab: lab config .* has ${keyPaths.length} mistakes:`));
      for (const kp of keyPaths) {
        assert.match(r.stderr, new RegExp(`${k}\\.yaml:\\d+: ${kp.replace(/[.]/g, '\\.')}: '${k}' is a reserved name and cannot be a key$`, 'm'), `${kp} named:\n${r.stderr}`);
      }
      assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/);
    });
  }

  it('--target with a reserved or Object.prototype name is an unknown target, not a crash', () => {
    const file = path.join(dir, 'plain.yaml');
    fs.writeFileSync(file, 'targets:\n  b:\n    transport: {type: local}\n');
    for (const name of [...RESERVED, 'toString', 'hasOwnProperty']) {
      const r = cli(['run', '--config', file, '--target', name, '--suite', 'kernel-info']);
      assert.equal(r.status, ExitCode.Usage, `${name}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^ffs-lab: unknown target '${name}' in `), name);
    }
  });
});
