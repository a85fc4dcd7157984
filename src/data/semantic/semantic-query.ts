import { z } from 'zod'

export const FILTER_OPERATORS = [
  '=',
  '!=',
  '>',
  '>=',
  '<',
  '<=',
  'in',
  'not_in',
  'contains',
  'between',
  'is_null',
] as const
export type FilterOperator = (typeof FILTER_OPERATORS)[number]

/** What `date_trunc` accepts on both engines, weeks starting on Monday (ISO 8601) on both. */
export const TIME_GRANULARITIES = ['day', 'week', 'month', 'quarter', 'year'] as const
export type TimeGranularity = (typeof TIME_GRANULARITIES)[number]

export const SORT_DIRECTIONS = ['asc', 'desc'] as const
export type SortDirection = (typeof SORT_DIRECTIONS)[number]

const fieldReference = z.string().min(1)

export const semanticFilterSchema = z.strictObject({
  field: fieldReference.describe('A dimension (restricts rows) or a measure (restricts groups): name or dataset.name'),
  op: z.enum(FILTER_OPERATORS).describe(`One of ${FILTER_OPERATORS.join(', ')}`),
  value: z
    .unknown()
    .optional()
    .describe(
      'A string, number or boolean matching the field type (times as ISO text, such as "2026-01-31"); ' +
        'a non-empty array for in and not_in; [low, high] for between (inclusive); a string for contains ' +
        '(case-insensitive substring); true (IS NULL, the default) or false (IS NOT NULL) for is_null',
    ),
})
export type SemanticFilter = z.infer<typeof semanticFilterSchema>

export const semanticOrderSchema = z.union([
  fieldReference,
  z.strictObject({
    field: fieldReference,
    direction: z.enum(SORT_DIRECTIONS).optional().describe('asc (default) or desc'),
  }),
])
export type SemanticOrder = z.infer<typeof semanticOrderSchema>

/**
 * The arguments of the `query` tool (standard mode), as fields so that the tool
 * can add its own (`project`, `response_format`) to the same object.
 */
export const semanticQueryShape = {
  domain: z.string().min(1).describe('The domain to query, as named by describe_domain'),
  dimensions: z
    .array(fieldReference)
    .default([])
    .describe(
      'Dimensions to group by, each as name or dataset.name (dataset.name when the name is in several datasets). ' +
        `A time dimension takes a granularity suffix, such as order_date:month (${TIME_GRANULARITIES.join(', ')})`,
    ),
  measures: z
    .array(fieldReference)
    .default([])
    .describe('Measures to aggregate over the dimensions, each as name or dataset.name'),
  filters: z
    .array(semanticFilterSchema)
    .default([])
    .describe('Conditions that must all hold, such as {"field": "region", "op": "=", "value": "EMEA"}'),
  order_by: z
    .array(semanticOrderSchema)
    .default([])
    .describe(
      'Selected dimensions or measures to sort by: "region" or {"field": "revenue", "direction": "desc"}. ' +
        'By default: the first time dimension ascending, else the first measure descending, then the dimensions',
    ),
  limit: z.int().min(1).optional().describe('Maximum rows to return; the server sets the default and the maximum'),
}

export const semanticQuerySchema = z.object(semanticQueryShape)
export type SemanticQuery = z.infer<typeof semanticQuerySchema>
