/**
 * Malformed inputs for every public endpoint (issue 7, item 2), shared by the
 * workers' fuzz tests (workers/<worker>/test/fuzz.test.ts), which run inside
 * workerd. The routes come from the worker's own /openapi.json, so a new
 * route is fuzzed without anyone writing a generator for it: its documented
 * body, path and query shapes are mutated into inputs the route must refuse.
 *
 * Every answer must be a 4xx carrying the one error envelope
 * `{ error: { code, message } }` as JSON (never a 5xx), and — checked by the
 * caller around each route — nothing may be stored.
 */
import fc from "fast-check";
import { DEFAULT_BODY_LIMIT, SIGNATURE_HEADER, TOKEN_PREFIX } from "../shared/src/index.js";
import { recordFigure } from "./reliability.js";

// ---------- the documented routes ----------

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  $ref?: string;
}

interface OpenApiParameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  security?: unknown[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface FuzzRoute {
  method: string;
  /** OpenAPI template, e.g. "/v1/sessions/{id}". */
  path: string;
  params: { name: string; schema: JsonSchema }[];
  query: { name: string; required: boolean; schema: JsonSchema }[];
  /** The JSON body schema, dereferenced; null when the route takes no body. */
  body: JsonSchema | null;
}

export const routeKey = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

/** Every operation of an OpenAPI document, with its schemas dereferenced. */
export function documentedRoutes(doc: OpenApiDocument): FuzzRoute[] {
  const deref = (s: JsonSchema | undefined, depth = 0): JsonSchema => {
    if (!s || depth > 8) return {};
    if (s.$ref) return deref(doc.components?.schemas?.[s.$ref.replace("#/components/schemas/", "")], depth + 1);
    const out: JsonSchema = { ...s };
    if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, deref(v, depth + 1)]));
    if (s.items) out.items = deref(s.items, depth + 1);
    for (const k of ["anyOf", "oneOf", "allOf"] as const) if (s[k]) out[k] = s[k]!.map((v) => deref(v, depth + 1));
    return out;
  };
  const routes: FuzzRoute[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      const json = op.requestBody?.content?.["application/json"]?.schema;
      routes.push({
        method: method.toUpperCase(),
        path,
        params: params.filter((p) => p.in === "path").map((p) => ({ name: p.name, schema: deref(p.schema) })),
        query: params.filter((p) => p.in === "query").map((p) => ({ name: p.name, required: p.required === true, schema: deref(p.schema) })),
        body: json ? deref(json) : null,
      });
    }
  }
  return routes;
}

/** The handlers a Hono app really has (middleware excluded), as "METHOD /path/{param}". */
export function mountedRoutes(app: { routes: { method: string; path: string }[] }): string[] {
  return [...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => routeKey({ method: r.method, path: r.path.replace(/:(\w+)/g, "{$1}") })))].sort();
}

// ---------- strings ----------

/** Unicode that breaks naive code: lone surrogates, bidi overrides, NUL, stacked combining marks, BOM, zero-width, astral. */
export const UNICODE_EDGES = [
  "\uD800",
  "\uDFFF",
  "a\uDC00b",
  "\u202Egnp.exe",
  "\u200F\u0627\u0644\u0639\u0631\u0628\u064A\u0629",
  "\u0000",
  "x\u0000y",
  "e" + "\u0301".repeat(200),
  "\uFEFF",
  "\u200B\u200C\u200D",
  "\uFFFF\uFFFE",
  "𝕂𝕀-ℙ𝕒𝕤𝕤 👩‍👩‍👧‍👦",
  "홍길동\u0000",
  "\r\n\t",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "%00%2e%2e",
  "%",
  "%zz",
  "%ED%A0%80",
  "%C0%AF",
  "NaN",
  "-0",
] as const;

/** Arbitrary text of every kind, up to very long. */
export const junkString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(...UNICODE_EDGES),
  fc.tuple(fc.constantFrom(...UNICODE_EDGES), fc.integer({ min: 100, max: 4000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length))),
);

/** Header-safe junk (header values are byte strings: no NUL, CR, LF, nothing above U+00FF). */
export const headerJunk: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
  fc.string({ unit: "binary", maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e\xa0-\xff]/g, "")),
  fc.integer({ min: 1, max: 6000 }).map((n) => "A".repeat(n)),
);

// ---------- tokens and credentials ----------

