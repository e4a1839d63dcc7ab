/** A WAL position (`pg_lsn` as text, `X/Y` in hex) as a number that compares as positions do. */
export function parseLsn(text: string): bigint {
  const slash = text.indexOf('/');
  return (BigInt(`0x${text.slice(0, slash)}`) << 32n) | BigInt(`0x${text.slice(slash + 1)}`);
}
