/**
 * Numbered, append-only schema migrations. Never edit a migration that has shipped:
 * add a new one. Each runs inside one transaction together with its schema_version row.
 *
 * Conventions: timestamps of measurements are INTEGER epoch milliseconds (UTC); record
 * bookkeeping times (created_at …) are ISO-8601 TEXT; JSON columns are TEXT named
 * *_json or documented as JSON; glucose is stored in mmol/L (bg_mM) only.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * The migration rebuilds a table that others reference (SQLite cannot alter a CHECK
   * constraint): it runs with foreign keys off, as SQLite's table-rebuild procedure requires,
   * since DROP TABLE would otherwise cascade into the referencing rows.
   */
  rebuildsTables?: boolean;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE datasets (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  description    TEXT NOT NULL DEFAULT '',
  source         TEXT NOT NULL DEFAULT 'import' CHECK (source IN ('import', 'simulated', 'demo')),
  resolution_min INTEGER NOT NULL DEFAULT 5 CHECK (resolution_min > 0),
  meta_json      TEXT NOT NULL DEFAULT '{}',
  created_at     TEXT NOT NULL
);

CREATE TABLE patients (
  id             INTEGER PRIMARY KEY,
  dataset_id     INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  external_id    TEXT NOT NULL,
  -- the source's local offset from UTC in minutes (most recent seen); NULL when unknown
  utc_offset_min INTEGER,
  time_zone      TEXT,
  meta_json      TEXT NOT NULL DEFAULT '{}',
  UNIQUE (dataset_id, external_id)
);
CREATE INDEX patients_dataset ON patients(dataset_id);

CREATE TABLE imports (
  id             INTEGER PRIMARY KEY,
  dataset_id     INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  file_name      TEXT NOT NULL,
  file_hash      TEXT NOT NULL,
  file_bytes     INTEGER NOT NULL,
  format         TEXT NOT NULL,
  readings_count INTEGER NOT NULL DEFAULT 0,
  events_count   INTEGER NOT NULL DEFAULT 0,
  warnings_json  TEXT NOT NULL DEFAULT '[]',
  imported_at    TEXT NOT NULL,
  UNIQUE (dataset_id, file_hash)
);
CREATE INDEX imports_dataset ON imports(dataset_id);

-- raw glucose readings as they came (converted to mmol/L, UTC)
CREATE TABLE readings (
  id             INTEGER PRIMARY KEY,
  patient_id     INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  import_id      INTEGER REFERENCES imports(id) ON DELETE CASCADE,
  ts             INTEGER NOT NULL,
  utc_offset_min INTEGER,
  kind           TEXT NOT NULL DEFAULT 'cgm' CHECK (kind IN ('cgm', 'scan', 'smbg')),
  bg_mM          REAL NOT NULL,
  -- bit flags: 1 clamped LOW, 2 clamped HIGH, 4 out of physiological range, 8 removed by a fix
  flags          INTEGER NOT NULL DEFAULT 0,
  source_row     INTEGER
);
CREATE INDEX readings_patient_ts ON readings(patient_id, ts);
CREATE INDEX readings_import ON readings(import_id);

-- raw insulin / carb / activity events
CREATE TABLE events (
  id             INTEGER PRIMARY KEY,
  patient_id     INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  import_id      INTEGER REFERENCES imports(id) ON DELETE CASCADE,
  ts             INTEGER NOT NULL,
  utc_offset_min INTEGER,
  -- bolus (U), basal_rate (U/h, lasting duration_min or until the next), basal_dose (U), carbs (g),
  -- exercise (intensity), hr (bpm), steps (count), cals (kcal), ketone (mmol/L), note
  kind           TEXT NOT NULL,
  value          REAL NOT NULL,
  duration_min   REAL,
  meta_json      TEXT,
  flags          INTEGER NOT NULL DEFAULT 0,
  source_row     INTEGER
);
CREATE INDEX events_patient_ts ON events(patient_id, kind, ts);
CREATE INDEX events_import ON events(import_id);

-- regular grid per patient x channel (Float32 little-endian values + Uint8 mask 1=observed)
CREATE TABLE grids (
  patient_id     INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  channel        TEXT NOT NULL,
  resolution_min INTEGER NOT NULL,
  start_ts       INTEGER NOT NULL,
  length         INTEGER NOT NULL,
  values_blob    BLOB NOT NULL,
  mask_blob      BLOB NOT NULL,
  settings_hash  TEXT NOT NULL,
  built_at       TEXT NOT NULL,
  PRIMARY KEY (patient_id, channel, resolution_min)
);

CREATE TABLE quality_reports (
  id            INTEGER PRIMARY KEY,
  dataset_id    INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  settings_json TEXT NOT NULL,
  report_json   TEXT NOT NULL,
  created_at    TEXT NOT NULL
);
CREATE INDEX quality_reports_dataset ON quality_reports(dataset_id, id);

