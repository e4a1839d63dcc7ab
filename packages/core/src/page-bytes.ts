/**
 * Default byte budget of one page a backend's `readPages` yields, counted as the records'
 * envelope JSON (`json.length`; SQL backends may count UTF-8 bytes, never fewer). A page
 * ends once it holds a record and the next one would take it past the budget; a record
 * larger than the budget is a page on its own. With row counts alone, a session of large
 * envelopes made pages of hundreds of MiB (1,000 rows of 800 KiB), and a prefetched page
 * as much again.
 */
export const DEFAULT_PAGE_BYTES = 4 * 1024 * 1024;
