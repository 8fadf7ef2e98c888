/** The local stack: one `wrangler dev` per deployment, as separate accounts would be. */
export type Kind = "issuer" | "registry" | "authority" | "scanner-ui";

export interface Deployment {
  env: string;
  kind: Kind;
  port: number;
  inspectorPort: number;
  d1: boolean;
  /** Has cron triggers in wrangler.toml, which wrangler dev does not fire: the stack does (deployment-process.ts). */
  cron: boolean;
}

/** KIPASS_PORT_OFFSET shifts every port, so two stacks can run side by side. */
const offset = Number(process.env.KIPASS_PORT_OFFSET ?? 0);

export const DEPLOYMENTS: readonly Deployment[] = (
  [
    { env: "naver", kind: "issuer", port: 8701, inspectorPort: 9701, d1: true, cron: false },
    { env: "pass", kind: "issuer", port: 8702, inspectorPort: 9702, d1: true, cron: false },
    { env: "kakao", kind: "issuer", port: 8703, inspectorPort: 9703, d1: true, cron: false },
    { env: "registry", kind: "registry", port: 8710, inspectorPort: 9710, d1: true, cron: true },
    { env: "authority", kind: "authority", port: 8720, inspectorPort: 9720, d1: true, cron: false },
    { env: "scanner-ui", kind: "scanner-ui", port: 8730, inspectorPort: 9730, d1: false, cron: false },
  ] as const
).map((d) => ({ ...d, port: d.port + offset, inspectorPort: d.inspectorPort + offset }));

export const ISSUERS = DEPLOYMENTS.filter((d) => d.kind === "issuer");

export const localUrl = (d: Deployment): string => `http://127.0.0.1:${d.port}`;

export function deployment(env: string): Deployment {
  const d = DEPLOYMENTS.find((x) => x.env === env);
  if (!d) throw new Error(`unknown deployment "${env}" (one of ${DEPLOYMENTS.map((x) => x.env).join(", ")})`);
  return d;
}
