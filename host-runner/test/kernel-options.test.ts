import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { archKernelChoice, bootArgsOf } from '../src/cli/verbs/kernel-options';
import { labVerb } from '../src/cli/verbs/lab-verb';
import { parseVerbArgs } from '../src/cli/options';

test('--kernel-append: names and name=value pairs pass; quotes, shell text and empty lists are usage errors', () => {
  assert.deepEqual(bootArgsOf(' swiotlb=force  dummy_hcd.dma=1 '), ['swiotlb=force', 'dummy_hcd.dma=1']);
  assert.deepEqual(bootArgsOf('nokaslr'), ['nokaslr']);
  for (const bad of ['', '   ', 'a="b c"', 'x=$(id)', 'a;b']) assert.throws(() => bootArgsOf(bad), (e: Error & { exitCode?: number }) => e.exitCode === 2, bad);
});

test('--arch arm64 --page-size picks the arm64 kernel; x86_64 kernels, trees, images and stray flags are usage errors', () => {
  const choice = (...argv: string[]) => archKernelChoice('lab', parseVerbArgs(labVerb, argv));
  assert.deepEqual(choice(), { kind: 'variant', variant: 'patched' });
  assert.deepEqual(choice('--kernel', 'vanilla-6.1'), { kind: 'variant', variant: 'vanilla-6.1' });
  assert.deepEqual(choice('--arch', 'arm64'), { kind: 'variant', variant: 'arm64' });
  assert.deepEqual(choice('--arch', 'arm64', '--page-size', '64k'), { kind: 'variant', variant: 'arm64-64k' });
  assert.deepEqual(choice('--arch', 'arm64', '--page-size', '4k'), { kind: 'variant', variant: 'arm64' });
  assert.deepEqual(choice('--arch', 'arm64', '--kernel', 'arm64-16k'), { kind: 'variant', variant: 'arm64-16k' });
  assert.deepEqual(choice('--kernel', 'arm64-16k', '--compat', 'armhf'), { kind: 'variant', variant: 'arm64-16k' });
  const usage = (re: RegExp, ...argv: string[]) => assert.throws(() => choice(...argv), (e: Error & { exitCode?: number }) => e.exitCode === 2 && re.test(e.message), argv.join(' '));
  usage(/--page-size goes with --arch arm64/, '--page-size', '16k');
  usage(/--compat armhf goes with --arch arm64/, '--compat', 'armhf');
  usage(/--kernel debug is an x86_64 kernel/, '--arch', 'arm64', '--kernel', 'debug');
  usage(/--kernel-tree and --kernel-image are x86_64 only/, '--arch', 'arm64', '--kernel-tree', '/src/linux');
  usage(/--kernel arm64-64k has 64k pages, not --page-size 16k/, '--arch', 'arm64', '--kernel', 'arm64-64k', '--page-size', '16k');
  usage(/--page-size must be one of 4k, 16k, 64k/, '--arch', 'arm64', '--page-size', '8k');
});
