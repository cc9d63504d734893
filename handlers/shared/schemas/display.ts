import * as z from 'zod';

/**
 * Text shown to people only (geolocation, organization, user agent, titles, descriptions). It never
 * decides whether we respond, so it never rejects a finding: control characters and line breaks
 * become spaces, and text longer than its limit is cut, ending with an ellipsis (the result is
 * exactly `max` characters). A value that is not text is dropped. The limits are in README.md
 * ("Display fields").
 */
export const DISPLAY_LIMITS = {
  title: 256,
  description: 1024,
  country: 128,
  city: 128,
  asn: 32,
  organization: 256,
  userAgent: 256,
} as const;

const ELLIPSIS = '…';

/** One line of at most `max` characters (code points), cut with an ellipsis when longer. */
export function clip(value: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const line = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}${ELLIPSIS}`;
}

/** A display field: any value in, clipped text or undefined out. Numbers (an ASN) are shown as text. */
export function displayText(max: number) {
  return z
    .unknown()
    .transform((value): string | undefined => {
      if (typeof value === 'number' && Number.isFinite(value)) return clip(String(value), max);
      if (typeof value !== 'string') return undefined;
      const text = clip(value, max);
      return text === '' ? undefined : text;
    })
    .optional();
}
