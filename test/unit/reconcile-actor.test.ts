import { describe, expect, it } from 'vitest';
import { actorOf } from '../../src/jobs/reconcile-org.js';

describe('the actor a reconciliation run is audited with', () => {
  it('an API run is a key\'s when a key asked, and a person\'s when a GitHub-signed-in session asked', () => {
    expect(actorOf({ trigger: 'api', actor: 'api-key:0b6f6a1e-5c1d-4d5e-9a43-2f1f3c7a9d10' })).toEqual({ actor: 'api-key:0b6f6a1e-5c1d-4d5e-9a43-2f1f3c7a9d10', actorType: 'api_key' });
    expect(actorOf({ trigger: 'api', actor: 'octocat' })).toEqual({ actor: 'octocat', actorType: 'user' });
  });

  it('other triggers keep their actors', () => {
    expect(actorOf({ trigger: 'schedule', actor: 'schedule' })).toEqual({ actor: 'schedule', actorType: 'schedule' });
    expect(actorOf({ trigger: 'webhook', actor: 'ceos' })).toEqual({ actor: 'ceos', actorType: 'app' });
  });
});
