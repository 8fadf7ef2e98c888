// The stack tests talk to wrangler dev as the demo and the operator do: through localFetch (scripts/local-fetch.ts).
import { useLocalFetchGlobally } from "../../scripts/local-fetch.js";

useLocalFetchGlobally();
