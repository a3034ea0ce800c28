// Child process for the crash test: commits a small batch, then starts a large write in one
// transaction, says "MID" half-way and keeps writing until it is killed with SIGKILL.
import { Store } from '../../../build/src-main/engine/store/index.js';

const file = process.argv[2];
const store = Store.open(file);
// A small page cache makes the big transaction spill uncommitted pages into the WAL file,
// which is the state a crash must survive.
store.db.pragma('cache_size = -512');
const d = store.datasets.create({ name: 'crash' });
const p = store.patients.ensure(d.id, 'p1');
const row = (i) => ({ patientId: p.id, importId: null, ts: i * 300_000, utcOffsetMin: 0, kind: 'cgm', bgMm: 5 + (i % 50) / 10, flags: 0, sourceRow: i });
store.transaction(() => store.readings.insertMany(Array.from({ length: 1000 }, (_, i) => row(i))));
process.stdout.write('COMMITTED\n');
store.transaction(() => {
  let i = 1000;
  function* rows() {
    for (;;) {
      yield row(i);
      i++;
      if (i === 200_000) process.stdout.write('MID\n');
    }
  }
  store.readings.insertMany(rows());
});
