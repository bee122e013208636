// The wire format of etcd's two keepalive messages, by hand. The heartbeat sends one on every
// member each round and gets one back (8 rounds a second at 125 ms): @grpc/proto-loader's
// dynamic protobufjs codec (fromObject/toObject through Long, the header decoded into an
// object nobody reads) was a tenth of the heartbeat's JavaScript time, this is a few varints.
// It yields what proto-loader's (longs: String, defaults: true) yields for the fields the
// heartbeat reads: int64 as a signed decimal string, "0" when absent; the header is skipped.
// tests/unit/runtime/keepalive-codec.test.ts checks both directions against protobufjs.
//   message LeaseKeepAliveRequest  { int64 ID = 1; }
//   message LeaseKeepAliveResponse { ResponseHeader header = 1; int64 ID = 2; int64 TTL = 3; }

export interface KeepaliveRequestMessage {
  /** Lease id, a decimal int64 (ids are passed as strings, as etcd3 and proto-loader do). */
  ID: string;
}

export interface KeepaliveResponseMessage {
  ID: string;
  TTL: string;
}

const TWO_POW_32 = 0x1_0000_0000;
const DECIMAL = /^-?[0-9]+$/;

/** LeaseKeepAliveRequest: field 1, varint of the two's-complement int64 (10 bytes when negative). */
export function encodeKeepaliveRequest(msg: KeepaliveRequestMessage): Buffer {
  // BigInt() alone would also take "", "0x10" and " 1"
  if (!DECIMAL.test(msg.ID))
    throw new Error(`keepalive request: lease id ${JSON.stringify(msg.ID)} is not a decimal integer`);
  let v = BigInt.asUintN(64, BigInt(msg.ID));
  const bytes = [0x08];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}

/** Throws on a malformed message (grpc-js then fails the call, as with protobufjs). */
export function decodeKeepaliveResponse(buf: Buffer): KeepaliveResponseMessage {
  const r = new Reader(buf);
  let id = "0";
  let ttl = "0";
  while (r.pos < buf.length) {
    const tag = r.varint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 2 && wire === 0) id = r.int64();
    else if (field === 3 && wire === 0) ttl = r.int64();
    else r.skip(wire);
  }
  return { ID: id, TTL: ttl };
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  private byte(): number {
    const b = this.buf[this.pos++];
    if (b === undefined) throw new Error("keepalive response: truncated");
    return b;
  }

  /** A varint's low 32 bits (tags and lengths); the rest of a longer varint is consumed. */
  varint32(): number {
    let v = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const b = this.byte();
      if (shift < 32) v |= (b & 0x7f) << shift;
      if (b < 0x80) return v >>> 0;
    }
    throw new Error("keepalive response: varint too long");
  }

  /** A varint as a signed int64, in decimal. */
  int64(): string {
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (i === 10) throw new Error("keepalive response: varint too long");
      const b = this.byte();
      const bits = b & 0x7f;
      const shift = i * 7;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) break;
    }
    lo >>>= 0;
    hi >>>= 0;
    // Below 2^53 a double is exact: no BigInt for the common case (lease ids are < 2^63, TTLs small).
    if (hi < 0x20_0000) return String(hi * TWO_POW_32 + lo);
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
  }

  skip(wire: number): void {
    if (wire === 0) this.varint32();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.advance(this.varint32());
    else if (wire === 5) this.advance(4);
    else throw new Error(`keepalive response: wire type ${wire} at ${this.pos}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error("keepalive response: truncated");
    this.pos += n;
  }
}
