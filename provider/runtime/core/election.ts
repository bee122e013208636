// Who may campaign for the election. Only a host the committed manager state does not consider
// failed may become primary: a suspect or fencing host may still run resources and must not
// take over (it would cancel its own fencing). Pure.
import type { StoreView } from "./model";

export function mayCampaign(view: StoreView, self: string): boolean {
  if (!view.leases.includes(self)) return false;
  const rec = view.manager?.hosts[self];
  return !rec || (rec.state !== "suspect" && rec.state !== "fencing");
}
