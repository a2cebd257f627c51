// Backend registry, after tfjs-core's: backends are probed in priority order
// cuda > cpu > gpujs > js and the first that initialises wins. TRIMNET_BACKEND or setBackend()
// force one; asking for one that is not available is a clear error that says why.

import { BackendError, expected } from '../errors.js';
import { loadAddon } from './addon.js';
import { createCpuBackend } from './cpu.js';
import { probeCuda } from './cuda.js';
import { probeGpujs } from './gpujs.js';
import { jsBackend } from './js.js';
import { BACKEND_NAMES, type Backend, type BackendName } from './types.js';

export interface BackendAvailability {
  name: BackendName;
  available: boolean;
  reason?: string;
}

type Probe = { backend: Backend | null; reason?: string };

const probes: Record<BackendName, () => Probe> = {
  cuda: () => {
    const { addon, error, disabled } = loadAddon();
    if (!addon) return { backend: null, reason: disabled ? error! : `addon failed to load: ${error}` };
    return probeCuda(addon);
  },
  cpu: () => {
    const { addon, error, disabled } = loadAddon();
    if (!addon) return { backend: null, reason: disabled ? error! : `addon failed to load: ${error}` };
    return { backend: createCpuBackend(addon) };
  },
  gpujs: () => probeGpujs(),
  js: () => ({ backend: jsBackend }),
};

const probed = new Map<BackendName, Probe>();
let current: Backend | null = null;
let warnedFallback = false;

function probe(name: BackendName): Probe {
  let p = probed.get(name);
  if (!p) {
    try {
      p = probes[name]();
    } catch (err) {
      p = { backend: null, reason: err instanceof Error ? err.message : String(err) };
    }
    probed.set(name, p);
  }
  return p;
}

/** Every backend, whether it works on this machine, and if not, why. */
export function availableBackends(): BackendAvailability[] {
  return BACKEND_NAMES.map((name) => {
    const p = probe(name);
    return p.backend ? { name, available: true } : { name, available: false, reason: p.reason ?? 'unavailable' };
  });
}

function isBackendName(v: unknown): v is BackendName {
  return typeof v === 'string' && (BACKEND_NAMES as readonly string[]).includes(v);
}

/** Forces a backend; throws a BackendError that says why when it is not available here. */
export function setBackend(name: BackendName): Backend {
  if (!isBackendName(name)) throw expected(`one of ${BACKEND_NAMES.join(', ')}`, 'backend', name);
  const p = probe(name);
  if (!p.backend) throw new BackendError(`Backend '${name}' is not available: ${p.reason ?? 'unknown reason'}`);
  current = p.backend;
  return current;
}

/** The backend in use: the forced one, else TRIMNET_BACKEND, else the best available. */
export function getBackend(): Backend {
  if (current) return current;
  const forced = process.env.TRIMNET_BACKEND;
  if (forced) {
    if (!isBackendName(forced)) throw expected(`one of ${BACKEND_NAMES.join(', ')}`, 'TRIMNET_BACKEND', forced);
    return setBackend(forced);
  }
  for (const name of BACKEND_NAMES) {
    const p = probe(name);
    if (p.backend) {
      current = p.backend;
      if (name !== 'cuda' && name !== 'cpu' && !warnedFallback) {
        warnedFallback = true;
        process.emitWarning(`trimnet: native addon unavailable (${probe('cpu').reason}); using the '${name}' backend`);
      }
      return current;
    }
  }
  return jsBackend; // unreachable: js is always available
}

/** A specific backend if available (for tests and benchmarks), else null. */
export function tryBackend(name: BackendName): Backend | null {
  return probe(name).backend;
}
