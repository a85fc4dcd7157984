// Order statistics of latency samples, as every bench reports them.

/** The sample at percentile `p` (0–100) of an ascending array: the nearest rank below, no interpolation. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** p50, p90 and p99 of unsorted samples (the array is left as it was). */
export function percentiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) }
}
