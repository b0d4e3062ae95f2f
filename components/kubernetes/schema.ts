/**
 * TRANSITIONAL: the env backend's settings moved to `components/env/schema.ts`; this type-only
 * re-export remains until `components/environment.ts` imports them from there.
 */
export type { EnvBackendSettings, EnvBackendSettingsInput } from "../env/schema";
