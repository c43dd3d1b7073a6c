// Tells every API process when a user's token check may have a new answer: a role or credential-version change, or
// the user's deletion, sends NOTIFY user_credentials, '<user id>' (delivered on commit). The API remembers token
// checks only while it hears these (src/api/auth/credentials.ts), whichever process or tool changed the row.
import { Migration } from '@mikro-orm/migrations';

export class UserCredentialNotifications extends Migration {
  override name = '0007-user-credential-notifications';

  override up(): void {
    this.addSql(`
      create function notify_user_credentials() returns trigger language plpgsql as $$
      begin
        perform pg_notify('user_credentials', old.id::text);
        return null;
      end $$`);
    this.addSql(`
      create trigger users_credentials_changed after update of role, credential_version or delete on users
        for each row execute function notify_user_credentials()`);
  }
}
