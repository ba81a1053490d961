/**
 * The long-running commands (serve, controller) run until SIGTERM or SIGINT, then close gracefully:
 * what they do in between is theirs (`close`), the waiting and the last log lines are shared.
 */
import type { Logger } from 'pino';

export async function untilStopped(signals: NodeJS.Process, log: Logger, closing: string, close: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, `shutting down: ${closing}`);
      void close().then(resolve, resolve);
    };
    signals.once('SIGTERM', () => stop('SIGTERM'));
    signals.once('SIGINT', () => stop('SIGINT'));
  });
  log.info('stopped');
  log.flush();
}
