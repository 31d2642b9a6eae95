/**
 * Runs the simulator as a live source: trades are published when the wall clock reaches their
 * simulated time (so the configured rate, with its bursts, is the real rate), or as fast as the
 * sink accepts them with `ratePerSecond: 'max'`. Publishing awaits the sink, so Kafka's
 * backpressure slows the simulator down instead of piling trades up in memory.
 */
import { performance } from 'node:perf_hooks';
import { tradeKey } from '../../common/events/index.ts';
import { TOPICS } from '../../common/topics.ts';
import type { EventSink } from '../event-sink.ts';
import { TradeSimulator, type SimulatorOptions } from './trade-simulator.ts';
import type { SimSymbol } from './symbols.ts';

export interface RunSimulatorOptions {
  readonly symbols?: readonly (string | SimSymbol)[];
  readonly seed?: number;
  readonly exchange?: string;
  /** Trades per second over all symbols, or 'max' for as fast as the sink takes them. */
  readonly ratePerSecond: number | 'max';
  /** Stop after this many trades (default: run until aborted). */
  readonly maxTrades?: number;
  /** Called after each published trade (benchmarks, progress). */
  readonly onPublished?: (count: number) => void;
}

/** The simulated rate used for trade times when running flat out. */
const MAX_MODE_NOMINAL_RATE = 200_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runSimulator(sink: EventSink, signal: AbortSignal, opts: RunSimulatorOptions): Promise<{ published: number }> {
  const paced = opts.ratePerSecond !== 'max';
  const simOptions: SimulatorOptions = {
    symbols: opts.symbols,
    seed: opts.seed,
    exchange: opts.exchange,
    ratePerSecond: paced ? (opts.ratePerSecond as number) : MAX_MODE_NOMINAL_RATE,
    startTimeUs: Date.now() * 1000,
  };
  const sim = new TradeSimulator(simOptions);
  const limit = opts.maxTrades ?? Number.POSITIVE_INFINITY;
  const wallStartMs = performance.now();
  const simStartUs = sim.nowUs;
  let published = 0;
  // Keys are the same few strings over and over: build each once.
  const keys = new Map<string, string>();
  const keyOf = (symbol: string) => {
    let k = keys.get(symbol);
    if (!k) keys.set(symbol, (k = tradeKey({ exchange: sim.exchange, symbol })));
    return k;
  };

  // receivedAtUs is the simulated network delay after the trade time (the simulator's default).
  let pending = sim.next();
  while (!signal.aborted && published < limit) {
    if (paced) {
      const dueInMs = (pending.tradeTimeUs - simStartUs) / 1000 - (performance.now() - wallStartMs);
      if (dueInMs > 1) {
        await sleep(dueInMs);
        continue;
      }
    }
    await sink.publish(TOPICS.trades, keyOf(pending.symbol), pending, 'simulator');
    published += 1;
    opts.onPublished?.(published);
    pending = sim.next();
  }
  return { published };
}