const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/** Changes exactly one character of `s` (to a different one). */
export const oneCharChange = (s: string, alphabet: string): fc.Arbitrary<string> =>
  fc.tuple(fc.nat({ max: s.length - 1 }), fc.nat({ max: alphabet.length - 2 })).map(([i, j]) => {
    const others = [...alphabet].filter((ch) => ch !== s[i]);
    return s.slice(0, i) + others[j % others.length] + s.slice(i + 1);
  });

/** Everything a scanner could be shown that is not a valid KP1 token, given real ones to mutate. */
export function badTokens(real: string[]): fc.Arbitrary<string> {
  const one = fc.constantFrom(...real);
  const body = (t: string) => t.slice(TOKEN_PREFIX.length);
  return fc.oneof(
    junkString,
    fc.string({ unit: fc.constantFrom(...BASE45), minLength: 1, maxLength: 300 }).map((s) => TOKEN_PREFIX + s), // base45 garbage
    one.chain((t) => fc.nat({ max: t.length - 1 }).map((n) => t.slice(0, n))), // truncated
    one.chain((t) => oneCharChange(body(t), BASE45).map((b) => TOKEN_PREFIX + b)), // one character changed
    one.chain((t) => fc.constantFrom("KP2:", "kp1:", "KP1", "KP1::", "KP1:KP1:", "", " KP1:").map((p) => p + body(t))), // wrong prefix
    one.map((t) => t + "A"), // extra character
    one.map((t) => t.toLowerCase()),
  );
}

/** What a malformed Authorization or KP-Signature header can look like, given valid values to corrupt. */
export function badAuthHeaders(valid: { authorization?: string[]; signature?: Record<string, string>[] }): fc.Arbitrary<Record<string, string>> {
  const variants: fc.Arbitrary<Record<string, string>>[] = [
    fc.constant({}),
    headerJunk.map((v) => ({ authorization: v })),
    headerJunk.map((v) => ({ authorization: `Bearer ${v}` })),
    fc.constantFrom("Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b", "Token abc", "Bearer " + "x".repeat(300)).map((v) => ({ authorization: v })),
    headerJunk.map((v) => ({ [SIGNATURE_HEADER]: v })),
    fc.array(fc.base64String({ maxLength: 80 }).map((s) => s.replace(/=/g, "").replace(/\+/g, "-").replace(/\//g, "_")), { minLength: 3, maxLength: 3 }).map((p) => ({ [SIGNATURE_HEADER]: p.join(".") })),
  ];
  const bearers = valid.authorization ?? [];
  if (bearers.length) {
    const credential = fc.constantFrom(...bearers);
    const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-.";
    variants.push(
      credential.chain((v) => fc.nat({ max: v.length - 1 }).map((n) => ({ authorization: `Bearer ${v.slice(0, n)}` }))),
      credential.chain((v) => oneCharChange(v, alphabet).map((c) => ({ authorization: `Bearer ${c}` }))),
      credential.map((v) => ({ authorization: `Bearer ${v}x` })),
      credential.map((v) => ({ authorization: v })), // no scheme
    );
  }
  const signatures = valid.signature ?? [];
  if (signatures.length) {
    const jws = fc.constantFrom(...signatures);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    variants.push(
      jws, // well-formed but refused as given (wrong key, no case, no purpose, wrong target, expired…)
      jws.chain((v) => fc.nat({ max: v[SIGNATURE_HEADER]!.length - 1 }).map((n) => ({ [SIGNATURE_HEADER]: v[SIGNATURE_HEADER]!.slice(0, n) }))),
      jws.chain((v) => oneCharChange(v[SIGNATURE_HEADER]!, alphabet).map((c) => ({ [SIGNATURE_HEADER]: c }))),
    );
  }
  return fc.oneof(...variants);
}

// ---------- bodies ----------

const typesOf = (s: JsonSchema): string[] => {
  if (s.const !== undefined) return [typeof s.const === "number" ? "number" : typeof s.const];
  if (s.enum) return [...new Set(s.enum.map((v) => (typeof v === "number" ? "number" : typeof v)))];
  if (s.type) return (Array.isArray(s.type) ? s.type : [s.type]).map((t) => (t === "integer" ? "number" : t));
  const alts = s.anyOf ?? s.oneOf ?? s.allOf;
  if (alts) return [...new Set(alts.flatMap(typesOf))];
  return [];
};

/** A value of the documented shape (its strings need not pass their patterns). */
function skeleton(s: JsonSchema, text: string): unknown {
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const alt = (s.anyOf ?? s.oneOf ?? s.allOf)?.[0];
  if (alt) return skeleton(alt, text);
  switch (typesOf(s)[0]) {
    case "object":
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, skeleton(v, text)]));
    case "array":
      return s.items ? Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => skeleton(s.items!, text)) : [];
    case "number":
      return 1;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return text;
  }
}

