import { CheckpointRepository } from './checkpoints.js';
import { DatasetRepository } from './datasets.js';
import { openDatabase, type Db, type OpenDatabaseOptions } from './database.js';
import { EvaluationRepository } from './evaluations.js';
import { EventRepository } from './events.js';
import { ForecastRepository } from './forecasts.js';
import { GridRepository } from './grids.js';
import { ModelRepository } from './models.js';
import { PatientRepository } from './patients.js';
import { QualityRepository } from './quality.js';
import { ReadingRepository } from './readings.js';
import { RunRepository } from './runs.js';
import { SettingsRepository } from './settings.js';
import { SplitRepository } from './splits.js';

/** The app's SQLite store: one connection, typed repositories over it. */
export class Store {
  readonly datasets: DatasetRepository;
  readonly patients: PatientRepository;
  readonly readings: ReadingRepository;
  readonly events: EventRepository;
  readonly settings: SettingsRepository;
  readonly models: ModelRepository;
  readonly runs: RunRepository;
  readonly evaluations: EvaluationRepository;
  readonly forecasts: ForecastRepository;
  readonly checkpoints: CheckpointRepository;
  readonly grids: GridRepository;
  readonly quality: QualityRepository;
  readonly splits: SplitRepository;

  private constructor(
    readonly db: Db,
    readonly file: string,
  ) {
    this.datasets = new DatasetRepository(db);
    this.patients = new PatientRepository(db);
    this.readings = new ReadingRepository(db);
    this.events = new EventRepository(db);
    this.settings = new SettingsRepository(db);
    this.models = new ModelRepository(db);
    this.runs = new RunRepository(db);
    this.evaluations = new EvaluationRepository(db);
    this.forecasts = new ForecastRepository(db);
    this.checkpoints = new CheckpointRepository(db);
    this.grids = new GridRepository(db);
    this.quality = new QualityRepository(db);
    this.splits = new SplitRepository(db);
  }

  static open(file: string, options: OpenDatabaseOptions = {}): Store {
    return new Store(openDatabase(file, options), file);
  }

  /** Runs `fn` in one transaction: all of its writes land, or none do. Nested calls become savepoints. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
