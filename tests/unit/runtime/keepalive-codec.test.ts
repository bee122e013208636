// The hand-written keepalive codec against what it replaces: proto-loader's protobufjs
// serialize/deserialize of etcd's own rpc.proto, loaded with the heartbeat's options.
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import * as protoLoader from "@grpc/proto-loader";
import {
  decodeKeepaliveResponse,
  encodeKeepaliveRequest,
} from "../../../provider/runtime/store/keepalive-codec";

const def = protoLoader.loadSync(
  path.join(path.dirname(require.resolve("etcd3/package.json")), "proto", "rpc.proto"),
  { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
);
const keepAlive = (def["etcdserverpb.Lease"] as protoLoader.ServiceDefinition)[
  "LeaseKeepAlive"
] as protoLoader.MethodDefinition<object, object>;

const ids = [
  "0",
  "1",
  "127",
  "128",
  "300",
  "2147483647",
  "2147483648",
  "4294967295",
  "4294967296",
  "7587893296145043458", // an etcd lease id
  "9007199254740991", // 2^53 - 1
  "9007199254740992",
  "9007199254740993",
  "9223372036854775807", // int64 max
  "-1",
  "-2",
  "-2147483648",
  "-4294967296",
  "-9007199254740993",
  "-9223372036854775808", // int64 min
];

test("requests: the same bytes as protobufjs", () => {
  for (const ID of ids) {
    const ours = encodeKeepaliveRequest({ ID });
    const theirs = keepAlive.requestSerialize({ ID });
    assert.deepEqual(ours, theirs, `ID ${ID}`);
  }
});

test("responses: the same ID and TTL as protobufjs, header skipped", () => {
  const headers = [
    undefined,
    { cluster_id: "0", member_id: "0", revision: "0", raft_term: "0" },
    {
      cluster_id: "14841639068965178418",
      member_id: "10276657743932975437",
      revision: "9223372036854775807",
      raft_term: "18446744073709551615",
    },
    { cluster_id: "1", member_id: "2", revision: "-5", raft_term: "3" },
  ];
  const ttls = ["0", "1", "2", "-1", "5", "9223372036854775807", "-9223372036854775808"];
  for (const header of headers)
    for (const ID of ids)
      for (const TTL of ttls) {
        const msg = header ? { header, ID, TTL } : { ID, TTL };
        const bytes = keepAlive.responseSerialize(msg);
        const theirs = keepAlive.responseDeserialize(bytes) as { ID: string; TTL: string };
        assert.deepEqual(
          decodeKeepaliveResponse(bytes),
          { ID: theirs.ID, TTL: theirs.TTL },
          JSON.stringify(msg),
        );
      }
});

test("responses: absent fields are 0; unknown fields are skipped; the last of a repeated field wins", () => {
  assert.deepEqual(decodeKeepaliveResponse(Buffer.alloc(0)), { ID: "0", TTL: "0" });
  // field 9 varint, field 10 fixed64, field 11 fixed32, field 12 bytes, then ID 5, ID 7, TTL 2
  const bytes = Buffer.from([
    0x48, 0x96, 0x01, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5d, 1, 2, 3, 4, 0x62, 2, 0xaa, 0xbb, 0x10, 5, 0x10, 7,
    0x18, 2,
  ]);
  const theirs = keepAlive.responseDeserialize(bytes) as { ID: string; TTL: string };
  assert.deepEqual(decodeKeepaliveResponse(bytes), { ID: theirs.ID, TTL: theirs.TTL });
  assert.deepEqual(decodeKeepaliveResponse(bytes), { ID: "7", TTL: "2" });
});

test("malformed responses throw (grpc-js then fails the call, as it does for protobufjs)", () => {
  for (const bytes of [
    [0x10], // ID without its varint
    [0x10, 0x80], // truncated varint
    [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 11-byte varint
    [0x0a, 0x05, 0x08], // header longer than the message
    [0x0b], // a group (wire type 3)
    [0x0f], // wire type 7
  ]) {
    assert.throws(
      () => decodeKeepaliveResponse(Buffer.from(bytes)),
      /keepalive response/,
      JSON.stringify(bytes),
    );
    assert.throws(() => keepAlive.responseDeserialize(Buffer.from(bytes)), Error, JSON.stringify(bytes));
  }
});

test("request ids that are not decimal int64 strings are refused", () => {
  for (const ID of ["", "abc", "1.5", "0x10", " 1"]) assert.throws(() => encodeKeepaliveRequest({ ID }), ID);
});
