/** The values of a statement's positional placeholders (`$1`, `$2`…), in the order they are written. */
export class SqlParameters {
  readonly #values: unknown[] = []

  /** Binds a value and returns the placeholder that stands for it. */
  add(value: unknown): string {
    this.#values.push(value)
    return `$${this.#values.length}`
  }

  get values(): readonly unknown[] {
    return [...this.#values]
  }
}
