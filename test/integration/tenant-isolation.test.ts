import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/schema.js';
import { GLOBAL_TABLES, TENANT_ROLE, TENANT_TABLES, type TenantMapping, asMaintenance, outsideTenantRole, withTenant } from '../../src/db/tenancy.js';
import { backend, testDatabases } from '../helpers/database.js';

const databases = testDatabases();
afterEach(() => databases.closeAll());

/** A column of a table, as the catalog describes it. */
interface Column {
  name: string;
  type: string;
  notNull: boolean;
  hasDefault: boolean;
}

/** What the tests read about the CEOS schema from pg_catalog. */
interface Catalog {
  tables: string[];
  columns: Map<string, Column[]>;
  /** CHECK constraint definitions, by table. */
  checks: Map<string, string[]>;
  foreignKeys: Map<string, { column: string; table: string; refColumn: string }[]>;
  /** Tables with triggers of their own (the audit log refuses UPDATE and DELETE). */
  triggered: Set<string>;
}

async function readCatalog(db: Kysely<Database>, schema: string): Promise<Catalog> {
  const tables = await sql<{ name: string }>`
    select c.relname as name from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${schema} and c.relkind in ('r', 'p') order by 1`.execute(db);
  const columns = await sql<{ table: string; name: string; type: string; not_null: boolean; has_default: boolean }>`
    select c.relname as table, a.attname as name, t.typname as type, a.attnotnull as not_null, a.atthasdef or a.attidentity <> '' as has_default
      from pg_catalog.pg_attribute a
      join pg_catalog.pg_class c on c.oid = a.attrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      join pg_catalog.pg_type t on t.oid = a.atttypid
     where n.nspname = ${schema} and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
     order by c.relname, a.attnum`.execute(db);
  const constraints = await sql<{ table: string; type: string; definition: string; columns: string[] | string; ref_table: string | null; ref_columns: string[] | string | null }>`
    select c.relname as table, k.contype as type, pg_catalog.pg_get_constraintdef(k.oid) as definition,
           array(select a.attname::text from unnest(k.conkey) as u(n) join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n) as columns,
           r.relname as ref_table,
           array(select a.attname::text from unnest(k.confkey) as u(n) join pg_catalog.pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n) as ref_columns
      from pg_catalog.pg_constraint k
      join pg_catalog.pg_class c on c.oid = k.conrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      left join pg_catalog.pg_class r on r.oid = k.confrelid
     where n.nspname = ${schema} and k.contype in ('c', 'f')`.execute(db);
  const triggers = await sql<{ table: string }>`
    select distinct c.relname as table from pg_catalog.pg_trigger g
      join pg_catalog.pg_class c on c.oid = g.tgrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${schema} and not g.tgisinternal`.execute(db);
  const catalog: Catalog = { tables: tables.rows.map((r) => r.name), columns: new Map(), checks: new Map(), foreignKeys: new Map(), triggered: new Set(triggers.rows.map((r) => r.table)) };
  for (const c of columns.rows) {
    const list = catalog.columns.get(c.table) ?? [];
    list.push({ name: c.name, type: c.type, notNull: c.not_null, hasDefault: c.has_default });
    catalog.columns.set(c.table, list);
  }
  const names = (v: string[] | string | null) => (v === null ? [] : Array.isArray(v) ? v : v.replace(/^\{|\}$/g, '').split(',').filter(Boolean));
  for (const k of constraints.rows) {
    if (k.type === 'c') catalog.checks.set(k.table, [...(catalog.checks.get(k.table) ?? []), k.definition]);
    else {
      const [column] = names(k.columns);
      const [refColumn] = names(k.ref_columns);
      catalog.foreignKeys.set(k.table, [...(catalog.foreignKeys.get(k.table) ?? []), { column: column!, table: k.ref_table!, refColumn: refColumn! }]);
    }
  }
  return catalog;
}

/** The two installations every generated check runs with. */
interface Tenant {
  tag: string;
  installationId: string;
  org: string;
  /** Base for numbers, so the two tenants' keys never collide. */
  base: number;
}
const A: Tenant = { tag: 'a', installationId: '101', org: 'tenant-a', base: 1000 };
const B: Tenant = { tag: 'b', installationId: '202', org: 'tenant-b', base: 2000 };

/**
 * Values for columns whose CHECK a generic value cannot meet. A new table with such a column gets
 * its value here; the seeding error names the table and column.
 */
