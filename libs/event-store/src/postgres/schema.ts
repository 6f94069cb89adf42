import type { Migration } from '@clientela/postgres';

/**
 * The statements of append_to_streams (migrations 3 and 7) that create the streams a call names and
 * do not exist, then lock the others, each in stream id order; into v_created, v_state_* and
 * v_existing. Shared text: migration 3's is what it applied.
 */
const createAndLockStreams = (s: string): string => `        with created as (
          insert into ${s}.streams (stream_id, category, revision)
          select t.stream_id, min(t.category), sum(v_counts[t.a]) - 1
            from unnest(p_streams, p_categories) with ordinality as t(stream_id, category, a)
           group by t.stream_id
           order by t.stream_id
          on conflict do nothing
          returning stream_id)
        select coalesce(array_agg(c.stream_id), '{}') into v_created from created c;

        with wanted as (
          select q.stream_id from (select distinct t.stream_id from unnest(p_streams) as t(stream_id)
                                   except select unnest(v_created)) q
           order by q.stream_id
        ), locked as (
          select l.stream_id, l.revision, l.deleted, l.tombstoned
            from wanted w
            cross join lateral (select st.stream_id, st.revision, st.deleted, st.tombstoned from ${s}.streams st
                                 where st.stream_id = w.stream_id for update) l
        ), state as (
          select l.stream_id, l.revision, l.deleted, l.tombstoned, true as existed from locked l
          union all
          select c.stream_id, -1, false, false, false from unnest(v_created) as c(stream_id)
        )
        select array_agg(x.stream_id), array_agg(x.revision), array_agg(x.deleted), array_agg(x.tombstoned),
               coalesce(array_agg(x.stream_id) filter (where x.existed), '{}')
          into v_state_ids, v_state_revisions, v_state_deleted, v_state_tombstoned, v_existing
          from state x;
`;

/**
 * The statement of append_to_streams (migrations 3 and 7) that inserts the events of the StreamAppends
 * not answered as duplicates (`v_dup`) in call order, moves the revisions of the streams that existed
 * and finds each StreamAppend's last seq (v_last_seq). `events`: the five arrays, StreamAppend index,
 * id, type, data and metadata. Shared text: migration 3's is what it applied.
 */
const insertEventsInCallOrder = (s: string, events: string): string => `        with ev as (
          select e.a, e.id, e.type, e.data, e.metadata, e.ord,
                 row_number() over (partition by e.a order by e.ord) as k
            from unnest(${events}) with ordinality as e(a, id, type, data, metadata, ord)
           where not v_dup[e.a]
        ), inserted as (
          insert into ${s}.events (event_id, stream_id, revision, category, type, data, metadata, append_last_revision)
          select ev.id, sa.stream_id, v_before[ev.a] + ev.k, sa.category, ev.type, ev.data, ev.metadata,
                 v_before[ev.a] + v_counts[ev.a]
            from ev
            join unnest(p_streams, p_categories) with ordinality as sa(stream_id, category, a) on sa.a = ev.a
           order by ev.ord
          returning stream_id, seq, append_last_revision
        ), appended as (
          select i.stream_id, i.append_last_revision, max(i.seq) as seq
            from inserted i group by i.stream_id, i.append_last_revision
        ), moved as (
          -- runs whether or not it is read, as every data-modifying WITH does
          update ${s}.streams st
             set revision = m.revision, deleted = false, updated_at = now()
            from (select x.stream_id, max(x.append_last_revision) as revision from appended x group by x.stream_id) m
           where st.stream_id = m.stream_id and st.stream_id = any(v_existing)
        )
        select array_agg(coalesce(l.seq, 0) order by t.a)
          into v_last_seq
          from unnest(p_streams) with ordinality as t(stream_id, a)
          left join appended l
            on not v_dup[t.a] and l.stream_id = t.stream_id and l.append_last_revision = v_before[t.a] + v_counts[t.a];
`;

