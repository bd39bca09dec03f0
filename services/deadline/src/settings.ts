import { DEFAULT_TIMER_SETTINGS, type TimerSettings } from './schedule';

/** An invalid deadline-service setting (refused at start: the service does not run on a bad configuration). */
export class DeadlineSettingsError extends Error {
  override readonly name = 'DeadlineSettingsError';
  readonly code = 'invalid_deadline_settings';
}

/**
 * The deadline service's settings from the environment:
 * TONGBAN_REESCALATE_HOURS (hours after a breach before the second escalation, to the prefecture; default 24),
 * TONGBAN_AUTO_CLOSE_DAYS (read by the runtime config; passed in as `autoCloseDays`),
 * TONGBAN_TIMER_BATCH (timers claimed per transaction, default 100) and TONGBAN_TIMER_CONCURRENCY
 * (tickets fired in parallel, default 8).
 * @throws DeadlineSettingsError for a value that is not a positive number.
 */
export function deadlineSettings(env: NodeJS.ProcessEnv, autoCloseDays: number): TimerSettings & { batch: number; concurrency: number } {
  const positive = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new DeadlineSettingsError(`${name} must be a positive number (got "${raw}")`);
    return value;
  };
  if (!Number.isFinite(autoCloseDays) || autoCloseDays <= 0) throw new DeadlineSettingsError(`TONGBAN_AUTO_CLOSE_DAYS must be a positive number (got ${autoCloseDays})`);
  return {
    reescalateAfterHours: positive('TONGBAN_REESCALATE_HOURS', DEFAULT_TIMER_SETTINGS.reescalateAfterHours),
    autoCloseDays,
    batch: Math.floor(positive('TONGBAN_TIMER_BATCH', 100)),
    concurrency: Math.floor(positive('TONGBAN_TIMER_CONCURRENCY', 8)),
  };
}
