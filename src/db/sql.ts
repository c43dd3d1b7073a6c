// Small helpers for the hand-written SQL of the hot read paths.

/** A timestamptz column rendered as the API's ISO-8601 UTC text, e.g. 2026-01-31T12:00:00.000Z (as Date#toISOString). */
export const isoTimestamp = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
