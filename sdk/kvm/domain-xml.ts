import * as fs from "node:fs";

/** Reads a libvirt domain XML file for kvm.VirtualMachine's `domainXml` (the file stays the source). */
export function domainXmlFromFile(path: string): string {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(
      `kvm.domainXmlFromFile: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