const WRONG_VALUES: Record<string, unknown[]> = {
  string: [12345, true, null, [], {}, ["a"]],
  number: ["1", true, null, [], {}, 1.5e308 * 10 > 0 ? "Infinity" : 0],
  boolean: ["true", 1, 0, null, [], {}],
  object: ["{}", 1, true, null, [], [{}]],
  array: ["[]", 1, true, null, {}],
  null: [0, "", false, [], {}],
};

/** A value the schema does not allow by type. */
const wrongTyped = (s: JsonSchema): fc.Arbitrary<unknown> => {
  const allowed = typesOf(s);
  const wrong = Object.entries(WRONG_VALUES)
    .filter(([t]) => !allowed.includes(t))
    .flatMap(([, values]) => values)
    .filter((v) => !allowed.includes(v === null ? "null" : Array.isArray(v) ? "array" : typeof v));
  return wrong.length ? fc.constantFrom(...wrong) : fc.constant(Symbol.for("unrepresentable"));
};

export interface FuzzBody {
  /** The bytes sent (a string is sent as UTF-8). */
  text: string;
  why: string;
}

/**
 * Bodies a route documented with `schema` must refuse: not JSON, the wrong
 * JSON type, a required field missing, an unknown field, a field of the wrong
 * type or over its length — with unicode edge cases in the other strings.
 */
export function refusedBody(schema: JsonSchema): fc.Arbitrary<FuzzBody> {
  const isObject = typesOf(schema).includes("object") && !!schema.properties;
  const props = Object.entries(schema.properties ?? {});
  const required = (schema.required ?? []).filter((k) => schema.properties?.[k]);
  const strictObject = schema.additionalProperties === false;
  const base = fc.oneof(fc.constant("x"), junkString).map((t) => skeleton(schema, t) as Record<string, unknown>);
  const stringify = (why: string) => (v: unknown) => ({ text: JSON.stringify(v), why });

  const variants: fc.Arbitrary<FuzzBody>[] = [
    fc.string({ maxLength: 80 }).map((s) => ({ text: `${s},}`, why: "not JSON" })),
    base.chain((v) => {
      const full = JSON.stringify(v);
      return fc.nat({ max: Math.max(0, full.length - 2) }).map((n) => ({ text: full.slice(0, n), why: "truncated JSON" }));
    }),
    fc.constantFrom("", "{", "}", "[", "null,", "{'a':1}", '{"a":1,}', "undefined", "NaN", '{"a":01}', "\u0000{}").map((text) => ({ text, why: "not JSON" })),
  ];
  if (isObject) {
    variants.push(
      fc.oneof(fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), junkString, fc.integer(), fc.boolean()).map(stringify("not an object")),
    );
    if (required.length) {
      variants.push(fc.tuple(base, fc.constantFrom(...required)).map(([v, k]) => ({ text: JSON.stringify({ ...v, [k]: undefined }), why: `missing ${k}` })));
    }
    if (strictObject) {
      const known = new Set(props.map(([k]) => k));
      const extraKey = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom("__proto__", "constructor", "prototype", "toString")).filter((k) => !known.has(k));
      variants.push(
        fc.tuple(base, extraKey, fc.jsonValue({ maxDepth: 2 })).map(([v, k, x]) => ({ text: `${JSON.stringify(v).slice(0, -1)}${props.length ? "," : ""}${JSON.stringify(k)}:${JSON.stringify(x ?? null)}}`, why: `extra field ${k}` })),
        fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 5 }).map(stringify("unknown fields only")),
      );
    }
    const typed = props.filter(([, s]) => typesOf(s).length > 0);
    if (typed.length) {
      variants.push(
        fc
          .tuple(base, fc.constantFrom(...typed))
          .chain(([v, [k, s]]) => wrongTyped(s).map((w) => ({ v, k, w })))
          .filter(({ w }) => typeof w !== "symbol")
          .map(({ v, k, w }) => ({ text: JSON.stringify({ ...v, [k]: w }), why: `${k} of the wrong type` })),
      );
    }
    const bounded = props.filter(([, s]) => typeof s.maxLength === "number");
    if (bounded.length) {
      variants.push(
        fc
          .tuple(base, fc.constantFrom(...bounded), fc.constantFrom(...UNICODE_EDGES, "a", "가"), fc.integer({ min: 1, max: 3000 }))
          .map(([v, [k, s], unit, extra]) => {
            const want = (s.maxLength ?? 0) + extra;
            // Zod counts code points, not UTF-16 units: over the limit either way.
            const long = unit.repeat(Math.ceil(want / [...unit].length) + 1);
            return { text: JSON.stringify({ ...v, [k]: long }), why: `${k} over ${s.maxLength}` };
          }),
      );
    }
  } else {
    variants.push(fc.jsonValue().filter((v) => !typesOf(schema).includes(Array.isArray(v) ? "array" : v === null ? "null" : typeof v)).map(stringify("wrong JSON type")));
  }
  return fc.oneof(...variants);
}

