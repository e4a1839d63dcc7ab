import cliProgress from 'cli-progress';
import { formatCount, formatDuration } from './format-values.js';

export interface ProgressOptions {
  /** What is running, e.g. `copy`. */
  label: string;
  /** Where progress goes (stderr). A TTY gets a bar; anything else a plain line now and then. */
  stream: NodeJS.WriteStream;
  /** `false`: nothing at all (`--no-progress`). */
  enabled: boolean;
  /** Seconds between plain lines when the stream is not a TTY. */
  intervalSeconds: number;
  /** The amount of work: events, or bytes of input when `unit` is `bytes`; unknown if absent. */
  total?: number;
  /** What `total` and `update(value)` count. Events are always counted for the rate. */
  unit?: 'events' | 'bytes';
}

/** Progress of a long command: rate in events/s and, when the total is known, an ETA. */
export interface Progress {
  /** `value`: work done in the progress's unit; `events`: events handled so far. */
  update(value: number, events?: number): void;
  stop(): void;
}

/** Rate over the last few seconds, so the ETA follows the current speed. */
const RATE_WINDOW_MS = 5000;

export function startProgress(options: ProgressOptions): Progress {
  if (!options.enabled) return { update() {}, stop() {} };
  const unit = options.unit ?? 'events';
  const started = Date.now();
  const samples: Array<{ at: number; events: number }> = [{ at: started, events: 0 }];
  let value = 0;
  let events = 0;
  const rate = () => {
    const now = Date.now();
    while (samples.length > 1 && now - samples[0]!.at > RATE_WINDOW_MS) samples.shift();
    const first = samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (events - first.events) / seconds : 0;
  };
  const record = (newValue: number, newEvents: number) => {
    value = newValue;
    events = newEvents;
    const now = Date.now();
    if (now - samples.at(-1)!.at >= 250) samples.push({ at: now, events });
  };

  if (options.stream.isTTY) {
    const known = options.total !== undefined && options.total > 0;
    const bar = new cliProgress.SingleBar(
      {
        stream: options.stream,
        format: known
          ? `${options.label} {bar} {percentage}% | {done} | {rate} ev/s | ETA {eta_formatted}`
          : `${options.label} {done} | {rate} ev/s`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    const payload = () => ({
      done:
        unit === 'bytes'
          ? `${formatCount(events)} events`
          : `${formatCount(value)}/${formatCount(options.total ?? 0)} events`,
      rate: formatCount(Math.round(rate())),
    });
    bar.start(known ? options.total! : 1, 0, payload());
    return {
      update(newValue, newEvents = newValue) {
        record(newValue, newEvents);
        bar.update(known ? Math.min(value, options.total!) : 0, payload());
      },
      stop() {
        bar.stop();
      },
    };
  }

  const line = () => {
    const parts = [`${options.label}: ${formatCount(events)} events`];
    if (options.total !== undefined && options.total > 0) {
      const share = Math.min(1, value / options.total);
      parts[0] +=
        unit === 'events'
          ? ` of ${formatCount(options.total)} (${Math.floor(share * 100)}%)`
          : ` (${Math.floor(share * 100)}% of the input)`;
      const elapsed = (Date.now() - started) / 1000;
      if (share > 0 && share < 1) {
        parts.push(`about ${formatDuration((elapsed / share) * (1 - share))} left`);
      }
    }
    parts.splice(1, 0, `${formatCount(Math.round(rate()))} ev/s`);
    options.stream.write(`${parts.join(', ')}\n`);
  };
  const timer = setInterval(line, options.intervalSeconds * 1000);
  timer.unref();
  return {
    update(newValue, newEvents = newValue) {
      record(newValue, newEvents);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
