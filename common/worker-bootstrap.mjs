// Starts a worker thread that runs one of the project's TypeScript modules (the lake writer
// thread, the Kafka sender thread). The project's TypeScript runs through tsx, whose loader a
// worker thread does not inherit: register it here, then load workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
