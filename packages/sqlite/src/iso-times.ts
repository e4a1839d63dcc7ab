/**
 * Formats epoch milliseconds as ISO-8601, reusing the previous result for the same instant:
 * the records of one batch share their commit time, so a page formats each batch's once.
 */
export function isoTimes(): (ms: number) => string {
  let lastMs = Number.NaN;
  let lastIso = '';
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = new Date(ms).toISOString();
    }
    return lastIso;
  };
}
