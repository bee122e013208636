// Connection settings and fault mapping (pure).
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RetryableError, TerminalError } from "../../../provider/core/errors";
import {
  NotAuthenticatedError,
  NotFoundError,
  soapFault,
  taskFault,
} from "../../../provider/vsphere/client/faults";
import { connectionSettings } from "../../../provider/vsphere/client/settings";
import { parseXml } from "../../../provider/vsphere/client/xml";

const none = { get: () => undefined };
const ctx = { server: "vc.example:443", user: "admin@vsphere.local", method: "Login" };

function fault(xml: string) {
  const doc = parseXml(
    `<soapenv:Envelope xmlns:soapenv="s" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>${xml}</soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
  );
  const env = doc["soapenv:Envelope"] as Record<string, Record<string, unknown>>;
  return env["soapenv:Body"]?.["soapenv:Fault"];
}

describe("connection settings", () => {
  it("reads the environment variables @pulumi/vsphere users have", () => {
    const s = connectionSettings(none, {
      VSPHERE_SERVER: "vc.example",
      VSPHERE_USER: "u",
      VSPHERE_PASSWORD: "p",
    });
    assert.equal(s.url, "https://vc.example/sdk");
    assert.equal(s.allowUnverifiedSsl, false, "certificate verification is on unless explicitly off");
  });

  it("prefers stack config over the environment", () => {
    const cfg = {
      get: (k: string) =>
        ({ "vmha:vsphereServer": "cfg.example:8443", "vmha:vsphereAllowUnverifiedSsl": "true" })[k],
    };
    const s = connectionSettings(cfg, {
      VSPHERE_SERVER: "env.example",
      VSPHERE_USER: "u",
      VSPHERE_PASSWORD: "p",
    });
    assert.equal(s.url, "https://cfg.example:8443/sdk");
    assert.equal(s.allowUnverifiedSsl, true);
  });

  it("names the setting to fix when one is missing or malformed", () => {
    assert.throws(
      () => connectionSettings(none, {}),
      /set stack config vmha:vsphereServer .* or the environment variable VSPHERE_SERVER/,
    );
    assert.throws(
      () =>
        connectionSettings(none, {
          VSPHERE_SERVER: "x",
          VSPHERE_USER: "u",
          VSPHERE_PASSWORD: "p",
          VSPHERE_ALLOW_UNVERIFIED_SSL: "maybe",
        }),
      /must be true or false/,
    );
    assert.throws(
      () =>
        connectionSettings(none, {
          VSPHERE_SERVER: "x",
          VSPHERE_USER: "u",
          VSPHERE_PASSWORD: "p",
          VSPHERE_ALLOW_UNVERIFIED_SSL: "maybe",
        }),
      /vmha:vsphereAllowUnverifiedSsl \/ VSPHERE_ALLOW_UNVERIFIED_SSL must be true or false/,
    );
    assert.throws(
      () =>
        connectionSettings(none, { VSPHERE_SERVER: "http://x", VSPHERE_USER: "u", VSPHERE_PASSWORD: "p" }),
      /must use https/,
    );
    assert.throws(
      () =>
        connectionSettings(none, {
          VSPHERE_SERVER: "x",
          VSPHERE_USER: "u",
          VSPHERE_PASSWORD: "p",
          VSPHERE_CA_FILE: "/no/such/ca.pem",
        }),
      /cannot read the CA file \/no\/such\/ca.pem/,
    );
  });
});

describe("faults", () => {
  it("invalid login names the settings, never the password", () => {
    const e = soapFault(
      fault(
        '<faultstring>Login failure</faultstring><detail><InvalidLoginFault xsi:type="InvalidLogin"/></detail>',
      ),
      ctx,
    );
    assert.ok(e instanceof TerminalError);
    assert.match(
      e.message,
      /login to vc.example:443 as "admin@vsphere.local" failed: invalid user name or password .*VSPHERE_PASSWORD/,
    );
  });

  it("a missing object is a NotFoundError naming it", () => {
    const e = soapFault(
      fault(
        '<faultstring>x</faultstring><detail><ManagedObjectNotFoundFault xsi:type="ManagedObjectNotFound"><obj type="ClusterComputeResource">domain-c9</obj></ManagedObjectNotFoundFault></detail>',
      ),
      ctx,
    );
    assert.ok(e instanceof NotFoundError);
    assert.match(e.message, /ClusterComputeResource domain-c9 does not exist .*deleted outside Pulumi/);
  });

  it("missing privileges name the privilege and the object", () => {
    const e = soapFault(
      fault(
        '<faultstring/><detail><NoPermissionFault xsi:type="NoPermission"><object type="ClusterComputeResource">domain-c9</object><privilegeId>Host.Inventory.EditCluster</privilegeId></NoPermissionFault></detail>',
      ),
      ctx,
    );
    assert.match(
      e.message,
      /lacks the privilege Host.Inventory.EditCluster on ClusterComputeResource domain-c9/,
    );
  });

  it("an expired session asks for a new login; transient faults are retryable", () => {
    assert.ok(
      soapFault(
        fault('<detail><NotAuthenticatedFault xsi:type="NotAuthenticated"/></detail>'),
        ctx,
      ) instanceof NotAuthenticatedError,
    );
    assert.ok(
      soapFault(
        fault('<detail><HostCommunicationFault xsi:type="HostCommunication"/></detail>'),
        ctx,
      ) instanceof RetryableError,
    );
  });

  it("ConcurrentAccess is retried and says what to look for (finding 16: it was not mapped)", () => {
    const e = soapFault(
      fault(
        '<faultstring>Cannot complete operation due to concurrent modification by another operation.</faultstring><detail><ConcurrentAccessFault xsi:type="ConcurrentAccess"/></detail>',
      ),
      { ...ctx, method: "ReconfigureComputeResource_Task" },
    );
    assert.ok(e instanceof RetryableError, e.constructor.name);
    assert.match(
      e.message,
      /ReconfigureComputeResource_Task: vCenter refused the change because the object was being changed at the same time \(ConcurrentAccess\).*lower pulumi up --parallel/,
    );
  });

  it("a failed task carries its localized message", () => {
    const doc = parseXml(
      '<error xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><fault xsi:type="InvalidArgument"><invalidProperty>dasConfig.vmMonitoring</invalidProperty></fault><localizedMessage>A specified parameter was not correct: dasConfig.vmMonitoring</localizedMessage></error>',
    );
    const e = taskFault(doc["error"], "reconfigure cluster domain-c7", ctx);
    assert.match(
      e.message,
      /^task reconfigure cluster domain-c7 failed: .*dasConfig.vmMonitoring.*A specified parameter was not correct/,
    );
  });
});
