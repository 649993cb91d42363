import { createContext, useContext } from "react";

/**
 * The CSP nonce of this response (lib/http/security-headers.ts), for Remix's inline scripts. Set by
 * app/entry.server.tsx; in the browser it is empty, which is right: hydration adds no inline script.
 */
export const NonceContext = createContext<string | undefined>(undefined);

export const useNonce = () => useContext(NonceContext);
