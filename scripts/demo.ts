/**
 * `npm run demo`: a narrated scenario against the running local stack
 * (`npm start` in another terminal). Facilities register, visitors at all
 * three issuers check in over yesterday evening, a case is confirmed, the
 * authority traces it, the contact list is printed, and a manager's hourly
 * counts are shown — each step saying what each party saw and did not see.
 * Every call goes through the parties' public APIs, as their apps would.
 */
import { HOUR, MINUTE, addDays, kstDay, kstDayStart, randomBytes } from "../shared/src/index.js";
import { ISSUERS, deployment, localUrl } from "./deployments.js";
import { readDevVars } from "./dev-vars.js";
import { addStaff, enrolVisitor, login, mintQrAt, registerFacility, scanQrAt, validBusinessNumber } from "./people.js";
import { localFetch } from "./local-fetch.js";

const url = (env: string) => localUrl(deployment(env));
const registry = url("registry");
const authority = url("authority");
const run = [...randomBytes(3)].map((b) => String(b % 10)).join(""); // keeps a re-run's ids apart
const day = addDays(kstDay(Date.now()), -1);
const at = (hhmm: string) => kstDayStart(day) + Number(hhmm.slice(0, 2)) * HOUR + Number(hhmm.slice(3)) * MINUTE;
const say = (party: string, text: string) => console.log(`  ${party.padEnd(10)} ${text}`);
const step = (n: number, title: string) => console.log(`\n${n}. ${title}`);

async function authorityApi<T>(path: string, token: string, body?: unknown): Promise<T> {
  const res = await localFetch(authority + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(`${path}: ${json.error?.message ?? res.status}`);
  return json;
}

async function supervisorToken(): Promise<string> {
  const creds = { id: "demo-supervisor", password: "demo supervisor password" };
  await localFetch(`${authority}/api/bootstrap`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${readDevVars("authority").BOOTSTRAP_TOKEN}` },
    body: JSON.stringify({ ...creds, name: "데모 감독관", role: "supervisor" }),
  }); // 409 on a stack that was bootstrapped before: the demo supervisor then already exists
  const res = await localFetch(`${authority}/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(creds) });
  if (!res.ok) throw new Error("cannot sign in as the demo supervisor: run the demo on a fresh stack (npm start with an empty KIPASS_STATE_DIR)");
  return ((await res.json()) as { token: string }).token;
}

