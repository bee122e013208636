// A gRPC proxy in front of a real etcd that can lose exactly one answer: it forwards a Txn that
// writes a given key, lets etcd commit it, and then never replies (the client's deadline passes),
// which is what a commit reply lost to a leader change or a slow network looks like to the
// provider (review finding 9). Only the KV service is proxied: the KVM resources need no more.
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  cb: (e: grpc.ServiceError | null, r?: unknown) => void,
) => void;
type KvClient = grpc.Client & Record<string, Unary>;

function kvService(): grpc.ServiceClientConstructor {
  const proto = path.join(path.dirname(require.resolve("etcd3/package.json")), "proto", "rpc.proto");
  const def = protoLoader.loadSync(proto, { keepCase: true, longs: String, enums: String, oneofs: true });
  return (
    grpc.loadPackageDefinition(def) as unknown as { etcdserverpb: { KV: grpc.ServiceClientConstructor } }
  ).etcdserverpb.KV;
}

export interface LossyProxy {
  endpoint: string;
  /** Makes the next Txn that puts `key` commit on etcd but get no answer. */
  loseNextTxnReplyFor(key: string): void;
  /** Txn replies held back so far. */
  readonly lost: number;
  /** Txn requests seen (each attempt of the client, including the one whose answer was lost). */
  readonly txns: number;
  close(): Promise<void>;
}

function putsKey(req: unknown, key: string): boolean {
  const ops = (req as { success?: Array<{ request_put?: { key?: Buffer } }> }).success ?? [];
  return ops.some((o) => o.request_put?.key?.toString() === key);
}

export async function startLossyProxy(etcdEndpoint: string): Promise<LossyProxy> {
  const KV = kvService();
  const upstream = new KV(
    etcdEndpoint.replace(/^https?:\/\//, ""),
    grpc.credentials.createInsecure(),
  ) as KvClient;
  const server = new grpc.Server();
  let dropKey: string | undefined;
  const stats = { lost: 0, txns: 0 };
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(KV.service)) {
    handlers[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const lose = method === "Txn" && dropKey !== undefined && putsKey(call.request, dropKey);
      if (method === "Txn") stats.txns++;
      if (lose) dropKey = undefined;
      upstream[method]!(call.request, call.metadata, (err, res) => {
        if (lose) {
          stats.lost++;
          return; // committed on etcd; the answer never arrives
        }
        cb(err, res);
      });
    };
  }
  server.addService(KV.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    loseNextTxnReplyFor(key) {
      dropKey = key;
    },
    get lost() {
      return stats.lost;
    },
    get txns() {
      return stats.txns;
    },
    close: () =>
      new Promise<void>((resolve) => {
        upstream.close();
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 500).unref();
      }),
  };
}
