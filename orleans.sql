-- =============================================================================
-- orleans.sql: the PostgreSQL schema behind OrleansSessions' Orleans providers
-- =============================================================================
--
-- What it is
--   Tables, functions and the OrleansQuery rows used by the ADO.NET providers of
--   Microsoft Orleans 10.4.2 on PostgreSQL 15 or newer:
--     Microsoft.Orleans.Clustering.AdoNet   10.4.2         (membership, gateways)
--     Microsoft.Orleans.Persistence.AdoNet  10.4.2         (grain state)
--     Microsoft.Orleans.Reminders.AdoNet    10.4.2         (reminders)
--     Microsoft.Orleans.Streaming.AdoNet    10.4.2-alpha.1 (durable stream queues)
--   The providers read every statement they run from OrleansQuery (QueryKey ->
--   QueryText) and bind parameters by name (@DeploymentId, @GrainStateVersion,
--   ...). Those names, the query keys and the result column names are the
--   contract with the provider binaries; the rest (table layout, function names)
--   is ours.
--
-- How to load it
--   PGOPTIONS="-c client_min_messages=warning" \
--     psql -X -q -v ON_ERROR_STOP=1 -d <database> -f orleans.sql
--   (scripts/pg start|load does this). The file is idempotent: it runs in one
--   transaction, creates only what is missing, replaces the functions and
--   upserts the query rows, so loading it again upgrades a database in place.
--
-- Two flaws of the commonly used PostgreSQL persistence script, fixed here
--   1. Racing first writes. Two activations of one grain (e.g. during a
--      membership change) can both write with no ETag. The usual script inserts
--      "WHERE NOT EXISTS (...)" without any unique key, so both inserts succeed
--      and every later read fails on two rows. Here the grain key is UNIQUE
--      NULLS NOT DISTINCT (PostgreSQL 15), the insert is ON CONFLICT DO
--      NOTHING, and the loser gets a NULL version back, which the provider turns
--      into an InconsistentStateException.
--   2. The provider's "GrainTypeString" is not the grain type: Orleans passes the
--      *state name* there (dotnet/orleans issue #9737), and the grain id it
--      stores carries no type either. Two grain types with the same key and the
--      same state name would silently share one row. The row key here is
--      (service, state name, grain key); our convention is that every grain
--      type uses its own state names, prefixed by the grain's area and type,
--      e.g. [PersistentState("carts.cart")]. Different state names for one grain
--      key are independent rows.
--
-- Timestamps are timestamptz (the providers send and expect UTC DateTime).
-- =============================================================================

BEGIN;

SET LOCAL client_min_messages = warning;

-- Two loaders at once (parallel test runs) would race on CREATE ... IF NOT
-- EXISTS; serialise them.
DO $$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('OrleansSessions orleans.sql')); END $$;

-- -----------------------------------------------------------------------------
-- Query table read by every provider: SELECT QueryKey, QueryText FROM OrleansQuery
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) PRIMARY KEY,
    QueryText text        NOT NULL
);


-- =============================================================================
-- Clustering (membership protocol and gateway list)
-- =============================================================================
-- One version row per cluster (DeploymentId = ClusterOptions.ClusterId); every
-- membership change bumps it, and the provider uses it as the table ETag.
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) PRIMARY KEY,
    Timestamp    timestamptz  NOT NULL DEFAULT now(),
    Version      integer      NOT NULL DEFAULT 0
);

-- One row per silo incarnation (address, port, generation).
-- Status is Orleans' SiloStatus: 1 Created, 2 Joining, 3 Active,
-- 4 ShuttingDown, 5 Stopping, 6 Dead.
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150) NOT NULL REFERENCES OrleansMembershipVersionTable (DeploymentId),
    Address      varchar(45)  NOT NULL,
    Port         integer      NOT NULL,
    Generation   integer      NOT NULL,
    SiloName     varchar(150) NOT NULL,
    HostName     varchar(150) NOT NULL,
    Status       integer      NOT NULL,
    ProxyPort    integer      NOT NULL DEFAULT 0,
    SuspectTimes text         NULL,     -- "silo,time|silo,time" as the provider formats it
    StartTime    timestamptz  NOT NULL,
    IAmAliveTime timestamptz  NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

-- Creates the cluster's version row; true when this call created it.
CREATE OR REPLACE FUNCTION orleans_membership_init(p_deployment text)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (p_deployment)
    ON CONFLICT (DeploymentId) DO NOTHING;
    RETURN FOUND;
