import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AuditEntry, type AuditEntryInput, actorTypeOf } from '../../src/domain/audit/audit-entry.js';
import {
  CHAIN_START,
  GENESIS_HASH,
  auditHashFields,
  chainAuditEntries,
  hashAuditEntry,
} from '../../src/domain/audit/hash-audit-entry.js';
import { AuditChainVerifier, verifyAuditEntries } from '../../src/domain/audit/verify-audit-chain.js';

const NOW = new Date('2026-11-29T12:00:00.123Z');

function stored(org: string, inputs: AuditEntryInput[], firstId = 1): AuditEntry[] {
  return chainAuditEntries(CHAIN_START, org, inputs, NOW).map(({ fields, prevHash, hash }, i) => ({
    id: String(firstId + i),
    org: fields.org,
    seq: fields.seq,
    actor: fields.actor,
    actorType: fields.actor_type,
    action: fields.action,
    target: fields.target,
    reason: fields.reason,
    details: fields.details,
    createdAt: new Date(fields.created_at),
    prevHash,
    hash,
  }));
}

const inputs: AuditEntryInput[] = [
  { actor: 'schedule', action: 'seat.added', target: 'alice', reason: 'member of team copilot', details: { plan: '7' } },
  { actor: 'api-key:3', action: 'override.created', target: 'bob', reason: 'trial', details: { kind: 'grant' } },
  { actor: 'Mona', action: 'seat.cancelled', target: 'carol', reason: 'inactive 91 days' },
  { actor: 'ceos', action: 'policy.loaded', reason: 'policy changed on main' },
];

function head(entries: AuditEntry[]) {
  const last = entries[entries.length - 1]!;
  return { seq: last.seq, hash: last.hash };
}

describe('actorTypeOf', () => {
  it.each([
    ['octocat', 'user'],
    ['api-key:12', 'api_key'],
    ['schedule', 'schedule'],
    ['ceos', 'app'],
    ['ceos:reconciler', 'app'],
    ['ceos-bot', 'user'],
  ])('%s is %s', (actor, type) => {
    expect(actorTypeOf(actor)).toBe(type);
  });
});

