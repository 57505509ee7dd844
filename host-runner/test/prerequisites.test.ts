import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensurePackages, missingPackages, aptCommand } from '@ffs-lab/host-util/prerequisites';
import { ExitCode, LabError } from '@ffs-lab/contract/exit-codes';
import { applyPatches } from '@ffs-lab/fixtures/kernel/source-tree';

test('a missing package without root is a usage error that prints the exact apt command', async () => {
  const reqs = [{ needs: '/nonexistent/ffs-lab-thing', pkg: 'ffs-lab-fake' }, { needs: 'sh', pkg: 'dash' }];
  assert.deepEqual(missingPackages(reqs), ['ffs-lab-fake']);
  await assert.rejects(
    ensurePackages(reqs, 'testing', () => undefined, false),
    (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Usage && e.hint === `run as root: ${aptCommand(['ffs-lab-fake'])}`,
  );
  await ensurePackages([{ needs: 'sh', pkg: 'dash' }], 'testing', () => undefined, false);
});

test('a patch that does not apply fails with its name (exit 3)', async () => {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'tree-'));
  fs.writeFileSync(path.join(tree, 'f.c'), 'int a;\n');
  const good = path.join(tree, '..', `${path.basename(tree)}-0001-good.patch`);
  const bad = path.join(tree, '..', `${path.basename(tree)}-0002-bad.patch`);
  fs.writeFileSync(good, '--- a/f.c\n+++ b/f.c\n@@ -1 +1 @@\n-int a;\n+int b;\n');
  fs.writeFileSync(bad, '--- a/f.c\n+++ b/f.c\n@@ -1 +1 @@\n-int zzz;\n+int c;\n');
  const applied: string[] = [];
  await assert.rejects(applyPatches(tree, [good, bad], (l) => applied.push(l)), (e: unknown) => e instanceof LabError && e.exitCode === ExitCode.Infrastructure && e.message.includes(path.basename(bad)));
  assert.equal(applied.length, 1);
  assert.equal(fs.readFileSync(path.join(tree, 'f.c'), 'utf8'), 'int b;\n');
  for (const p of [tree, good, bad]) fs.rmSync(p, { recursive: true, force: true });
});
