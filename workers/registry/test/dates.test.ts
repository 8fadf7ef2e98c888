// Days and moments at the edge: every route that takes a KST day accepts only
// real calendar days, and the authority's millisecond bounds stay where date
// math works — a bad value is a 400 `invalid_request`, never a 500 or a day
// Date.parse made up ("2026-02-30" rolled over to 2 March).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY, EPOCH_MS_MAX } from "../../../shared/src/index.js";
import { authorityKeys, signedRequest } from "../../../tests/authority-client.js";
import { BASE, activeFacility, call, hourly, json, phoneProof, randomPhone, registration, send, testEnv } from "./helpers.js";

/** Status and error code; a 200 without an error body shows as itself, not as a TypeError. */
async function errorCode(res: Response): Promise<{ status: number; code: string | undefined }> {
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code };
}

const facilityCount = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM facilities").first<{ n: number }>())!.n;

const registerEvent = async (from: string, to: string) =>
  call("POST", "/v1/facilities", registration({ phoneProof: await phoneProof(randomPhone()), industry: "event", event: { from, to } }));

describe("KST days", () => {
  it.each([
    ["a day no month has (was a 500)", "2026-12-99"],
    ["30 February", "2026-02-30"],
    ["29 February of a common year", "2027-02-29"],
    ["month 13", "2026-13-01"],
  ])("refuses an event ending on %s and stores nothing", async (_name, day) => {
    const before = await facilityCount();
    expect(await errorCode(await registerEvent("2026-12-01", day))).toEqual({ status: 400, code: "invalid_request" });
    expect(await errorCode(await registerEvent(day, "2026-12-31"))).toEqual({ status: 400, code: "invalid_request" });
    expect(await facilityCount()).toBe(before);
  });

  it("registers an event on a leap day", async () => {
    await json(await registerEvent("2028-02-29", "2028-02-29"), 201);
  });

  it("refuses hourly counts of a day that does not exist, answers a leap day", async () => {
    const f = await activeFacility();
    for (const day of ["2026-02-30", "2027-02-29", "2026-04-31"]) {
      expect(await errorCode(await call("GET", `/v1/facility/counts/hourly?day=${day}`, undefined, f.session)), day).toEqual({ status: 400, code: "invalid_request" });
    }
    expect(await hourly(f.session, "2028-02-29")).toMatchObject({ day: "2028-02-29", total: 0 });
  });

  it("refuses daily counts from a day that does not exist (02-31 read as 3 March let 33 days through)", async () => {
    const f = await activeFacility();
    const daily = (from: string, to: string) => call("GET", `/v1/facility/counts/daily?from=${from}&to=${to}`, undefined, f.session);
    expect(await errorCode(await daily("2026-02-31", "2026-04-02"))).toEqual({ status: 400, code: "invalid_request" });
    expect(await errorCode(await daily("2026-03-01", "2026-02-30"))).toEqual({ status: 400, code: "invalid_request" });
    // Real days: 31 inclusive is the most, one more is a range error.
    expect(await json(await daily("2028-02-01", "2028-03-02"), 200)).toMatchObject({ from: "2028-02-01", to: "2028-03-02", total: 0 });
    expect(await errorCode(await daily("2028-02-01", "2028-03-03"))).toEqual({ status: 400, code: "invalid_range" });
  });
});

describe("authority facility-tokens window", () => {
  const keys = authorityKeys(testEnv.TEST_AUTHORITY_SIGNING, testEnv.TEST_AUTHORITY_ENCRYPTION);
  const ask = async (body: unknown) =>
    send(await signedRequest(keys, BASE, { audience: "registry", path: "/authority/v1/facility-tokens", body: JSON.stringify(body) }));

  it("refuses moments past the bound (8.64e15 made the facility throw: a 500), answers up to it", async () => {
    const { facilityId } = await activeFacility();
    const huge = 8_640_000_000_000_000;
    for (const [from, to] of [
      [huge, huge + 1000],
      [EPOCH_MS_MAX - DAY, EPOCH_MS_MAX + 1],
    ]) {
      expect(await errorCode(await ask({ facilityId, from, to })), `${from}..${to}`).toEqual({ status: 400, code: "invalid_request" });
    }
    expect((await ask({ facilityId, from: EPOCH_MS_MAX - DAY, to: EPOCH_MS_MAX })).status).toBe(200);
  });
});
