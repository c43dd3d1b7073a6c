// Who may do what to a user account: everyone reads and changes their own, an admin (support) reads any, nobody
// changes another's.
import { describe, expect, it } from '@jest/globals';
import { AccessDeniedError } from '../../src/domain/errors.ts';
import { ensureOwnAccount, mayRead } from '../../src/users/user.service.ts';

describe('user account access', () => {
  it('when a customer reads their own account, then it is allowed', () => {
    expect(mayRead({ id: 5, role: 'customer' }, 5)).toBe(true);
  });

  it("when a customer reads another's account, then it is refused", () => {
    expect(mayRead({ id: 5, role: 'customer' }, 6)).toBe(false);
  });

  it('when an admin reads any account, then it is allowed', () => {
    expect(mayRead({ id: 1, role: 'admin' }, 6)).toBe(true);
  });

  it('when someone changes their own account, then it is allowed', () => {
    expect(() => ensureOwnAccount(5, 5)).not.toThrow();
  });

  it("when someone (even an admin) changes another's account, then access is denied with the message the API shows", () => {
    expect(() => ensureOwnAccount(1, 6)).toThrow(new AccessDeniedError('You can only change your own account'));
    expect(() => ensureOwnAccount(1, 6)).toThrow(AccessDeniedError);
  });
});
