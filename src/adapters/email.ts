// Customer email: every message is stored in the outbox first (keyed by order and kind), then
// sent over SMTP when SMTP_URL is set. A fixed Message-ID per (order, kind) lets mail systems
// spot the rare resend after a crash between "sent" and "marked sent".
import nodemailer from "nodemailer";
import type { Db } from "../../db/client.ts";
import { markEmailSent, stageEmail } from "../../db/outbox.ts";
import type { EmailContent } from "../domain/emails.ts";
import type { Logger } from "../log.ts";

export type EmailSender = {
  send(orderId: string, to: string, content: EmailContent): Promise<{ delivered: "smtp" | "outbox" }>;
};

export type EmailOptions = { db: Db; smtpUrl?: string; from: string; timeoutMs: number; log: Logger };

export function createEmailSender({ db, smtpUrl, from, timeoutMs, log }: EmailOptions): EmailSender {
  const transport = smtpUrl ? createSmtpTransport(smtpUrl, timeoutMs) : undefined;
  return {
    async send(orderId, to, content) {
      const email = await stageEmail(db, {
        orderId,
        kind: content.kind,
        recipient: to,
        subject: content.subject,
        body: content.body,
      });
      if (!transport) {
        log.info({ orderId, kind: content.kind, subject: email.subject }, "email stored in outbox (no SMTP_URL)");
        return { delivered: "outbox" };
      }
      if (email.sentAt) return { delivered: "smtp" };
      await transport.sendMail({
        from,
        to: email.recipient,
        subject: email.subject,
        text: email.body,
        // A kind may name a center (`shipped:fc-east`); a Message-ID's left part allows no colon.
        messageId: `<${orderId}.${content.kind.replace(/[^A-Za-z0-9_.-]/g, ".")}@postpay>`,
      });
      await markEmailSent(db, orderId, content.kind);
      return { delivered: "smtp" };
    },
  };
}

function createSmtpTransport(smtpUrl: string, timeoutMs: number) {
  const url = new URL(smtpUrl);
  const secure = url.protocol === "smtps:";
  return nodemailer.createTransport({
    // Reuse connections: a new SMTP session per email costs several round trips.
    pool: true,
    maxConnections: 5,
    host: url.hostname,
    port: Number(url.port) || (secure ? 465 : 25),
    secure,
    ...(url.username && {
      auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
    }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}
