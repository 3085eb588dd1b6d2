/*
 * store_schema.c - the database schema, as the list of migrations that
 * build it.  A released migration is never edited: a change to the schema
 * is a new entry at the end, and store_open() applies whatever a database
 * has not seen yet.
 *
 * STRICT tables, so that SQLite refuses a value of the wrong type instead
 * of storing it.  `running` remembers which incarnation (domid) of a
 * defined domain the agent last saw running; it goes with its definition
 * (ON DELETE CASCADE), which is why foreign keys are on.
 *
 * Version 2: each event has a class, kept to its own length, so that a
 * flood of lifecycle events (a crash loop) cannot push the audit trail
 * (who defined, changed, undefined what) out of the log.
 *
 * Version 3: each event has its reason (hv_reason_name()), sent with it
 * and replayed after a restart; the events logged before say "unknown".
 */
#include "store.h"
#include "util.h"

const struct store_migration store_migrations[] = {
    { 1,
      "CREATE TABLE domains ("
      "  uuid       TEXT PRIMARY KEY NOT NULL,"
      "  name       TEXT NOT NULL UNIQUE,"
      "  config     TEXT NOT NULL,"
      "  autostart  INTEGER NOT NULL DEFAULT 0 CHECK (autostart IN (0, 1)),"
      "  created_ms INTEGER NOT NULL,"
      "  updated_ms INTEGER NOT NULL"
      ") STRICT;"
      "CREATE TABLE running ("
      "  uuid     TEXT PRIMARY KEY NOT NULL"
      "           REFERENCES domains(uuid) ON DELETE CASCADE,"
      "  domid    INTEGER NOT NULL,"
      "  since_ms INTEGER NOT NULL"
      ") STRICT;"
      "CREATE TABLE events ("
      "  id      INTEGER PRIMARY KEY,"
      "  time_ms INTEGER NOT NULL,"
      "  uuid    TEXT NOT NULL DEFAULT '',"
      "  name    TEXT NOT NULL,"
      "  domid   INTEGER,"
      "  type    TEXT NOT NULL,"
      "  cause   TEXT NOT NULL,"
      "  detail  TEXT NOT NULL DEFAULT ''"
      ") STRICT;"
      "CREATE TABLE tokens ("
      "  id         INTEGER PRIMARY KEY,"
      "  name       TEXT NOT NULL UNIQUE,"
      "  hash       BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
      "  role       TEXT NOT NULL CHECK (role IN ('admin', 'read-only')),"
      "  created_ms INTEGER NOT NULL"
      ") STRICT;" },
    { 2,
      "ALTER TABLE events ADD COLUMN class TEXT NOT NULL DEFAULT 'lifecycle'"
      "  CHECK (class IN ('lifecycle', 'audit'));"
      "UPDATE events SET class = 'audit' WHERE type IN ('defined', "
      "  'updated', 'undefined', 'autostart_on', 'autostart_off');"
      "CREATE INDEX events_by_class ON events (class, id);" },
    { 3,
      "ALTER TABLE events ADD COLUMN reason TEXT NOT NULL DEFAULT 'unknown';" },
};

const size_t store_migrations_count = ARRAY_SIZE(store_migrations);
