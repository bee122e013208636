// Whether an active domain IS the resource of the same name. A name is not proof: an operator's
// test VM, or another cluster's, may carry it. Only a domain whose metadata holds vmha's marker
// for this cluster and this resource counts; any other is never adopted, listed or stopped.
import type { LibvirtDriver } from "../libvirt/driver";

/** XML namespace of the marker vmha puts into the metadata of the domains it starts. */
export const MARKER_NS = "https://vmha.dev/xmlns/libvirt/1";

/** Adds `<vmha:resource cluster=… name=…/>` to the domain's <metadata> (created if absent). */
export function withMarker(xml: string, ns: string, cluster: string, name: string): string {
  if (xml.includes(ns)) return xml;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  const tag = `<vmha:resource xmlns:vmha="${ns}" cluster="${esc(cluster)}" name="${esc(name)}"/>`;
  if (/<metadata\s*\/>/.test(xml)) return xml.replace(/<metadata\s*\/>/, `<metadata>${tag}</metadata>`);
  if (/<metadata>/.test(xml)) return xml.replace(/<metadata>/, `<metadata>${tag}`);
  return xml.replace(/<\/domain>\s*$/, `  <metadata>${tag}</metadata>\n</domain>\n`);
}

export type Owner = "ours" | "foreign" | "absent";

export class DomainOwners {
  /** By "<name>#<libvirt id>": the id is new with every start, so one virsh call per domain run. */
  private readonly known = new Map<string, Owner>();
  private readonly asking = new Map<string, Promise<Owner>>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly libvirt: LibvirtDriver,
    private readonly cluster: string,
    private readonly warn: (subject: string, message: string) => void,
    private readonly host: string,
  ) {}

  /** Throws when libvirt cannot tell (the caller treats the domain as unknown, not as foreign). */
  check(name: string, id: string | undefined): Promise<Owner> {
    const key = id && id !== "-" ? `${name}#${id}` : undefined;
    const cached = key ? this.known.get(key) : undefined;
    if (cached) return Promise.resolve(cached);
    const asking = key ? this.asking.get(key) : undefined;
    if (asking) return asking;
    const p = this.libvirt.marker(name, MARKER_NS).then((m): Owner => {
      const owner: Owner =
        m === "absent" ? "absent" : m && m.cluster === this.cluster && m.name === name ? "ours" : "foreign";
      if (key && owner !== "absent") this.known.set(key, owner);
      if (owner === "foreign" && !this.warned.has(key ?? name)) {
        this.warned.add(key ?? name);
        this.warn(
          `resource ${name}`,
          `a domain named ${name} runs on ${this.host} without vmha's marker for cluster ${this.cluster}: not ours, ignored (never adopted nor stopped)`,
        );
      }
      return owner;
    });
    if (key) {
      this.asking.set(key, p);
      void p.then(
        () => this.asking.delete(key),
        () => this.asking.delete(key),
      );
    }
    return p;
  }

  /** Forgets domains that are no longer active (keys "<name>#<id>" not in `live`). */
  retain(live: ReadonlySet<string>): void {
    for (const k of this.known.keys()) if (!live.has(k)) this.known.delete(k);
    for (const k of this.warned) if (k.includes("#") && !live.has(k)) this.warned.delete(k);
  }
}
