/** A fetch() failure with its cause (Node's fetch says only "fetch failed"; the cause says why). */
export function fetchFailure(e) {
  const cause = e?.cause?.message ?? e?.cause?.code;
  return `${e?.message ?? e}${cause ? ` (${cause})` : ''}`;
}
