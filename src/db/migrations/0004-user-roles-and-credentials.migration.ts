// Roles and token invalidation. `role` is admin or customer (the seeded admin becomes admin); `credential_version`
// goes up whenever the password changes, and every token names the version it was issued for, so changing the
// password (or deleting the user) ends every token issued before.
import { Migration } from '@mikro-orm/migrations';

export class UserRolesAndCredentials extends Migration {
  override name = '0004-user-roles-and-credentials';

  override up(): void {
    this.addSql(`alter table users add column role varchar(20) not null default 'customer'
                   constraint users_role_check check (role in ('customer', 'admin'))`);
    this.addSql('alter table users add column credential_version int not null default 1');
    this.addSql(`update users set role = 'admin' where email = 'admin@example.com'`);
  }
}
