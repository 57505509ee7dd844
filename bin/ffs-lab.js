#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled TypeScript (npm install runs `prepare`, which builds it).
const path = require('path');
const entry = path.join(__dirname, '..', 'dist', 'host-runner', 'src', 'cli', 'main.js');
let main;
try {
  main = require(entry).main;
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(entry)) {
    process.stderr.write('ffs-lab: not built yet; run `npm install` (or `npm run build`) in ' +
      path.join(__dirname, '..') + '\n');
    process.exit(2);
  }
  throw err;
}
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
