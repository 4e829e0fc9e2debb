import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertBilling } from '../../src/db/mirror.js';
import { savePolicy } from '../../src/db/policies.js';
import { upsertPendingRequest } from '../../src/db/seat-requests.js';
import { parsePolicy } from '../../src/domain/policy/parse-policy.js';
import { createKey } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { DASHBOARD_POLICY, NO_DATA_DAY, SEATS_ACTIVE, SEATS_HELD, SNAPSHOT_DAYS, seedDashboardOrg, snapshotOn } from '../helpers/dashboard-seed.js';

// Screenshots for the docs are written when DASHBOARD_SCREENSHOTS=1 (see docs/dashboard.md).
const screenshots = process.env.DASHBOARD_SCREENSHOTS === '1';
const CHROMIUM = '/usr/bin/chromium';

// The page's own code is passed as strings: this project's TypeScript has no DOM types.

/** Every console error and uncaught page error of a page, CSP violations included. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}

/** Signs in with the keyboard only: Tab to the key field, type the key, Enter. */
async function signInWithKeyboard(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/`);
  await expect.poll(() => page.title()).toBe('Sign in · CEOS');
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate<boolean>("document.activeElement?.id === 'key'")) break;
  }
  expect(await page.evaluate<string>('document.activeElement?.id')).toBe('key');
  // The field has a visible label the screen reader announces.
  expect(await page.evaluate<string>('document.activeElement.labels[0].textContent')).toBe('API key');
  await page.keyboard.type(key);
  await Promise.all([page.waitForURL(`${url}/`), page.keyboard.press('Enter')]);
  await page.waitForSelector('table#orgs');
}

describe(`dashboard in Chromium (${backend})`, () => {
  let ceos: TestCeos;
  let browser: Browser;
  let key: string;
  const now = new Date();
  let seeded: Awaited<ReturnType<typeof seedDashboardOrg>>;

  beforeAll(async () => {
    // Workers off: the confirm button's run is queued, not carried out against a GitHub that is not there.
    ceos = await startTestCeos({ CEOS_WORKERS: 'false', CEOS_SESSION_SECRET: 'a-test-secret-that-is-long-enough-0123456789' });
    seeded = await seedDashboardOrg(ceos.database.db, 'Acme', 7, now);
    key = (await createKey(ceos.database.db, 'operator', { name: 'e2e' })).key;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await ceos?.stop();
  });

  async function openOrgPage(context: BrowserContext) {
    const page = await context.newPage();
    const errors = watchErrors(page);
    await signInWithKeyboard(page, ceos.url, key);
    expect(await page.locator('tr[data-org="acme"] td[data-seats]').getAttribute('data-seats')).toBe(String(SEATS_HELD));
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.getByRole('link', { name: 'Acme' }).click();
    await page.waitForURL(`${ceos.url}/orgs/Acme`);
    await page.waitForSelector('[data-chart][data-drawn="true"] canvas');
    return { page, errors };
  }

  async function expectChartsFromSeededData(page: Page) {
    // Four charts (seats, utilization, cost, usage), each drawn on a canvas from every seeded day.
    const charts = page.locator('[data-chart]');
    await expect.poll(() => page.locator('[data-chart][data-drawn="true"]').count()).toBe(4);
    for (const id of ['chart-seats', 'chart-utilization', 'chart-cost', 'chart-usage']) {
      expect(await page.locator(`#${id}`).getAttribute('data-points')).toBe(String(SNAPSHOT_DAYS));
      expect(await page.locator(`#${id} canvas`).count()).toBe(1);
      const size = await page.locator(`#${id} canvas`).boundingBox();
      expect(size?.width ?? 0).toBeGreaterThan(200);
    }
    expect(await charts.count()).toBe(4);
    const usage = JSON.parse((await page.locator('#chart-usage-data').textContent()) ?? '{}') as { y: number[][] };
    expect(usage.y[0]).toEqual(Array.from({ length: SNAPSHOT_DAYS }, (_, i) => (i === NO_DATA_DAY ? null : snapshotOn(i).active1)));
    expect(await page.locator('#chart-usage-desc').textContent()).toContain('1 day without data is a gap, not a zero');
    // The numbers behind the charts: the newest day as seeded, its utilization and cost computed.
    const last = snapshotOn(SNAPSHOT_DAYS - 1);
    const cells = await page.locator(`#series-table tr[data-day="${seeded.lastSnapshotDay}"] td`).allTextContents();
    expect(cells).toEqual([String(last.total), String(last.active30), String(last.active7), `${Math.round((last.active30 / last.total) * 1000) / 10} %`, `${(last.total * 19).toLocaleString('en-US')} USD`]);
    expect(await page.locator('#series-table tbody tr').count()).toBe(SNAPSHOT_DAYS);
    // Figures from the mirror: 160 seats, 90 used within the policy's 30 days, 19 USD each.
    expect(await page.locator('#seats-held').getAttribute('data-value')).toBe(String(SEATS_HELD));
    expect(await page.locator('#utilization').getAttribute('data-value')).toBe(String(Math.round((SEATS_ACTIVE / SEATS_HELD) * 100)));
    expect(await page.locator('#monthly-cost').getAttribute('data-value')).toBe(String(SEATS_HELD * 19));
    expect(await page.locator('#inactive-seats tbody tr').count()).toBe(SEATS_HELD - SEATS_ACTIVE);
    expect(await page.locator('#teams tbody tr').first().getAttribute('data-team')).toBe('data');
    expect(await page.locator('#delivery-health').getAttribute('data-dead')).toBe('1');
  }

  it('signs in with the keyboard and draws the charts from the seeded data at 1280×800, without console errors', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, errors } = await openOrgPage(context);
    await expectChartsFromSeededData(page);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    if (screenshots) await page.screenshot({ path: 'docs/dashboard-desktop.png' });

    // Confirming the held plan goes to the API with the session's CSRF token.
    await page.getByRole('button', { name: 'Confirm 2 cancellations' }).click();
    await expect.poll(() => page.locator(`#status-${seeded.heldPlanId}`).textContent()).toContain('Confirmed');
    const plan = await ceos.database.db.selectFrom('plans').select(['status', 'confirmed_by']).where('id', '=', seeded.heldPlanId).executeTakeFirstOrThrow();
    expect(plan.status).toBe('confirmed');
    expect(plan.confirmed_by).toMatch(/^api-key:/);

    // Signing out ends the session: the org page sends the browser back to the sign-in page.
    await page.goto(`${ceos.url}/orgs/Acme`);
    await Promise.all([page.waitForURL(`${ceos.url}/`), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.waitForSelector('form.sign-in');
    await page.goto(`${ceos.url}/orgs/Acme`);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('form.sign-in').count()).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('approves a seat request with its button, for a number of days, and shows a refusal over the cap with the numbers', async () => {
    const db = ceos.database.db;
    // Seats managed per user, so CEOS can give seats at all (a blocked organization refuses approvals).
    await upsertBilling(db, 'acme', { seatManagementSetting: 'assign_selected', planType: 'business', seatBreakdown: {} }, new Date());
    const ask = (reason: string) => upsertPendingRequest(db, { org: 'acme', login: 'owner1', userId: 7999, reason, repository: null, issueNumber: null, commentId: null }, new Date());
    const first = (await ask('pairing on the billing service')).row;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, errors } = await openOrgPage(context);
    const item = page.locator(`#pending-requests li[data-request="${first.id}"]`);
    expect(await item.textContent()).toContain('owner1 asked');
    expect(await item.textContent()).toContain('pairing on the billing service');
    await item.getByLabel('For days').fill('30');
    await item.getByLabel('Reason').fill('billing project');
    await item.getByRole('button', { name: "Approve owner1's request" }).click();
    await expect.poll(() => page.locator(`#request-status-${first.id}`).textContent()).toContain('Approved');
    // The page reloads after a moment and the request has left the pending list.
    await expect.poll(() => page.locator(`#pending-requests li[data-request="${first.id}"]`).count(), { timeout: 10_000 }).toBe(0);
    await page.waitForSelector('#requests-title');
    expect(await page.locator('#requests-title').textContent()).toBe('Pending seat requests (0)');
    const request = await db.selectFrom('seat_requests').select(['state', 'decided_by', 'decision_reason']).where('id', '=', first.id).executeTakeFirstOrThrow();
    expect(request).toEqual({ state: 'approved', decided_by: expect.stringMatching(/^api-key:/), decision_reason: 'billing project' });
    const grant = await db.selectFrom('seat_overrides').select(['kind', 'actor', 'reason', 'expires_at', 'created_at']).where('org', '=', 'acme').where('login_key', '=', 'owner1').where('lifted_at', 'is', null).executeTakeFirstOrThrow();
    expect(grant).toMatchObject({ kind: 'grant', actor: request.decided_by, reason: 'billing project' });
    // 30 days from the approval (the override's own timestamp comes from the database's clock).
    expect(Math.abs(new Date(grant.expires_at!).getTime() - new Date(grant.created_at).getTime() - 30 * 86_400_000)).toBeLessThan(60_000);

    // With a cap of one seat, a new request is refused, and the page says why with the numbers.
    const capped = DASHBOARD_POLICY.replace('inactivity:', '  max: 1\ninactivity:');
    const parsed = parsePolicy(capped);
    if (!parsed.ok) throw new Error('the capped policy is invalid');
    await savePolicy(db, 'acme', { sha: 'cap0001', ref: 'refs/heads/main', text: capped, policy: parsed.policy, errors: null }, new Date());
    try {
      const second = (await ask('again')).row;
      await page.reload();
      const again = page.locator(`#pending-requests li[data-request="${second.id}"]`);
      await again.getByRole('button', { name: "Approve owner1's request" }).click();
      await expect.poll(() => page.locator(`#request-status-${second.id}`).textContent()).toMatch(/^The request cannot be approved: the seat cap is 1 and \d+ seats are held or due without this approval/);
      expect(await page.locator(`#request-status-${second.id}`).getAttribute('class')).toContain('bad');
      expect((await db.selectFrom('seat_requests').select('state').where('id', '=', second.id).executeTakeFirstOrThrow()).state).toBe('pending');
      // Declining it closes it.
      await again.getByRole('button', { name: "Decline owner1's request" }).click();
      await expect.poll(() => page.locator(`#request-status-${second.id}`).textContent()).toContain('Declined');
      expect((await db.selectFrom('seat_requests').select('state').where('id', '=', second.id).executeTakeFirstOrThrow()).state).toBe('declined');
    } finally {
      const restored = parsePolicy(DASHBOARD_POLICY);
      if (restored.ok) await savePolicy(db, 'acme', { sha: 'c0ffee1234567', ref: 'refs/heads/main', text: DASHBOARD_POLICY, policy: restored.policy, errors: null }, new Date());
    }
    // The refused approval's 409 is the only error the browser reports.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 409 (Conflict)']);
    await context.close();
  });

  it('shows a wrong key\'s error by the field, and signing in again from that page works', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${ceos.url}/`);
    await page.getByLabel('API key').fill(`ceos_${'x'.repeat(43)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('This is not a valid API key.');
    expect(await page.getByLabel('API key').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('API key').fill(key);
    await Promise.all([page.waitForURL(`${ceos.url}/`), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.waitForSelector('table#orgs');
    // The refused attempt's 401 is the only error the browser reports.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    await context.close();
  });

  it('fits a 375×812 phone without horizontal scrolling, charts drawn, without console errors', async () => {
    // A pending request's form fits the phone too.
    const { row } = await upsertPendingRequest(ceos.database.db, { org: 'acme', login: 'owner1', userId: 7999, reason: 'a reason long enough to wrap on a phone screen, as people write them', repository: null, issueNumber: null, commentId: null }, new Date());
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const { page, errors } = await openOrgPage(context);
    await expectChartsFromSeededData(page);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    const approve = (await page.locator(`li[data-request="${row.id}"]`).getByRole('button', { name: "Approve owner1's request" }).boundingBox())!;
    expect(approve.x + approve.width).toBeLessThanOrEqual(375);
    const chartWidth = (await page.locator('#chart-seats canvas').boundingBox())?.width ?? 0;
    expect(chartWidth).toBeLessThanOrEqual(375);
    if (screenshots) {
      await page.evaluate("document.getElementById('charts-title').scrollIntoView({ block: 'start' })");
      await page.screenshot({ path: 'docs/dashboard-phone.png' });
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
