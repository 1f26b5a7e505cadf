// A real SMTP server (smtp-server, a dev dependency) that keeps what it receives: the mail
// system for tests and the benchmark. npm start does not use it; without SMTP_URL mail stays in
// the outbox.
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export type ReceivedMail = { to: string; subject: string; text: string; messageId: string };

export async function startSmtpSink() {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // No reverse DNS per connection: on a closed network each lookup waits ~100 ms for nothing.
    disableReverseLookup: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (raw += chunk));
      stream.on("end", () => {
        received.push(parseMail(raw));
        callback();
      });
    },
  });
  // A client killed mid-session (crash tests) resets its connection; that is not a test failure.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    for: (orderId: string) => received.filter((m) => m.subject.includes(orderId) || m.text.includes(orderId)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>;

/** Enough of RFC 5322 for the plain-text mail postpay sends (7bit or quoted-printable). */
function parseMail(raw: string): ReceivedMail {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  let body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(head)?.[1]?.trim() ?? "";
  if (/quoted-printable/i.test(header("Content-Transfer-Encoding"))) {
    body = body
      .replace(/=\r\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    body = Buffer.from(body, "latin1").toString("utf8");
  }
  return {
    to: header("To"),
    subject: decodeWords(header("Subject")),
    text: body.replace(/\r\n/g, "\n"),
    messageId: header("Message-ID"),
  };
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`), which nodemailer writes for long or quoted subjects. */
function decodeWords(text: string): string {
  return text
    .replace(/\?=\s+=\?/g, "?==?") // whitespace between two encoded words is not part of the text
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_, _charset: string, encoding: string, data: string) =>
      encoding.toUpperCase() === "B"
        ? Buffer.from(data, "base64").toString("utf8")
        : Buffer.from(
            data
              .replace(/_/g, " ")
              .replace(/=([0-9A-F]{2})/gi, (_h, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            "latin1",
          ).toString("utf8"),
    );
}
