/* Exact decimal arithmetic on the API's money and unit strings (BigInt, never a float).
 *
 * The API sends money and units as exact decimal strings; the page shows them as given. The
 * few figures it derives (week-over-week change, shares as percentages) are computed here on
 * scaled integers so that they are exact too. Only the charts turn strings into numbers.
 */
"use strict";

const SalesDecimal = (() => {
  const PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

  /** "-12.340" -> {n: -12340n, s: 3}; throws on anything but a plain decimal. */
  function parse(text) {
    const m = PATTERN.exec(String(text));
    if (!m) throw new Error(`not a decimal number: ${text}`);
    const frac = m[3] || "";
    const n = BigInt(m[2] + frac);
    return { n: m[1] ? -n : n, s: frac.length };
  }

  function scaled(d, s) {
    return d.n * 10n ** BigInt(s - d.s);
  }

  /** Digits of d with its scale: {n: 1234n, s: 2} -> "12.34"; sign "+" on request. */
  function format(d, plus = false) {
    const negative = d.n < 0n;
    let digits = (negative ? -d.n : d.n).toString().padStart(d.s + 1, "0");
    if (d.s > 0) digits = `${digits.slice(0, -d.s)}.${digits.slice(-d.s)}`;
    const sign = negative ? "-" : (plus && d.n > 0n ? "+" : "");
    return sign + digits;
  }

  /** a - b as text, with as many decimals as the more precise of the two. */
  function subtract(a, b) {
    const x = parse(a), y = parse(b), s = Math.max(x.s, y.s);
    return format({ n: scaled(x, s) - scaled(y, s), s }, true);
  }

  /** q = num / den rounded half away from zero to `places` decimals, as text. */
  function divide(num, den, places) {
    const negative = (num < 0n) !== (den < 0n);
    const a = num < 0n ? -num : num, b = den < 0n ? -den : den;
    const q = (a * 10n ** BigInt(places) * 2n + b) / (2n * b);
    return format({ n: negative && q !== 0n ? -q : q, s: places }, true);
  }

  /** Change from `previous` to `current` in percent (1 decimal); null when previous is 0. */
  function percentChange(current, previous) {
    const x = parse(current), y = parse(previous), s = Math.max(x.s, y.s);
    const before = scaled(y, s);
    if (before === 0n) return null;
    return divide((scaled(x, s) - before) * 100n, before, 1);
  }

  /** A share "0.523456" as a percentage "52.3456": the decimal point moves, nothing rounds. */
  function percent(share) {
    const d = parse(share);
    if (d.s >= 2) return format({ n: d.n, s: d.s - 2 });
    return format({ n: d.n * 10n ** BigInt(2 - d.s), s: 0 });
  }

  /** An exact decimal string with the browser locale's digit grouping and decimal sign:
   * "1234567.50" -> "1,234,567.50" (en-US), "1.234.567,50" (de-DE). Every digit is kept: the
   * integer part is grouped as a BigInt, the fraction is appended as given, nothing rounds. */
  function localized(text, locale) {
    const m = PATTERN.exec(String(text));
    if (!m) return String(text);
    const format = new Intl.NumberFormat(locale);
    const part = (n, type, fallback) => (format.formatToParts(n).find((p) => p.type === type)
      || { value: fallback }).value;
    const sign = m[1] ? part(-1, "minusSign", "-") : "";
    const grouped = sign + format.format(BigInt(m[2]));
    return m[3] ? `${grouped}${part(1.5, "decimal", ".")}${m[3]}` : grouped;
  }

  /** For drawing only: the chart's bar heights. Text always shows the string itself. */
  function toNumber(text) {
    return Number(text);
  }

  return { parse, format, subtract, percentChange, percent, toNumber, localized };
})();
