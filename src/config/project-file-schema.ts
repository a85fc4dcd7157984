import { z } from 'zod'
import { integer, text } from './config-fields.js'
import { securitySchema } from './security-schema.js'

/**
 * The project definition of SPEC §3.2 (`gatehouse apply -f project.yaml`).
 * This schema checks shape only; `apply` then checks every table, column and
 * expression against the real connection before anything is stored.
 */

/** Names agents type and tools carry: letters, digits and underscores, starting with a letter. */
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/
export const name = (what: string) =>
  text().regex(NAME, { error: `expected a ${what} name of letters, digits and underscores, starting with a letter` })

/** `table` or `schema.table`: plain identifiers only, so a name can never carry SQL. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/

const tableName = text().regex(TABLE_NAME, { error: 'expected a table name such as main.orders' })
const columnName = text().regex(COLUMN_NAME, { error: 'expected a column name of letters, digits and underscores' })

const description = z.string({ error: 'expected a string' }).max(2000).optional()

const duckdbConnection = z.strictObject({
  name: name('connection'),
  engine: z.literal('duckdb'),
  /** Relative to the project file; opened read-only with external access disabled. */
  path: text(),
  description,
  max_rows: integer(1).optional(),
})

const postgresConnection = z.strictObject({
  name: name('connection'),
  engine: z.literal('postgres'),
  /** Usually `${VAR}`: stored as written and resolved when the connection opens, so no password is stored. */
  url: text(),
  description,
  max_rows: integer(1).optional(),
  statement_timeout_ms: integer(1).optional(),
  max_connections: integer(1, 100).optional(),
})

export const connectionSchema = z.discriminatedUnion('engine', [duckdbConnection, postgresConnection], {
  error: 'expected engine: duckdb (with path) or engine: postgres (with url)',
})

export const DIMENSION_TYPES = ['string', 'number', 'time', 'boolean'] as const
export const AGGREGATIONS = ['sum', 'count', 'count_distinct', 'avg', 'min', 'max'] as const

const dimensionSchema = z.strictObject({
  name: name('dimension'),
  column: columnName,
  type: z.enum(DIMENSION_TYPES, { error: `expected one of ${DIMENSION_TYPES.join(', ')}` }),
  label: z.string().optional(),
  description,
  /** Declared sensitive: `filter_sensitive_fields` output policies drop it (SPEC §6). */
  sensitive: z.boolean().optional(),
})

const measureSchema = z
  .strictObject({
    name: name('measure'),
    /** A SQL expression over the dataset's columns; omitted only for `count` (rows). */
    expression: text().optional(),
    aggregation: z.enum(AGGREGATIONS, { error: `expected one of ${AGGREGATIONS.join(', ')}` }),
    label: z.string().optional(),
    description,
  })
  .refine((m) => m.expression !== undefined || m.aggregation === 'count', {
    error: 'an expression is required unless aggregation is count',
    path: ['expression'],
  })

const datasetSchema = z
  .strictObject({
    name: name('dataset'),
    connection: name('connection'),
    table: tableName.optional(),
    sql: text().optional(),
    description,
    dimensions: z.array(dimensionSchema).default([]),
    measures: z.array(measureSchema).default([]),
  })
  .refine((d) => (d.table === undefined) !== (d.sql === undefined), {
    error: 'expected exactly one of table or sql',
    path: ['table'],
  })

/** `dataset.column` */
const JOIN_SIDE = /^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_$]*$/
const joinSide = text().regex(JOIN_SIDE, { error: 'expected dataset.column, such as orders.customer_id' })

const domainSchema = z.strictObject({
  name: name('domain'),
  description,
  datasets: z.array(datasetSchema).min(1, { error: 'expected at least one dataset' }),
  joins: z.array(z.strictObject({ from: joinSide, to: joinSide })).default([]),
})

export const PARAMETER_TYPES = ['string', 'integer', 'number', 'boolean', 'date'] as const

