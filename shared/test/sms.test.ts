import { describe, expect, it } from "vitest";
import { AppError, HttpSmsProvider, formatMobile, normalizeMobile } from "../src/index.js";

describe("mobile numbers", () => {
  it.each([
    ["010-1234-5678", "01012345678"],
    ["01012345678", "01012345678"],
    ["+82 10 1234 5678", "01012345678"],
    ["011-123-4567", "0111234567"],
  ])("accepts %s", (input, out) => expect(normalizeMobile(input)).toBe(out));

  it.each(["02-123-4567", "010-1234-567", "phone", "", "+1 415 555 0100", "010-1234-56789"])("refuses %s", (input) =>
    expect(normalizeMobile(input)).toBeNull(),
  );
});

describe("HTTP SMS provider", () => {
  it("posts the message with its key and reports a refusal as a 502 envelope", async () => {
    const seen: Request[] = [];
    const ok = new HttpSmsProvider("https://sms.example/send", "k-123", async (input, init) => {
      seen.push(new Request(input, init));
      return new Response(null, { status: 202 });
    });
    await ok.send({ to: "01012345678", text: "[KI-Pass] 123456" });
    expect(seen[0]!.headers.get("authorization")).toBe("Bearer k-123");
    expect(await seen[0]!.json()).toEqual({ to: "01012345678", text: "[KI-Pass] 123456" });

    const down = new HttpSmsProvider("https://sms.example/send", "k", async () => new Response("no", { status: 500 }));
    const err = await down.send({ to: "01012345678", text: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 502, code: "sms_failed" });
  });
  it("writes a mobile number as people do, and leaves anything else as it is", () => {
    expect(formatMobile("01012345678")).toBe("010-1234-5678");
    expect(formatMobile("+82 10 1234 5678")).toBe("010-1234-5678");
    expect(formatMobile("0111234567")).toBe("011-123-4567");
    expect(formatMobile("02-123-4567")).toBe("02-123-4567");
  });
});
