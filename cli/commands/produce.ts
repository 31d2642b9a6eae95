/** `marketlake produce <source>`: run one producer until Ctrl-C (see producers/run-producer.ts). */
import { Argument, type Command } from 'commander';
import { PRODUCER_NAMES, startProducer, type ProducerName } from '../../producers/index.ts';

export function registerProduceCommand(program: Command): void {
  program
    .command('produce')
    .description('run one producer into Kafka, with /metrics and /health on PRODUCER_METRICS_PORT; "auto" picks binance when reachable, else the simulator')
    .addArgument(new Argument('<source>', 'the source').choices([...PRODUCER_NAMES, 'auto']))
    .action(async (source: ProducerName | 'auto') => {
      const producer = await startProducer(source, { listen: true });
      await producer.done;
    });
}