const VALUE_HINTS: Record<string, string> = {
  'audit_log.prev_hash': '0'.repeat(64),
  'audit_log.hash': 'f'.repeat(64),
};

type Row = Record<string, unknown>;

/**
 * A row of `table` belonging to `tenant`, from the catalog alone: the mapping column (and any `org`
 * or `installation_id` column) names the tenant, foreign keys point at the tenant's rows of the
 * referenced table, a CHECK of the `col = ANY (ARRAY[...])` form takes its first value, and other
 * required columns get a value of their type that is unique per tenant and `n`.
 */
function rowFor(catalog: Catalog, table: string, tenant: Tenant, n: number, seeded: Map<string, Map<string, Row>>): Row {
  const mapping = TENANT_TABLES[table]!;
  const row: Row = {};
  const checks = catalog.checks.get(table) ?? [];
  for (const column of catalog.columns.get(table) ?? []) {
    const fk = (catalog.foreignKeys.get(table) ?? []).find((f) => f.column === column.name);
    const enumCheck = checks.map((c) => new RegExp(`\\(${column.name} = ANY \\(ARRAY\\['([^']*)'`).exec(c)).find((m) => m !== null);
    const hint = VALUE_HINTS[`${table}.${column.name}`];
    if (mapping.by === 'installation' && column.name === mapping.column) row[column.name] = tenant.installationId;
    else if (column.name === 'org') row[column.name] = tenant.org;
    else if (column.name === 'installation_id') row[column.name] = tenant.installationId;
    else if (fk) {
      const parent = seeded.get(fk.table)?.get(tenant.tag);
      if (!parent) throw new Error(`${table}.${column.name} references ${fk.table}, which has no seeded row for tenant ${tenant.tag}`);
      row[column.name] = parent[fk.refColumn];
    } else if (hint !== undefined) row[column.name] = hint;
    else if (enumCheck) row[column.name] = enumCheck[1];
    else if (!column.notNull || column.hasDefault) continue;
    else row[column.name] = valueOfType(column.type, `${table}.${column.name}.${tenant.tag}.${n}`, tenant.base + n);
  }
  return row;
}

function valueOfType(type: string, text: string, number: number): unknown {
  switch (type) {
    case 'text':
    case 'varchar':
      return text;
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
    case 'float4':
    case 'float8':
      return number;
    case 'bool':
      return true;
    case 'timestamptz':
    case 'timestamp':
      return new Date();
    case 'date':
      return `2026-01-${String(1 + (number % 28)).padStart(2, '0')}`;
    case 'json':
    case 'jsonb':
      return '{}';
    case 'uuid':
      return randomUUID();
    case '_text':
      return '{}';
    default:
      throw new Error(`no generic value for a column of type ${type} (${text}); add one to valueOfType`);
  }
}

/** Tenant tables with parents (foreign keys, parent mappings) after them. */
function seedOrder(catalog: Catalog): string[] {
  const tenantTables = Object.keys(TENANT_TABLES);
  const parentsOf = (t: string) => [
    ...(catalog.foreignKeys.get(t) ?? []).map((f) => f.table),
    ...(TENANT_TABLES[t]!.by === 'parent' ? [(TENANT_TABLES[t] as Extract<TenantMapping, { by: 'parent' }>).parent] : []),
    ...(t === 'installations' ? [] : ['installations']),
  ].filter((p) => p !== t && tenantTables.includes(p));
  const order: string[] = [];
  const visit = (t: string, path: string[]) => {
    if (order.includes(t)) return;
    if (path.includes(t)) throw new Error(`foreign keys form a cycle: ${[...path, t].join(' -> ')}`);
    for (const p of parentsOf(t)) visit(p, [...path, t]);
    order.push(t);
  };
  for (const t of tenantTables) visit(t, []);
  return order;
}

/** The mapping column of a tenant table and the value that names `tenant` in it. */
function mappingOf(table: string, tenant: Tenant, seeded: Map<string, Map<string, Row>>): { column: string; value: unknown } {
  const mapping = TENANT_TABLES[table]!;
  if (mapping.by === 'org') return { column: 'org', value: tenant.org };
  if (mapping.by === 'installation') return { column: mapping.column, value: tenant.installationId };
  return { column: mapping.column, value: seeded.get(mapping.parent)!.get(tenant.tag)![mapping.parentColumn] };
}

