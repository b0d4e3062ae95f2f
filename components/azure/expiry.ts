/**
 * Secret expiry dates (Checkov CKV_AZURE_41) that do not change from one `pulumi preview` to the
 * next. "now + N days" would rewrite every secret on every run; instead the expiry is counted from
 * the start of the current UTC calendar quarter (or is a reviewed fixed date), so it moves once a
 * quarter, as one reviewed diff. Key Vault does not enforce `exp` on secret reads: an expired secret
 * still reads, so the date is a review deadline and the trigger for rotation, never an outage.
 */
import { Problems } from "../airflow/problems";
import { DAY_MS, NEAR_EXPIRY_LEAD_DAYS } from "./rotator/schedule";

/** The longest calendar quarter: a days value at least this long never lands in the past. */
const LONGEST_QUARTER_DAYS = 92;
export const MIN_EXPIRY_DAYS = LONGEST_QUARTER_DAYS + 1;
export const MAX_EXPIRY_DAYS = 3650;
export const DEFAULT_EXPIRY_DAYS = 365;

export interface ExpirySettings {
  /** A fixed, reviewed expiry date (`YYYY-MM-DD`, UTC) for every non-rotated secret. Wins over `days`. */
  expiresOn?: string;
  /** Days from the start of the current UTC quarter (93-3650, default 365). */
  days?: number;
}

/** Midnight UTC of the first day of `now`'s calendar quarter. */
export function quarterStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), Math.floor(now.getUTCMonth() / 3) * 3, 1));
}

function nextMonthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseIsoDate(text: string): Date | undefined {
  const match = ISO_DATE.exec(text);
  if (!match) return undefined;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  // Rejects 2026-02-30 and friends, which Date would roll over silently.
  return date.toISOString().slice(0, 10) === text ? date : undefined;
}

/** Where each field sits in the caller's settings, for messages. */
export interface ExpiryPaths {
  expiresOn: string;
  days: string;
}

export function validateExpiry(
  settings: ExpirySettings,
  now: Date,
  problems: Problems,
  paths: ExpiryPaths = { expiresOn: "expiresOn", days: "days" },
): void {
  if (settings.expiresOn !== undefined) {
    const date = typeof settings.expiresOn === "string" ? parseIsoDate(settings.expiresOn) : undefined;
    if (
      problems.check(
        date !== undefined,
        paths.expiresOn,
        `must be a date written YYYY-MM-DD (got ${JSON.stringify(settings.expiresOn)})`,
      )
    ) {
      problems.check(
        date!.getTime() > now.getTime(),
        paths.expiresOn,
        `${settings.expiresOn} is in the past (today is ${now.toISOString().slice(0, 10)} UTC): set a later reviewed date, or use days`,
      );
      problems.check(
        date!.getTime() <= now.getTime() + MAX_EXPIRY_DAYS * DAY_MS,
        paths.expiresOn,
        `must be at most ${MAX_EXPIRY_DAYS} days ahead (got ${settings.expiresOn})`,
      );
    }
  }
  if (settings.days !== undefined) {
    problems.check(
      Number.isInteger(settings.days) && settings.days >= MIN_EXPIRY_DAYS && settings.days <= MAX_EXPIRY_DAYS,
      paths.days,
      `must be a whole number of days from ${MIN_EXPIRY_DAYS} to ${MAX_EXPIRY_DAYS}: counted from the start of the current quarter, fewer could already be in the past (got ${JSON.stringify(settings.days)})`,
    );
  }
}

/** Epoch seconds, as Key Vault's `attributes.expires` takes them. */
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** The expiry of a non-rotated secret: the fixed date, or quarter start + days. */
export function staticExpiry(settings: ExpirySettings, now: Date): number {
  if (settings.expiresOn !== undefined) return epochSeconds(parseIsoDate(settings.expiresOn)!);
  return epochSeconds(
    new Date(quarterStart(now).getTime() + (settings.days ?? DEFAULT_EXPIRY_DAYS) * DAY_MS),
  );
}

/**
 * The first expiry of a rotated secret: `SecretNearExpiry` fires at the start of the next month, so
 * the first rotation is at most a month after creation, and the stamp is at most 61 days out
 * (inside a 90-day rotation policy). Only creation uses it: afterwards the rotator owns the expiry
 * (`rotator/schedule.ts`) and later runs ignore this input, so its monthly step causes no diff.
 */
export function initialRotatedExpiry(now: Date): number {
  return epochSeconds(new Date(nextMonthStart(now).getTime() + NEAR_EXPIRY_LEAD_DAYS * DAY_MS));
}
