/**
 * Every name the compiler writes is quoted, even though the project schema
 * already limits names to letters, digits and underscores: a name is never
 * read as SQL, whatever a later schema change lets through.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** `main.orders` → `"main"."orders"`; `orders` → `"orders"`. */
export function quoteTableName(table: string): string {
  return table.split('.').map(quoteIdentifier).join('.')
}
