import http from 'node:http';
import https from 'node:https';

/** A file host's answer: its status and a body read as it arrives. */
export interface DownloadedFile {
  status: number;
  body: AsyncIterable<Uint8Array>;
  /** Drops the body unread (a refused link). */
  discard(): void;
}

/** Fetches a download link; passed in so tests and tools can replace it. */
export type DownloadFile = (url: string, signal?: AbortSignal) => Promise<DownloadedFile>;

const MAX_REDIRECTS = 3;

/**
 * Gets a signed download link with node:http(s), without any credentials (the signature is in the
 * URL). The body is the response stream itself, whose socket is paused while the reader is busy:
 * unlike `fetch`, which reads ahead into memory, a file is held only a chunk at a time however
 * slowly its lines are stored. Redirects are followed (a few), as file hosts may use them.
 */
export const downloadFile: DownloadFile = (url, signal) => get(new URL(url), signal, 0);

function get(url: URL, signal: AbortSignal | undefined, redirects: number): Promise<DownloadedFile> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.get(url, { headers: { accept: 'application/x-ndjson, application/json;q=0.9, */*;q=0.1' }, signal }, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined && redirects < MAX_REDIRECTS) {
        response.resume();
        get(new URL(location, url), signal, redirects + 1).then(resolve, reject);
        return;
      }
      resolve({ status, body: response, discard: () => response.resume() });
    });
    request.on('error', reject);
  });
}