describe('hashAuditEntry', () => {
  it('is sha256 over the previous hash, a newline and the canonical JSON of the fields', () => {
    const fields = {
      org: 'acme',
      seq: 1,
      actor: 'mona',
      actor_type: 'user' as const,
      action: 'seat.added',
      target: 'alice',
      reason: 'r',
      details: { b: 2, a: 1 },
      created_at: '2026-11-29T12:00:00.123Z',
    };
    const text =
      `${GENESIS_HASH}\n` +
      '{"action":"seat.added","actor":"mona","actor_type":"user","created_at":"2026-11-29T12:00:00.123Z",' +
      '"details":{"a":1,"b":2},"org":"acme","reason":"r","seq":1,"target":"alice"}';
    expect(hashAuditEntry(GENESIS_HASH, fields)).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('changes when any hashed field or the previous hash changes', () => {
    const [entry] = stored('acme', inputs);
    const fields = auditHashFields(entry!);
    const base = hashAuditEntry(GENESIS_HASH, fields);
    const variants = [
      { ...fields, org: 'acme2' },
      { ...fields, seq: 2 },
      { ...fields, actor: 'schedulf' },
      { ...fields, actor_type: 'user' as const },
      { ...fields, action: 'seat.cancelled' },
      { ...fields, target: null },
      { ...fields, reason: 'member of team copilot ' },
      { ...fields, details: { plan: 7 } },
      { ...fields, created_at: '2026-11-29T12:00:00.124Z' },
    ];
    for (const variant of variants) expect(hashAuditEntry(GENESIS_HASH, variant)).not.toBe(base);
    expect(hashAuditEntry('1'.repeat(64), fields)).not.toBe(base);
  });
});

describe('chainAuditEntries', () => {
  it('numbers entries from the head and links each to the one before', () => {
    const first = chainAuditEntries(CHAIN_START, 'acme', inputs.slice(0, 2), NOW);
    const second = chainAuditEntries({ seq: 2, hash: first[1]!.hash }, 'acme', inputs.slice(2), NOW);
    const all = [...first, ...second];
    expect(all.map((e) => e.fields.seq)).toEqual([1, 2, 3, 4]);
    expect(all[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < all.length; i++) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
    expect(all.map((e) => e.fields.actor_type)).toEqual(['schedule', 'api_key', 'user', 'app']);
    expect(all[3]!.fields.target).toBeNull();
    expect(all[2]!.fields.details).toEqual({});
    expect(all[0]!.fields.created_at).toBe('2026-11-29T12:00:00.123Z');
  });

  it('keeps an explicit actor type and time', () => {
    const [entry] = chainAuditEntries(CHAIN_START, 'acme', [
      { actor: 'deploy-bot', actorType: 'app', action: 'x.y', reason: 'r', at: new Date('2020-01-01T00:00:00Z') },
    ], NOW);
    expect(entry!.fields.actor_type).toBe('app');
    expect(entry!.fields.created_at).toBe('2020-01-01T00:00:00.000Z');
  });

  it('hashes details as they will read back from the database', () => {
    const [entry] = chainAuditEntries(CHAIN_START, 'acme', [
      { actor: 'a', action: 'x.y', reason: 'r', details: { at: new Date(0), gone: undefined, n: Number.NaN } },
    ], NOW);
    expect(entry!.fields.details).toEqual({ at: '1970-01-01T00:00:00.000Z', n: null });
  });

  it('refuses an entry without a reason or with an invalid time', () => {
    expect(() => chainAuditEntries(CHAIN_START, 'acme', [{ actor: 'a', action: 'x.y', reason: '  ' }], NOW)).toThrow(/needs a reason/);
    expect(() =>
      chainAuditEntries(CHAIN_START, 'acme', [{ actor: 'a', action: 'x.y', reason: 'r', at: new Date('nope') }], NOW),
    ).toThrow(/invalid time/);
  });
});

describe('verifyAuditEntries', () => {
  const chain = stored('acme', inputs);

  it('accepts an intact chain and an empty one', () => {
    expect(verifyAuditEntries('acme', chain, head(chain))).toEqual({ ok: true, checked: 4 });
    expect(verifyAuditEntries('acme', [], undefined)).toEqual({ ok: true, checked: 0 });
  });

  type Tamper = (entries: AuditEntry[]) => AuditEntry[];
  const rehash = (e: AuditEntry): AuditEntry => ({ ...e, hash: hashAuditEntry(e.prevHash, auditHashFields(e)) });
  const cases: [string, Tamper, { seq: number; id: string | null; problem: string }, (string | undefined)?][] = [
    ['a changed reason', (es) => es.map((e) => (e.seq === 2 ? { ...e, reason: 'promoted' } : e)), { seq: 2, id: '2', problem: 'hash mismatch' }],
    ['changed details', (es) => es.map((e) => (e.seq === 1 ? { ...e, details: { plan: '8' } } : e)), { seq: 1, id: '1', problem: 'hash mismatch' }],
    ['a changed time', (es) => es.map((e) => (e.seq === 3 ? { ...e, createdAt: new Date(NOW.getTime() + 1) } : e)), { seq: 3, id: '3', problem: 'hash mismatch' }],
    ['a change with its hash recomputed', (es) => es.map((e) => (e.seq === 2 ? rehash({ ...e, target: 'eve' }) : e)), { seq: 3, id: '3', problem: 'broken link' }],
    ['a removed entry', (es) => es.filter((e) => e.seq !== 2), { seq: 3, id: '3', problem: 'sequence gap' }],
    ['swapped entries', (es) => [es[0]!, es[2]!, es[1]!, es[3]!], { seq: 3, id: '3', problem: 'sequence gap' }],
    ['a removed first entry', (es) => es.slice(1), { seq: 2, id: '2', problem: 'sequence gap' }],
    ['removed last entries', (es) => es.slice(0, 2), { seq: 4, id: null, problem: 'head mismatch' }],
    ['a rewritten last entry', (es) => es.map((e) => (e.seq === 4 ? rehash({ ...e, reason: 'nothing' }) : e)), { seq: 4, id: '4', problem: 'head mismatch' }],
    [
      'an entry appended around the log',
      (es) => [...es, rehash({ ...es[3]!, id: '5', seq: 5, prevHash: es[3]!.hash, action: 'seat.added' })],
      { seq: 4, id: '5', problem: 'head mismatch' },
    ],
  ];

  it.each(cases)('finds %s', (_name, tamper, expected) => {
    const result = verifyAuditEntries('acme', tamper(chain.map((e) => ({ ...e }))), head(chain));
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ org: 'acme', ...expected });
    expect(result.firstBroken!.detail).not.toBe('');
  });

  it('finds entries without a head row', () => {
    expect(verifyAuditEntries('acme', chain, undefined).firstBroken).toMatchObject({ problem: 'head mismatch', seq: 4 });
  });

  it('verifies page by page exactly as all at once, and stops at the first break', () => {
    const long = stored('acme', Array.from({ length: 25 }, (_, i) => ({ actor: 'schedule', action: 'seat.added', target: `u${i}`, reason: 'team' })));
    const verifier = new AuditChainVerifier('acme');
    for (let i = 0; i < long.length; i += 7) expect(verifier.add(long.slice(i, i + 7))).toBe(true);
    expect(verifier.finish(head(long))).toBeUndefined();
    expect(verifier.checked).toBe(25);

    const broken = new AuditChainVerifier('acme');
    const tampered = long.map((e) => (e.seq === 10 ? { ...e, reason: 'x' } : e));
    expect(broken.add(tampered.slice(0, 7))).toBe(true);
    expect(broken.add(tampered.slice(7, 14))).toBe(false);
    expect(broken.add(tampered.slice(14))).toBe(false);
    expect(broken.finish(head(long))).toMatchObject({ seq: 10, problem: 'hash mismatch' });
    expect(broken.checked).toBe(10);
  });
});