END
$fn$;

-- Adds a silo row if the table version is still p_version; bumps the version.
-- Returns false (and changes nothing) on a version mismatch or an existing row.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deployment text, p_address text, p_port integer, p_generation integer,
    p_silo_name text, p_host_name text, p_status integer, p_proxy_port integer,
    p_start_time timestamptz, p_i_am_alive timestamptz, p_version integer)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
    -- The version row is the cluster-wide lock: concurrent writers queue here,
    -- and all but the first then see a changed version.
    UPDATE OrleansMembershipVersionTable AS v
       SET Version = v.Version + 1, Timestamp = now()
     WHERE v.DeploymentId = p_deployment AND v.Version = p_version;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName,
         Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime)
    VALUES
        (p_deployment, p_address, p_port, p_generation, p_silo_name, p_host_name,
         p_status, coalesce(p_proxy_port, 0), NULL, p_start_time, p_i_am_alive);
    RETURN true;
EXCEPTION WHEN unique_violation THEN
    RETURN false;   -- the row existed; the version bump above is undone with it
END
$fn$;

-- Updates a silo row (status, suspicions) if the table version is still
-- p_version; bumps the version. IAmAliveTime never moves backwards: a writer
-- holding an older copy of the row must not make a live silo look stale.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deployment text, p_address text, p_port integer, p_generation integer,
    p_status integer, p_suspect_times text, p_i_am_alive timestamptz, p_version integer)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE OrleansMembershipVersionTable AS v
       SET Version = v.Version + 1, Timestamp = now()
     WHERE v.DeploymentId = p_deployment AND v.Version = p_version;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE OrleansMembershipTable AS m
       SET Status       = p_status,
           SuspectTimes = p_suspect_times,
           IAmAliveTime = greatest(m.IAmAliveTime, p_i_am_alive)
     WHERE m.DeploymentId = p_deployment AND m.Address = p_address
       AND m.Port = p_port AND m.Generation = p_generation;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'no_data_found';
    END IF;
    RETURN true;
EXCEPTION WHEN no_data_found THEN
    RETURN false;   -- no such silo row; the version bump is undone
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', $q$
    SELECT orleans_membership_init(@DeploymentId);
