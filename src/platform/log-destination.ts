import type { DestinationStream } from 'pino';

/** Log bytes queued for a stdout reader that is not keeping up, beyond which new lines are dropped. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * Where every logger in the process writes: stdout, for as long as something reads it. A lost
 * log stream (a log collector restarting, a parent process gone) must never stop the service
 * from serving or from exiting.
 *
 * Not pino's default destination: that is a SonicBoom on fd 1, flushed synchronously at exit,
 * and sonic-boom 4's flushSync answers a write error other than EAGAIN (EPIPE: the reader is
 * gone) by sleeping 100 ms and trying again, for ever, so a process whose stdout had closed
 * could not finish its shutdown. process.stdout writes to a pipe without blocking and queues
 * what the pipe will not take yet; when the reader is gone it emits an error, and from then on
 * lines are dropped. A reader that stalls costs at most MAX_QUEUED_BYTES of memory.
 */
class StdoutDestination implements DestinationStream {
  private lost = false;

  constructor(private readonly out: NodeJS.WriteStream) {
    out.on('error', () => {
      this.lost = true;
    });
  }

  write(line: string): void {
    if (this.lost || this.out.writableLength > MAX_QUEUED_BYTES) return;
    try {
      this.out.write(line);
    } catch {
      // stdout on a file writes synchronously and throws (ENOSPC); the line is dropped, the caller goes on.
    }
  }
}

let shared: StdoutDestination | undefined;

/** The one stdout destination of the process, shared by every logger (one error listener, one queue). */
export function stdoutDestination(): DestinationStream {
  shared ??= new StdoutDestination(process.stdout);
  return shared;
}
