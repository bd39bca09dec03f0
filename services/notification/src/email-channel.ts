import nodemailer from 'nodemailer';
import type { UnitContact } from './contacts';
import { type Sender, addressesFor, emailText } from './outbound';

/**
 * E-mail over SMTP with nodemailer (TONGBAN_SMTP_URL, e.g. smtp://user:pass@mail.example.org:587;
 * TONGBAN_SMTP_FROM the sender, default `通办 <noreply@tongban.invalid>`): multipart text and HTML,
 * UTF-8 (subjects in Chinese and Yi are encoded as RFC 2047 words), a Message-ID derived from the
 * message id (the same on a resend, so mail clients can fold a duplicate). A 5xx SMTP answer is
 * permanent; anything else is retried.
 */
export interface EmailSenderOptions {
  smtpUrl: string;
  from?: string;
  contacts: readonly UnitContact[];
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function emailSender(options: EmailSenderOptions): Sender & { close(): void } {
  const transport = nodemailer.createTransport(options.smtpUrl);
  const from = options.from ?? '通办 <noreply@tongban.invalid>';
  return {
    channel: 'email',
    addresses: addressesFor('email', options.contacts),
    async send(notice, ctx, to) {
      const text = emailText(notice);
      const info = await transport.sendMail({
        from, to, subject: notice.title, text,
        html: `<!doctype html><html lang="${notice.language}"><meta charset="utf-8"><body>${text.split('\n').map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</body></html>`,
        messageId: `<${ctx.messageId}@tongban>`,
        headers: { 'Content-Language': notice.language },
      });
      return String(info.messageId ?? '');
    },
    failure: (err) => {
      const code = (err as { responseCode?: number }).responseCode;
      return { permanent: typeof code === 'number' && code >= 500, message: err instanceof Error ? err.message : String(err) };
    },
    close: () => transport.close(),
  };
}