$q$),
('InsertMembershipKey', $q$
    SELECT orleans_membership_insert(@DeploymentId, @Address, @Port, @Generation,
        @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version);
$q$),
('UpdateMembershipKey', $q$
    SELECT orleans_membership_update(@DeploymentId, @Address, @Port, @Generation,
        @Status, @SuspectTimes, @IAmAliveTime, @Version);
$q$),
-- Heartbeat; not versioned, and monotonic for the same reason as above.
('UpdateIAmAlivetimeKey', $q$
    UPDATE OrleansMembershipTable
       SET IAmAliveTime = greatest(IAmAliveTime, @IAmAliveTime)
     WHERE DeploymentId = @DeploymentId AND Address = @Address
       AND Port = @Port AND Generation = @Generation;
$q$),
-- Reads return the version row even without silo rows (NULL silo columns),
-- because the provider takes the table version from the first row.
('MembershipReadRowKey', $q$
    SELECT m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
           m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
      FROM OrleansMembershipVersionTable AS v
      LEFT JOIN OrleansMembershipTable AS m
             ON m.DeploymentId = v.DeploymentId
            AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
     WHERE v.DeploymentId = @DeploymentId;
$q$),
('MembershipReadAllKey', $q$
    SELECT m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
           m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
      FROM OrleansMembershipVersionTable AS v
      LEFT JOIN OrleansMembershipTable AS m ON m.DeploymentId = v.DeploymentId
     WHERE v.DeploymentId = @DeploymentId;
$q$),
('DeleteMembershipTableEntriesKey', $q$
    DELETE FROM OrleansMembershipTable        WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
$q$),
-- @Status is Active (3); silos without a gateway have ProxyPort 0.
('GatewaysQueryKey', $q$
    SELECT Address, ProxyPort, Generation
      FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
$q$),
-- Defunct-silo cleanup (ClusterMembershipOptions.DefunctSiloCleanupPeriod /
-- DefunctSiloExpiration). Clustering.AdoNet 10.4.2 requires
-- CleanupDefunctSiloEntriesKey to exist, but when the optional
-- CleanupDefunctSiloEntryKey exists it uses that one instead: it reads all rows,
-- picks the Dead ones whose StartTime, IAmAliveTime and suspicion votes are all
-- older than the cutoff, and deletes each with the values it read, so a row
-- that changed meanwhile stays.
('CleanupDefunctSiloEntryKey', $q$
    DELETE FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId
       AND Address = @Address AND Port = @Port AND Generation = @Generation
       AND Status = 6
       AND StartTime = @StartTime AND IAmAliveTime = @IAmAliveTime
       AND nullif(SuspectTimes, '') IS NOT DISTINCT FROM nullif(@SuspectTimes, '');
$q$),
-- Fallback used only if the key above is removed: Dead rows whose last
-- heartbeat and start are both older than the cutoff.
('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId
       AND Status = 6
       AND IAmAliveTime < @IAmAliveTime AND StartTime < @IAmAliveTime;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;


-- =============================================================================
-- Grain persistence
-- =============================================================================
-- One row per (service, state name, grain key).
--   GrainTypeString        the *state name* Orleans passes as "grain type"
--                          (issue #9737): state names must be unique per grain
--                          type, e.g. "carts.cart".
--   GrainIdN0, GrainIdN1   Guid keys as two halves, integer keys in N1, else 0.
--   GrainIdExtensionString key extension, or the whole key of string-keyed
--                          grains; NULL when there is none.
--   GrainIdHash, GrainTypeHash  the provider's hashes, kept for information;
--                          lookups and uniqueness do not depend on them.
--   Version                the ETag; NULL payload with a version is a state
--                          cleared with DeleteStateOnClear = false.
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    ServiceId              varchar(150)  NOT NULL,
    GrainTypeString        varchar(512)  NOT NULL,
    GrainIdN0              bigint        NOT NULL,
    GrainIdN1              bigint        NOT NULL,
    GrainIdExtensionString varchar(1024) NULL,
    GrainIdHash            integer       NOT NULL,
    GrainTypeHash          integer       NOT NULL,
    PayloadBinary          bytea         NULL,
    Version                integer       NOT NULL,
    ModifiedOn             timestamptz   NOT NULL DEFAULT now()
);

-- The grain key is unique, NULL extension included (flaw 1 above). Its index
-- also serves every lookup below.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conrelid = 'orleansstorage'::regclass
                      AND conname = 'orleansstorage_grain_key') THEN
        ALTER TABLE OrleansStorage
            ADD CONSTRAINT orleansstorage_grain_key UNIQUE NULLS NOT DISTINCT
                (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString);
    END IF;
END
$$;

-- Each function below branches on a NULL extension so that both cases are
-- plain equality / IS NULL conditions on the unique index.

-- Read: at most one row (PayloadBinary, Version); none when never written.
CREATE OR REPLACE FUNCTION orleans_storage_read(
    p_service text, p_state text, p_n0 bigint, p_n1 bigint, p_ext text)
RETURNS TABLE (PayloadBinary bytea, Version integer)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    IF p_ext IS NULL THEN
        RETURN QUERY
        SELECT s.PayloadBinary, s.Version FROM OrleansStorage AS s
         WHERE s.ServiceId = p_service AND s.GrainTypeString = p_state
           AND s.GrainIdN0 = p_n0 AND s.GrainIdN1 = p_n1
           AND s.GrainIdExtensionString IS NULL;
    ELSE
        RETURN QUERY
        SELECT s.PayloadBinary, s.Version FROM OrleansStorage AS s
         WHERE s.ServiceId = p_service AND s.GrainTypeString = p_state
           AND s.GrainIdN0 = p_n0 AND s.GrainIdN1 = p_n1
           AND s.GrainIdExtensionString = p_ext;
    END IF;
END
$fn$;

-- Write: with no expected version, insert version 1; with one, replace the
-- payload only if the stored version still matches. Returns the new version,
-- or NULL when nothing was written (row already there, missing, or another
-- version), which the provider reports as InconsistentStateException.
CREATE OR REPLACE FUNCTION orleans_storage_write(
    p_service text, p_state text, p_n0 bigint, p_n1 bigint, p_ext text,
    p_id_hash integer, p_type_hash integer, p_expected integer, p_payload bytea)
