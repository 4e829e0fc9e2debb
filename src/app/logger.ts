import pino, { type Logger } from 'pino';

/** Paths never written to the log, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'privateKey',
  'webhookSecrets',
  'secret',
  'token',
  'key',
  '*.privateKey',
  '*.secret',
  '*.token',
  '*.key',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'headers["x-hub-signature-256"]',
  'config.webhookSecrets',
];

/** The process logger: structured JSON, secrets redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: 'ceos',
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}
