// Generic cmdlets (Select-Object, Where-Object, ForEach-Object, ConvertTo-Json), remoting
// (New-PSSession, Invoke-Command, credentials), Windows features and Hyper-V hosts/VMs.
import { type Cmdlet, member, SimRefusal } from "./interp";
import { toJson } from "./json";
import type { Machine, World } from "./state";
import {
  Hashtable,
  invalid,
  notFound,
  obj,
  PsEnum,
  PsError,
  PsObject,
  psEquals,
  ScriptBlock,
  SecureString,
  StringCollection,
  toText,
} from "./values";

export function machine(w: World, name: string): Machine {
  const key = Object.keys(w.machines).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!key) {
    throw new PsError(`The RPC server is unavailable: computer '${name}' cannot be reached.`, {
      id: "RpcUnavailable",
      category: "ConnectionError",
      target: name,
    });
  }
  return w.machines[key]!;
}

export function machineName(w: World, name: string): string {
  return Object.keys(w.machines).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
}

const select: Cmdlet = {
  params: { property: "any", inputobject: "any" },
  positional: ["property"],
  pipeline: "inputobject",
  run(a, ctx, input) {
    const items = input ?? (a["inputobject"] === undefined ? [] : [a["inputobject"]]);
    const props = Array.isArray(a["property"]) ? a["property"] : [a["property"]];
    return items.map((it) => {
      const o = new PsObject("Selected");
      for (const p of props) {
        if (typeof p === "string") o.value(p, member(it, p));
        else if (p instanceof Hashtable) {
          const name = p.get("Name");
          const expr = p.get("Expression");
          if (typeof name !== "string" || !(expr instanceof ScriptBlock)) {
            throw new SimRefusal(
              "Select-Object: a calculated property needs Name and an Expression script block",
            );
          }
          const out = ctx.runBlock(expr, it);
          o.value(name, out.length === 0 ? null : out.length === 1 ? out[0] : out);
        } else throw new SimRefusal("Select-Object: unsupported property form");
      }
      return o;
    });
  },
};

const where: Cmdlet = {
  params: { property: "string", eq: "switch", value: "any", inputobject: "any" },
  positional: ["property"],
  pipeline: "inputobject",
  run(a, _ctx, input) {
    if (a["eq"] !== true)
      throw new SimRefusal("Where-Object: only -Property <name> -EQ -Value <value> is supported");
    return (input ?? []).filter((it) => psEquals(member(it, String(a["property"])), a["value"]));
  },
};

const foreach: Cmdlet = {
  params: { process: "block", inputobject: "any" },
  positional: ["process"],
  pipeline: "inputobject",
  run(a, ctx, input) {
    const out: unknown[] = [];
    for (const it of input ?? []) out.push(...ctx.runBlock(a["process"] as ScriptBlock, it));
    return out;
  },
};

const convertToJson: Cmdlet = {
  params: { inputobject: "any", compress: "switch", depth: "int" },
  pipeline: "inputobject",
  run(a, ctx, input) {
    const depth = (a["depth"] as number | undefined) ?? 2;
    let value: unknown;
    if (input !== undefined) {
      if (input.length === 0) return []; // An empty pipeline writes nothing at all.
      value = input.length === 1 ? input[0] : input;
    } else value = a["inputobject"];
    return [toJson(value, depth, ctx.flavor, a["compress"] === true)];
  },
};

const newObject: Cmdlet = {
  params: { typename: "string", argumentlist: "any" },
  positional: ["typename"],
  run(a) {
    const t = String(a["typename"]).toLowerCase();
    if (t === "system.collections.specialized.stringcollection") return [new StringCollection()];
    if (t === "system.management.automation.pscredential") {
      const args = a["argumentlist"];
      if (!Array.isArray(args) || typeof args[0] !== "string" || !(args[1] instanceof SecureString)) {
        throw new PsError("Cannot find an overload for PSCredential with these arguments.");
      }
      return [obj("System.Management.Automation.PSCredential", { UserName: args[0], Password: args[1] })];
    }
    throw new SimRefusal(`New-Object: type ${a["typename"]} is not supported by the simulator`);
  },
};

const toSecure: Cmdlet = {
  params: { string: "string", asplaintext: "switch", force: "switch" },
  run(a) {
    if (a["asplaintext"] !== true || a["force"] !== true)
      throw new PsError("ConvertTo-SecureString needs -AsPlainText -Force");
    return [new SecureString(String(a["string"]))];
  },
};

const newSession: Cmdlet = {
  params: {
    computername: "string",
    hostname: "string",
    username: "string",
    credential: "any",
    usessl: "switch",
  },
  run(a, ctx) {
    const target = (a["computername"] ?? a["hostname"]) as string | undefined;
    if (!target) throw new SimRefusal("New-PSSession: needs -ComputerName or -HostName");
    machine(ctx.world, target);
    const need = ctx.world.remoting;
    if (need) {
      const cred = a["credential"];
      const ok =
        cred instanceof PsObject &&
        cred.get("UserName") === need.userName &&
        (cred.get("Password") as SecureString).plain === need.password;
      if (!ok) {
        throw new PsError(`Connecting to remote server ${target} failed: Access is denied.`, {
          id: "AccessDenied,PSSessionOpenFailed",
          category: "OpenError",
          target,
        });
      }
    }
    return [
      obj("System.Management.Automation.Runspaces.PSSession", { ComputerName: target, State: "Opened" }),
    ];
  },
};

