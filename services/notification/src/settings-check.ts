import { parseUnitContacts } from './contacts';
import { parseSmsTemplates, smsProviderFromEnv } from './sms-channel';
import { parseWebhookSubscriptions } from './webhook';

/**
 * The notification service's structured settings checked in full, as the service checks them when it starts:
 * `TONGBAN_WEBHOOKS` (ids, URLs, Standard Webhooks secrets, units, notice kinds), `TONGBAN_NOTIFY_CONTACTS`
 * (units, addresses, languages, smsKinds), `TONGBAN_SMS_PROVIDER` with its credentials and `TONGBAN_SMS_TEMPLATES`.
 * `npm start` and `npm run config` call it so that a bad value is refused in one line before anything starts,
 * not by the notification service exiting after the other processes started. Pure: nothing is connected.
 * @throws Error (WebhookConfigError, ContactConfigError or SmsConfigError) whose message names the setting.
 */
export function checkNotificationSettings(env: NodeJS.ProcessEnv): void {
  parseWebhookSubscriptions(env['TONGBAN_WEBHOOKS']);
  parseUnitContacts(env['TONGBAN_NOTIFY_CONTACTS']);
  if (smsProviderFromEnv(env, () => undefined)) parseSmsTemplates(env['TONGBAN_SMS_TEMPLATES']);
}
