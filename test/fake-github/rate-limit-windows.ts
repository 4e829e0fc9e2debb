/** Requests or points used per caller in hourly windows, like GitHub's primary rate limits. */
export class RateLimitWindows {
  private readonly windows = new Map<string, { used: number; resetAt: Date }>();

  /** The caller's current window, starting a new one when the hour has passed. */
  window(caller: string, now: Date): { used: number; resetAt: Date } {
    let window = this.windows.get(caller);
    if (window === undefined || window.resetAt <= now) {
      window = { used: 0, resetAt: new Date(now.getTime() + 60 * 60 * 1000) };
      this.windows.set(caller, window);
    }
    return window;
  }
}
