import type { ContactErasedPayload, RecordedEvent } from '@clientela/contracts';
import { defineProjection, writeRowChanges, type ProjectionTransaction, type RowChange, type RowProjection, type SqlProjection, type TableDefinition } from '@clientela/projections';

/** A ContactErased event as a read model's scrub reads it. */
export type ContactErasedEvent = RecordedEvent & { data: ContactErasedPayload & Record<string, unknown> };

/** Replaces the erased person's values in the read model's tables (unqualified: the copy being written is on the search path). */
export type ErasureScrub = (event: ContactErasedEvent, tx: ProjectionTransaction) => Promise<void>;

/**
 * A row projection that also scrubs its rows when a person is erased. Row changes are keyed by whole
 * primary keys, and an erasure must clear rows whose keys are the personal values themselves (an
 * email), which ContactErased cannot name; so ContactErased runs SQL, in order with the batch's
 * other events (the changes before it are written first). A rebuild after the erasure reads the
 * sealed fields as erased markers, then meets the same ContactErased.
 */
export const scrubbedOnErasure = <Tables extends Record<string, TableDefinition>>(projection: RowProjection<Tables>, scrub: ErasureScrub): SqlProjection<Tables> =>
  defineProjection<SqlProjection<Tables>>({
    name: projection.name,
    version: projection.version,
    tables: projection.tables,
    eventTypes: [...new Set([...projection.eventTypes, 'ContactErased'])],
    ...(projection.categories ? { categories: [...new Set([...projection.categories, 'contact'])] } : {}),
    apply: async (events, tx) => {
      let pending: RowChange[] = [];
      for (const event of events) {
        if (event.type !== 'ContactErased') {
          pending.push(...projection.project(event));
          continue;
        }
        if (pending.length > 0) await writeRowChanges(tx.client, projection, pending);
        pending = [];
        await scrub(event as ContactErasedEvent, tx);
      }
      if (pending.length > 0) await writeRowChanges(tx.client, projection, pending);
    },
  });
