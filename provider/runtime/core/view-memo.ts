// checkView() once per view object. A store that serves the same StoreView object again
// (EtcdStore with its watch cache, while nothing changed: store/etcd-store.ts viewOf) gets
// the same CheckedView back instead of a zod pass over every report and the manager state,
// four times a second. Sound because nothing mutates a view after read() returned it: the
// core derives new objects (copy on write, context.ts), the driver replaces snap.view on a
// commit. A store that builds a new view per read (etcd without the cache, the simulator)
// never hits, and a view no longer referenced leaves the map with it.
import type { StoreView } from "./model";
import { type CheckedView, checkView } from "./validate";

const checked = new WeakMap<StoreView, CheckedView>();

export function checkViewOnce(raw: StoreView): CheckedView {
  let c = checked.get(raw);
  if (!c) {
    c = checkView(raw);
    checked.set(raw, c);
  }
  return c;
}