const parameterSchema = z.strictObject({
  name: name('parameter'),
  type: z.enum(PARAMETER_TYPES, { error: `expected one of ${PARAMETER_TYPES.join(', ')}` }),
  description,
  /** A parameter without a default is required. */
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  min_length: integer(0).optional(),
  max_length: integer(0).optional(),
  pattern: text().optional(),
  enum: z
    .array(z.union([z.string(), z.number()]))
    .min(1)
    .optional(),
})

export const OUTPUT_POLICY_ACTIONS = ['filter_fields', 'mask_fields', 'filter_sensitive_fields'] as const

/** The first whose condition holds stops the call with its reason (SPEC §6). */
const inputPolicySchema = z.strictObject({
  /** CEL over `user`, `tenant`, `token` and the tool's parameters; compiled when the file is loaded. */
  condition: text(),
  action: z.literal('deny', { error: 'expected deny (an input policy stops the call when its condition holds)' }),
  /** Shown to the caller and written to the audit log. */
  reason: text(),
  description,
})

/** Shapes every row of the result; without a condition it always applies (SPEC §6). */
const outputPolicySchema = z
  .strictObject({
    condition: text().optional(),
    action: z.enum(OUTPUT_POLICY_ACTIONS, { error: `expected one of ${OUTPUT_POLICY_ACTIONS.join(', ')}` }),
    /** Columns the tool returns, or fields declared `sensitive: true`. */
    fields: z.array(columnName).min(1, { error: 'expected a list of at least one column name' }).optional(),
    description,
  })
  .superRefine((policy, ctx) => {
    if (policy.action === 'filter_sensitive_fields') {
      if (policy.fields !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields'],
          message: 'filter_sensitive_fields takes no fields: it removes the fields declared sensitive: true',
        })
      }
    } else if (policy.fields === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['fields'],
        message: `expected fields: the columns ${policy.action} applies to`,
      })
    }
  })

const toolPoliciesSchema = z.strictObject({
  input: z.array(inputPolicySchema).default([]),
  output: z.array(outputPolicySchema).default([]),
})

const toolSchema = z.strictObject({
  name: name('tool'),
  title: z.string().optional(),
  description: text(),
  connection: name('connection'),
  parameters: z.array(parameterSchema).default([]),
  sql: text(),
  max_rows: integer(1).optional(),
  /** Tool policies (SPEC §6): input policies may deny the call, output policies shape its rows. */
  policies: toolPoliciesSchema.optional(),
})

export const projectFileSchema = z.strictObject({
  project: name('project'),
  description,
  connections: z.array(connectionSchema).default([]),
  domains: z.array(domainSchema).default([]),
  /** Connection-, schema/column- and row-level security (SPEC §3.2). Absent: nobody sees any connection. */
  security: securitySchema.optional(),
  tools: z.array(toolSchema).default([]),
})

export type ProjectFile = z.infer<typeof projectFileSchema>
export type ConnectionDefinition = ProjectFile['connections'][number]
export type DomainDefinition = ProjectFile['domains'][number]
export type DatasetDefinition = DomainDefinition['datasets'][number]
export type DimensionDefinition = DatasetDefinition['dimensions'][number]
export type MeasureDefinition = DatasetDefinition['measures'][number]
export type JoinDefinition = DomainDefinition['joins'][number]
export type ToolFileDefinition = ProjectFile['tools'][number]
export type ParameterDefinition = ToolFileDefinition['parameters'][number]
export type ToolPoliciesDefinition = NonNullable<ToolFileDefinition['policies']>
export type InputPolicyDefinition = ToolPoliciesDefinition['input'][number]
export type OutputPolicyDefinition = ToolPoliciesDefinition['output'][number]
export type OutputPolicyAction = (typeof OUTPUT_POLICY_ACTIONS)[number]
export type DimensionType = (typeof DIMENSION_TYPES)[number]
export type Aggregation = (typeof AGGREGATIONS)[number]