/** Bodies at and over the shared 16 KiB limit (createApp), as a string or a stream without a length. */
export const oversizedBody = fc.record({
  size: fc.constantFrom(DEFAULT_BODY_LIMIT + 1, DEFAULT_BODY_LIMIT + 2, DEFAULT_BODY_LIMIT * 2, 256 * 1024),
  streamed: fc.boolean(),
  unit: fc.constantFrom("a", "가", '{"a":"'),
});

/** Content types a JSON route must refuse (415) or whose body it cannot read as its schema. */
export const wrongContentType = fc.constantFrom(
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/xml",
  "application/jsonx",
  "image/png",
  "json",
  "*/*",
);

// ---------- requests and answers ----------

export interface FuzzRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string>;
  body?: string | { size: number; unit: string; streamed: boolean };
  /** Why this input is malformed (shown when a run fails). */
  why: string;
  /** The status it must get, when only one is right (e.g. 413 over the body limit). */
  status?: number;
}

export function toRequest(base: string, r: FuzzRequest): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(r.headers)) headers.set(k, v);
  let body: BodyInit | undefined;
  if (typeof r.body === "string") body = r.body;
  else if (r.body) {
    const { size, unit, streamed } = r.body;
    const text = unit.repeat(Math.ceil(size / new TextEncoder().encode(unit).length));
    const bytes = new TextEncoder().encode(text);
    body = streamed
      ? new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
            controller.close();
          },
        })
      : bytes;
  }
  return new Request(base + r.path, { method: r.method, headers, body });
}

export const describeRequest = (r: FuzzRequest) =>
  `${r.method} ${r.path.slice(0, 120)} [${r.why}] headers=${JSON.stringify(r.headers).slice(0, 200)} body=${typeof r.body === "string" ? JSON.stringify(r.body.slice(0, 200)) : JSON.stringify(r.body)}`;

/** The answer is a 4xx error envelope in JSON (and `status`, when given). */
export async function expectRefusal(res: Response, r: FuzzRequest): Promise<void> {
  const text = await res.text();
  const fail = (why: string) => {
    throw new Error(`${why}: got ${res.status} ${text.slice(0, 200)} for ${describeRequest(r)}`);
  };
  if (res.status < 400 || res.status >= 500) fail("not a 4xx");
  if (r.status !== undefined && res.status !== r.status) fail(`expected ${r.status}`);
  if (!/^application\/json\b/.test(res.headers.get("content-type") ?? "")) fail("not JSON");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    fail("body does not parse");
  }
  const e = (body as { error?: { code?: unknown; message?: unknown } }).error;
  const keys = Object.keys(body as object);
  if (keys.length !== 1 || typeof e?.code !== "string" || !e.code || typeof e.message !== "string" || Object.keys(e).length !== 2) fail("not the error envelope");
}

/** For routes anyone may call with no input (health, keys, pages): never a 5xx, and a 4xx is the envelope. */
export async function expectNoServerError(res: Response, r: FuzzRequest): Promise<void> {
  if (res.status >= 400) return expectRefusal(res, r);
  await res.arrayBuffer();
}

// ---------- one route's malformed requests ----------

