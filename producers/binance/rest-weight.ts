/**
 * Binance's request-weight budget (6000 per minute per IP on api.binance.com). We count what we
 * spend, believe the server's `X-MBX-USED-WEIGHT-1m` header over our own count (other processes
 * on the same IP spend from the same budget), and wait for the next minute rather than hit 429.
 * After a 429/418 with Retry-After, every request waits until the ban is over.
 */
export class RequestWeightBudget {
  private minute = -1;
  private used = 0;
  private blockedUntilMs = 0;

  constructor(
    readonly limitPerMinute = 6000,
    private readonly now: () => number = Date.now,
  ) {}

  private roll(): void {
    const minute = Math.floor(this.now() / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.used = 0;
    }
  }

  get usedThisMinute(): number {
    this.roll();
    return this.used;
  }

  /** How long to wait before spending `weight` (0 = now). */
  delayFor(weight: number): number {
    this.roll();
    const now = this.now();
    if (this.blockedUntilMs > now) return this.blockedUntilMs - now;
    if (this.used + weight <= this.limitPerMinute) return 0;
    return (this.minute + 1) * 60_000 - now + 5;
  }

  spend(weight: number): void {
    this.roll();
    this.used += weight;
  }

  /** The server's count for the current minute. */
  observeUsed(used: number): void {
    this.roll();
    if (Number.isFinite(used)) this.used = used;
  }

  blockFor(ms: number): void {
    this.blockedUntilMs = Math.max(this.blockedUntilMs, this.now() + ms);
  }
}
