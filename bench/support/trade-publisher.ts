/**
 * Publishes trades to Kafka at a fixed rate from a process of its own (for bench/api.bench.ts).
 * Usage: `node bin/run-ts.js bench/support/trade-publisher.ts <brokers> <topic> <rate/s> <seconds>`.
 * Paced by the clock, not by the previous send: every 5 ms it sends the trades due by then (sends
 * overlap, up to 32 in flight), so a slow acknowledgement does not lower the rate. Each trade's
 * `receivedAtUs` is stamped with the time its send was issued (epoch µs): the clients measure
 * publication-to-client latency against it. Prints `{started}` (epoch ms) when the clock starts
 * and `{sent, seconds, cpuSeconds}` at the end (its CPU while publishing), one JSON object a line.
 */
import { Kafka, logLevel } from 'kafkajs';

const [brokers, topic, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const kafka = new Kafka({ clientId: 'bench-trade-publisher', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
// A fresh broker may still be moving leaders: one retried warm-up send before the clock starts.
for (let attempt = 0; ; attempt++) {
  try {
    await producer.send({ topic, messages: Array.from({ length: 12 }, (_, i) => ({ key: `warm:${i}`, value: '{}' })) });
    break;
  } catch (err) {
    if (attempt > 50) throw err;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const start = Date.now();
const cpu0 = process.cpuUsage();
console.log(JSON.stringify({ started: start }));
let sent = 0;
let inFlight = 0;
let failed: unknown;
while (Date.now() - start < seconds * 1000) {
  for (;;) {
    // At most 1,000 trades a request (a stalled machine must not build one request too large).
    const due = Math.min(1000, Math.floor(((Date.now() - start) * rate) / 1000) - sent);
    if (due <= 0 || inFlight >= 32) break;
    const nowUs = Date.now() * 1000;
    const messages = new Array(due);
    for (let k = 0; k < due; k++) {
      const id = sent + k + 1;
      const s = `SYM${id % 10}USDT`;
      messages[k] = { key: `binance:${s}`, value: `{"v":1,"exchange":"binance","symbol":"${s}","kind":"trade","tradeId":${id},"price":"42000.10000000","qty":"0.01000000","quoteQty":"420.0010000000000000","isBuyerMaker":false,"tradeTimeUs":${nowUs},"receivedAtUs":${nowUs},"source":"simulator"}` };
    }
    sent += due;
    inFlight++;
    producer.send({ topic, messages }).then(
      () => inFlight--,
      (err: unknown) => {
        inFlight--;
        failed = err;
      },
    );
  }
  if (failed) throw failed;
  await new Promise((r) => setTimeout(r, 5));
}
const elapsed = (Date.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
await producer.disconnect();
console.log(JSON.stringify({ sent, seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
