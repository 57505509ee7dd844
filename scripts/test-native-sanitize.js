#!/usr/bin/env node
'use strict';
// Runs the native unit tests (native/dist/test, and the agent's pump tests that drive the addon)
// against the AddressSanitizer + UBSan build of the addon (FFS_LAB_NATIVE_SANITIZE=1 node
// native/build.js). node is not built with ASan, so libasan is preloaded; node leaks at exit by
// design, so leak detection is off. Any ASan or UBSan report aborts the test process, which fails
// the run. Exit status: the test runner's; 3 when the sanitizer build or libasan is missing.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const addon = path.join(root, 'native', 'build-sanitize', 'build', 'Release', 'ffs_native.node');
if (!fs.existsSync(addon)) {
  process.stderr.write(`test-native-sanitize: ${addon} is missing; build it with FFS_LAB_NATIVE_SANITIZE=1 node native/build.js\n`);
  process.exit(3);
}
const gcc = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' });
const libasan = gcc.status === 0 ? gcc.stdout.trim() : '';
if (!libasan || !path.isAbsolute(libasan) || !fs.existsSync(libasan)) {
  process.stderr.write('test-native-sanitize: libasan.so not found (gcc -print-file-name=libasan.so); install gcc\'s libasan\n');
  process.exit(3);
}
const tests = ['native/dist/test', 'gadget-agent/dist/test/native-pump.test.js'];
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...tests], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    LD_PRELOAD: libasan,
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    FFS_LAB_NATIVE_ADDON: addon,
  },
});
process.exit(r.status ?? 1);
