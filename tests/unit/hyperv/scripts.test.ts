// The exact PowerShell the resources emit for the seed's steps and the main settings: readable
// documentation of what runs on a cluster, and a guard against accidental changes.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sessionSetup } from "../../../provider/hyperv/ps/session-script";
import { addCau } from "../../../provider/hyperv/scripts/cau";
import {
  installFeature,
  newCluster,
  setHeartbeat,
  setQuorum,
} from "../../../provider/hyperv/scripts/cluster";
import { enableS2d, newVolume } from "../../../provider/hyperv/scripts/storage";
import { addMonitoredEvent, addRole, applySettings } from "../../../provider/hyperv/scripts/vm-role";

describe("emitted PowerShell", () => {
  it("the seed's steps", () => {
    assert.equal(
      installFeature("HV1").text,
      "$r = Install-WindowsFeature -Name 'Failover-Clustering' -ComputerName 'HV1' -IncludeManagementTools; " +
        "ConvertTo-Json -Compress -Depth 6 -InputObject @{ success = $r.Success; restart = $r.RestartNeeded.ToString() }",
    );
    assert.equal(
      newCluster({
        name: "HV-Cluster",
        nodes: ["HV1", "HV2", "HV3"],
        staticAddresses: ["192.168.1.200"],
        ignoreNetworks: [],
        noStorage: false,
      }).text,
      "$null = New-Cluster -Name 'HV-Cluster' -Node @('HV1', 'HV2', 'HV3') -StaticAddress @('192.168.1.200')",
    );
    assert.equal(
      enableS2d("HV-Cluster", undefined, "Enabled").text,
      "$null = Enable-ClusterStorageSpacesDirect -CimSession 'HV-Cluster' -CacheState 'Enabled' -Confirm:$false",
    );
    assert.equal(
      newVolume({
        cluster: "HV-Cluster",
        friendlyName: "Volume1",
        sizeGb: 1024,
        resiliency: "Mirror",
        fileSystem: "CSVFS_ReFS",
        storagePool: "S2D*",
      }).text,
      "$null = New-Volume -CimSession 'HV-Cluster' -StoragePoolFriendlyName 'S2D*' -FriendlyName 'Volume1' -FileSystem 'CSVFS_ReFS' -Size 1099511627776 -ResiliencySettingName 'Mirror'",
    );
    assert.equal(
      addRole("HV-Cluster", "VM1", "VM1").text,
      "$null = Add-ClusterVirtualMachineRole -Cluster 'HV-Cluster' -VMName 'VM1' -Name 'VM1'",
    );
  });

  it("settings set by assignment on cluster objects", () => {
    assert.equal(
      setHeartbeat("C", { sameSubnetDelayMs: 2000, crossSubnetThreshold: 40 })?.text,
      "$c = Get-Cluster -Name 'C'; $c.SameSubnetDelay = 2000; $c.CrossSubnetThreshold = 40",
    );
    assert.equal(
      applySettings("C", "VM1", {
        priority: "High",
        antiAffinityClassNames: ["sql"],
        preferredOwners: ["HV2", "HV1"],
        failback: { allowed: true, windowStartHour: 1, windowEndHour: 5 },
      }).text,
      "$g = Get-ClusterGroup -Cluster 'C' -Name 'VM1'; $g.Priority = 3000; $g.AutoFailbackType = 1; $g.FailbackWindowStart = 1; " +
        "$g.FailbackWindowEnd = 5; $a = New-Object -TypeName 'System.Collections.Specialized.StringCollection'; " +
        "$null = $a.Add('sql'); $g.AntiAffinityClassNames = $a; Set-ClusterOwnerNode -Cluster 'C' -Group 'VM1' -Owners @('HV2', 'HV1')",
    );
  });

  it("witnesses, monitoring and CAU", () => {
    assert.equal(
      setQuorum("C", { type: "cloud", accountName: "acct" }).text,
      "$null = Set-ClusterQuorum -Cluster 'C' -CloudWitness -AccountName 'acct' -AccessKey $vmhaSecret_cloudWitnessAccessKey",
    );
    assert.equal(setQuorum("C", { type: "none" }).text, "$null = Set-ClusterQuorum -Cluster 'C' -NoWitness");
    assert.equal(
      addMonitoredEvent("C", "VM1", { log: "System", source: "Service Control Manager", eventId: 7031 }).text,
      "$null = Add-ClusterVMMonitoredItem -Cluster 'C' -VirtualMachine 'VM1' -EventLog 'System' -EventSource 'Service Control Manager' -EventId 7031",
    );
    assert.equal(
      addCau("C", {
        daysOfWeek: ["Tuesday"],
        weeksOfMonth: [2],
        maxFailedNodes: 0,
        maxRetriesPerNode: 3,
        requireAllNodesOnline: true,
        enableFirewallRules: true,
      }).text,
      "$null = Add-CauClusterRole -ClusterName 'C' -DaysOfWeek @('Tuesday') -WeeksOfMonth @(2) -MaxFailedNodes 0 -MaxRetriesPerNode 3 -RequireAllNodesOnline -EnableFirewallRules -Force",
    );
  });

  it("session set-up for SSH remoting (PowerShell 7) and for a local shell", () => {
    const probe =
      "ConvertTo-Json -Compress -InputObject @{ vmhaLanguageMode = $ExecutionContext.SessionState.LanguageMode }; ";
    assert.equal(
      sessionSetup({ shell: "pwsh", hostName: "hv1.contoso.local", userName: "admin", useSsl: false }),
      `${probe}try { [Console]::OutputEncoding = [Text.Encoding]::UTF8; $ErrorActionPreference = 'Stop'; ` +
        "$vmhaSession = New-PSSession -HostName 'hv1.contoso.local' -UserName 'admin'; " +
        "ConvertTo-Json -Compress -InputObject @{ vmhaRemoteLanguageMode = (Invoke-Command -Session $vmhaSession " +
        "-ErrorAction Stop -ScriptBlock { $ExecutionContext.SessionState.LanguageMode }) } } catch { " +
        sessionSetup({ shell: "pwsh", useSsl: false }).split("} catch { ")[1],
    );
    assert.match(
      sessionSetup({ shell: "pwsh", useSsl: false }),
      /^ConvertTo-Json -Compress -InputObject @\{ vmhaLanguageMode = \$ExecutionContext\.SessionState\.LanguageMode \}; try \{ \[Console\]::OutputEncoding = \[Text\.Encoding\]::UTF8; \$ErrorActionPreference = 'Stop' \} catch/,
    );
  });

  it("the language mode is printed before anything ConstrainedLanguage mode forbids (finding 16)", () => {
    for (const c of [
      { shell: "pwsh" as const, useSsl: false },
      { shell: "pwsh" as const, computerName: "HV1", userName: "u", password: "p", useSsl: true },
    ]) {
      const s = sessionSetup(c);
      const probe = s.indexOf("vmhaLanguageMode");
      assert.ok(probe >= 0 && probe < s.indexOf("[Console]") && probe < s.indexOf("try {"), s);
    }
  });
});
