import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bootArgsOf } from '../src/cli/verbs/kernel-options';

test('--kernel-append: names and name=value pairs pass; quotes, shell text and empty lists are usage errors', () => {
  assert.deepEqual(bootArgsOf(' swiotlb=force  dummy_hcd.dma=1 '), ['swiotlb=force', 'dummy_hcd.dma=1']);
  assert.deepEqual(bootArgsOf('nokaslr'), ['nokaslr']);
  for (const bad of ['', '   ', 'a="b c"', 'x=$(id)', 'a;b']) assert.throws(() => bootArgsOf(bad), (e: Error & { exitCode?: number }) => e.exitCode === 2, bad);
});
