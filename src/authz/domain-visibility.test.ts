import { describe, expect, it } from 'vitest'
import { projectFileSchema } from '../config/project-file-schema.js'
import type { ConnectionRestrictions, RowAlternative } from '../data/sql/restrictions.js'
import type { CatalogView } from './access-policy.js'
import { restrictDomain } from './domain-visibility.js'

const [domain] = projectFileSchema.parse({
  project: 'p',
  connections: [{ name: 'w', engine: 'duckdb', path: '/w.duckdb' }],
  domains: [
    {
      name: 'sales',
      datasets: [
        {
          name: 'orders',
          connection: 'w',
          table: 'orders',
          dimensions: [
            { name: 'region', column: 'region', type: 'string' },
            { name: 'margin_band', column: 'Margin', type: 'string' },
          ],
          measures: [
            { name: 'revenue', expression: 'amount', aggregation: 'sum' },
            { name: 'profit', expression: 'amount - "Margin"', aggregation: 'sum' },
            { name: 'labelled', expression: "CASE WHEN note = 'margin' THEN 1 END", aggregation: 'sum' },
            { name: 'orders', aggregation: 'count' },
          ],
        },
        {
          name: 'customers',
          connection: 'w',
          table: 'main.customers',
          dimensions: [{ name: 'customer', column: 'name', type: 'string' }],
        },
        { name: 'recent', connection: 'w', sql: 'SELECT * FROM orders WHERE amount > 0' },
      ],
      joins: [
        { from: 'orders.customer_id', to: 'customers.id' },
        { from: 'orders.margin', to: 'recent.id' },
      ],
    },
  ],
}).domains

const catalog: CatalogView = {
  defaultSchema: 'main',
  tables: [
    { schema: 'main', name: 'orders', columns: ['id', 'customer_id', 'region', 'amount', 'margin', 'note'] },
    { schema: 'main', name: 'customers', columns: ['id', 'name'] },
  ],
}

function restrictions(tables: Record<string, readonly (readonly string[])[]>): ConnectionRestrictions {
  return {
    tables: new Map(
      Object.entries(tables).map(([key, alternatives]) => {
        const [schema = '', table = ''] = key.split('.')
        const alts: RowAlternative[] = alternatives.map((columns, i) => ({
          policy: `p${i}`,
          rules: [],
          columns,
          predicate: null,
        }))
        return [key, { schema, table, alternatives: alts }]
      }),
    ),
  }
}

const names = (d: ReturnType<typeof restrictDomain>) => ({
  datasets: d?.datasets.map((ds) => ds.name),
  dimensions: d?.datasets.flatMap((ds) => ds.dimensions.map((x) => x.name)),
  measures: d?.datasets.flatMap((ds) => ds.measures.map((x) => x.name)),
  joins: d?.joins.map((j) => `${j.from}>${j.to}`),
})

describe('what of a domain a principal sees (SLS, standard mode)', () => {
  const sales = domain as NonNullable<typeof domain>
  const all = catalog.tables.map((t) => t.columns)

  it('keeps the whole domain when every table and column is visible', () => {
    const visible = restrictDomain(
      sales,
      restrictions({ 'main.orders': [all[0] ?? []], 'main.customers': [all[1] ?? []] }),
      catalog,
    )
    expect(visible).toEqual(sales)
  })

  it('drops a dataset over a hidden table and the joins through it', () => {
    const visible = restrictDomain(sales, restrictions({ 'main.orders': [all[0] ?? []] }), catalog)
    expect(names(visible)).toMatchObject({ datasets: ['orders', 'recent'], joins: ['orders.margin>recent.id'] })
  })

  it('drops the dimensions on hidden columns, the measures whose expression names one, and joins on them', () => {
    const visible = restrictDomain(
      sales,
      restrictions({
        'main.orders': [['id', 'customer_id', 'region', 'amount', 'note']],
        'main.customers': [['id', 'name']],
      }),
      catalog,
    )
    expect(names(visible)).toEqual({
      datasets: ['orders', 'customers', 'recent'],
      dimensions: ['region', 'customer'],
      // "Margin" quoted counts; the word margin inside a string literal does not.
      measures: ['revenue', 'labelled', 'orders'],
      joins: ['orders.customer_id>customers.id'],
    })
  })

  it('sees a column any one policy admits (the union of the alternatives)', () => {
    const visible = restrictDomain(
      sales,
      restrictions({
        'main.orders': [
          ['id', 'region'],
          ['margin', 'amount', 'customer_id', 'note'],
        ],
      }),
      catalog,
    )
    expect(names(visible).dimensions).toEqual(['region', 'margin_band'])
  })

  it('hides the domain when none of its table datasets is visible and it has no other', () => {
    const tableOnly = { ...sales, datasets: sales.datasets.filter((d) => d.table !== undefined) }
    expect(restrictDomain(tableOnly, restrictions({}), catalog)).toBeUndefined()
  })
})
