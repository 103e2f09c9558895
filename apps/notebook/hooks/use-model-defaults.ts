'use client';
// The served model's defaults, from GET /v1/models (SWR: fetched once per edge,
// shared by every cell). Until it answers, or when no runner is ready, cells use
// the built-in fallback and `loaded` is false.
import useSWR from 'swr';
import type { EdgeClient } from '../lib/edge-client.ts';
import type { ModelDefaults } from '../lib/model-defaults.ts';
import { defaultsFromModel, fallbackDefaults } from '../lib/model-defaults.ts';

export interface ModelDefaultsState {
  defaults: ModelDefaults;
  loaded: boolean;
  error: Error | undefined;
}

export function useModelDefaults(client: EdgeClient): ModelDefaultsState {
  const { data, error } = useSWR<ModelDefaults | undefined, Error>(['models', client.baseUrl, client], async () => {
    const models = await client.listModels();
    return models[0] ? defaultsFromModel(models[0]) : undefined;
  }, { revalidateOnFocus: false, shouldRetryOnError: true, errorRetryInterval: 5000 });
  return { defaults: data ?? fallbackDefaults, loaded: data !== undefined, error };
}