export interface Credential {
  name: string;
  /** Headers that make a request authentic (a session, or a signature over this exact request). */
  headers(method: string, path: string, body: string): Promise<Record<string, string>>;
}

export interface RouteFuzzOptions {
  route: FuzzRoute;
  /** Valid credentials the worker accepts: malformed inputs are also sent with each. */
  credentials: Credential[];
  /** Valid credential values to corrupt (bearer values, KP-Signature headers). */
  corruptible: { authorization?: string[]; signature?: Record<string, string>[] };
  /** Anyone may call it with no input and get a 2xx (health, keys, pages): only 5xx and broken 4xx are errors. */
  open: boolean;
  /** Route-specific inputs that are well-formed JSON but must still be refused (e.g. bad QR tokens to /v1/scan). */
  extra?: fc.Arbitrary<Omit<FuzzRequest, "method" | "path"> & { path?: string; credential?: number | null }>;
}

const BODYLESS = new Set(["GET", "HEAD"]);

/** Percent-encodes like a client would; a lone surrogate becomes the invalid UTF-8 a broken client would send. */
const encodeSegment = (v: string) => {
  try {
    return encodeURIComponent(v);
  } catch {
    return encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, "?")).replace(/%3F/g, "%ED%A0%80");
  }
};

/** Fills the path template; `bad` gives one parameter a value it must refuse. */
const fillPath = (route: FuzzRoute, bad: boolean): fc.Arbitrary<string> => {
  if (!route.params.length) return fc.constant(route.path);
  return fc.tuple(fc.nat({ max: route.params.length - 1 }), fc.array(junkString, { minLength: route.params.length, maxLength: route.params.length }), fc.constantFrom("x", "abc")).map(([which, junk, fine]) => {
    let path = route.path;
    route.params.forEach((p, i) => {
      const value = bad && i === which ? junk[i]! : fine;
      path = path.replace(`{${p.name}}`, encodeSegment(value));
    });
    return path;
  });
};

/** A query value a parameter must refuse (never one that passes its pattern). */
const badQueryValue = (schema: JsonSchema) => {
  const pattern = schema.pattern ? new RegExp(schema.pattern, "u") : null;
  return junkString.filter((v) => !pattern || !pattern.test(v));
};

/**
 * The malformed requests for one route: a bad body (sent without, with bad
 * and with valid credentials), a body over the limit, wrong content types,
 * bad credentials, bad path and query values, junk headers, and the route's
 * own extras. Each is malformed somewhere, so each must be refused.
 */
