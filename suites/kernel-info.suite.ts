import * as assert from 'node:assert/strict';
import { labContext } from '@ffs-lab/host-runner/suite-runner/lab-context';
import { attachLog, skipWithReason } from '@ffs-lab/host-runner/suite-runner/test-annotations';
import { blockInfo, testCase } from '@ffs-lab/host-runner/suite-runner/test-case';

/**
 * What the kernel under test offers, checked against what its build promises: our series adds
 * mmap zero-copy; kernels from 6.9 on have the DMABUF ioctls; ep0 never maps.
 */
describe('kernel-info: what the kernel under test offers', function () {
  // Every kernel-info test is in the arm64 smoke selection.
  blockInfo(this, { tags: ['kernel', 'smoke'] });
  testCase('release', 'runs the kernel release the lab built', async function () {
    const ctx = labContext();
    const h = await ctx.startAgent();
    try {
      assert.equal(h.agent.hello?.kernelRelease, ctx.kernel.release, 'agent reports a different kernel release than the lab built');
      assert.ok(h.agent.hello?.udcs.includes('dummy_udc.0'), `dummy_udc.0 missing; UDCs: ${h.agent.hello?.udcs.join(', ')}`);
    } finally {
      await h.close();
    }
  });

  testCase('agent-home-tmpfs', 'the embedded lab: agents start over SSH without the host root\'s shell start-up files (root\'s home is on tmpfs)', async function () {
    const ctx = labContext();
    if (ctx.kernel.variant === undefined) skipWithReason(this, 'not the embedded lab: a board\'s login environment is its own');
    const h = await ctx.startAgent();
    try {
      // bash reads ~/.bashrc for every command sshd runs; the host's (pyenv, conda...) once took agents past their start-up deadline.
      const r = await h.agent.call('program.run', { argv: ['/bin/sh', '-c', 'printf %s "$HOME"'], timeoutMs: 10_000 });
      assert.equal(r.stdout, '/tmp/home', `the agent's HOME in the VM: ${r.stdout} (stderr: ${r.stderr})`);
    } finally {
      await h.close();
    }
  }, { needs: ['embedded-lab'] });

  testCase('mmap-matches-build', 'mmap zero-copy on endpoint files matches the build (present with the series, absent without)', function () {
    const k = labContext().kernel;
    attachLog(this, `mmap zero-copy: ${k.features.mmap} (mmap of ep1: ${k.features.mmapProbe})`);
    if (k.seriesLength === undefined) skipWithReason(this, `no expectation: ${k.variant ?? 'this'} kernel is of unknown origin (mmap: ${k.features.mmap})`);
    const expected = k.seriesLength > 0 ? 'present' : 'absent';
    assert.equal(k.features.mmap, expected, `the ${k.variant} kernel ${k.seriesLength > 0 ? 'has' : 'lacks'} the series, so mmap should be ${expected}`);
  });

  testCase('ep0-mmap-enodev', 'mmap on ep0 is refused with ENODEV', function () {
    assert.equal(labContext().kernel.features.ep0MmapProbe, 'ENODEV');
  });

  testCase('dmabuf-matches-release', 'DMABUF ioctls match the release (mainline since 6.9: present from 6.9, absent before)', function () {
    const k = labContext().kernel;
    attachLog(this, `DMABUF: ${k.features.dmabuf} (FUNCTIONFS_DMABUF_ATTACH on an unbound function: ${k.features.dmabufProbe})`);
    const expected = k.expected?.dmabuf;
    if (!expected) skipWithReason(this, `no expectation for this kernel (DMABUF: ${k.features.dmabuf})`);
    assert.equal(k.features.dmabuf, expected, `kernel ${k.release}: DMABUF should be ${expected}`);
  });
});
