#!/usr/bin/env node
// The `clasper` command (package.json "bin"). Runs the compiled CLI when `npm run build` has made
// one, else the TypeScript source through tsx, so it works in a fresh checkout too.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, '..', 'dist', 'src', 'cli', 'index.js');
let cli;
if (fs.existsSync(compiled)) {
  cli = require(compiled);
} else {
  require('tsx/cjs');
  cli = require('../src/cli/index.ts');
}

cli.main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`clasper: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
