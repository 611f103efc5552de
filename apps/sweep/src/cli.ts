#!/usr/bin/env node
/** The `lazytlb` executable. */
import { main } from './cli/program.js';

// stdout closed by its reader (`lazytlb sweep --json | head`, a closed pipe): say so in one line
// and exit 2 (what was computed is in --out when given), never an unhandled-error stack.
let stdoutFailed = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  stdoutFailed = true;
  process.stderr.write(`lazytlb: cannot write to stdout: ${e.code ?? e.message}${e.code === 'EPIPE' ? ' (the reader closed it)' : ''}\n`);
  process.exitCode = 2;
});

main(process.argv.slice(2)).then(
  (code) => {
    // A failed stdout (reported above, whenever it comes) wins over the command's own code.
    process.exitCode = stdoutFailed ? 2 : code;
  },
  (e: unknown) => {
    process.stderr.write(`lazytlb: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 3;
  },
);
