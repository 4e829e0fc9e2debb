import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../helpers/api.js';
import { type TestCeos, startTestCeos } from '../helpers/ceos.js';
import { backend } from '../helpers/database.js';
import { NO_DATA_DAY, SEATS_ACTIVE, SEATS_HELD, SNAPSHOT_DAYS, seedDashboardOrg, snapshotOn } from '../helpers/dashboard-seed.js';

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
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const { page, errors } = await openOrgPage(context);
    await expectChartsFromSeededData(page);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
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