async function main(): Promise<void> {
  console.log(`KI-Pass edge demo — ${day} (KST), against ${registry} and friends`);

  step(1, "Facilities register with the registry (R-F1)");
  const facilities = ["이태원 노래연습장", "용산 PC방", "한남 뷔페"];
  const devices: string[] = [];
  const owners: string[] = [];
  for (const [i, name] of facilities.entries()) {
    const loginId = `demo${run}-owner${i}`;
    await registerFacility(registry, {
      managerPhone: `010-4${run.slice(0, 3)}-${1000 + i}`,
      loginId,
      password: "demo-owner-password",
      businessName: name,
      businessNumber: validBusinessNumber(`1${run}${String(10 + i)}`.padEnd(9, "7").slice(0, 9)),
      addressDetail: `${i + 1}층`,
      industry: ["karaoke", "pc_bang", "buffet"][i],
    });
    const owner = await login(registry, loginId, "demo-owner-password");
    owners.push(owner);
    await addStaff(registry, owner, `demo${run}-gate${i}`, "demo-gate-password", "정문 입구");
    devices.push(await login(registry, `demo${run}-gate${i}`, "demo-gate-password"));
    say("registry", `stored "${name}": business details and an entrance device. No visitor yet.`);
  }

  step(2, "Visitors enrol in their issuer's app: consent + SMS code (R-U2)");
  const visitors = Array.from({ length: 9 }, (_, i) => ({
    name: ["김민준", "이서연", "박도윤", "최하은", "정시우", "강지유", "조하준", "윤서아", "장은우"][i]!,
    phone: `010-5${run.slice(0, 3)}-${2000 + i}`,
    birthDate: "1990-01-01",
    issuer: ISSUERS[i % 3]!.env,
  }));
  const credentials: string[] = [];
  for (const v of visitors) {
    credentials.push((await enrolVisitor(url(v.issuer), v)).credential);
    say(v.issuer, `knows ${v.name} (${v.phone}). It will never learn where they go.`);
  }

  step(3, "Evening check-ins: each visitor shows a fresh 15-second QR, the entrance tablet scans it");
  const plan: [number, number, string][] = [
    [0, 0, "19:05"], [1, 0, "19:20"], [2, 0, "19:40"], [3, 1, "19:30"], [4, 1, "20:10"], [5, 2, "18:30"], [6, 0, "23:30"], [7, 2, "20:00"], [8, 1, "21:45"],
  ];
  for (const [v, f, hhmm] of plan) {
    const { qr } = await mintQrAt(url(visitors[v]!.issuer), credentials[v]!, at(hhmm) - 3_000);
    await scanQrAt(registry, devices[f]!, qr, at(hhmm));
    say(visitors[v]!.issuer, `minted a QR for ${visitors[v]!.name} at ${hhmm} — and does not see the scan.`);
    say("registry", `recorded: ${facilities[f]}, ${hhmm}, an encrypted token …${qr.slice(-12)} — no name, no phone.`);
  }

  step(4, `The manager of ${facilities[0]} looks at hourly counts (R-F8)`);
  const counts = (await (await localFetch(`${registry}/v1/facility/counts/hourly?day=${day}`, { headers: { authorization: `Bearer ${owners[0]}` } })).json()) as {
    hours: { hour: number; visitors: number }[];
    total: number;
  };
  for (const h of counts.hours.filter((x) => x.visitors > 0)) say("manager", `${String(h.hour).padStart(2, "0")}:00  ${"█".repeat(h.visitors)} ${h.visitors}`);
  say("manager", `total ${counts.total}. Nobody at the facility can see who they were.`);

  step(5, `${visitors[0]!.name} tests positive; an investigator traces their phone (R-A1, R-A2)`);
  const token = await supervisorToken();
  const caseId = `case-demo-${run}`;
  await authorityApi("/api/cases", token, { id: caseId, title: "데모 확진자" });
  const trace = await authorityApi<{ status: string; windows: { facilityId: string; from: number; to: number }[]; contacts: { name: string; phone: string; issuer: string; facilityName: string; firstScan: number }[] }>(
    `/api/cases/${caseId}/traces`,
    token,
    { kind: "phone", phone: visitors[0]!.phone, from: at("00:00"), to: at("23:59") },
  );
  const hhmm = (ms: number) => new Date(ms + 9 * HOUR).toISOString().slice(11, 16);
  for (const w of trace.windows) say("authority", `exposure window ${hhmm(w.from)}–${hhmm(w.to)} at the case's facility (from the registry: place and time only)`);
  say("authority", `asked every issuer whose tokens those were: trace ${trace.status}.`);

  step(6, "The contact list (only the authority ever sees this join)");
  for (const c of trace.contacts) say("authority", `${c.name}  ${c.phone}  via ${c.issuer}  at ${c.facilityName} ${hhmm(c.firstScan)}`);
  if (trace.contacts.length === 0) say("authority", "no contacts");
  console.log(`\n  ${trace.contacts.length} contacts; ${visitors[6]!.name} (same place, 23:30) was outside the window and is not on the list.`);

  step(7, "Every access left a trace at the party that answered (R-A3)");
  const audit = await authorityApi<{ rows: { party: string; path: string; received: string }[]; problems: string[] }>(`/api/cases/${caseId}/audit`, token);
  for (const r of audit.rows) say(r.party, `logged ${r.path} (${r.received})`);
  say("authority", audit.problems.length ? `problems: ${audit.problems.join("; ")}` : "both sides of every request match; every hash chain verifies.");
  console.log("\nDemo finished.");
}

main().catch((err: unknown) => {
  console.error(`\nDemo failed: ${err instanceof Error ? err.message : String(err)}\nIs the stack running (npm start)?`);
  process.exit(1);
});