export function malformedRequests(o: RouteFuzzOptions): fc.Arbitrary<FuzzRequest & { credential: number | null }> {
  const { route } = o;
  const method = route.method;
  const withBody = !BODYLESS.has(method);
  const credential = fc.oneof(fc.constant(null), ...(o.credentials.length ? [fc.nat({ max: o.credentials.length - 1 })] : []));
  const authHeaders = badAuthHeaders(o.corruptible);
  const junkHeaders = fc.dictionary(
    fc.constantFrom("x-forwarded-for", "origin", "accept", "accept-encoding", "x-kipass-dev-now", "cookie", "x-junk", "if-none-match", "range"),
    fc.oneof(headerJunk, fc.constantFrom("9007199254740991", "-1", "1e400", "0", "8640000000000001")),
    { maxKeys: 3 },
  );
  const query = (bad: boolean): fc.Arbitrary<string> =>
    bad && route.query.length
      ? fc
          .constantFrom(...route.query)
          .chain((q) => badQueryValue(q.schema).map((v) => `?${encodeSegment(q.name)}=${encodeSegment(v)}`))
      : fc.constant("");
  const json = { "content-type": "application/json" };
  type Case = FuzzRequest & { credential: number | null };
  const variants: fc.Arbitrary<Case>[] = [];

  if (route.body) {
    // A malformed body, without, with a bad, or with a valid credential.
    variants.push(
      fc.tuple(refusedBody(route.body), fillPath(route, false), credential, authHeaders, fc.boolean()).map(([b, path, cred, bad, useBad]) => ({
        method,
        path,
        headers: { ...json, ...(cred === null && useBad ? bad : {}) },
        body: b.text,
        why: b.why,
        credential: cred,
      })),
      // The right content type missing or wrong, around a body that is itself malformed or not.
      fc.tuple(refusedBody(route.body), fc.option(wrongContentType, { nil: undefined }), fillPath(route, false), credential).map(([b, ct, path, cred]) => ({
        method,
        path,
        headers: ct ? { "content-type": ct as string } : ({} as Record<string, string>),
        body: b.text.length ? b.text : "{}",
        why: `content-type ${ct ?? "missing"}`,
        credential: cred,
      })),
    );
  }
  if (withBody) {
    variants.push(
      fc.tuple(oversizedBody, fillPath(route, false), credential, fc.boolean()).map(([body, path, cred, typed]) => ({
        method,
        path,
        headers: typed ? json : {},
        body,
        why: `body of ${body.size} bytes${body.streamed ? " (streamed, no length)" : ""}`,
        status: 413,
        credential: cred,
      })),
    );
  }
  if (!o.open && !route.body) {
    // Bad or missing credentials (routes with a body get them with malformed bodies above).
    variants.push(
      fc.tuple(authHeaders, fillPath(route, false), query(false), junkHeaders).map(([auth, path, q, junk]) => ({
        method,
        path: path + q,
        headers: { ...junk, ...auth },
        why: "bad credentials",
        credential: null,
      })),
    );
  }
  if (route.params.length) {
    variants.push(
      fc.tuple(fillPath(route, true), credential, route.body ? refusedBody(route.body) : fc.constant(null)).map(([path, cred, b]) => ({
        method,
        path,
        headers: b ? json : {},
        body: b && withBody ? b.text : undefined,
        why: `path parameter ${path}`,
        credential: cred,
      })),
    );
  }
  if (route.query.length) {
    variants.push(
      fc.tuple(query(true), credential).map(([q, cred]) => ({ method, path: route.path + q, headers: {}, why: `query ${q.slice(0, 60)}`, credential: cred })),
    );
  }
  if (o.open) {
    // Anyone may call it: junk headers, query and (where allowed) bodies must not break it.
    variants.push(
      fc.tuple(junkHeaders, authHeaders, fc.string({ maxLength: 30 }), withBody ? fc.option(junkString, { nil: undefined }) : fc.constant(undefined)).map(([junk, auth, q, body]) => ({
        method,
        path: `${route.path}?${encodeSegment(q)}=${encodeSegment(q)}`,
        headers: { ...junk, ...auth },
        body,
        why: "junk headers on an open route",
        credential: null,
      })),
    );
  }
  if (o.extra) {
    variants.push(o.extra.map((e) => ({ ...e, method, path: e.path ?? route.path, credential: e.credential ?? null })));
  }
  return fc.oneof(...variants);
}

/**
 * Sends `numRuns` malformed requests to one route and checks every answer;
 * returns how many were sent.
 */
