/** A user reference: 16 random bytes (sealed into every QR handle), hex in D1 and as the UserTokens name. */
import { USER_REF_BYTES, randomBytes, type Bytes } from "@kipass/shared";

export const newUserRef = (): string => toHex(randomBytes(USER_REF_BYTES));
export const toHex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
export const fromHex = (hex: string): Bytes => new Uint8Array((hex.match(/../g) ?? []).map((b) => parseInt(b, 16)));
