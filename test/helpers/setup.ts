import nock from 'nock';
import { afterEach } from 'vitest';

// Tests never reach beyond loopback: GitHub is nock or a local fake server.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);

afterEach(() => {
  nock.cleanAll();
});
