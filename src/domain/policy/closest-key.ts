function normalise(key: string): string {
  // "revoke-after-days" and "Revoke_After_Days" are the same mistake as "revoke_after_days".
  return key.toLowerCase().replace(/-/g, '_');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known key a mistyped key most likely meant, or null when none is close. */
export function closestKey(key: string, known: readonly string[]): string | null {
  const wanted = normalise(key);
  // An abbreviation ("repos" for "repositories") is far in edits but plainly meant.
  const expanded = wanted.length >= 3 ? known.find((candidate) => normalise(candidate).startsWith(wanted)) : undefined;
  if (expanded !== undefined) return expanded;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(wanted, normalise(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(2, Math.floor(wanted.length / 3));
  return bestDistance <= tolerance ? best : null;
}
