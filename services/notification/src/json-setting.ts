/**
 * Reads a setting whose value is a JSON array of entries (TONGBAN_NOTIFY_CONTACTS, TONGBAN_WEBHOOKS): unset or
 * blank is no entries. The caller checks each entry.
 *
 * @param name the setting's name, as the messages say it.
 * @param raw its value (undefined: unset).
 * @param shape the entry's shape for the message, e.g. `{id, url, secret, units?, kinds?}`.
 * @param error builds the setting's own error from a message (and the JSON parser's error as cause).
 * @throws what `error` builds: "<name> is not valid JSON: …" or "<name> must be a JSON array of <shape>".
 */
export function jsonArraySetting(
  name: string,
  raw: string | undefined,
  shape: string,
  error: (message: string, cause?: unknown) => Error,
): unknown[] {
  if (raw === undefined || raw.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw error(`${name} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  if (!Array.isArray(json)) throw error(`${name} must be a JSON array of ${shape}`);
  return json;
}
