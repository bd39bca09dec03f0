import { DEFAULT_LANGUAGE, translator } from '@tongban/i18n';
import type pg from 'pg';
import { ID_NAMESPACES, uuidV5 } from '@tongban/runtime';
import type { NotificationChannel } from './channels';
import { type UnitContact, unitLanguage } from './contacts';
import type { NoticeOptions } from './recipients';
import { emailSender } from './email-channel';
import { inboxChannel } from './inbox';
import { type AddressHash, CLAIM_LEASE_MS, DeliveryLedger } from './ledger';
import { type PermanentFailureHandler, outboundChannel } from './outbound';
import { parseSmsTemplates, smsProviderFromEnv, smsSender } from './sms-channel';

/**
 * A permanent failure is told to the unit holding the ticket, in its inbox ("短信发送失败：<reference>"),
 * once per failed message (the inbox row id derives from the message id and channel).
 */
function failureToHoldingUnit(pool: pg.Pool, contacts: readonly UnitContact[]): PermanentFailureHandler {
  const inbox = inboxChannel(pool);
  return async (notice, ctx, channel, error) => {
    const unit = ctx.state.holderUnitId;
    if (!unit) return;
    const language = unitLanguage(contacts, unit);
    const t = translator(language);
    const params = { reference: ctx.state.reference, error: `${channel}: ${error}` };
    await inbox.deliver(
      { recipient: { kind: 'unit', id: unit }, kind: 'delivery-failed', language, title: t('notice.delivery-failed.title', params), body: t('notice.delivery-failed.body', params), params },
      { ...ctx, messageId: uuidV5(`${ctx.messageId}/${channel}/${notice.recipient.id}`, ID_NAMESPACES.deliveryFailure) },
    );
  };
}

/** Notices to a unit in its contact's language (default zh-Hans), naming units by name. */
export function noticeOptions(contacts: readonly UnitContact[], unitName: (unitId: string) => string | undefined): NoticeOptions {
  return {
    languageOf: (r) => (r.kind === 'unit' ? unitLanguage(contacts, r.id) : DEFAULT_LANGUAGE),
    unitName: (id) => unitName(id) ?? id,
  };
}

/**
 * The SMS and e-mail channels the environment asks for: SMS when TONGBAN_SMS_PROVIDER is set (with
 * TONGBAN_SMS_TEMPLATES and TONGBAN_SMS_SIGN_NAME), e-mail when TONGBAN_SMTP_URL is set
 * (TONGBAN_SMTP_FROM). TONGBAN_NOTIFY_CLAIM_LEASE_MS sets the ledger's claim lease (default 30 s); the ledger
 * keeps each address as `addressHash` of it (ledger.ts).
 * @throws SmsConfigError on a bad SMS configuration (the service does not start).
 */
export function outboundChannels(
  env: NodeJS.ProcessEnv, pool: pg.Pool, contacts: readonly UnitContact[], addressHash: AddressHash, log: (entry: Record<string, unknown>, message: string) => void,
): { channels: NotificationChannel[]; close(): void; describe: Record<string, string> } {
  const lease = Number(env['TONGBAN_NOTIFY_CLAIM_LEASE_MS'] ?? '');
  const ledger = new DeliveryLedger(pool, addressHash, Number.isFinite(lease) && lease > 0 ? lease : CLAIM_LEASE_MS);
  const onFailure = failureToHoldingUnit(pool, contacts);
  const channels: NotificationChannel[] = [];
  const describe: Record<string, string> = {};
  const closers: (() => void)[] = [];
  const provider = smsProviderFromEnv(env, log);
  if (provider) {
    const signName = env['TONGBAN_SMS_SIGN_NAME']?.trim() || translator(DEFAULT_LANGUAGE)('sms.signature');
    channels.push(outboundChannel(smsSender({ provider, templates: parseSmsTemplates(env['TONGBAN_SMS_TEMPLATES']), signName, contacts }), ledger, onFailure));
    describe['sms'] = provider.name;
  }
  const smtpUrl = env['TONGBAN_SMTP_URL']?.trim();
  if (smtpUrl) {
    const sender = emailSender({ smtpUrl, ...(env['TONGBAN_SMTP_FROM'] ? { from: env['TONGBAN_SMTP_FROM'] } : {}), contacts });
    channels.push(outboundChannel(sender, ledger, onFailure));
    closers.push(sender.close);
    describe['email'] = new URL(smtpUrl).host;
  }
  return { channels, describe, close: () => { for (const c of closers) c(); } };
}
