import { z } from 'zod';
import { activateVersion, activeVersion, listVersions } from '../../model/versions.ts';
import { route } from '../route.ts';

const versionParams = z.strictObject({
  version: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._-]+$/, 'a version id from GET /v1/models'),
});

export const modelRoutes = [
  route({
    method: 'GET',
    url: '/v1/models',
    summary:
      'The trained model versions in the store, newest first: created-at, data and config hash, offline metrics, training seconds; which one is active and which one this server serves.',
    tag: 'models',
    access: 'admin',
    async handler(_input, ctx) {
      const active = (await activeVersion(ctx.store))?.version;
      const versions = await listVersions(ctx.store);
      return {
        active: active ?? null,
        serving: ctx.engine.modelVersion ?? null,
        versions: versions.map((v) => ({ ...v, active: v.version === active })),
      };
    },
  }),
  route({
    method: 'POST',
    url: '/v1/models/:version/activate',
    summary:
      'Makes a stored version the active one (roll back or forward) and swaps this server to it without failing a request; other servers over the same store follow within engine.modelPollSeconds. Unknown version: 404.',
    tag: 'models',
    access: 'admin',
    params: versionParams,
    async handler({ params }, ctx) {
      const active = await activateVersion(ctx.store, params.version);
      const serving = (await ctx.engine.reloadModel?.()) ?? ctx.engine.modelVersion;
      return { active: active.version, activatedAt: active.activatedAt, serving: serving ?? null };
    },
  }),
];
