import { z } from "zod";

// why: zod 4 probes whether `new Function` works to compile fast parsers; under our CSP (no
// 'unsafe-eval', docs/decisions/0021) the probe is refused and reported as a violation on every
// page. In the browser the interpreted parser is plenty; the server keeps the compiled one.
// Imported first by app/root.tsx, so it runs before any route module builds a schema.
if (typeof document !== "undefined") z.config({ jitless: true });
