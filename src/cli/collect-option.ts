/** Commander's accumulator for a repeatable option (`--group a --group b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}
