import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** scripts/install-deps.sh of this checkout (the test runs from host-runner/dist/test). */
const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'scripts', 'install-deps.sh');
const MARKER = '# ffs-lab install-deps: temporary, removed when the install ends';

/** Run install-deps with its policy-rc.d redirected to `policyRc`; its packages are installed on this machine (the suite's own prerequisite). */
function runInstallDeps(policyRc: string): { status: number | null; out: string } {
  const r = spawnSync('bash', [SCRIPT], { env: { ...process.env, FFS_LAB_POLICY_RC: policyRc }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('install-deps removes the policy-rc.d a killed install-deps left (ours by its marker), and says so', (t) => {
  if (process.getuid?.() !== 0) return t.skip('install-deps removes leftovers only as root');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-install-deps-'));
  try {
    const policyRc = path.join(dir, 'policy-rc.d');
    fs.writeFileSync(policyRc, `#!/bin/sh\n${MARKER}\nexit 101\n`, { mode: 0o755 });
    const r = runInstallDeps(policyRc);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /removed .*policy-rc\.d, left by an earlier install-deps that was killed/);
    assert.ok(!fs.existsSync(policyRc));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("install-deps leaves a policy-rc.d that is not its own alone", (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root, as install-deps does');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffs-install-deps-'));
  try {
    const policyRc = path.join(dir, 'policy-rc.d');
    const admin = '#!/bin/sh\n# the site admin\'s\nexit 101\n';
    fs.writeFileSync(policyRc, admin, { mode: 0o755 });
    const r = runInstallDeps(policyRc);
    assert.equal(r.status, 0, r.out);
    assert.doesNotMatch(r.out, /policy-rc/);
    assert.equal(fs.readFileSync(policyRc, 'utf8'), admin);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
