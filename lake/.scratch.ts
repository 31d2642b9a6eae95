import parquet from 'parquetjs-lite';
const r = await parquet.ParquetReader.openFile('/tmp/lakecli/bronze/trades/symbol=BTCUSDT/date=2024-03-03/part-6afad413-4d2e-41f9-b197-affe76d0da6a.parquet');
console.log(JSON.stringify(r.getSchema().fields, (k, v) => typeof v === 'bigint' ? v.toString() : v).slice(0, 1500));
const c = r.getCursor();
console.log(await c.next());
