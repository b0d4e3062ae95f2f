/**
 * When rotated secrets expire. Shared by the Pulumi side (first expiry) and the rotator function
 * (every later one), so it imports nothing from Pulumi.
 */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** Key Vault emits `SecretNearExpiry` this long before a version's `exp`. */
export const NEAR_EXPIRY_LEAD_DAYS = 30;

/** The expiry the rotator stamps on a new version: the next NearExpiry event falls `everyDays` from now. */
export function rotatedExpiry(now: Date, everyDays: number): Date {
  return new Date(now.getTime() + (everyDays + NEAR_EXPIRY_LEAD_DAYS) * DAY_MS);
}

/**
 * A version is due when its NearExpiry window has begun (a day of slack absorbs event-delivery
 * delay and clock skew). A version without `exp` is never due: nothing will ever announce it.
 */
export function isDue(expiresOn: Date | undefined, now: Date): boolean {
  if (expiresOn === undefined) return false;
  return expiresOn.getTime() - now.getTime() <= (NEAR_EXPIRY_LEAD_DAYS + 1) * DAY_MS;
}
