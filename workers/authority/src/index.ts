/**
 * Authority (방역당국, KDCA): when a case is confirmed, investigators send
 * signed requests to every issuer and the registry and join their sealed
 * answers into a contact list (R-A1..R-A5). Investigators sign in; every
 * action is attributed to a person and a case and appended to the audit chain.
 */
import { createApp, mountOperations, mountPartyBasics, signingKeys } from "@kipass/shared";
import type { AuthorityEnv } from "./context.js";
import { encryptionKeys } from "./keys.js";
import { authorityOperations } from "./operations.js";
import { investigatorPage } from "./page.js";
import { mountCaseAudit, mountCaseRoutes } from "./routes/cases.js";
import { mountPartyRoutes } from "./routes/parties.js";
import { mountSafeNumberRoutes } from "./routes/safe-numbers.js";
import { mountSessionRoutes } from "./routes/session.js";
import { mountTraceRoutes } from "./routes/traces.js";

export const app = createApp<AuthorityEnv>({
  title: "KI-Pass authority",
  description: "Contact tracing for confirmed cases over audited, signed requests to the issuers and the registry.",
});

mountPartyBasics(app, {
  identity: (env) => ({ id: env.PARTY_ID, name: env.PARTY_NAME }),
  keyRings: (env) => [signingKeys(env.SIGNING_KEYS), encryptionKeys(env.ENCRYPTION_KEYS)],
  page: investigatorPage,
});
mountSessionRoutes(app);
mountCaseRoutes(app);
mountCaseAudit(app);
mountPartyRoutes(app);
mountTraceRoutes(app);
mountOperations(app, authorityOperations);
mountSafeNumberRoutes(app);

export default app satisfies ExportedHandler<Env>;