const invokeCommand: Cmdlet = {
  params: { session: "any", scriptblock: "block" },
  run(a, ctx) {
    if (!(a["session"] instanceof PsObject)) throw new PsError("Invoke-Command: -Session is not a PSSession");
    return ctx.runBlock(a["scriptblock"] as ScriptBlock, null, true);
  },
};

// ---- Windows features ----
const getFeature: Cmdlet = {
  params: { name: "string", computername: "string" },
  run(a, ctx) {
    const m = machine(ctx.world, String(a["computername"] ?? "localhost"));
    const name = String(a["name"]);
    const installed = m.features.some((f) => f.toLowerCase() === name.toLowerCase());
    return [
      obj("Microsoft.Windows.ServerManager.Commands.Feature", {
        Name: name,
        Installed: installed,
        InstallState: new PsEnum("InstallState", installed ? "Installed" : "Available", installed ? 1 : 0),
      }),
    ];
  },
};

const installFeature: Cmdlet = {
  params: { name: "string", computername: "string", includemanagementtools: "switch" },
  run(a, ctx) {
    const m = machine(ctx.world, String(a["computername"] ?? "localhost"));
    const name = String(a["name"]);
    if (!["failover-clustering"].includes(name.toLowerCase())) throw notFound("Feature", name);
    if (!m.features.some((f) => f.toLowerCase() === name.toLowerCase())) m.features.push(name);
    const restart = m.restartNeeded === true;
    return [
      obj("Microsoft.Windows.ServerManager.Commands.FeatureOperationResult", {
        Success: true,
        RestartNeeded: new PsEnum("RestartState", restart ? "Yes" : "No", restart ? 1 : 0),
      }),
    ];
  },
};

// ---- Hyper-V ----
const getVmHost: Cmdlet = {
  params: { computername: "strings" },
  run(a, ctx) {
    return (a["computername"] as string[]).map((n) =>
      obj("Microsoft.HyperV.PowerShell.VMHost", {
        ComputerName: machineName(ctx.world, n),
        MemoryCapacity: machine(ctx.world, n).memoryBytes,
      }),
    );
  },
};

/** PowerShell's WildcardPattern: `*`, `?`, `[abc]`/`[a-c]`, backtick escapes; case-insensitive. */
export function wildcard(p: string): RegExp {
  let re = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "`" && i + 1 < p.length) re += p[++i]!.replace(/[\\^$.*+?()[\]{}|-]/g, "\\$&");
    else if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = p.indexOf("]", i + 1);
      if (end < 0) throw new PsError(`The specified wildcard character pattern is not valid: ${p}`);
      re += `[${p.slice(i + 1, end).replace(/[\\^\]]/g, "\\$&")}]`;
      i = end;
    } else re += c.replace(/[\\^$.*+?()[\]{}|-]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "is");
}

function vmObject(host: string, name: string, m: Machine): PsObject {
  const vm = m.vms[name]!;
  return obj("Microsoft.HyperV.PowerShell.VirtualMachine", {
    Name: name,
    Id: vm.id,
    ComputerName: host,
    MemoryStartup: vm.memoryStartupBytes,
  });
}

const getVm: Cmdlet = {
  params: { computername: "strings", name: "string", clusterobject: "any" },
  pipeline: "clusterobject",
  run(a, ctx, input) {
    const w = ctx.world;
    if (input !== undefined) {
      return input.map((g) => {
        const groupName = toText(member(g, "Name"));
        let vmName = groupName;
        for (const c of Object.values(w.clusters)) if (c.groups[groupName]) vmName = c.groups[groupName].vm;
        for (const [host, m] of Object.entries(w.machines))
          if (m.vms[vmName]) return vmObject(host, vmName, m);
        throw notFound("Virtual machine", vmName);
      });
    }
    const name = a["name"] as string | undefined;
    const out: PsObject[] = [];
    for (const n of (a["computername"] as string[] | undefined) ?? []) {
      const m = machine(w, n);
      // -Name is a wildcard pattern in Hyper-V (as in PowerShell): `web[1]` never matches itself.
      const pattern = name === undefined ? undefined : wildcard(name);
      for (const vm of Object.keys(m.vms))
        if (pattern === undefined || pattern.test(vm)) out.push(vmObject(machineName(w, n), vm, m));
    }
    if (name !== undefined && out.length === 0) {
      throw new PsError(`Hyper-V was unable to find a virtual machine with name "${name}".`, {
        id: "InvalidParameter",
        category: "InvalidArgument",
        target: name,
      });
    }
    return out;
  },
};

export const coreCmdlets: Record<string, Cmdlet> = {
  "select-object": select,
  "where-object": where,
  "foreach-object": foreach,
  "convertto-json": convertToJson,
  "new-object": newObject,
  "convertto-securestring": toSecure,
  "new-pssession": newSession,
  "invoke-command": invokeCommand,
  "get-windowsfeature": getFeature,
  "install-windowsfeature": installFeature,
  "get-vmhost": getVmHost,
  "get-vm": getVm,
};

export { invalid };