/** Migrations of the event store's own schema. Append new ones; never edit an applied one. */

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
  {
    version: 3,
    name: 'append_to_streams: one atomic append to several streams; events know the last revision of their append',
    sql: (s) => `
      -- The last revision of the append that wrote the event: with the stream it names that append,
      -- also when one transaction (an appendToStreams call) appended to the stream more than once.
      -- Null for events written before (their append is known by its transaction id).
      alter table ${s}.events add column append_last_revision bigint;

      -- append_events as in migration 2, but an append is known by its last revision when its events
      -- have one, and it gives its events theirs. It stays beside append_to_streams for the one-stream
      -- case: planned per call like it, it costs a third of the time per append (fewer, simpler
      -- statements to plan), and one-event appends are what commands make.
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
        v_transactions int;
        v_last_revision bigint;
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
                 count(distinct coalesce(e.append_last_revision, -1)),
                 count(distinct e.transaction_id),
                 max(e.append_last_revision),
                 (array_agg(e.transaction_id order by i.ord))[1],
                 (array_agg(json_build_object('eventId', e.event_id, 'streamId', e.stream_id,
                    'sameStream', e.stream_id = p_stream_id, 'sameContent', e.same, 'revision', e.revision)::text
                    order by e.same, i.ord))[1]
            into v_existing, v_matching, v_offsets, v_appends, v_transactions, v_last_revision, v_first_tx, v_conflict
            from unnest(p_ids) with ordinality as i(id, ord)
            cross join lateral (select x.event_id, x.stream_id, x.revision, x.transaction_id, x.append_last_revision,
                                       (x.stream_id = p_stream_id and x.type = p_types[i.ord]
                                        and x.data = p_data[i.ord] and x.metadata = p_metadata[i.ord]) as same
                                  from ${s}.events x where x.event_id = i.id) e;
          if v_existing > 0 then
            if v_existing = v_count and v_matching = v_count and v_offsets = 1 and v_appends = 1 and v_transactions = 1 then
              if v_last_revision is not null then
                return query
                  select true, e.revision, e.transaction_id, e.seq from ${s}.events e
                   where e.stream_id = p_stream_id and e.revision = v_last_revision;
                return;
              end if;
              -- written before events kept their append's last revision: that append was alone in
              -- its transaction
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
          insert into ${s}.events (event_id, stream_id, revision, category, type, data, metadata, append_last_revision)
          select i.id, p_stream_id, v_stream.revision + i.ord, p_category, p_types[i.ord], p_data[i.ord], p_metadata[i.ord],
                 v_stream.revision + v_count
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

      -- One round trip for any number of appends (StreamAppends), all written or none.
      -- Per StreamAppend (index a, 1-based): p_streams, p_categories, p_expected (>= 0 a revision,
      -- -1 no_stream, -2 any, -3 exists). Per event, grouped by StreamAppend in call order:
      -- p_append (its a), p_ids, p_types, p_data, p_metadata. Answers one row per StreamAppend.
      -- Arrays of text are joined by index (unnest with ordinality), never subscripted: finding
      -- element i of a text array walks the i before it. Arrays subscripted here hold no nulls.
      create function ${s}.append_to_streams(
        p_streams text[], p_categories text[], p_expected bigint[],
        p_append int[], p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) returns table (append_index int, duplicate boolean, last_revision bigint, last_transaction_id xid8, last_seq bigint)
      language plpgsql volatile
      -- planned per call, as append_events; and never compiled by JIT: the estimates of its joins on
      -- unnested arrays pass jit_above_cost, and compiling took 130 ms of a 1,000-stream call
      set plan_cache_mode = force_custom_plan
      set jit = off
      as $fn$
      declare
        v_n int := cardinality(p_streams);
        v_counts bigint[];
        v_created text[];
        v_existing text[];
        v_state_ids text[];
        v_state_revisions bigint[];
        v_state_deleted boolean[];
        v_state_tombstoned boolean[];
        v_dup boolean[];
        v_dup_revision bigint[];
        v_dup_tx xid8[];
        v_dup_seq bigint[];
        v_conflict text;
        v_deleted text;
        v_wrong text;
        v_before bigint[];
        v_last_seq bigint[];
      begin
        select array_agg(coalesce(c.n, 0) order by g.a) into v_counts
          from generate_series(1, v_n) as g(a)
          left join (select x.a, count(*) as n from unnest(p_append) as x(a) group by x.a) c on c.a = g.a;

        -- Create the streams that do not exist, then lock the others, each in stream id order, so
        -- that two calls never wait for each other in a cycle (a call waits on an insert only before
        -- it locks anything). Another writer of a stream created here waits for this call to end.
        -- A created stream gets every event the call has for it at once (none of its StreamAppends
        -- can be a duplicate: it had no events), or the call fails and takes the row with it; so
        -- only the streams that existed are updated below.
${createAndLockStreams(s)}
        -- Each StreamAppend on its own, as append_events does for one: new (no id stored), a
        -- duplicate (every id stored, same stream, type, data and metadata, same order, all from one
        -- earlier append: answered with that append's last event), or an idempotency conflict.
        -- One index lookup per id (lateral; limit 1 keeps the planner from flattening it into a hash
        -- join over the whole events table).
        with sa as (
          select t.a::int as a, t.stream_id from unnest(p_streams) with ordinality as t(stream_id, a)
        ), ev as (
          select e.a, e.id, e.type, e.data, e.metadata,
                 row_number() over (partition by e.a order by e.ord) as k
            from unnest(p_append, p_ids, p_types, p_data, p_metadata) with ordinality as e(a, id, type, data, metadata, ord)
        ), found as (
          select ev.a, ev.k, sa.stream_id as wanted_stream, x.event_id, x.stream_id, x.revision, x.transaction_id,
                 x.append_last_revision,
                 (x.stream_id = sa.stream_id and x.type = ev.type and x.data = ev.data and x.metadata = ev.metadata) as same
            from ev
            join sa on sa.a = ev.a
            cross join lateral (select y.event_id, y.stream_id, y.revision, y.transaction_id, y.append_last_revision,
                                       y.type, y.data, y.metadata
                                  from ${s}.events y where y.event_id = ev.id limit 1) x
        ), classified as (
          select f.a, min(f.wanted_stream) as stream_id,
                 count(*) = v_counts[f.a] and count(*) filter (where f.same) = v_counts[f.a]
                   and count(distinct f.revision - f.k) = 1 and count(distinct f.transaction_id) = 1
                   and count(distinct coalesce(f.append_last_revision, -1)) = 1 as duplicate,
                 (array_agg(f.transaction_id order by f.k))[1] as first_tx,
                 max(f.append_last_revision) as append_last_revision,
                 (array_agg(json_build_object('appendIndex', f.a - 1, 'eventId', f.event_id, 'streamId', f.stream_id,
                    'sameStream', f.stream_id = f.wanted_stream, 'sameContent', f.same, 'revision', f.revision)::text
                    order by f.same, f.k))[1] as conflict
            from found f group by f.a
        ), answered as (
          -- the first append's last event: by its last revision, or (written before events kept it)
          -- the stream's last event of that append's transaction
          select c.a, c.duplicate, c.conflict,
                 coalesce(l.revision, o.revision) as revision,
                 coalesce(l.transaction_id, o.transaction_id) as transaction_id,
                 coalesce(l.seq, o.seq) as seq
            from classified c
            left join lateral (
              select y.revision, y.transaction_id, y.seq from ${s}.events y
               where c.duplicate and c.append_last_revision is not null
                 and y.stream_id = c.stream_id and y.revision = c.append_last_revision) l on true
            left join lateral (
              select y.revision, y.transaction_id, y.seq from ${s}.events y
               where c.duplicate and c.append_last_revision is null
                 and y.transaction_id = c.first_tx and y.stream_id = c.stream_id
               order by y.seq desc limit 1) o on true
        )
        select (array_agg(w.conflict order by w.a) filter (where not w.duplicate))[1],
               array_agg(coalesce(w.duplicate, false) order by g.a),
               array_agg(coalesce(w.revision, 0) order by g.a),
               array_agg(coalesce(w.transaction_id, '0'::xid8) order by g.a),
               array_agg(coalesce(w.seq, 0) order by g.a)
          into v_conflict, v_dup, v_dup_revision, v_dup_tx, v_dup_seq
          from generate_series(1, v_n) as g(a)
          left join answered w on w.a = g.a;
        if v_conflict is not null then
          raise exception using errcode = 'CE003', message = 'idempotency conflict', detail = v_conflict;
        end if;

        -- The StreamAppends to write, in call order: each starts where the stream's earlier ones in
        -- this call leave it (whether they pass or not); a soft-deleted stream counts as deleted for
        -- its first one only.
        with placed as (
          select t.a, t.stream_id, t.expected, st.tombstoned,
                 st.revision + coalesce(sum(v_counts[t.a]) over (partition by t.stream_id order by t.a
                                                                 rows between unbounded preceding and 1 preceding), 0) as before,
                 st.deleted and row_number() over (partition by t.stream_id order by t.a) = 1 as deleted
            from unnest(p_streams, p_expected) with ordinality as t(stream_id, expected, a)
            join unnest(v_state_ids, v_state_revisions, v_state_deleted, v_state_tombstoned)
                 as st(stream_id, revision, deleted, tombstoned) on st.stream_id = t.stream_id
           where not v_dup[t.a]
        )
        select (array_agg(json_build_object('appendIndex', p.a - 1, 'streamId', p.stream_id)::text order by p.a)
                  filter (where p.tombstoned))[1],
               (json_agg(json_build_object('appendIndex', p.a - 1, 'streamId', p.stream_id, 'expected', p.expected,
                           'actual', p.before) order by p.a)
                  filter (where (p.expected = -1 and p.before >= 0 and not p.deleted)
                             or (p.expected = -3 and (p.before < 0 or p.deleted))
                             or (p.expected >= 0 and p.before <> p.expected)))::text,
               (select array_agg(coalesce(b.before, 0) order by g.a)
                  from generate_series(1, v_n) as g(a) left join placed b on b.a = g.a)
          into v_deleted, v_wrong, v_before
          from placed p;
        if v_deleted is not null then
          raise exception using errcode = 'CE002', message = 'stream deleted', detail = v_deleted;
        end if;
        if v_wrong is not null then
          raise exception using errcode = 'CE001', message = 'wrong expected revisions', detail = v_wrong;
        end if;

        -- Insert in call order (so seq, and positions, follow it), then move each stream's revision.
${insertEventsInCallOrder(s, 'p_append, p_ids, p_types, p_data, p_metadata')}
        -- No NOTIFY here (see append_events): the adapter notifies after.
        return query
          select g.a - 1, v_dup[g.a],
                 case when v_dup[g.a] then v_dup_revision[g.a] else v_before[g.a] + v_counts[g.a] end,
                 case when v_dup[g.a] then v_dup_tx[g.a] else pg_current_xact_id() end,
                 case when v_dup[g.a] then v_dup_seq[g.a] else v_last_seq[g.a] end
            from generate_series(1, v_n) as g(a)
           order by g.a;
      end
      $fn$;
    `,
  },
  {
    version: 4,
    // Issue 14: where an append's time went (tools/bench/README.md). Planning each of its statements
    // for every call; and element i of p_data and p_metadata found by walking the i before it (a
    // jsonb array has no fixed element width), so a batch of n events cost n^2 / 2 element steps.
    name: 'append_events planned once per connection, by rules that hold at any size; events inserted from one unnest',
    sql: (s) => `
      create or replace function ${s}.append_events(
        p_stream_id text, p_category text, p_expected bigint,
        p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) returns table (duplicate boolean, last_revision bigint, last_transaction_id xid8, last_seq bigint)
      language plpgsql volatile
      -- One plan per statement per connection, made once (planning every call cost about as much as
      -- running the statements), and right whatever the statistics say: every statement here reads
      -- by a unique index or walks the arguments, so scans of whole tables and joins other than
      -- nested loops over index lookups are never wanted, in a young table or an old one.
      set plan_cache_mode = force_generic_plan
      set enable_seqscan = off
      set enable_bitmapscan = off
      set enable_hashjoin = off
      set enable_mergejoin = off
      set enable_material = off
      set jit = off
      as $fn$
      declare
        v_stream ${s}.streams%rowtype;
        v_found boolean;
        v_existing int;
        v_matching int;
        v_offsets int;
        v_appends int;
        v_transactions int;
        v_last_revision bigint;
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
                 count(distinct coalesce(e.append_last_revision, -1)),
                 count(distinct e.transaction_id),
                 max(e.append_last_revision),
                 (array_agg(e.transaction_id order by i.ord))[1],
                 (array_agg(json_build_object('eventId', e.event_id, 'streamId', e.stream_id,
                    'sameStream', e.stream_id = p_stream_id, 'sameContent', e.same, 'revision', e.revision)::text
                    order by e.same, i.ord))[1]
            into v_existing, v_matching, v_offsets, v_appends, v_transactions, v_last_revision, v_first_tx, v_conflict
            from unnest(p_ids) with ordinality as i(id, ord)
            cross join lateral (select x.event_id, x.stream_id, x.revision, x.transaction_id, x.append_last_revision,
                                       (x.stream_id = p_stream_id and x.type = p_types[i.ord]
                                        and x.data = p_data[i.ord] and x.metadata = p_metadata[i.ord]) as same
                                  from ${s}.events x where x.event_id = i.id) e;
          if v_existing > 0 then
            if v_existing = v_count and v_matching = v_count and v_offsets = 1 and v_appends = 1 and v_transactions = 1 then
              if v_last_revision is not null then
                return query
                  select true, e.revision, e.transaction_id, e.seq from ${s}.events e
                   where e.stream_id = p_stream_id and e.revision = v_last_revision;
                return;
              end if;
              -- written before events kept their append's last revision: that append was alone in
              -- its transaction
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
          insert into ${s}.events (event_id, stream_id, revision, category, type, data, metadata, append_last_revision)
          select i.id, p_stream_id, v_stream.revision + i.ord, p_category, i.type, i.data, i.metadata,
                 v_stream.revision + v_count
            from unnest(p_ids, p_types, p_data, p_metadata) with ordinality as i(id, type, data, metadata, ord)
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
    version: 5,
    // Issue 14: the batch append against Emmett's (tools/bench/README.md). The events came as four
    // arrays, jsonb[] ones among them, which the client escaped element by element and the server
    // parsed twice (the array literal, then each element): one jsonb array of the events costs
    // about half on each side. And every append looked its ids up before writing, with a statement
    // whose executor set-up alone (five sorted aggregates) outweighed a one-event insert.
    name: 'append_events takes its events as one jsonb array, and looks ids up only when it must',
    sql: (s) => `
      -- The seven-argument append_events of migration 4 stays for processes still running the code before.
      create function ${s}.append_events(
        p_stream_id text, p_category text, p_expected bigint, p_events jsonb, p_look_up_ids boolean
      ) returns table (duplicate boolean, last_revision bigint, last_transaction_id xid8, last_seq bigint)
      language plpgsql volatile
      -- as in migration 4: one plan per statement per connection, by index lookups and nested loops
      set plan_cache_mode = force_generic_plan
      set enable_seqscan = off
      set enable_bitmapscan = off
      set enable_hashjoin = off
      set enable_mergejoin = off
      set enable_material = off
      set jit = off
      as $fn$
      declare
        v_stream ${s}.streams%rowtype;
        v_found boolean;
        -- the stream's revision before this append; null until the append is admitted
        v_base bigint;
        v_existing int;
        v_matching int;
        v_offsets int;
        v_appends int;
        v_transactions int;
        v_last_revision bigint;
        v_first_tx xid8;
        v_conflict text;
        v_last_seq bigint;
        v_count int := jsonb_array_length(p_events);
      begin
        -- Without a look-up first: an append that expects no stream, or the stream's exact revision,
        -- moves the stream row in one statement. An id stored before then fails the insert below on
        -- events_event_id_unique, and the adapter calls again with p_look_up_ids, which answers a
        -- retry or refuses the reuse as before.
        if not p_look_up_ids then
          if p_expected = -1 then
            insert into ${s}.streams (stream_id, category, revision) values (p_stream_id, p_category, v_count - 1)
              on conflict do nothing;
            if found then
              v_base := -1;
            end if;
          elsif p_expected >= 0 then
            update ${s}.streams
               set revision = p_expected + v_count, deleted = false, updated_at = now()
             where stream_id = p_stream_id and revision = p_expected and not tombstoned;
            if found then
              v_base := p_expected;
            end if;
          end if;
        end if;

        -- Otherwise as in migration 4: lock the stream, look the ids up, then check the revision.
        if v_base is null then
          for attempt in 1..2 loop
            select * into v_stream from ${s}.streams where stream_id = p_stream_id for update;
            v_found := found;

            -- A retry of an earlier append, or of part of it (same ids, same stream, same type, data
            -- and metadata, same order, all from that one append) answers with that append's result:
            -- the revision and position of its last event. Any other reuse of an id is refused, naming
            -- the first id whose stored event differs (else the first one found).
            select count(e.event_id),
                   count(e.event_id) filter (where e.same),
                   count(distinct e.revision - i.ord),
                   count(distinct coalesce(e.append_last_revision, -1)),
                   count(distinct e.transaction_id),
                   max(e.append_last_revision),
                   (array_agg(e.transaction_id order by i.ord))[1],
                   (array_agg(json_build_object('eventId', e.event_id, 'streamId', e.stream_id,
                      'sameStream', e.stream_id = p_stream_id, 'sameContent', e.same, 'revision', e.revision)::text
                      order by e.same, i.ord))[1]
              into v_existing, v_matching, v_offsets, v_appends, v_transactions, v_last_revision, v_first_tx, v_conflict
              from jsonb_array_elements(p_events) with ordinality as i(event, ord)
              cross join lateral (select x.event_id, x.stream_id, x.revision, x.transaction_id, x.append_last_revision,
                                         (x.stream_id = p_stream_id and x.type = i.event->>'type'
                                          and x.data = i.event->'data' and x.metadata = i.event->'metadata') as same
                                    from ${s}.events x where x.event_id = (i.event->>'id')::uuid) e;
            if v_existing > 0 then
              if v_existing = v_count and v_matching = v_count and v_offsets = 1 and v_appends = 1 and v_transactions = 1 then
                if v_last_revision is not null then
                  return query
                    select true, e.revision, e.transaction_id, e.seq from ${s}.events e
                     where e.stream_id = p_stream_id and e.revision = v_last_revision;
                  return;
                end if;
                -- written before events kept their append's last revision: that append was alone in
                -- its transaction
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

          v_base := v_stream.revision;
          update ${s}.streams
             set revision = v_base + v_count, deleted = false, updated_at = now()
           where stream_id = p_stream_id;
        end if;

        with inserted as (
          insert into ${s}.events (event_id, stream_id, revision, category, type, data, metadata, append_last_revision)
          select (i.event->>'id')::uuid, p_stream_id, v_base + i.ord, p_category, i.event->>'type', i.event->'data',
                 i.event->'metadata', v_base + v_count
            from jsonb_array_elements(p_events) with ordinality as i(event, ord)
           order by i.ord
          returning seq)
        select max(seq) into v_last_seq from inserted;

        -- No NOTIFY here: a transaction that notifies holds a cluster-wide lock through its
        -- commit flush, which would serialise concurrent appends. The adapter notifies after.

        return query
          select false, v_base + v_count, pg_current_xact_id(), v_last_seq;
      end
      $fn$;
    `,
  },
  {
    version: 6,
    // The events of appendToStreams in the same JSON array as append_events' (migration 5): the
    // client escaped each jsonb[] element and the server parsed each twice.
    name: 'append_to_streams takes its events as one jsonb array',
    sql: (s) => `
      -- p_events: [{ a, id, type, data, metadata }], grouped by StreamAppend (a, 1-based) in call
      -- order. Unpacked into migration 3's arrays in one pass (the elements stay jsonb: no text is
      -- parsed again), which that function joins by index as before; it stays for processes still
      -- running the code before.
      create function ${s}.append_to_streams(
        p_streams text[], p_categories text[], p_expected bigint[], p_events jsonb
      ) returns table (append_index int, duplicate boolean, last_revision bigint, last_transaction_id xid8, last_seq bigint)
      language plpgsql volatile
      set jit = off
      as $fn$
      declare
        v_append int[];
        v_ids uuid[];
        v_types text[];
        v_data jsonb[];
        v_metadata jsonb[];
      begin
        select array_agg((e.event->>'a')::int order by e.ord), array_agg((e.event->>'id')::uuid order by e.ord),
               array_agg(e.event->>'type' order by e.ord), array_agg(e.event->'data' order by e.ord),
               array_agg(e.event->'metadata' order by e.ord)
          into v_append, v_ids, v_types, v_data, v_metadata
          from jsonb_array_elements(p_events) with ordinality as e(event, ord);
        return query
          select * from ${s}.append_to_streams(p_streams, p_categories, p_expected, v_append, v_ids, v_types, v_data, v_metadata);
      end
      $fn$;
    `,
  },
  {
    version: 7,
    // Issue 8: an ingest batch (about 1,000 messages, 2,000 new streams) spent the largest share of
    // its append classifying ids, one index lookup per event, although nearly every append is new.
    name: 'append_to_streams looks ids up only when it must',
    sql: (s) => `
      -- As append_events does since migration 5: without p_look_up_ids, the StreamAppends are written
      -- without looking their ids up first. An id stored before fails the insert on
      -- events_event_id_unique; a StreamAppend whose stream is not where it expects (which a retry
      -- of an earlier append also looks like) raises CE009; on either the adapter calls again with
      -- p_look_up_ids, which is migration 6's function: it answers retries as duplicates and refuses
      -- the rest as before. Both of the earlier functions stay for processes running the code before.
      create function ${s}.append_to_streams(
        p_streams text[], p_categories text[], p_expected bigint[], p_events jsonb, p_look_up_ids boolean
      ) returns table (append_index int, duplicate boolean, last_revision bigint, last_transaction_id xid8, last_seq bigint)
      language plpgsql volatile
      -- as migration 3's: planned per call, never compiled by JIT
      set plan_cache_mode = force_custom_plan
      set jit = off
      as $fn$
      declare
        v_n int := cardinality(p_streams);
        v_append int[];
        v_ids uuid[];
        v_types text[];
        v_data jsonb[];
        v_metadata jsonb[];
        v_counts bigint[];
        v_created text[];
        v_existing text[];
        v_state_ids text[];
        v_state_revisions bigint[];
        v_state_deleted boolean[];
        v_state_tombstoned boolean[];
        v_refused boolean;
        -- no StreamAppend is a duplicate here (the look-up would have found it): the shared insert's filter
        v_dup boolean[];
        v_before bigint[];
        v_last_seq bigint[];
      begin
        if p_look_up_ids then
          return query select * from ${s}.append_to_streams(p_streams, p_categories, p_expected, p_events);
          return;
        end if;

        select array_agg((e.event->>'a')::int order by e.ord), array_agg((e.event->>'id')::uuid order by e.ord),
               array_agg(e.event->>'type' order by e.ord), array_agg(e.event->'data' order by e.ord),
               array_agg(e.event->'metadata' order by e.ord)
          into v_append, v_ids, v_types, v_data, v_metadata
          from jsonb_array_elements(p_events) with ordinality as e(event, ord);

        select array_agg(coalesce(c.n, 0) order by g.a) into v_counts
          from generate_series(1, v_n) as g(a)
          left join (select x.a, count(*) as n from unnest(v_append) as x(a) group by x.a) c on c.a = g.a;

        -- Streams created, then the others locked, each in stream id order, as migration 3 does.
