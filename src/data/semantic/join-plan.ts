import type { DatasetDefinition, DomainDefinition } from '../../config/project-file-schema.js'
import { InputError } from '../../domain/errors.js'

/** One `LEFT JOIN`: `dataset` joins on `dataset.column = parent.parentColumn`, `parent` being joined already. */
export interface JoinStep {
  readonly dataset: DatasetDefinition
  readonly column: string
  readonly parent: string
  readonly parentColumn: string
}

interface Edge {
  readonly to: DatasetDefinition
  readonly column: string
  readonly toColumn: string
}

/**
 * The joins that connect `needed` to `base`: shortest paths along the domain's
 * joins (each usable in either direction), ordered so that every step's parent
 * comes before it. Datasets on a path but not needed are joined too.
 */
export function planJoins(domain: DomainDefinition, base: string, needed: Iterable<string>): JoinStep[] {
  const edges = joinGraph(domain)
  const parents = new Map<string, JoinStep | null>([[base, null]])
  const queue = [base]
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const edge of edges.get(next) ?? []) {
      if (parents.has(edge.to.name)) continue
      parents.set(edge.to.name, { dataset: edge.to, column: edge.toColumn, parent: next, parentColumn: edge.column })
      queue.push(edge.to.name)
    }
  }
  const joined = new Set<string>()
  for (const dataset of needed) {
    if (!parents.has(dataset)) {
      throw new InputError(
        `Dataset "${dataset}" cannot be joined to "${base}": ` +
          `domain "${domain.name}" declares no join path between them`,
      )
    }
    for (let step = parents.get(dataset); step != null; step = parents.get(step.parent)) joined.add(step.dataset.name)
  }
  // The map's order is the search order, so each parent precedes its children.
  return [...parents.values()].filter((step): step is JoinStep => step !== null && joined.has(step.dataset.name))
}

function joinGraph(domain: DomainDefinition): Map<string, Edge[]> {
  const known = new Map(domain.datasets.map((d) => [d.name, d]))
  const edges = new Map<string, Edge[]>()
  const add = (from: string, edge: Edge) => edges.set(from, [...(edges.get(from) ?? []), edge])
  for (const join of domain.joins) {
    const [fromName, fromColumn] = splitSide(join.from)
    const [toName, toColumn] = splitSide(join.to)
    const from = known.get(fromName)
    const to = known.get(toName)
    // A join naming a dataset the domain lacks cannot be walked; `apply` reports it.
    if (from === undefined || to === undefined || from === to) continue
    add(from.name, { to, column: fromColumn, toColumn })
    add(to.name, { to: from, column: toColumn, toColumn: fromColumn })
  }
  return edges
}

function splitSide(side: string): [string, string] {
  const dot = side.indexOf('.')
  return [side.slice(0, dot), side.slice(dot + 1)]
}
