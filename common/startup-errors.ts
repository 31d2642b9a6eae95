/**
 * Why a service could not start. Each is a class (callers branch with `instanceof`) and its
 * message is one line a person can act on; the CLI prints it and exits non-zero.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The /metrics and /health port is taken by another process. */
export class ServicePortInUseError extends StartupError {
  constructor(
    readonly port: number,
    readonly host: string,
    /** The variable that moves it, e.g. STREAM_METRICS_PORT. */
    readonly envVar?: string,
  ) {
    super(`port ${port} on ${host} is already in use by another process${envVar ? `: stop it or choose another port with ${envVar}` : ''}`);
  }
}

/** Kafka did not answer within the start-up wait (refused, timed out, or an unknown host). */
export class KafkaUnreachableError extends StartupError {
  constructor(
    readonly brokers: readonly string[],
    readonly waitedMs: number,
    readonly cause: string,
    readonly unknownHost?: string,
  ) {
    super(
      unknownHost
        ? `Kafka host "${unknownHost}" is unknown (KAFKA_BROKERS=${brokers.join(',')}); gave up after ${Math.round(waitedMs / 1000)} s: check KAFKA_BROKERS`
        : `Kafka at ${brokers.join(',')} is unreachable after ${Math.round(waitedMs / 1000)} s (${cause}): start it with \`marketlake stack up\` (or \`marketlake dev\`), or point KAFKA_BROKERS at a running broker`,
    );
  }
}

/** A directory the service must write (LAKE_DIR) is not a writable directory. */
export class DirectoryNotWritableError extends StartupError {
  constructor(
    readonly dir: string,
    readonly envVar: string,
    readonly reason: 'not-writable' | 'not-a-directory',
    detail?: string,
  ) {
    super(
      reason === 'not-a-directory'
        ? `${envVar}=${dir} is a file, not a directory: point ${envVar} at a directory`
        : `${envVar}=${dir} is not writable${detail ? ` (${detail})` : ''}: fix its permissions or point ${envVar} elsewhere`,
    );
  }
}