${createAndLockStreams(s)}
        -- Each StreamAppend starts where the stream's earlier ones in this call leave it (migration 3).
        with placed as (
          select t.a, t.expected, st.tombstoned,
                 st.revision + coalesce(sum(v_counts[t.a]) over (partition by t.stream_id order by t.a
                                                                 rows between unbounded preceding and 1 preceding), 0) as before,
                 st.deleted and row_number() over (partition by t.stream_id order by t.a) = 1 as deleted
            from unnest(p_streams, p_expected) with ordinality as t(stream_id, expected, a)
            join unnest(v_state_ids, v_state_revisions, v_state_deleted, v_state_tombstoned)
                 as st(stream_id, revision, deleted, tombstoned) on st.stream_id = t.stream_id
        )
        select coalesce(bool_or(p.tombstoned
                                or (p.expected = -1 and p.before >= 0 and not p.deleted)
                                or (p.expected = -3 and (p.before < 0 or p.deleted))
                                or (p.expected >= 0 and p.before <> p.expected)), false),
               array_agg(p.before order by p.a)
          into v_refused, v_before
          from placed p;
        if v_refused then
          raise exception using errcode = 'CE009', message = 'look ids up: a stream is not where an append expects it';
        end if;
        v_dup := array_fill(false, array[v_n]);

${insertEventsInCallOrder(s, 'v_append, v_ids, v_types, v_data, v_metadata')}
        -- No NOTIFY here (see append_events): the adapter notifies after.
        return query
          select g.a - 1, false, v_before[g.a] + v_counts[g.a], pg_current_xact_id(), v_last_seq[g.a]
            from generate_series(1, v_n) as g(a)
           order by g.a;
      end
      $fn$;
    `,
  },
];
