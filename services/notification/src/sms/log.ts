import type { SmsMessage, SmsProvider } from './provider';

/** A sent message as the `log` provider keeps it. */
export interface LoggedSms extends SmsMessage {
  at: string;
}

/**
 * The `log` provider (development): sends nothing, writes each message to the log (the phone masked to
 * its last 4 digits) and keeps the last 100 in `sent`.
 */
export function logSmsProvider(log: (entry: Record<string, unknown>, message: string) => void): SmsProvider & { sent: LoggedSms[] } {
  const sent: LoggedSms[] = [];
  return {
    name: 'log',
    sent,
    async send(m) {
      sent.push({ ...m, at: new Date().toISOString() });
      if (sent.length > 100) sent.shift();
      log({ phone: `*******${m.phone.slice(-4)}`, templateCode: m.templateCode, params: Object.fromEntries(m.params), outId: m.outId }, 'sms (log provider)');
      return { providerId: `log-${m.outId}` };
    },
    async wasSent(_phone, outId) {
      return sent.some((s) => s.outId === outId);
    },
  };
}
