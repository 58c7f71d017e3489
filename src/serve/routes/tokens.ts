import { z } from 'zod';
import { RecError } from '../../core/errors.ts';
import { idSchema } from '../../core/types.ts';
import { route } from '../route.ts';

const tokenBody = z.strictObject({
  user: idSchema,
  scope: z.enum(['read', 'events']).default('read'),
  ttlSeconds: z.number().int().min(10).optional(),
});

export const tokenRoutes = [
  route({
    method: 'POST',
    url: '/v1/tokens',
    summary:
      "Mint a short-lived user token for a browser: it reads and recommends for this one user of the key's tenant only (scope `events`, minted with an admin key: also records that user's events).",
    tag: 'auth',
    access: 'read',
    body: tokenBody,
    async handler({ body }, ctx, caller) {
      if (!ctx.tokens)
        throw new RecError('NOT_FOUND', 'user tokens are off: set server.tokenSecret', { field: 'path' });
      if (body.scope === 'events' && !caller.mayWrite) {
        throw new RecError('FORBIDDEN', 'a token that records events needs an admin key', { field: 'scope' });
      }
      const max = ctx.config.tokenTtlSeconds;
      if (body.ttlSeconds !== undefined && body.ttlSeconds > max) {
        throw new RecError('INVALID_INPUT', `at most ${max} seconds (server.tokenTtlSeconds)`, {
          field: 'ttlSeconds',
        });
      }
      const { token, expiresAt } = ctx.tokens.mint(
        { user: body.user, tenant: caller.tenant, scope: body.scope },
        body.ttlSeconds ?? max,
      );
      return { token, user: body.user, scope: body.scope, expiresAt };
    },
  }),
];
