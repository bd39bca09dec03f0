import { type Language, translator } from '@tongban/i18n';
import { Counter } from 'prom-client';
import type { NotificationChannel, NoticeContext } from './channels';
import { type UnitContact, addressesOf } from './contacts';
import { type Claim, type DeliveryLedger, type LedgerChannel, type LedgerKey } from './ledger';
import type { Notice } from './recipients';

/**
 * The channels that reach people outside the platform (SMS, e-mail) share one delivery procedure over
 * the ledger (ledger.ts): claim → (opt-out, stale-claim check) → send → record. A transient failure
 * releases the claim and fails the delivery (the event is redelivered with backoff); a permanent one is
 * recorded, counted, and told to the unit holding the ticket ("短信发送失败").
 */

/** Deliveries by channel and outcome (sent, failed, retry, in_doubt, opted_out, duplicate_avoided). */
const deliveryCounter = new Counter({
  name: 'tongban_notification_deliveries_total',
  help: 'SMS and e-mail deliveries by channel and outcome',
  labelNames: ['channel', 'outcome'] as const,
});

/** A send that failed. */
interface SendFailure {
  permanent: boolean;
  message: string;
}

/** What a channel does for one address. */
export interface Sender {
  channel: LedgerChannel;
  /** Addresses of a notice on this channel. */
  addresses(notice: Notice, ctx: NoticeContext): string[];
  /** Sends; returns the provider's id. @throws an error that `failure` classifies. */
  send(notice: Notice, ctx: NoticeContext, address: string): Promise<string>;
  failure(err: unknown): SendFailure;
  /** Whether an earlier, unrecorded attempt reached the provider (undefined: cannot tell). */
  wasSent?(address: string, ctx: NoticeContext, claim: Extract<Claim, { action: 'send' }>): Promise<boolean | undefined>;
}

/** Told when a delivery failed for good (e.g. writes "短信发送失败" to the holding unit's inbox). */
export type PermanentFailureHandler = (notice: Notice, ctx: NoticeContext, channel: LedgerChannel, error: string) => Promise<void>;

class OutboundDeliveryError extends Error {
  override readonly name = 'OutboundDeliveryError';
  readonly code = 'outbound_delivery_failed';
}

/** A channel delivering through `sender` exactly once per (message, channel, address). */
export function outboundChannel(sender: Sender, ledger: DeliveryLedger, onPermanentFailure: PermanentFailureHandler): NotificationChannel {
  const count = (outcome: string) => deliveryCounter.inc({ channel: sender.channel, outcome });
  return {
    name: sender.channel,
    async deliver(notice, ctx) {
      const errors: string[] = [];
      for (const [i, address] of sender.addresses(notice, ctx).entries()) {
        // Errors (logged, dead-lettered) name the address by its place, never the phone or e-mail itself.
        const which = `${notice.recipient.kind} address ${i + 1}`;
        const key: LedgerKey = { messageId: ctx.messageId, channel: sender.channel, address };
        const row = { eventId: ctx.event.id, ticketId: ctx.state.ticketId, kind: notice.kind };
        if (await ledger.optedOut(sender.channel, address)) {
          await ledger.finish(key, row, 'opted_out');
          count('opted_out');
          continue;
        }
        const claim = await ledger.claim(key, row);
        if (claim.action === 'done') continue;
        if (claim.action === 'busy') {
          errors.push(`${which}: another delivery is in progress`);
          continue;
        }
        if (claim.stale) {
          // The process died between an earlier send and its record (see ledger.ts).
          const sent = sender.wasSent ? await sender.wasSent(address, ctx, claim).catch(() => undefined) : undefined;
          if (sent === true) {
            await ledger.finish(key, row, 'sent', { error: 'recorded after a crash: the provider had accepted it' });
            count('duplicate_avoided');
            continue;
          }
          if (sent === undefined && claim.staleClaims >= 2) {
            await ledger.finish(key, row, 'in_doubt', { error: 'two attempts lost in crashes; not sent again' });
            count('in_doubt');
            continue;
          }
        }
        try {
          const providerId = await sender.send(notice, ctx, address);
          await ledger.finish(key, row, 'sent', { providerId });
          count('sent');
        } catch (err) {
          const failure = sender.failure(err);
          if (failure.permanent) {
            await ledger.finish(key, row, 'failed', { error: failure.message });
            count('failed');
            await onPermanentFailure(notice, ctx, sender.channel, failure.message);
          } else {
            await ledger.release(key, failure.message);
            count('retry');
            errors.push(`${which}: ${failure.message}`);
          }
        }
      }
      if (errors.length > 0) throw new OutboundDeliveryError(`${sender.channel} delivery of ${ctx.messageId} failed: ${errors.join('; ')}`);
    },
  };
}

/** Addresses of a notice on a channel (unit contacts, the reporter's phone and e-mail). */
export function addressesFor(channel: LedgerChannel, contacts: readonly UnitContact[]) {
  return (notice: Notice, ctx: NoticeContext): string[] => addressesOf(notice, ctx.reporterContact, contacts)[channel];
}

/** The e-mail text of a notice: greeting, body, footer (plain text; the HTML part is built from it). */
export function emailText(notice: Notice, language: Language = notice.language): string {
  const t = translator(language);
  return [t('email.greeting'), '', notice.title, '', notice.body, '', '—', t('email.footer')].join('\n');
}
