/** Migrations of the event store's own schema. Append new ones; never edit an applied one. */
export interface Migration {
  version: number;
  name: string;
  sql: (schema: string) => string;
}

export const EVENT_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'streams and events',
    sql: (s) => `
      create table ${s}.streams (
        stream_id text primary key,
        category text not null,
        -- revision of the last event; -1 while the stream has none
        revision bigint not null default -1,
        truncate_before bigint not null default 0,
        max_count bigint,
        max_age_seconds bigint,
        custom jsonb,
        deleted boolean not null default false,
        tombstoned boolean not null default false,
        updated_at timestamptz not null default now()
      );

      create table ${s}.events (
        -- read order is (transaction_id, seq): see docs/architecture.md, "Global order"
        transaction_id xid8 not null default pg_current_xact_id(),
        seq bigint generated always as identity,
        event_id uuid not null,
        stream_id text not null,
        revision bigint not null,
        category text not null,
        type text not null,
        data jsonb not null,
        metadata jsonb not null,
        recorded_at timestamptz not null default now(),
        primary key (transaction_id, seq),
        constraint events_event_id_unique unique (event_id),
        constraint events_stream_revision_unique unique (stream_id, revision)
      );
      create index events_category_order on ${s}.events (category, transaction_id, seq);

      -- One round trip per append: checks, idempotency, revision and insert.
      -- p_expected: >= 0 a revision, -1 no_stream, -2 any, -3 exists.
      create function ${s}.append_events(
        p_stream_id text, p_category text, p_expected bigint,
        p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) returns table (duplicate boolean, last_revision bigint, last_transaction_id xid8, last_seq bigint)
      language plpgsql volatile
      -- plans are made for the arguments of each call: a plan cached while the table was small
      -- (a sequential scan) would otherwise stay with the connection as the table grows
      set plan_cache_mode = force_custom_plan
      as $fn$
      declare
        v_stream ${s}.streams%rowtype;
        v_found boolean;
        v_existing int;
        v_matching int;
        v_offsets int;
        v_last_seq bigint;
        v_count int := cardinality(p_ids);
      begin
        for attempt in 1..2 loop
          select * into v_stream from ${s}.streams where stream_id = p_stream_id for update;
          v_found := found;

          -- A retry of an earlier append (same ids, same stream, same payloads, same order) answers
          -- with the first result and writes nothing; any other reuse of an id is refused.
          -- One index lookup per id (lateral), whatever plan the statistics of a young table suggest.
          select count(e.event_id),
                 count(e.event_id) filter (where e.stream_id = p_stream_id and e.type = p_types[i.ord] and e.data = p_data[i.ord]),
                 count(distinct e.revision - i.ord)
            into v_existing, v_matching, v_offsets
            from unnest(p_ids) with ordinality as i(id, ord)
            cross join lateral (select x.event_id, x.stream_id, x.type, x.data, x.revision
                                  from ${s}.events x where x.event_id = i.id) e;
          if v_existing > 0 then
            if v_existing = v_count and v_matching = v_count and v_offsets = 1 then
              return query
                select true, e.revision, e.transaction_id, e.seq from ${s}.events e
                 where e.event_id = p_ids[v_count];
              return;
            end if;
            raise exception using errcode = 'CE003', message = 'idempotency conflict',
              detail = (select json_build_object('eventId', e.event_id, 'streamId', e.stream_id,
                          'sameStream', e.stream_id = p_stream_id)::text
                          from ${s}.events e where e.event_id = any(p_ids) limit 1);
          end if;

          if v_found then
            if v_stream.tombstoned then
              raise exception using errcode = 'CE002', message = 'stream deleted';
            end if;
            if (p_expected = -1 and v_stream.revision >= 0 and not v_stream.deleted)
               or (p_expected = -3 and (v_stream.revision < 0 or v_stream.deleted))
               or (p_expected >= 0 and v_stream.revision <> p_expected) then
              raise exception using errcode = 'CE001', message = 'wrong expected revision',
                detail = v_stream.revision::text;
            end if;
            exit;
          end if;

          if p_expected >= 0 or p_expected = -3 then
            raise exception using errcode = 'CE001', message = 'wrong expected revision', detail = '-1';
          end if;
          insert into ${s}.streams (stream_id, category) values (p_stream_id, p_category)
            on conflict do nothing;
          if found then
            select * into v_stream from ${s}.streams where stream_id = p_stream_id;
            exit;
          end if;
          -- another writer created the stream meanwhile: lock it and check again
        end loop;

        with inserted as (
          insert into ${s}.events (event_id, stream_id, revision, category, type, data, metadata)
          select i.id, p_stream_id, v_stream.revision + i.ord, p_category, p_types[i.ord], p_data[i.ord], p_metadata[i.ord]
            from unnest(p_ids) with ordinality as i(id, ord)
           order by i.ord
          returning seq)
        select max(seq) into v_last_seq from inserted;

        update ${s}.streams
           set revision = v_stream.revision + v_count, deleted = false, updated_at = now()
         where stream_id = p_stream_id;

        -- No NOTIFY here: a transaction that notifies holds a cluster-wide lock through its
        -- commit flush, which would serialise concurrent appends. The adapter notifies after.

        return query
          select false, v_stream.revision + v_count, pg_current_xact_id(), v_last_seq;
      end
      $fn$;
    `,
  },
  {
    version: 2,
    // Issue 13, defect 6: a retry of part of an earlier append answered the revision of its own
    // last event, not the first answer; and metadata was not compared.
    name: 'append_events compares metadata and answers a partial retry with the first result',
    sql: (s) => `
      create or replace function ${s}.append_events(
        p_stream_id text, p_category text, p_expected bigint,
        p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) returns table (duplicate boolean, last_revision bigint, last_transaction_id xid8, last_seq bigint)
      language plpgsql volatile
      -- plans are made for the arguments of each call: a plan cached while the table was small
      -- (a sequential scan) would otherwise stay with the connection as the table grows
      set plan_cache_mode = force_custom_plan
      as $fn$
      declare
        v_stream ${s}.streams%rowtype;
        v_found boolean;
        v_existing int;
        v_matching int;
        v_offsets int;
        v_appends int;
        v_first_tx xid8;
        v_conflict text;
        v_last_seq bigint;
        v_count int := cardinality(p_ids);
      begin
        for attempt in 1..2 loop
          select * into v_stream from ${s}.streams where stream_id = p_stream_id for update;
          v_found := found;

          -- A retry of an earlier append, or of part of it (same ids, same stream, same type, data
          -- and metadata, same order, all from that one append) answers with that append's result:
          -- the revision and position of its last event. Any other reuse of an id is refused, naming
          -- the first id whose stored event differs (else the first one found).
          -- One index lookup per id (lateral), whatever plan the statistics of a young table suggest.
          select count(e.event_id),
                 count(e.event_id) filter (where e.same),
                 count(distinct e.revision - i.ord),
                 count(distinct e.transaction_id),
                 (array_agg(e.transaction_id order by i.ord))[1],
                 (array_agg(json_build_object('eventId', e.event_id, 'streamId', e.stream_id,
                    'sameStream', e.stream_id = p_stream_id, 'sameContent', e.same, 'revision', e.revision)::text
                    order by e.same, i.ord))[1]
            into v_existing, v_matching, v_offsets, v_appends, v_first_tx, v_conflict
            from unnest(p_ids) with ordinality as i(id, ord)
            cross join lateral (select x.event_id, x.stream_id, x.revision, x.transaction_id,
                                       (x.stream_id = p_stream_id and x.type = p_types[i.ord]
                                        and x.data = p_data[i.ord] and x.metadata = p_metadata[i.ord]) as same
                                  from ${s}.events x where x.event_id = i.id) e;
          if v_existing > 0 then
            if v_existing = v_count and v_matching = v_count and v_offsets = 1 and v_appends = 1 then
              -- the events of one append share its transaction id (the adapter runs each alone)
              return query
                select true, e.revision, e.transaction_id, e.seq from ${s}.events e
                 where e.transaction_id = v_first_tx and e.stream_id = p_stream_id
                 order by e.seq desc limit 1;
              return;
            end if;
            raise exception using errcode = 'CE003', message = 'idempotency conflict', detail = v_conflict;
          end if;

          if v_found then
            if v_stream.tombstoned then
              raise exception using errcode = 'CE002', message = 'stream deleted';
            end if;
            if (p_expected = -1 and v_stream.revision >= 0 and not v_stream.deleted)
               or (p_expected = -3 and (v_stream.revision < 0 or v_stream.deleted))
               or (p_expected >= 0 and v_stream.revision <> p_expected) then
              raise exception using errcode = 'CE001', message = 'wrong expected revision',
                detail = v_stream.revision::text;
            end if;
            exit;
          end if;

          if p_expected >= 0 or p_expected = -3 then
            raise exception using errcode = 'CE001', message = 'wrong expected revision', detail = '-1';
          end if;
          insert into ${s}.streams (stream_id, category) values (p_stream_id, p_category)
            on conflict do nothing;
          if found then
            select * into v_stream from ${s}.streams where stream_id = p_stream_id;
            exit;
          end if;
          -- another writer created the stream meanwhile: lock it and check again
        end loop;

        with inserted as (
          insert into ${s}.events (event_id, stream_id, revision, category, type, data, metadata)
          select i.id, p_stream_id, v_stream.revision + i.ord, p_category, p_types[i.ord], p_data[i.ord], p_metadata[i.ord]
            from unnest(p_ids) with ordinality as i(id, ord)
           order by i.ord
          returning seq)
        select max(seq) into v_last_seq from inserted;

        update ${s}.streams
           set revision = v_stream.revision + v_count, deleted = false, updated_at = now()
         where stream_id = p_stream_id;

        -- No NOTIFY here: a transaction that notifies holds a cluster-wide lock through its
        -- commit flush, which would serialise concurrent appends. The adapter notifies after.

        return query
          select false, v_stream.revision + v_count, pg_current_xact_id(), v_last_seq;
      end
      $fn$;
    `,
  },
];
