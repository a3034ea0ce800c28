export { Store } from './store.js';
export { openDatabase, readSchemaVersion, LATEST_SCHEMA_VERSION, type Db } from './database.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export type { DatasetRow, DatasetSummary, DatasetSource, PatientSummary } from './datasets.js';
export type { PatientRow } from './patients.js';
export { READING_FLAGS, type NewReading, type ReadingRow, type ReadingKind } from './readings.js';
export type { ModelRow, ModelSource } from './models.js';
export type { RunRow, RunKind, RunStatus, RunMetric } from './runs.js';
export type { EventKind, NewEvent, EventRow } from './events.js';
