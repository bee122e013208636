// vim25 XML encoding and decoding: escaping of every value, xsi:type, field order, and parsing.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as fc from "fast-check";
import {
  encode,
  envelope,
  escapeXml,
  list,
  moref,
  parseXml,
  ref,
  str,
  text,
  typed,
  xsiType,
} from "../../../provider/vsphere/client/xml";

describe("vim25 XML", () => {
  it("escapes every XML-special character in values and attributes", () => {
    assert.equal(escapeXml(`<a href="x">&'</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    assert.equal(encode("name", `R&D <prod> "1"`), "<name>R&amp;D &lt;prod&gt; &quot;1&quot;</name>");
    assert.equal(encode("h", ref({ type: `a"b`, value: "x<y" })), '<h type="a&quot;b">x&lt;y</h>');
  });

  it("round-trips any string through encode and the parser", () => {
    const xmlChar = fc
      .string({ unit: "grapheme", maxLength: 60 })
      // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 cannot carry these at all.
      .filter((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\r]/.test(s));
    fc.assert(
      fc.property(xmlChar, (s) => {
        const doc = parseXml(`<r>${encode("v", s)}</r>`);
        assert.equal(text((doc["r"] as Record<string, unknown>)["v"]) ?? "", s);
      }),
      { numRuns: 300 },
    );
  });

  it("an encoding error names the field, never the value (finding 15, repro t5: a password was echoed)", () => {
    const secret = "Hunter2-Corp\u001bSecret!";
    assert.throws(
      () =>
        envelope(
          "Login",
          { type: "SessionManager", value: "SessionManager" },
          { userName: "administrator@vsphere.local", password: secret },
        ),
      (e: unknown) =>
        e instanceof Error &&
        /the value of password holds a control character XML cannot carry \(U\+001B at position 13; value not shown\)/.test(
          e.message,
        ) &&
        !e.message.includes("Hunter2") &&
        !e.message.includes("Secret"),
    );
  });

  it("refuses an answer with a DOCTYPE before parsing it (finding 16: server-sent entities were expanded)", () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>';
    assert.throws(() => parseXml(bomb), /holds a DOCTYPE, which vim25 never sends/);
    assert.equal(text(parseXml("<r>&amp;&#34;</r>")["r"]), '&"', "ordinary entities still decode");
  });

  it("refuses control characters XML cannot carry", () => {
    assert.throws(() => encode("v", "a\u0001b"), /control character/);
  });

  it("writes fields in insertion order, skips undefined, repeats arrays, types polymorphic values", () => {
    const x = encode("spec", {
      $type: "ClusterConfigSpecEx",
      dasConfig: { enabled: true, vmMonitoring: undefined, hostMonitoring: "enabled" },
      option: [
        { $type: "OptionValue", key: "das.a", value: typed("xsd:string", "1") },
        { $type: "OptionValue", key: "das.b", value: typed("xsd:string", "") },
      ],
    });
    assert.equal(
      x,
      '<spec xsi:type="ClusterConfigSpecEx"><dasConfig><enabled>true</enabled><hostMonitoring>enabled</hostMonitoring></dasConfig>' +
        '<option xsi:type="OptionValue"><key>das.a</key><value xsi:type="xsd:string">1</value></option>' +
        '<option xsi:type="OptionValue"><key>das.b</key><value xsi:type="xsd:string"></value></option></spec>',
    );
    assert.equal(
      encode("removeKey", typed("ManagedObjectReference", ref({ type: "VirtualMachine", value: "vm-1" }))),
      '<removeKey xsi:type="ManagedObjectReference" type="VirtualMachine">vm-1</removeKey>',
    );
  });

  it("refuses numbers that are not finite", () => {
    assert.throws(() => encode("n", Number.NaN), /cannot encode NaN/);
  });

  it("wraps a call in a SOAP envelope with _this first", () => {
    const e = envelope(
      "Login",
      { type: "SessionManager", value: "SessionManager" },
      { userName: "a&b", password: "p<" },
    );
    assert.match(
      e,
      /<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager<\/_this><userName>a&amp;b<\/userName><password>p&lt;<\/password><\/Login>/,
    );
  });

  it("reads references, lists and xsi:type whatever the namespace prefix", () => {
    const doc = parseXml(
      '<r xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"><p XMLSchema-instance:type="ClusterFailoverLevelAdmissionControlPolicy"><failoverLevel>2</failoverLevel></p>' +
        '<h type="HostSystem">host-1</h><h type="HostSystem">host-2</h><one type="Datastore">ds-1</one></r>',
    );
    const r = doc["r"] as Record<string, unknown>;
    assert.equal(xsiType(r["p"]), "ClusterFailoverLevelAdmissionControlPolicy");
    assert.equal(str(r["p"], "failoverLevel"), "2");
    assert.deepEqual(list(r["h"]).map(moref), [
      { type: "HostSystem", value: "host-1" },
      { type: "HostSystem", value: "host-2" },
    ]);
    assert.deepEqual(list(r["one"]).map(moref), [{ type: "Datastore", value: "ds-1" }]);
    assert.deepEqual(list(undefined), []);
  });

  it("decodes numeric character references as Go's encoding/xml (vcsim) writes them", () => {
    const doc = parseXml("<r><v>{&#34;owner&#34;:&#34;a&#34;} &#x3C; &amp;</v></r>");
    assert.equal(str(doc["r"], "v"), '{"owner":"a"} < &');
  });
});
