/** The authority's key rings: signing (its requests) and encryption (answers sealed to it). */
import { memoize, parseKeyRing } from "@kipass/shared";

export const encryptionKeys = memoize((text) => parseKeyRing(text, "ENCRYPTION_KEYS"));
