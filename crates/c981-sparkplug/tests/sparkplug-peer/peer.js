// Sparkplug B edge node driven by the c981-sparkplug end-to-end test, built on the third-party
// Eclipse Tahu JavaScript client (npm package `sparkplug-client`).
//
// Usage: node peer.js <mqtt-url> <group-id> <edge-node-id>
//
// Scenario (one line on stdout per step, exit code 0 when all steps ran):
//   session A (bdSeq 0): NBIRTH with identity properties, DBIRTH dev1, 5 NDATA, 50 DDATA, DDEATH dev1
//   session B (bdSeq 1): NBIRTH again from a second connection (the node "rebooted")
//   session A is then killed without DISCONNECT, so the broker publishes its Will:
//     an NDEATH with bdSeq 0, which is stale because the current birth has bdSeq 1
//   session B stops cleanly, publishing NDEATH with bdSeq 1, which pairs with its birth
//
// The library keeps bdSeq at 0 for every session (it never increments it), so session B sets its
// bdSeq field to 1 before its birth, as a node that counts sessions the way the specification
// asks would.
"use strict";

const sparkplug = require("sparkplug-client");

const [url, groupId, edgeNode] = process.argv.slice(2);
if (!url || !groupId || !edgeNode) {
  console.error("usage: node peer.js <mqtt-url> <group-id> <edge-node-id>");
  process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const step = (text) => console.log(`step ${text}`);
setTimeout(() => {
  console.error("peer timed out");
  process.exit(1);
}, 30000).unref();

function session(suffix, bdSeq) {
  const client = sparkplug.newClient({
    serverUrl: url,
    username: "c981-peer",
    password: "",
    groupId,
    edgeNode,
    clientId: `${groupId}-${edgeNode}-${suffix}`,
    publishDeath: true,
    version: "spBv1.0",
  });
  client.bdSeq = bdSeq;
  client.on("error", (error) => {
    console.error(`session ${suffix} error: ${error.message}`);
    process.exit(1);
  });
  const born = new Promise((resolve) => client.once("birth", resolve));
  return { client, born };
}

function nodeBirth(client) {
  client.publishNodeBirth({
    timestamp: Date.now(),
    metrics: [
      { name: "Node Control/Rebirth", type: "Boolean", value: false },
      { name: "Properties/Hardware Make", type: "String", value: "Eclipse Tahu" },
      { name: "Properties/Hardware Model", type: "String", value: "sparkplug-client-js" },
      { name: "Properties/OS", type: "String", value: "Node.js" },
      { name: "Properties/OS Version", type: "String", value: process.version },
      { name: "Properties/FW", type: "String", value: "3.2.4" },
      { name: "Properties/Serial Number", type: "String", value: `SN-${edgeNode}` },
      { name: "Uptime", type: "Int64", value: 1 },
    ],
  });
}

async function main() {
  const a = session("a", 0);
  await a.born;
  nodeBirth(a.client);
  step("NBIRTH bdSeq=0");
  a.client.publishDeviceBirth("dev1", {
    timestamp: Date.now(),
    metrics: [
      { name: "Properties/Hardware Make", type: "String", value: "Acme Sensors" },
      { name: "Properties/Hardware Model", type: "String", value: "TS-9" },
      { name: "Properties/FW", type: "String", value: "1.2.3" },
      { name: "Temperature", type: "Double", value: 21.5 },
    ],
  });
  step("DBIRTH dev1");
  for (let i = 0; i < 5; i++) {
    a.client.publishNodeData({ timestamp: Date.now(), metrics: [{ name: "Uptime", type: "Int64", value: i + 2 }] });
  }
  step("NDATA x5");
  for (let i = 0; i < 50; i++) {
    a.client.publishDeviceData("dev1", {
      timestamp: Date.now(),
      metrics: [{ name: "Temperature", type: "Double", value: 21.5 + i / 10 }],
    });
  }
  step("DDATA x50");
  await sleep(200);
  a.client.publishDeviceDeath("dev1", { timestamp: Date.now() });
  step("DDEATH dev1");
  await sleep(300);

  const b = session("b", 1);
  await b.born;
  nodeBirth(b.client);
  step("NBIRTH bdSeq=1");
  await sleep(300);

  // Kill session A without DISCONNECT: the broker publishes its Will (NDEATH, bdSeq 0).
  a.client.client.end(true);
  step("session A killed (Will NDEATH bdSeq=0)");
  await sleep(500);

  await new Promise((resolve) => {
    b.client.client.once("close", resolve);
    b.client.stop();
  });
  step("NDEATH bdSeq=1");
  console.log("done");
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
