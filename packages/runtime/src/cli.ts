/**
 * For the operator commands (`npm run -s config|migrate|token|apikey|webhooks|deadletters|audit` and their
 * `dist/<name>.js`): when the reader of stdout goes away before the command has written everything
 * (`npm run -s config -- gateway | head`), the next write fails with `EPIPE`, which Node throws as an
 * unhandled `'error'` event — a stack trace on stderr and exit 1. This ends the process quietly instead,
 * with the exit code set so far (0 unless the command already failed), as `head` asked for no more.
 * Any other error of `stream` is thrown as before. Call it once, first thing in the command.
 *
 * @param stream the stream to watch (default `process.stdout`).
 */
export function endQuietlyWhenStdoutCloses(stream: NodeJS.WritableStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
