// Reads one email on stdin with postal-mime (the MIME parser of Nodemailer's author, used by
// Cloudflare Email Workers) and prints its headers, addresses and text and HTML bodies as JSON.
import { readFileSync } from "node:fs";
import PostalMime from "postal-mime";

const email = await PostalMime.parse(readFileSync(0));
process.stdout.write(
  JSON.stringify({
    subject: email.subject,
    messageId: email.messageId,
    from: email.from,
    to: email.to,
    replyTo: email.replyTo,
    headers: Object.fromEntries(email.headers.map((h) => [h.key, h.value])),
    text: email.text,
    html: email.html,
  }),
);