export async function fuzzRoute(send: (req: Request) => Promise<Response>, base: string, o: RouteFuzzOptions, numRuns = 1000): Promise<number> {
  let sent = 0;
  const details = await fc.check(
    fc.asyncProperty(malformedRequests(o), async (r) => {
      const body = typeof r.body === "string" ? r.body : "";
      // A credential that cannot be made for this input (a path too long to sign) is left out: still malformed.
      const auth = r.credential === null ? {} : await o.credentials[r.credential]!.headers(r.method, r.path, body).catch(() => ({}));
      const req: FuzzRequest = { ...r, headers: { ...r.headers, ...auth } };
      const res = await send(toRequest(base, req));
      sent++;
      await (o.open && r.status === undefined ? expectNoServerError(res, req) : expectRefusal(res, req));
    }),
    { numRuns, endOnFailure: true },
  );
  // The refusal itself says what was sent and what came back; fast-check's report would bury it.
  if (details.failed) throw new Error(`after ${details.numRuns} runs (seed ${details.seed}): ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
  return sent;
}

// ---------- a whole worker ----------

export interface WorkerFuzz {
  /** "registry", "issuer", "authority": names the figure. */
  worker: string;
  base: string;
  send: (req: Request) => Promise<Response>;
  /** The worker's Hono app: its mounted handlers must be exactly the documented routes plus `undocumented`. */
  app: { routes: { method: string; path: string }[] };
  /** Handlers that are not in openapi.json (pages, the document itself, dev-only routes), described for fuzzing. */
  undocumented: FuzzRoute[];
  credentials: Credential[];
  /** Valid credential values to corrupt for this route. */
  corruptible(route: FuzzRoute): Promise<RouteFuzzOptions["corruptible"]>;
  /** Route-specific malformed inputs, by "METHOD /path". */
  extras?: Record<string, NonNullable<RouteFuzzOptions["extra"]>>;
  /** Everything the worker stores, by part (table or object); compared before and after each route. */
  snapshot(route: FuzzRoute): Promise<Record<string, string>>;
  numRuns?: number;
}

export interface WorkerFuzzResult {
  routes: string[];
  sent: number;
}

/**
 * Fuzzes every route the worker documents in /openapi.json (and the listed
 * undocumented ones): checks that the set is every handler the app mounts,
 * sends `numRuns` malformed requests per route, and checks that storage is
 * unchanged after each route's runs.
 */
export async function fuzzWorker(w: WorkerFuzz): Promise<WorkerFuzzResult> {
  const doc = (await (await w.send(new Request(`${w.base}/openapi.json`))).json()) as OpenApiDocument;
  const routes = [...documentedRoutes(doc), ...w.undocumented];
  const keys = routes.map(routeKey).sort();
  const mounted = mountedRoutes(w.app);
  if (JSON.stringify(keys) !== JSON.stringify(mounted)) {
    throw new Error(`fuzzed routes differ from the mounted ones:\n  not fuzzed: ${mounted.filter((k) => !keys.includes(k)).join(", ")}\n  not mounted: ${keys.filter((k) => !mounted.includes(k)).join(", ")}`);
  }
  for (const k of Object.keys(w.extras ?? {})) if (!keys.includes(k)) throw new Error(`extra inputs for ${k}, which is not a route`);
  let sent = 0;
  for (const route of routes) {
    const plain = !route.body && !route.params.length && !route.query.some((q) => q.required);
    const probe = plain ? await w.send(new Request(w.base + route.path, { method: route.method })) : null;
    const open = probe !== null && probe.status < 300;
    await probe?.arrayBuffer();
    const before = await w.snapshot(route);
    const options: RouteFuzzOptions = { route, credentials: w.credentials, corruptible: await w.corruptible(route), open, extra: w.extras?.[routeKey(route)] };
    try {
      sent += await fuzzRoute(w.send, w.base, options, w.numRuns ?? 1000);
    } catch (err) {
      throw new Error(`${routeKey(route)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const after = await w.snapshot(route);
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]);
    if (changed.length) throw new Error(`${routeKey(route)}: malformed requests changed storage: ${changed.join(", ")}`);
  }
  return { routes: keys, sent };
}

/** The handlers every party mounts outside openapi.json. */
export const LANDING_PAGE: FuzzRoute = { method: "GET", path: "/", params: [], query: [], body: null };
export const OPENAPI_DOCUMENT: FuzzRoute = { method: "GET", path: "/openapi.json", params: [], query: [], body: null };
/** Local stack only (DEV_MODE): the SMS outbox of a phone. */
export const DEV_OUTBOX: FuzzRoute = { method: "GET", path: "/dev/outbox", params: [], query: [{ name: "phone", required: true, schema: {} }], body: null };

/** Local stack only (DEV_MODE): seeding background visits for `npm run bench trace`. */
export const DEV_SEED_VISITS: FuzzRoute = {
  method: "POST",
  path: "/dev/seed-visits",
  params: [],
  query: [],
  body: {
    type: "object",
    required: ["facilities", "perFacility", "from", "to"],
    properties: { facilities: { type: "array" }, perFacility: { type: "integer" }, from: { type: "integer" }, to: { type: "integer" } },
  },
};

export const bearerCredential = (name: string, value: string): Credential => ({ name, headers: async () => ({ authorization: `Bearer ${value}` }) });

/**
 * fuzzWorker, then the figure for docs/reliability.md: how many malformed
 * requests were sent to how many endpoints (every one of them, numRuns each).
 */
export async function fuzzAndRecord(task: Parameters<typeof recordFigure>[0], w: WorkerFuzz): Promise<WorkerFuzzResult> {
  const result = await fuzzWorker(w);
  if (result.sent !== result.routes.length * (w.numRuns ?? 1000)) throw new Error(`sent ${result.sent} requests to ${result.routes.length} routes`);
  recordFigure(task, { area: "bad inputs tried", what: `${w.worker}: ${result.routes.length} endpoints × malformed bodies/headers/tokens/sizes`, count: result.sent });
  return result;
}
