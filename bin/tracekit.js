#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
import { main } from '../dist/src/cli.js';

main(process.argv).catch((error) => {
  process.stderr.write(`tracekit: internal error: ${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 70;
});
