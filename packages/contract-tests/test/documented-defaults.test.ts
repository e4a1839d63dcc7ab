import { describe, expect, it } from 'vitest';
import { documentedDefaultProblems } from '../src/index.js';

const README = `
| option | default | meaning |
|---|---|---|
| \`root\` | (required) | where |
| \`durability\` | \`'os'\` | how |
| \`maxOpenFiles\` | \`8192\` | handles |
| \`worker\` | \`true\` | threads |
| \`pageBytes\` | \`4194304\` (4 MiB, core's \`DEFAULT_PAGE_BYTES\`) | budget |
| \`connectTimeoutMs\` | the URL's \`connect_timeout\`, else \`10000\` | timeout |
| \`copyThreshold\` | off | never |
| \`maxBatchSize\`, \`maxBatchBytes\` | core defaults | batching |
`;

describe('documentedDefaultProblems', () => {
  it('accepts a table that states every default', () => {
    const defaults = {
      durability: 'os',
      maxOpenFiles: 8192,
      worker: true,
      pageBytes: 4 * 1024 * 1024,
      connectTimeoutMs: 10_000,
      copyThreshold: Number.POSITIVE_INFINITY,
    };
    expect(documentedDefaultProblems(README, defaults, { copyThreshold: 'off' })).toEqual([]);
  });

  it('names each default the table misstates or leaves out', () => {
    const defaults = { durability: 'fsync', maxOpenFiles: 4, worker: false, readers: 2 };
    expect(documentedDefaultProblems(README, defaults)).toEqual([
      "durability: the README says `'os'`, the defaults object fsync",
      'maxOpenFiles: the README says `8192`, the defaults object 4',
      'worker: the README says `true`, the defaults object false',
      "readers: no row in the README's option table",
    ]);
    expect(
      documentedDefaultProblems(README, { copyThreshold: 1 }, { copyThreshold: 'never' }),
    ).toEqual(['copyThreshold: the README says off, the defaults object 1']);
  });
});
