import type { DatasetDefinition, MeasureDefinition } from '../../config/project-file-schema.js'
import { GatehouseError } from '../../domain/errors.js'
import type { Engine } from '../engine.js'
import type { DimensionField, MeasureField } from './field-reference.js'
import { quoteIdentifier, quoteTableName } from './sql-identifier.js'

export type SqlDialect = Engine['kind']

/** The column a dataset's derived table gives a measure's expression. */
function measureColumn(measure: MeasureDefinition): string {
  return quoteIdentifier(`__m_${measure.name}`)
}

export function dimensionSql(field: DimensionField): string {
  const column = `${quoteIdentifier(field.dataset.name)}.${quoteIdentifier(field.dimension.column)}`
  if (field.granularity === undefined) return column
  // date_trunc answers a timestamp on both engines; a bucket of a day or more reads best as a date.
  return `CAST(date_trunc('${field.granularity}', ${column}) AS DATE)`
}

/** `count` without an expression counts the base dataset's rows, or a joined dataset's matched rows. */
export function measureSql(field: MeasureField, baseDataset: string): string {
  const { measure, dataset } = field
  const column = `${quoteIdentifier(dataset.name)}.${measureColumn(measure)}`
  switch (measure.aggregation) {
    case 'count':
      return measure.expression === undefined && dataset.name === baseDataset ? 'count(*)' : `count(${column})`
    case 'count_distinct':
      return `count(DISTINCT ${column})`
    case 'sum':
    case 'avg':
    case 'min':
    case 'max':
      return `${measure.aggregation}(${column})`
  }
}

/**
 * A dataset as a derived table that computes its measures' expressions next to
 * its own columns. The expressions are the project author's SQL over that
 * dataset's columns; evaluated inside it, they cannot become ambiguous (or
 * pick up another dataset's column) once other datasets are joined.
 */
export function datasetSource(dataset: DatasetDefinition, measures: readonly MeasureDefinition[]): string {
  // A `count` without expression still gets a column: a joined dataset's rows are counted where it matched.
  const columns = measures.map((m) => `, (${m.expression ?? '1'}) AS ${measureColumn(m)}`).join('')
  return `(SELECT *${columns} FROM ${datasetFrom(dataset)}) AS ${quoteIdentifier(dataset.name)}`
}

function datasetFrom(dataset: DatasetDefinition): string {
  if (dataset.table !== undefined) return quoteTableName(dataset.table)
  if (dataset.sql === undefined) {
    throw new GatehouseError('CONFIG_INVALID', `Dataset "${dataset.name}" has neither table nor sql`)
  }
  // On lines of its own, so that a trailing `-- comment` in the author's SQL cannot swallow what follows.
  return `(\n${dataset.sql.replace(/[\s;]+$/, '')}\n) AS "__src"`
}
