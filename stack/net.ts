/** Port and readiness helpers: real protocol checks polled until they pass, never fixed sleeps. */
import net from 'node:net';

/** True when nothing listens on host:port (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Ports `freePort` has handed out in this process (see there). */
const handedOut = new Set<number>();

/**
 * A port the OS says is free right now (for tests; never assume 9092 is free), and never one
 * this process was handed before: the OS may give the same ephemeral port to two calls in a row
 * (nothing listens on it between them), and a broker whose listener and controller ports came
 * from two such calls got one port twice and refused to start.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await osFreePort(host);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function osFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The first of `length` consecutive ports that are all free (the Temporal dev server takes the
 * two ports after its frontend port for its HTTP API and metrics).
 */
export async function freePortRun(length: number, host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const first = await freePort(host);
    if (first + length - 1 > 65535) continue;
    let free = true;
    for (let p = first + 1; p < first + length && free; p++) free = await isPortFree(p, host) && !handedOut.has(p);
    if (!free) continue;
    // The run's other ports are the caller's too: no later freePort() may hand one out.
    for (let p = first + 1; p < first + length; p++) handedOut.add(p);
    return first;
  }
}

export class ReadinessTimeoutError extends Error {}

/**
 * Polls `check` until it returns true. `abortIf` is consulted between attempts so that a server
 * process that died is reported at once rather than after the whole timeout.
 */
export async function waitUntil(
  description: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; abortIf?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    const abort = opts.abortIf?.();
    if (abort) throw new Error(`${description}: ${abort}`);
    if (Date.now() > deadline) {
      throw new ReadinessTimeoutError(
        `${description}: not ready after ${Math.round(opts.timeoutMs / 1000)} s${lastError ? ` (last error: ${lastError})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/** GET url and report whether it answered with a 2xx within timeoutMs. */
export async function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  return res.ok;
}
