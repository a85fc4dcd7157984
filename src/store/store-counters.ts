import type { Kysely, Transaction } from 'kysely'
import type { Database } from './database.js'

export const STORE_COUNTERS = ['credentials', 'catalog'] as const
export type StoreCounter = (typeof STORE_COUNTERS)[number]

/** Increments a change counter; call it inside the transaction that makes the change. */
export async function bumpCounter(db: Kysely<Database> | Transaction<Database>, counter: StoreCounter): Promise<void> {
  await db
    .updateTable('store_counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', counter)
    .execute()
}