/** Runs `fn` as a tenant and says how it ended: the rows it touched, or the SQLSTATE it failed with. */
async function asTenant(db: Kysely<Database>, tenant: Tenant, fn: (trx: Kysely<any>) => Promise<{ numAffectedRows?: bigint; rows?: unknown[] }>): Promise<{ rows: number } | { error: string; message: string }> {
  try {
    const result = await withTenant(db, tenant.installationId, (trx) => fn(trx as Kysely<any>));
    return { rows: result.rows?.length ?? Number(result.numAffectedRows ?? 0n) };
  } catch (error) {
    return { error: String((error as { code?: unknown }).code ?? 'none'), message: (error as Error).message };
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

describe(`tenant isolation (${backend})`, () => {
  it('classifies every table of the schema exactly once, as a tenant table or a global one', async () => {
    const database = await databases.open();
    const { tables } = await readCatalog(database.db, database.schema);
    const tenant = Object.keys(TENANT_TABLES);
    const global = Object.keys(GLOBAL_TABLES);
    expect(tables.length).toBeGreaterThan(20);
    const unclassified = tables.filter((t) => !tenant.includes(t) && !global.includes(t));
    expect(unclassified, 'tables missing from src/db/tenancy.ts: classify each as a tenant table (with its mapping) or a global one (with why)').toEqual([]);
    expect(tenant.filter((t) => global.includes(t)), 'tables classified twice').toEqual([]);
    expect([...tenant, ...global].filter((t) => !tables.includes(t)), 'classified tables that no longer exist').toEqual([]);
    for (const [table, reason] of Object.entries(GLOBAL_TABLES)) expect(reason.length, `the reason ${table} is global`).toBeGreaterThan(10);
  });

  it('enables row-level security with a policy for the tenant role on every tenant table, and keeps the role off every global table', async () => {
    const database = await databases.open();
    const { db, schema } = database;
    const role = await sql<{ rolsuper: boolean; rolbypassrls: boolean; rolcanlogin: boolean }>`select rolsuper, rolbypassrls, rolcanlogin from pg_catalog.pg_roles where rolname = ${TENANT_ROLE}`.execute(db);
    expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolcanlogin: false }]);
    const tables = await sql<{ name: string; rls: boolean; forced: boolean }>`
      select c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       where n.nspname = ${schema} and c.relkind in ('r', 'p')`.execute(db);
    const policies = await sql<{ table: string; cmd: string; roles: string[] | string }>`
      select tablename as table, cmd, roles from pg_catalog.pg_policies where schemaname = ${schema}`.execute(db);
    const problems: string[] = [];
    for (const { name, rls, forced } of tables.rows) {
      const qualified = `"${schema}"."${name}"`;
      const privileges = await sql<{ s: boolean; i: boolean; u: boolean; d: boolean }>`
        select has_table_privilege(${TENANT_ROLE}, ${qualified}, 'SELECT') as s, has_table_privilege(${TENANT_ROLE}, ${qualified}, 'INSERT') as i,
               has_table_privilege(${TENANT_ROLE}, ${qualified}, 'UPDATE') as u, has_table_privilege(${TENANT_ROLE}, ${qualified}, 'DELETE') as d`.execute(db);
      const p = privileges.rows[0]!;
      if (name in TENANT_TABLES) {
        if (!rls) problems.push(`${name}: row-level security is not enabled`);
        // Cross-tenant work runs as the owner, which FORCE would subject to the policies.
        if (forced) problems.push(`${name}: row-level security is forced on the owner`);
        const own = policies.rows.filter((r) => r.table === name && String(r.roles).includes(TENANT_ROLE));
        if (!own.some((r) => r.cmd === 'ALL')) problems.push(`${name}: no policy for ${TENANT_ROLE} covers every command`);
        const mapping = TENANT_TABLES[name]!;
        if (mapping.by === 'installation' && mapping.readOnly) {
          if (!p.s || p.i || p.u || p.d) problems.push(`${name}: read-only to tenants, yet ${TENANT_ROLE} has ${JSON.stringify(p)}`);
        } else if (!(p.s && p.i && p.u && p.d)) problems.push(`${name}: ${TENANT_ROLE} lacks select, insert, update or delete`);
      } else if (p.s || p.i || p.u || p.d) {
        problems.push(`${name}: global, yet ${TENANT_ROLE} has privileges on it`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("keeps a transaction set for one installation from reading or writing another's rows, on every tenant table", async () => {
    const database = await databases.open();
    const { db, schema } = database;
    const catalog = await readCatalog(db, schema);
    const owner = db as unknown as Kysely<any>;
    // Both tenants' rows, written by the owner (cross-tenant work), parents first.
    const seeded = new Map<string, Map<string, Row>>();
    for (const table of seedOrder(catalog)) {
      const rows = new Map<string, Row>();
      for (const tenant of [A, B]) {
        const values = rowFor(catalog, table, tenant, 1, seeded);
        try {
          rows.set(tenant.tag, (await owner.insertInto(table).values(values).returningAll().executeTakeFirstOrThrow()) as Row);
        } catch (error) {
          throw new Error(`cannot seed a row of ${table} (${JSON.stringify(values)}): ${(error as Error).message}; give the column a value in VALUE_HINTS`, { cause: error });
        }
      }
      seeded.set(table, rows);
    }
    const snapshotOf = async (table: string, tenant: Tenant) => {
      const { column, value } = mappingOf(table, tenant, seeded);
      return JSON.stringify(await owner.selectFrom(table).selectAll().where(column, '=', value).execute());
    };
    const before = new Map<string, string>();
    for (const table of Object.keys(TENANT_TABLES)) before.set(table, await snapshotOf(table, B));

    const problems: string[] = [];
    const expectRows = (table: string, what: string, outcome: Awaited<ReturnType<typeof asTenant>>, rows: number, orRefused = false) => {
      if ('rows' in outcome ? outcome.rows === rows : orRefused && outcome.error === INSUFFICIENT_PRIVILEGE) return;
      problems.push(`${table}: ${what}: expected ${rows} rows${orRefused ? ' or a refusal' : ''}, got ${JSON.stringify(outcome)}`);
    };
    const expectRefused = (table: string, what: string, outcome: Awaited<ReturnType<typeof asTenant>>) => {
      if ('error' in outcome && outcome.error === INSUFFICIENT_PRIVILEGE) return;
      problems.push(`${table}: ${what}: expected a refusal (${INSUFFICIENT_PRIVILEGE}), got ${JSON.stringify(outcome)}`);
    };
    for (const table of seedOrder(catalog)) {
      const mine = mappingOf(table, A, seeded);
      const theirs = mappingOf(table, B, seeded);
      // An append-only table refuses UPDATE and DELETE to everyone; its refusal also protects B's rows.
      // So does a table read-only to tenants.
      const mapping = TENANT_TABLES[table]!;
      const appendOnly = catalog.triggered.has(table) || (mapping.by === 'installation' && mapping.readOnly === true);
      // The owner sees both tenants.
      const all = await asMaintenance(db, (m) => (m as unknown as Kysely<any>).selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow());
      if (Number(all.n) !== 2) problems.push(`${table}: the owner sees ${all.n} rows, not both tenants'`);
      // Reads: only A's row.
      const visible = await withTenant(db, A.installationId, (trx) => (trx as unknown as Kysely<any>).selectFrom(table).selectAll().execute()).catch((error: Error) => error.message);
      if (typeof visible === 'string' || visible.length !== 1 || visible[0]?.[mine.column] !== mine.value) {
        problems.push(`${table}: tenant A should see its one row, and sees ${JSON.stringify(visible)}`);
        continue;
      }
      expectRows(table, "reading B's rows by key", await asTenant(db, A, (trx) => trx.selectFrom(table).selectAll().where(theirs.column, '=', theirs.value).execute().then((rows) => ({ rows }))), 0);
      // Writes to B's rows match nothing.
      expectRows(table, "updating B's rows", await asTenant(db, A, (trx) => trx.updateTable(table).set(theirs.column, sql.ref(theirs.column)).where(theirs.column, '=', theirs.value).executeTakeFirst().then((r) => ({ numAffectedRows: r.numUpdatedRows }))), 0, appendOnly);
      expectRows(table, "deleting B's rows", await asTenant(db, A, (trx) => trx.deleteFrom(table).where(theirs.column, '=', theirs.value).executeTakeFirst().then((r) => ({ numAffectedRows: r.numDeletedRows }))), 0, appendOnly);
      // Rows for B, new or moved from A, are refused.
      expectRefused(table, 'inserting a row for B', await asTenant(db, A, (trx) => trx.insertInto(table).values(rowFor(catalog, table, B, 2, seeded)).executeTakeFirst().then(() => ({ rows: [] }))));
      expectRefused(table, "moving A's row to B", await asTenant(db, A, (trx) => trx.updateTable(table).set(mine.column, theirs.value).where(mine.column, '=', mine.value).executeTakeFirst().then((r) => ({ numAffectedRows: r.numUpdatedRows }))));
      // A's own row stays writable (the policy is not a blanket refusal), unless tenants may only read the table.
      const ownUpdate = await asTenant(db, A, (trx) => trx.updateTable(table).set(mine.column, sql.ref(mine.column)).where(mine.column, '=', mine.value).executeTakeFirst().then((r) => ({ numAffectedRows: r.numUpdatedRows })));
      if (mapping.by === 'installation' && mapping.readOnly) expectRefused(table, 'updating its own row of a read-only table', ownUpdate);
      else expectRows(table, 'updating its own row', ownUpdate, 1, appendOnly);
      // The tenant role with no installation set sees nothing at all.
      const unset = await db.transaction().execute(async (trx) => {
        await sql`select set_config('role', ${TENANT_ROLE}, true)`.execute(trx);
        return (trx as unknown as Kysely<any>).selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      });
      if (Number(unset.n) !== 0) problems.push(`${table}: the tenant role without an installation sees ${unset.n} rows`);
    }
    for (const table of Object.keys(TENANT_TABLES)) {
      if ((await snapshotOf(table, B)) !== before.get(table)) problems.push(`${table}: B's rows changed`);
    }
    // Global tables are closed to tenant transactions altogether.
    for (const table of Object.keys(GLOBAL_TABLES)) {
      expectRefused(table, 'reading a global table', await asTenant(db, A, (trx) => trx.selectFrom(table).selectAll().limit(1).execute().then((rows) => ({ rows }))));
    }
    expect(problems).toEqual([]);
  });

  it('gives the connection back with its own role and no installation, after a commit and after a rollback', async () => {
    const database = await databases.open(undefined, 1);
    const { db } = database;
    const seen = await withTenant(db, A.installationId, async (trx) => (await sql<{ user: string; installation: string }>`select current_user as user, current_setting('ceos.installation_id', true) as installation`.execute(trx)).rows[0]);
    expect(seen).toEqual({ user: TENANT_ROLE, installation: A.installationId });
    await expect(withTenant(db, A.installationId, async () => Promise.reject(new Error('the work failed')))).rejects.toThrow('the work failed');
    const after = await sql<{ user: string; installation: string | null }>`select current_user as user, current_setting('ceos.installation_id', true) as installation`.execute(db);
    expect(after.rows[0]!.user).not.toBe(TENANT_ROLE);
    expect(after.rows[0]!.installation ?? '').toBe('');
  });

  it('steps outside the tenant role for one step of a tenant transaction and back, also when the step fails', async () => {
    const database = await databases.open();
    const { db } = database;
    const user = async (d: Kysely<Database>) => (await sql<{ user: string }>`select current_user as user`.execute(d)).rows[0]!.user;
    const owner = await user(db);
    const seen = await withTenant(db, A.installationId, async (trx) => {
      const inside = await outsideTenantRole(trx, async (t) => ({ user: await user(t), keys: (await t.selectFrom('api_keys').select('id').execute()).length }));
      const failed = await outsideTenantRole(trx, async () => Promise.reject(new Error('the step failed'))).catch((error: Error) => error.message);
      return { inside, failed, after: await user(trx) };
    });
    expect(seen).toEqual({ inside: { user: owner, keys: 0 }, failed: 'the step failed', after: TENANT_ROLE });
  });

  it('refuses an installation id that is not one, maintenance inside a tenant transaction, and a tenant transaction inside another', async () => {
    const database = await databases.open();
    const { db } = database;
    await expect(withTenant(db, '1 or true', async () => 1)).rejects.toThrow('needs an installation id');
    await expect(withTenant(db, A.installationId, (trx) => asMaintenance(trx, async () => 1))).rejects.toThrow('cannot run inside a tenant transaction');
    await expect(withTenant(db, A.installationId, (trx) => withTenant(trx, B.installationId, async () => 1))).rejects.toThrow('not set for installation 202');
    expect(await withTenant(db, A.installationId, (trx) => withTenant(trx, A.installationId, async () => 'same'))).toBe('same');
  });
});
