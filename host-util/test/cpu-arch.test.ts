import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilerFor, CPU_ARCHES, cpuArchOfNode, crossCompilePrefix, isNativeArch } from '../src/cpu-arch';

test('compilers: the plain one natively, Debian\'s cross one (package spelled with - for _) elsewhere', () => {
  assert.deepEqual(compilerFor('x86_64', 'gcc', 'x64'), { needs: 'gcc', pkg: 'gcc' });
  assert.deepEqual(compilerFor('arm64', 'gcc', 'x64'), { needs: 'aarch64-linux-gnu-gcc', pkg: 'gcc-aarch64-linux-gnu' });
  assert.deepEqual(compilerFor('armhf', 'g++', 'x64'), { needs: 'arm-linux-gnueabihf-g++', pkg: 'g++-arm-linux-gnueabihf' });
  assert.deepEqual(compilerFor('x86_64', 'g++', 'arm64'), { needs: 'x86_64-linux-gnu-g++', pkg: 'g++-x86-64-linux-gnu' });
  assert.deepEqual(compilerFor('arm64', 'g++', 'arm64'), { needs: 'g++', pkg: 'g++' });
  assert.equal(crossCompilePrefix('armhf', 'arm64'), 'arm-linux-gnueabihf-');
  assert.equal(crossCompilePrefix('x86_64', 'x64'), '');
});

test('node\'s process.arch names each architecture once, and this machine\'s is one of them', () => {
  assert.deepEqual(['x64', 'arm64', 'arm', 'ia32', 'riscv64'].map(cpuArchOfNode), ['x86_64', 'arm64', 'armhf', undefined, undefined]);
  const here = cpuArchOfNode(process.arch);
  assert.ok(here && isNativeArch(here));
  assert.equal(CPU_ARCHES.filter((a) => isNativeArch(a)).length, 1);
});
