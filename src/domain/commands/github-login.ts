// GitHub's sign-up rules: letters, digits and single hyphens, no hyphen at either end.
// Enterprise Managed Users carry an `_shortcode` suffix, as the policy file allows too.
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*(?:_[A-Za-z0-9]+)?$/;
const MAX_LOGIN_LENGTH = 39;

/** Whether `login` (without `@`) is a login GitHub would accept for a user account. */
export function isValidGitHubLogin(login: string): boolean {
  return login.length <= MAX_LOGIN_LENGTH && LOGIN.test(login);
}

/** Drops logins that differ only in case, keeping the first spelling and the order given. */
export function uniqueLogins(logins: readonly string[]): string[] {
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const login of logins) {
    const key = login.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(login);
  }
  return unique;
}
