/** One customer's purchase days: net value per UTC day, days ascending. */
export interface PurchaseDay {
  customerId: string;
  /** YYYY-MM-DD */
  day: string;
  value: number;
}

/**
 * What the BG/NBD and Gamma-Gamma models see of a customer at the calibration end, time in weeks
 * from the customer's first purchase: purchases on one day count as one.
 */
export interface CustomerSummary {
  customerId: string;
  /** Repeat purchase days: purchase days after the first. */
  x: number;
  /** Weeks from the first purchase to the last. */
  tx: number;
  /** Weeks from the first purchase to the calibration end. */
  T: number;
  /** Mean value of the repeat purchase days (0 without a repeat). */
  meanRepeatValue: number;
  /** Net value of every purchase day, the first included: historic value. */
  totalValue: number;
}

const DAY_MS = 86_400_000;
export const weeksBetween = (from: string, to: string): number => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS / 7;

/**
 * Summaries of the customers whose first purchase is on or before the calibration end, from their
 * purchase days sorted by customer then day (days after the end are ignored).
 */
export const summarizeCustomers = (days: Iterable<PurchaseDay>, calibrationEnd: string): CustomerSummary[] => {
  const summaries: CustomerSummary[] = [];
  let current: { customerId: string; first: string; last: string; x: number; repeatValue: number; total: number } | undefined;
  const close = () => {
    if (!current) return;
    summaries.push({
      customerId: current.customerId,
      x: current.x,
      tx: weeksBetween(current.first, current.last),
      T: weeksBetween(current.first, calibrationEnd),
      meanRepeatValue: current.x > 0 ? current.repeatValue / current.x : 0,
      totalValue: current.total,
    });
  };
  for (const { customerId, day, value } of days) {
    if (day > calibrationEnd) continue;
    if (current?.customerId !== customerId) {
      close();
      current = { customerId, first: day, last: day, x: 0, repeatValue: 0, total: value };
      continue;
    }
    if (day < current.last) throw new RangeError(`purchase days of ${customerId} are not in order (${day} after ${current.last})`);
    if (day === current.last) throw new RangeError(`purchase day ${day} of ${customerId} appears twice: days must be summed first`);
    current.last = day;
    current.x += 1;
    current.repeatValue += value;
    current.total += value;
  }
  close();
  return summaries;
};
