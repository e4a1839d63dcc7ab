import type { Progress } from './run-benchmark.js';

const FRAMES = ['|', '/', '-', '\\'];

/**
 * A progress line on stderr: redrawn in place on a terminal, one line per
 * step otherwise (CI logs), so stdout stays clean for the table.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr) {
  const started = performance.now();
  let current = 'starting';
  let frame = 0;
  const tty = stream.isTTY === true;
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
  const draw = () => {
    if (tty) stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${elapsed()} ${current}`);
  };
  const timer = tty ? setInterval(draw, 100) : undefined;
  timer?.unref();
  return {
    update(p: Progress) {
      current = `[${p.done}/${p.total}] ${p.adapter} ${p.kind}: ${p.step}`;
      if (tty) draw();
      else stream.write(`${elapsed()} ${current}\n`);
    },
    stop() {
      if (timer) clearInterval(timer);
      if (tty) stream.write(`\r\x1b[2K`);
      stream.write(`finished in ${elapsed()}\n`);
    },
  };
}
