/**
 * A name as DuckDB compares names: case-insensitively in ASCII only, after its
 * parser has put the text in Unicode NFC. `"ÅB"` and `åb`, or `K` (the Kelvin
 * sign) and `k`, are two names to DuckDB and must stay two here, or a CTE named
 * one could hide the table named the other from the guard.
 */
export function foldDuckDbName(name: string): string {
  return name.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
}
