#!/usr/bin/env node
import { EXIT } from './exit-codes.js';
import { main } from './main.js';

// A reader that closes the pipe early (`history cat … | head`) is not an error; any other
// failure to write the results is one line, like every error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  process.stderr.write(`history: cannot write to stdout: ${error.message}\n`);
  process.exit(EXIT.failure);
});

process.exitCode = await main(process.argv);