CREATE TABLE quality_fixes (
  id          INTEGER PRIMARY KEY,
  dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  fix_json    TEXT NOT NULL,
  result_json TEXT NOT NULL DEFAULT '{}',
  applied_at  TEXT NOT NULL
);
CREATE INDEX quality_fixes_dataset ON quality_fixes(dataset_id);

CREATE TABLE splits (
  id           INTEGER PRIMARY KEY,
  dataset_id   INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  version      INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('temporal', 'patient_holdout', 'hybrid')),
  spec_json    TEXT NOT NULL,
  content_json TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  -- set when a run first uses the split; a locked split is immutable
  locked       INTEGER NOT NULL DEFAULT 0,
  created_at   TEXT NOT NULL,
  UNIQUE (dataset_id, name, version)
);
CREATE INDEX splits_dataset ON splits(dataset_id);

CREATE TABLE models (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  source      TEXT NOT NULL CHECK (source IN ('bundled', 'hub', 'local', 'trained')),
  path        TEXT NOT NULL,
  repo        TEXT,
  revision    TEXT,
  config_json TEXT NOT NULL DEFAULT '{}',
  meta_json   TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL
);

CREATE TABLE runs (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL CHECK (kind IN ('train', 'evaluate', 'predict', 'zero_shot')),
  status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
  dataset_id   INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
  split_id     INTEGER REFERENCES splits(id) ON DELETE SET NULL,
  model_id     INTEGER REFERENCES models(id) ON DELETE SET NULL,
  config_json  TEXT NOT NULL DEFAULT '{}',
  device       TEXT,
  seed         INTEGER,
  output_dir   TEXT,
  result_json  TEXT,
  error        TEXT,
  worker_pid   INTEGER,
  created_at   TEXT NOT NULL,
  started_at   TEXT,
  finished_at  TEXT
);
CREATE INDEX runs_status ON runs(status);

CREATE TABLE run_metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step   INTEGER NOT NULL,
  epoch  REAL,
  name   TEXT NOT NULL,
  value  REAL NOT NULL,
  ts     INTEGER NOT NULL
);
CREATE INDEX run_metrics_run ON run_metrics(run_id, name, step);

CREATE TABLE checkpoints (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step         INTEGER NOT NULL,
  epoch        REAL,
  path         TEXT NOT NULL,
  is_best      INTEGER NOT NULL DEFAULT 0,
  metrics_json TEXT NOT NULL DEFAULT '{}',
  created_at   TEXT NOT NULL
);
CREATE INDEX checkpoints_run ON checkpoints(run_id, step);

-- rolling-origin forecasts: one row per (run, patient, origin); horizon values as Float32 blobs (mmol/L)
CREATE TABLE forecasts (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  patient_id  INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
  origin_ts   INTEGER NOT NULL,
  step_min    INTEGER NOT NULL,
  values_blob BLOB NOT NULL,
  lower_blob  BLOB,
  upper_blob  BLOB,
  meta_json   TEXT
);
CREATE INDEX forecasts_run_patient ON forecasts(run_id, patient_id, origin_ts);

CREATE TABLE evaluations (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  model_id     INTEGER REFERENCES models(id) ON DELETE SET NULL,
  dataset_id   INTEGER REFERENCES datasets(id) ON DELETE CASCADE,
  split_id     INTEGER REFERENCES splits(id) ON DELETE SET NULL,
  metrics_json TEXT NOT NULL,
  created_at   TEXT NOT NULL
);
CREATE INDEX evaluations_run ON evaluations(run_id);
`,
  },
  {
    version: 2,
    name: 'runs of kind external (cluster jobs imported back)',
    rebuildsTables: true,
    sql: `
CREATE TABLE runs_new (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL CHECK (kind IN ('train', 'evaluate', 'predict', 'zero_shot', 'external')),
  status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
  dataset_id   INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
  split_id     INTEGER REFERENCES splits(id) ON DELETE SET NULL,
  model_id     INTEGER REFERENCES models(id) ON DELETE SET NULL,
  config_json  TEXT NOT NULL DEFAULT '{}',
  device       TEXT,
  seed         INTEGER,
  output_dir   TEXT,
  result_json  TEXT,
  error        TEXT,
  worker_pid   INTEGER,
  created_at   TEXT NOT NULL,
  started_at   TEXT,
  finished_at  TEXT
);
INSERT INTO runs_new (id, kind, status, dataset_id, split_id, model_id, config_json, device, seed, output_dir, result_json, error, worker_pid, created_at, started_at, finished_at)
  SELECT id, kind, status, dataset_id, split_id, model_id, config_json, device, seed, output_dir, result_json, error, worker_pid, created_at, started_at, finished_at FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_status ON runs(status);
`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
