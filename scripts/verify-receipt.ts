/**
 * An auditor's check of a destruction receipt (R-O4):
 *   npm run verify-receipt -- <receipt.json> <jwks url or file>
 * The JWKS is the party's published `/.well-known/jwks.json` (a URL, or a
 * file saved from it). Exit 0 and a summary when the signature verifies and
 * the readable receipt is exactly what was signed; exit 1 otherwise.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseJwks, verifyReceipt, type Jwks, type ReceiptCheck } from "../shared/src/index.js";

export async function loadJwks(source: string): Promise<Jwks> {
  const text = /^https?:\/\//.test(source) ? await (await fetch(source)).text() : readFileSync(source, "utf8");
  const jwks = parseJwks(text);
  if (!jwks) throw new Error(`${source} is not a JWKS`);
  return jwks;
}

export async function verifyReceiptFile(receiptPath: string, jwksSource: string): Promise<ReceiptCheck> {
  let file: unknown;
  try {
    file = JSON.parse(readFileSync(receiptPath, "utf8")) as unknown;
  } catch {
    return { ok: false, reason: `${receiptPath} is not JSON` };
  }
  return verifyReceipt(file, await loadJwks(jwksSource));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [receiptPath, jwksSource] = process.argv.slice(2);
  if (!receiptPath || !jwksSource) {
    console.error("usage: npm run verify-receipt -- <receipt.json> <jwks url or file>");
    process.exit(2);
  }
  const check = await verifyReceiptFile(receiptPath, jwksSource);
  if (!check.ok) {
    console.error(`NOT VERIFIED: ${check.reason}`);
    process.exit(1);
  }
  const r = check.receipt;
  console.log(`VERIFIED: destruction receipt of ${r.party} (${r.partyName})`);
  console.log(`  ${new Date(r.startedAt).toISOString()} → ${new Date(r.completedAt).toISOString()}`);
  for (const [what, n] of Object.entries(r.destroyed)) console.log(`  ${what}: ${n}`);
  console.log(`  day keys destroyed: ${r.keyIds.length}${r.keyIds.length ? ` (${r.keyIds.slice(0, 3).join(", ")}${r.keyIds.length > 3 ? ", …" : ""})` : ""}`);
}
