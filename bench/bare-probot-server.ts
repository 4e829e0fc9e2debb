// The baseline of the intake benchmark: a bare Probot app served by its own Node middleware, with
// a no-op handler and nothing stored.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { Probot, createNodeMiddleware } from 'probot';
import pino from 'pino';

const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const probot = new Probot({ appId: 1, privateKey, secret: process.env.WEBHOOK_SECRET, log: pino({ level: 'warn' }) as never });
const middleware = await createNodeMiddleware(
  (app) => {
    app.onAny(async () => {});
  },
  { probot, webhooksPath: '/api/github/webhooks' },
);
const server = createServer((req, res) => {
  void middleware(req, res, () => {
    res.writeHead(404);
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.send?.({ url: `http://127.0.0.1:${address.port}` });
});
process.on('message', (message: { stop?: boolean }) => {
  if (message.stop) server.close(() => process.exit(0));
});
