/** The session key `user:<user_id>:<role>`: built by makeSessionKey, read back by parseSessionKey. */
import fc from 'fast-check';
import { makeSessionKey, parseSessionKey } from '../../../src/shared/ids';

describe('makeSessionKey', () => {
  it('builds user:<user_id>:<role>', () => {
    expect(makeSessionKey('42', 'lead')).toBe('user:42:lead');
  });

  it('round-trips through parseSessionKey for any non-empty id and role without a colon', () => {
    const part = fc.string({ minLength: 1 }).filter((s) => !s.includes(':'));
    fc.assert(
      fc.property(part, part, (userId, role) => {
        expect(parseSessionKey(makeSessionKey(userId, role))).toEqual({ userId, role });
      }),
    );
  });

  it('a part with a colon (or an empty one) makes a key parseSessionKey refuses', () => {
    expect(parseSessionKey(makeSessionKey('a:b', 'lead'))).toBeNull();
    expect(parseSessionKey(makeSessionKey('42', ''))).toBeNull();
    expect(parseSessionKey(makeSessionKey('', 'lead'))).toBeNull();
  });
});

describe('parseSessionKey', () => {
  it.each(['', 'user:42', 'team:42:lead', 'user:42:lead:extra', '42:lead'])(
    '%j is not a session key',
    (key) => {
      expect(parseSessionKey(key)).toBeNull();
    },
  );
});
