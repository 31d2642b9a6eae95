// Starts the lake writer thread (writer-thread.ts). The project's TypeScript runs through tsx,
// whose loader a worker thread does not inherit: register it here, then load the worker module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
