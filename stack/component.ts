/** The shape shared by the stack's components (Kafka, Temporal, Prometheus). */
import type { ProgressSink } from './tools.ts';
import { isPortFree } from './net.ts';

export interface PortUse {
  readonly port: number;
  /** What the port is for, e.g. "broker" or "Web UI". */
  readonly role: string;
  /** The environment variable that changes it. */
  readonly envVar: string;
}

export interface ComponentStatus {
  /** Row label in `stack status`, e.g. "Temporal UI". */
  readonly name: string;
  readonly address: string;
  readonly state: 'up' | 'starting' | 'down' | 'foreign';
  readonly pid?: number;
  readonly detail?: string;
}

export interface StackComponent {
  readonly name: string;
  readonly ports: readonly PortUse[];
  /**
   * The stack runs without an optional component (Prometheus) when its program is missing or its
   * port is taken, saying so in one line; a required one refuses.
   */
  readonly optional?: boolean;
  /**
   * Throws a MissingPrerequisiteError (tools.ts) when a tool that provisioning or running needs
   * is missing. Downloads nothing: the stack checks every component before provisioning any.
   */
  checkPrerequisites(): void;
  /** Something to say about whoever holds this component's port, e.g. "it answers as Prometheus 2.45". */
  describeForeign?(port: number): Promise<string | undefined>;
  /** Downloads or builds what is missing; a no-op when cached. */
  provision(progress: ProgressSink): Promise<void>;
  /** True when the server this stack started is running. */
  isRunning(): boolean;
  /**
   * Starts the server (if this stack does not already run it) and waits until it answers. Its
   * ports are checked beforehand, for every component at once, by `Stack.preflight`.
   */
  start(): Promise<'started' | 'already-running'>;
  status(): Promise<ComponentStatus[]>;
  /** Stops the server this stack started; false when it was not running. */
  stop(): Promise<boolean>;
  readonly logFile: string;
}

export class PortInUseError extends Error {
  constructor(component: string, use: PortUse, foreign?: string) {
    super(
      `${component}: port ${use.port} (${use.role}) is already in use by another process${foreign ? ` (${foreign})` : ''}. ` +
        `Stop what listens there or choose another port with ${use.envVar}.`,
    );
    this.name = 'PortInUseError';
  }
}

/**
 * The status row of a component this stack is not running: `down`, or `foreign` when something
 * else already listens on its port (so `stack up` would refuse to start it).
 */
export async function notRunningStatus(name: string, address: string, port: number): Promise<ComponentStatus> {
  const foreign = !(await isPortFree(port));
  return foreign ? { name, address, state: 'foreign', detail: 'port in use by a process this stack did not start' } : { name, address, state: 'down' };
}
