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

/** Field names whose values are never logged, at any depth of a logged object (compared lower-cased). */
export const REDACTED_KEYS = new Set([
  'authorization',
  'privatekey',
  'private_key',
  'webhooksecret',
  'webhooksecrets',
  'webhook_secret',
  'secret',
  'x-hub-signature-256',
  'bootstrapadminkey',
]);

// Values that are secrets whatever field holds them: a management API key, or a PEM private key.
const SECRET_VALUE = /ceos_[A-Za-z0-9_-]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const CENSOR = '[redacted]';
const MAX_DEPTH = 12;

/**
 * A copy of a log object with secrets censored wherever they sit: fixed paths cannot reach an
 * `authorization` header nested in an error's request, or a key pasted into a message field.
 */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? CENSOR : value;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
  // Errors and other class instances keep their own serialization (pino's err serializer).
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null && !(value instanceof Error)) return value;
  // An error's copy keeps its prototype, so pino's err serializer still names its type.
  const copy = (value instanceof Error ? Object.create(proto as object) : {}) as Record<string, unknown>;
  for (const [key, item] of Object.entries(value)) {
    copy[key] = REDACTED_KEYS.has(key.toLowerCase()) ? CENSOR : redactDeep(item, depth + 1, seen);
  }
  if (value instanceof Error) {
    // Defined, not assigned: some errors (a DOMException from an aborted fetch) inherit `message`
    // as a getter with no setter, and assigning to it would throw inside the logger.
    const own = (key: string, item: unknown) => Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    own('message', redactDeep(value.message, depth + 1, seen));
    own('stack', redactDeep(value.stack, depth + 1, seen));
    if (value.cause !== undefined) own('cause', redactDeep(value.cause, depth + 1, seen));
  }
  return copy;
}

/** The process logger: structured JSON, secrets redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: 'ceos',
      level,
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      formatters: { log: (object) => redactDeep(object) as Record<string, unknown> },
      hooks: {
        // A secret in the message text itself (e.g. a pasted key) is censored too.
        logMethod(args, method) {
          const redacted = args.map((arg) => (typeof arg === 'string' && SECRET_VALUE.test(arg) ? arg.replace(new RegExp(SECRET_VALUE, 'g'), CENSOR) : arg));
          return method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