RETURNS TABLE (NewGrainStateVersion integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_new integer;
BEGIN
    IF p_expected IS NULL THEN
        -- A concurrent first write of the same key waits here for the other
        -- transaction and then does nothing (unique constraint above).
        INSERT INTO OrleansStorage AS s
            (ServiceId, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString,
             GrainIdHash, GrainTypeHash, PayloadBinary, Version, ModifiedOn)
        VALUES
            (p_service, p_state, p_n0, p_n1, p_ext,
             p_id_hash, p_type_hash, p_payload, 1, now())
        ON CONFLICT DO NOTHING
        RETURNING s.Version INTO v_new;
    ELSIF p_ext IS NULL THEN
        UPDATE OrleansStorage AS s
           SET PayloadBinary = p_payload, GrainIdHash = p_id_hash, GrainTypeHash = p_type_hash,
               Version = CASE WHEN s.Version >= 2147483647 THEN 1 ELSE s.Version + 1 END,
               ModifiedOn = now()
         WHERE s.ServiceId = p_service AND s.GrainTypeString = p_state
           AND s.GrainIdN0 = p_n0 AND s.GrainIdN1 = p_n1
           AND s.GrainIdExtensionString IS NULL
           AND s.Version = p_expected
        RETURNING s.Version INTO v_new;
    ELSE
        UPDATE OrleansStorage AS s
           SET PayloadBinary = p_payload, GrainIdHash = p_id_hash, GrainTypeHash = p_type_hash,
               Version = CASE WHEN s.Version >= 2147483647 THEN 1 ELSE s.Version + 1 END,
               ModifiedOn = now()
         WHERE s.ServiceId = p_service AND s.GrainTypeString = p_state
           AND s.GrainIdN0 = p_n0 AND s.GrainIdN1 = p_n1
           AND s.GrainIdExtensionString = p_ext
           AND s.Version = p_expected
        RETURNING s.Version INTO v_new;
    END IF;
    RETURN QUERY SELECT v_new;
END
$fn$;

-- Clear (DeleteStateOnClear = false): drop the payload, keep the row and bump
-- its version. Returns the new version, or NULL on a version mismatch.
CREATE OR REPLACE FUNCTION orleans_storage_clear(
    p_service text, p_state text, p_n0 bigint, p_n1 bigint, p_ext text, p_expected integer)
RETURNS TABLE (NewGrainStateVersion integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_new integer;
BEGIN
    IF p_ext IS NULL THEN
        UPDATE OrleansStorage AS s
           SET PayloadBinary = NULL,
               Version = CASE WHEN s.Version >= 2147483647 THEN 1 ELSE s.Version + 1 END,
               ModifiedOn = now()
         WHERE s.ServiceId = p_service AND s.GrainTypeString = p_state
           AND s.GrainIdN0 = p_n0 AND s.GrainIdN1 = p_n1
           AND s.GrainIdExtensionString IS NULL
           AND s.Version = p_expected
        RETURNING s.Version INTO v_new;
    ELSE
        UPDATE OrleansStorage AS s
           SET PayloadBinary = NULL,
               Version = CASE WHEN s.Version >= 2147483647 THEN 1 ELSE s.Version + 1 END,
               ModifiedOn = now()
         WHERE s.ServiceId = p_service AND s.GrainTypeString = p_state
           AND s.GrainIdN0 = p_n0 AND s.GrainIdN1 = p_n1
           AND s.GrainIdExtensionString = p_ext
           AND s.Version = p_expected
        RETURNING s.Version INTO v_new;
    END IF;
    RETURN QUERY SELECT v_new;
END
$fn$;

-- Clear (DeleteStateOnClear = true): delete the row if the version matches.
-- The provider wants a value different from the old ETag on success (it then
-- forgets the ETag, so the next write inserts afresh), NULL on a mismatch.
CREATE OR REPLACE FUNCTION orleans_storage_delete(
    p_service text, p_state text, p_n0 bigint, p_n1 bigint, p_ext text, p_expected integer)
RETURNS TABLE (NewGrainStateVersion integer)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_old integer;
BEGIN
    IF p_ext IS NULL THEN
        DELETE FROM OrleansStorage AS s
         WHERE s.ServiceId = p_service AND s.GrainTypeString = p_state
           AND s.GrainIdN0 = p_n0 AND s.GrainIdN1 = p_n1
           AND s.GrainIdExtensionString IS NULL
           AND s.Version = p_expected
        RETURNING s.Version INTO v_old;
    ELSE
        DELETE FROM OrleansStorage AS s
         WHERE s.ServiceId = p_service AND s.GrainTypeString = p_state
           AND s.GrainIdN0 = p_n0 AND s.GrainIdN1 = p_n1
           AND s.GrainIdExtensionString = p_ext
           AND s.Version = p_expected
        RETURNING s.Version INTO v_old;
    END IF;
    RETURN QUERY SELECT CASE WHEN v_old IS NULL THEN NULL
                             WHEN v_old >= 2147483647 THEN 1
                             ELSE v_old + 1 END;
END
$fn$;

-- The provider also binds @GrainIdHash and @GrainTypeHash to every statement;
-- only the write stores them.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
    SELECT PayloadBinary, Version
      FROM orleans_storage_read(@ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1,
                                @GrainIdExtensionString);
$q$),
('WriteToStorageKey', $q$
    SELECT NewGrainStateVersion
      FROM orleans_storage_write(@ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1,
                                 @GrainIdExtensionString, @GrainIdHash, @GrainTypeHash,
                                 @GrainStateVersion, @PayloadBinary);
$q$),
('ClearStorageKey', $q$
    SELECT NewGrainStateVersion
      FROM orleans_storage_clear(@ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1,
                                 @GrainIdExtensionString, @GrainStateVersion);
$q$),
('DeleteStorageKey', $q$
    SELECT NewGrainStateVersion
      FROM orleans_storage_delete(@ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1,
                                  @GrainIdExtensionString, @GrainStateVersion);
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;


-- =============================================================================
-- Reminders
-- =============================================================================
-- Reminders.AdoNet 10.4.2 binds ServiceId, GrainId, ReminderName, StartTime,
-- Period (ms; int or bigint), GrainHash, Version. The Orleans repository's
-- 10.0.0 reminders migration adds cron columns (CronExpression, NextDueUtc,
-- LastFireUtc, Priority, Action) and parameters for them; the 10.4.2 binary
-- binds none of those, so they are not here.
-- GrainHash is the grain's uniform hash as a signed int; the provider picks
-- ReadRangeRows1Key when (int)begin < (int)end and ReadRangeRows2Key (the
-- wrapping range) otherwise.
CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    varchar(150)  NOT NULL,
    GrainId      varchar(1024) NOT NULL,
    ReminderName varchar(256)  NOT NULL,
    StartTime    timestamptz   NOT NULL,
    Period       bigint        NOT NULL,
    GrainHash    integer       NOT NULL,
    Version      integer       NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS ix_orleansreminders_hash
    ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('UpsertReminderRowKey', $q$
    INSERT INTO OrleansRemindersTable AS r
        (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
    VALUES
        (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 1)
    ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
       SET StartTime = EXCLUDED.StartTime,
           Period    = EXCLUDED.Period,
           GrainHash = EXCLUDED.GrainHash,
           Version   = CASE WHEN r.Version >= 2147483647 THEN 1 ELSE r.Version + 1 END
    RETURNING Version;
$q$),
('ReadReminderRowsKey', $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
      FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId AND GrainId = @GrainId;
$q$),
('ReadReminderRowKey', $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
      FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName;
$q$),
('ReadRangeRows1Key', $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
      FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId
       AND GrainHash > @BeginHash AND GrainHash <= @EndHash;
$q$),
('ReadRangeRows2Key', $q$
    SELECT GrainId, ReminderName, StartTime, Period, Version
      FROM OrleansRemindersTable
     WHERE ServiceId = @ServiceId
       AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
$q$),
-- One boolean: whether the row with that ETag was deleted.
('DeleteReminderRowKey', $q$
    WITH deleted AS (
        DELETE FROM OrleansRemindersTable
         WHERE ServiceId = @ServiceId AND GrainId = @GrainId
           AND ReminderName = @ReminderName AND Version = @Version
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM deleted);
$q$),
('DeleteReminderRowsKey', $q$
    DELETE FROM OrleansRemindersTable WHERE ServiceId = @ServiceId;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;


-- =============================================================================
-- Streaming (durable queues of the ADO.NET stream provider)
-- =============================================================================
-- A queue is (ServiceId, ProviderId = stream provider name, QueueId). A message
-- is leased by GetStreamMessagesKey: Dequeued goes up by one and VisibleOn moves
-- VisibilityTimeout seconds ahead; Dequeued is the receipt the receiver shows
-- back to confirm (delete) or release the message. A message that is never
-- confirmed (its silo died) becomes visible again when the lease runs out.
-- Messages that expire or reach MaxAttempts move to the dead-letter table,
-- which is purged after RemovalTimeout seconds. All timeouts are in seconds.
CREATE SEQUENCE IF NOT EXISTS OrleansStreamMessageSequence AS bigint;

CREATE TABLE IF NOT EXISTS OrleansStreamMessage
(
    ServiceId  varchar(150) NOT NULL,
    ProviderId varchar(150) NOT NULL,
    QueueId    varchar(150) NOT NULL,
    MessageId  bigint       NOT NULL DEFAULT nextval('OrleansStreamMessageSequence'),
    Dequeued   integer      NOT NULL DEFAULT 0,
    VisibleOn  timestamptz  NOT NULL,
    ExpiresOn  timestamptz  NOT NULL,
    CreatedOn  timestamptz  NOT NULL,
    ModifiedOn timestamptz  NOT NULL,
    Payload    bytea        NOT NULL,
    PRIMARY KEY (ServiceId, ProviderId, QueueId, MessageId)
);

CREATE TABLE IF NOT EXISTS OrleansStreamDeadLetter
(
    ServiceId  varchar(150) NOT NULL,
    ProviderId varchar(150) NOT NULL,
    QueueId    varchar(150) NOT NULL,
    MessageId  bigint       NOT NULL,
    Dequeued   integer      NOT NULL,
    VisibleOn  timestamptz  NOT NULL,
    ExpiresOn  timestamptz  NOT NULL,
    CreatedOn  timestamptz  NOT NULL,
    ModifiedOn timestamptz  NOT NULL,
    DeadOn     timestamptz  NOT NULL,
    RemoveOn   timestamptz  NOT NULL,
    Payload    bytea        NULL,
    PRIMARY KEY (ServiceId, ProviderId, QueueId, MessageId)
);

CREATE INDEX IF NOT EXISTS ix_orleansstreamdeadletter_removeon
    ON OrleansStreamDeadLetter (ServiceId, ProviderId, QueueId, RemoveOn);

-- When each queue is next due for opportunistic eviction (done by readers).
CREATE TABLE IF NOT EXISTS OrleansStreamControl
(
    ServiceId  varchar(150) NOT NULL,
    ProviderId varchar(150) NOT NULL,
    QueueId    varchar(150) NOT NULL,
    EvictOn    timestamptz  NOT NULL,
    PRIMARY KEY (ServiceId, ProviderId, QueueId)
);

-- Moves up to p_max_count exhausted or expired messages to the dead letters.
CREATE OR REPLACE FUNCTION orleans_stream_evict_messages(
    p_service text, p_provider text, p_queue text,
    p_max_count integer, p_max_attempts integer, p_removal_timeout integer)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    v_now   timestamptz := now();
    v_moved integer;
BEGIN
    WITH doomed AS (
        SELECT m.MessageId
          FROM OrleansStreamMessage AS m
         WHERE m.ServiceId = p_service AND m.ProviderId = p_provider AND m.QueueId = p_queue
           AND ((m.Dequeued >= p_max_attempts AND m.VisibleOn <= v_now) OR m.ExpiresOn <= v_now)
         ORDER BY m.MessageId
         LIMIT p_max_count
           FOR UPDATE SKIP LOCKED
    ), moved AS (
        DELETE FROM OrleansStreamMessage AS m
         USING doomed AS d
         WHERE m.ServiceId = p_service AND m.ProviderId = p_provider AND m.QueueId = p_queue
           AND m.MessageId = d.MessageId
        RETURNING m.*
    )
    INSERT INTO OrleansStreamDeadLetter
        (ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn,
         CreatedOn, ModifiedOn, DeadOn, RemoveOn, Payload)
    SELECT ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn,
           CreatedOn, ModifiedOn, v_now, v_now + make_interval(secs => p_removal_timeout), Payload
      FROM moved
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    RETURN v_moved;
END
$fn$;

-- Deletes up to p_max_count dead letters whose RemoveOn has passed.
CREATE OR REPLACE FUNCTION orleans_stream_evict_dead_letters(
    p_service text, p_provider text, p_queue text, p_max_count integer)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    v_removed integer;
BEGIN
    WITH doomed AS (
        SELECT d.MessageId
          FROM OrleansStreamDeadLetter AS d
         WHERE d.ServiceId = p_service AND d.ProviderId = p_provider AND d.QueueId = p_queue
           AND d.RemoveOn <= now()
         ORDER BY d.MessageId
         LIMIT p_max_count
           FOR UPDATE SKIP LOCKED
    )
    DELETE FROM OrleansStreamDeadLetter AS d
     USING doomed AS x
     WHERE d.ServiceId = p_service AND d.ProviderId = p_provider AND d.QueueId = p_queue
       AND d.MessageId = x.MessageId;
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    RETURN v_removed;
END
$fn$;

-- Leases up to p_max_count visible messages of a queue, oldest first, and
-- every p_eviction_interval seconds also runs the evictions above.
CREATE OR REPLACE FUNCTION orleans_stream_get(
    p_service text, p_provider text, p_queue text, p_max_count integer,
    p_max_attempts integer, p_visibility_timeout integer, p_removal_timeout integer,
    p_eviction_interval integer, p_eviction_batch_size integer)
RETURNS TABLE (ServiceId varchar, ProviderId varchar, QueueId varchar, MessageId bigint,
               Dequeued integer, VisibleOn timestamptz, ExpiresOn timestamptz,
               CreatedOn timestamptz, ModifiedOn timestamptz, Payload bytea)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    v_now timestamptz := now();
BEGIN
    INSERT INTO OrleansStreamControl AS c (ServiceId, ProviderId, QueueId, EvictOn)
    VALUES (p_service, p_provider, p_queue, v_now)
    ON CONFLICT DO NOTHING;

    -- Whoever gets the due control row first evicts; the others skip it.
    PERFORM 1 FROM OrleansStreamControl AS c
      WHERE c.ServiceId = p_service AND c.ProviderId = p_provider AND c.QueueId = p_queue
        AND c.EvictOn <= v_now
        FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE OrleansStreamControl AS c
           SET EvictOn = v_now + make_interval(secs => p_eviction_interval)
         WHERE c.ServiceId = p_service AND c.ProviderId = p_provider AND c.QueueId = p_queue;
        PERFORM orleans_stream_evict_messages(p_service, p_provider, p_queue,
                    p_eviction_batch_size, p_max_attempts, p_removal_timeout);
        PERFORM orleans_stream_evict_dead_letters(p_service, p_provider, p_queue,
                    p_eviction_batch_size);
    END IF;

    RETURN QUERY
    WITH batch AS (
        SELECT m.MessageId
          FROM OrleansStreamMessage AS m
         WHERE m.ServiceId = p_service AND m.ProviderId = p_provider AND m.QueueId = p_queue
           AND m.VisibleOn <= v_now AND m.ExpiresOn > v_now AND m.Dequeued < p_max_attempts
         ORDER BY m.MessageId
         LIMIT p_max_count
           FOR UPDATE SKIP LOCKED
    )
    UPDATE OrleansStreamMessage AS m
       SET Dequeued = m.Dequeued + 1,
           VisibleOn = v_now + make_interval(secs => p_visibility_timeout),
           ModifiedOn = v_now
      FROM batch AS b
     WHERE m.ServiceId = p_service AND m.ProviderId = p_provider AND m.QueueId = p_queue
       AND m.MessageId = b.MessageId
    RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId, m.Dequeued,
              m.VisibleOn, m.ExpiresOn, m.CreatedOn, m.ModifiedOn, m.Payload;
END
$fn$;

-- p_items is "MessageId:Receipt|MessageId:Receipt...". A positive receipt
-- confirms delivery (deletes the message); a negative one releases it (makes it
-- visible again at once; the provider does so for leases it holds while its
-- receiver shuts down). Either applies only while the message's Dequeued still
-- equals the receipt, i.e. nobody leased it again since. Returns the messages
-- acted on.
CREATE OR REPLACE FUNCTION orleans_stream_confirm(
    p_service text, p_provider text, p_queue text, p_items text)
RETURNS TABLE (ServiceId varchar, ProviderId varchar, QueueId varchar, MessageId bigint)
LANGUAGE sql AS $fn$
    WITH items AS (
        SELECT split_part(item, ':', 1)::bigint AS id,
               split_part(item, ':', 2)::integer AS receipt
          FROM unnest(string_to_array(p_items, '|')) AS item
         WHERE item <> ''
    ), confirmed AS (
        DELETE FROM OrleansStreamMessage AS m
         USING items AS i
         WHERE m.ServiceId = p_service AND m.ProviderId = p_provider AND m.QueueId = p_queue
           AND m.MessageId = i.id AND i.receipt > 0 AND m.Dequeued = i.receipt
        RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId
    ), released AS (
        UPDATE OrleansStreamMessage AS m
           SET VisibleOn = now(), ModifiedOn = now()
          FROM items AS i
         WHERE m.ServiceId = p_service AND m.ProviderId = p_provider AND m.QueueId = p_queue
           AND m.MessageId = i.id AND i.receipt < 0 AND m.Dequeued = -i.receipt
        RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId
    )
    SELECT * FROM confirmed
    UNION ALL
    SELECT * FROM released;
$fn$;

-- A delivery failed: dead-letter the message if it is out of attempts or
-- expired, otherwise make it visible again for another attempt.
CREATE OR REPLACE FUNCTION orleans_stream_fail(
    p_service text, p_provider text, p_queue text, p_message_id bigint,
    p_max_attempts integer, p_removal_timeout integer)
RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    v_now timestamptz := now();
BEGIN
    WITH moved AS (
        DELETE FROM OrleansStreamMessage AS m
         WHERE m.ServiceId = p_service AND m.ProviderId = p_provider AND m.QueueId = p_queue
           AND m.MessageId = p_message_id
           AND (m.Dequeued >= p_max_attempts OR m.ExpiresOn <= v_now)
        RETURNING m.*
    )
    INSERT INTO OrleansStreamDeadLetter
        (ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn,
         CreatedOn, ModifiedOn, DeadOn, RemoveOn, Payload)
    SELECT ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn,
           CreatedOn, ModifiedOn, v_now, v_now + make_interval(secs => p_removal_timeout), Payload
      FROM moved
    ON CONFLICT DO NOTHING;

    IF NOT FOUND THEN
        UPDATE OrleansStreamMessage AS m
           SET VisibleOn = v_now, ModifiedOn = v_now
         WHERE m.ServiceId = p_service AND m.ProviderId = p_provider AND m.QueueId = p_queue
           AND m.MessageId = p_message_id;
    END IF;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('QueueStreamMessageKey', $q$
    INSERT INTO OrleansStreamMessage
        (ServiceId, ProviderId, QueueId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn, Payload)
    VALUES
        (@ServiceId, @ProviderId, @QueueId, 0, now(),
         now() + make_interval(secs => @ExpiryTimeout), now(), now(), @Payload)
    RETURNING ServiceId, ProviderId, QueueId, MessageId;
$q$),
('GetStreamMessagesKey', $q$
    SELECT ServiceId, ProviderId, QueueId, MessageId, Dequeued,
           VisibleOn, ExpiresOn, CreatedOn, ModifiedOn, Payload
      FROM orleans_stream_get(@ServiceId, @ProviderId, @QueueId, @MaxCount, @MaxAttempts,
                              @VisibilityTimeout, @RemovalTimeout, @EvictionInterval,
                              @EvictionBatchSize);
$q$),
('ConfirmStreamMessagesKey', $q$
    SELECT ServiceId, ProviderId, QueueId, MessageId
      FROM orleans_stream_confirm(@ServiceId, @ProviderId, @QueueId, @Items);
$q$),
('FailStreamMessageKey', $q$
    SELECT orleans_stream_fail(@ServiceId, @ProviderId, @QueueId, @MessageId,
                               @MaxAttempts, @RemovalTimeout);
$q$),
('EvictStreamMessagesKey', $q$
    SELECT orleans_stream_evict_messages(@ServiceId, @ProviderId, @QueueId,
                                         @MaxCount, @MaxAttempts, @RemovalTimeout);
$q$),
('EvictStreamDeadLettersKey', $q$
    SELECT orleans_stream_evict_dead_letters(@ServiceId, @ProviderId, @QueueId, @MaxCount);
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- ---------------------------------------------------------------------------------------------------------------
-- OrleansSessions: events a consumer kept failing on (dead letters), set aside so the rest flow on; an operator lists
-- and replays them (GET /admin/dead-letters, POST /admin/dead-letters/{id}/replay). The envelope is Orleans-serialized.
-- ---------------------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS orleanssessions_dead_letters (
    id           bigserial    PRIMARY KEY,
    consumer     varchar(200) NOT NULL,
    event_id     uuid         NOT NULL,
    event_type   varchar(200) NOT NULL,
    aggregate_id varchar(200) NOT NULL,
    sequence     bigint       NOT NULL,
    envelope     bytea        NOT NULL,
    error        text         NOT NULL,
    attempts     integer      NOT NULL,
    created_at   timestamptz  NOT NULL,
    CONSTRAINT orleanssessions_dead_letters_once UNIQUE (consumer, event_id)
);

COMMIT;
