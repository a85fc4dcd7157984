/**
 * The nodes of DuckDB's `json_serialize_sql` AST as the row-level rewrite
 * (`duckdb-rewrite.ts`) reads and builds them, and the few shapes every part
 * of it needs. Nodes are never mutated: every transform returns new ones.
 */
export type Node = Readonly<Record<string, unknown>>

export function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A statement with its `named_param_map`, which DuckDB derives from the placeholders the query holds. */
export function statement(node: Node): Node {
  const identifiers = new Set<string>()
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect)
    else if (isNode(value)) {
      if (value.class === 'PARAMETER') identifiers.add(String(value.identifier))
      Object.values(value).forEach(collect)
    }
  }
  collect(node)
  const sorted = [...identifiers].sort((a, b) => Number(a) - Number(b))
  return { node, named_param_map: sorted.map((key) => ({ key, value: Number(key) })) }
}

export function omit(node: Node, ...keys: string[]): Node {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) if (!keys.includes(key)) out[key] = value
  return out
}
