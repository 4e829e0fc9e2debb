import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { DownloadAnswer } from './usage-reports.js';

/**
 * Writes a file host's answer, a large NDJSON file chunk by chunk with the socket's backpressure
 * respected, so serving 20,000-line reports holds one chunk at a time.
 */
export async function writeUsageDownload(res: ServerResponse, answer: DownloadAnswer, recordStatus: (status: number) => void): Promise<void> {
  recordStatus(answer.status);
  res.writeHead(answer.status, { 'content-type': answer.contentType, 'x-ms-version': '2021-08-06' });
  if ('body' in answer) {
    res.end(answer.body);
    return;
  }
  let chunk = '';
  for (const piece of answer.lines) {
    chunk += piece;
    if (chunk.length < 64 * 1024) continue;
    const flowing = res.write(chunk);
    chunk = '';
    // A client that goes away mid-file closes the response: stop instead of waiting for a drain.
    if (!flowing) {
      const done = new AbortController();
      await Promise.race([once(res, 'drain', { signal: done.signal }), once(res, 'close', { signal: done.signal })]).finally(() => done.abort());
    }
    if (res.destroyed) return;
  }
  res.end(chunk);
}
