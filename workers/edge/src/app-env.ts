// Hono's environment for the edge app: the worker's bindings and what the auth
// middleware puts on the context.
import type { Scope } from './keys.ts';

export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: Scope[];
  ratePerMinute: number;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    apiKey: ApiKeyRecord;
    /** a job submission's admission place (jobs/admission.ts), given back once its job exists */
    leaveAdmission?: () => void;
  };
}
