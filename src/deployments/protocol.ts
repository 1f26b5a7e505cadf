// The Restate service protocol, as much of it as the replay check needs: the message type of each
// journal entry type sys_journal shows, frames (a 16-bit type, 16 bits of flags, a 32-bit length,
// then the protobuf message), the StartMessage's fields, and the ErrorMessage an endpoint answers
// a mismatch with. Message types as in Restate's service protocol (v5/v6, restate-server 1.7).
const COMMANDS: Record<string, number> = {
  Input: 0x0400,
  Output: 0x0401,
  GetLazyState: 0x0402,
  SetState: 0x0403,
  ClearState: 0x0404,
  ClearAllState: 0x0405,
  GetLazyStateKeys: 0x0406,
  GetEagerState: 0x0407,
  GetEagerStateKeys: 0x0408,
  GetPromise: 0x0409,
  PeekPromise: 0x040a,
  CompletePromise: 0x040b,
  Sleep: 0x040c,
  Call: 0x040d,
  OneWayCall: 0x040e,
  SendSignal: 0x0410,
  Run: 0x0411,
  AttachInvocation: 0x0412,
  GetInvocationOutput: 0x0413,
  CompleteAwakeable: 0x0414,
};
export const MESSAGE = { start: 0x0000, suspension: 0x0001, error: 0x0002, end: 0x0003, output: 0x0401 };
/** The protocol message type of a sys_journal entry type ("Command: Run", "Notification: Run"). */
export function messageType(entryType: string): number {
  const [kind, name = ""] = entryType.split(": ");
  const command = COMMANDS[name];
  if (kind === "Command" && command !== undefined) return command;
  if (kind === "Notification" && name === "CallInvocationId") return 0x800e;
  if (kind === "Notification" && name === "Signal") return 0xfbff;
  if (kind === "Notification" && command !== undefined) return 0x8000 | (command & 0x3ff);
  throw new Error(`journal entry type "${entryType}" is unknown to the replay check`);
}

const varint = (n: number) => {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) return Buffer.from([...out, v]);
    out.push((v % 128) | 0x80);
  }
};
export const bytesField = (no: number, b: Buffer) => Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
export const varintField = (no: number, n: number) => Buffer.concat([varint(no << 3), varint(n)]);
export function frame(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(type, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** The frames of the endpoint's answer, and the ErrorMessage's code and message if there is one. */
export function readAnswer(out: Buffer) {
  const types: number[] = [];
  let error: { code: number; message: string } | undefined;
  for (let i = 0; i + 8 <= out.length; ) {
    const type = out.readUInt16BE(i);
    const body = out.subarray(i + 8, i + 8 + out.readUInt32BE(i + 4));
    types.push(type);
    if (type === MESSAGE.error) error = readError(body);
    i += 8 + body.length;
  }
  return { types, error };
}

/** ErrorMessage { uint32 code = 1; string message = 2; … } */
function readError(body: Buffer): { code: number; message: string } {
  let code = 0;
  let message = "";
  for (let i = 0; i < body.length; ) {
    const tag = body[i++]!;
    let n = 0;
    for (let shift = 1; ; shift *= 128) {
      const b = body[i++]!;
      n += (b & 0x7f) * shift;
      if (b < 128) break;
    }
    if (tag >> 3 === 1 && (tag & 7) === 0) code = n;
    else if ((tag & 7) === 2) {
      if (tag >> 3 === 2) message = body.subarray(i, i + n).toString("utf8");
      i += n;
    } else if ((tag & 7) !== 0) break;
  }
  return { code, message };
}
