// A user or password in the URL's userinfo is percent-encoded there: it reaches the driver
// decoded once (`p%40ss` is the password p@ss), as the same value given in the query does.
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { pgTarget } from '../../src/sql/sinks/jdbcUrl.js';

/** What node-postgres sends: the user and password it reads from the connection string. */
const sent = (connectionString: string) => {
  const client = new pg.Client({ connectionString });
  return { user: client.user, password: client.password };
};
const credentials = (url: string) => sent(pgTarget(url, 't').connectionString);

describe('pgTarget userinfo', () => {
  it('decodes the userinfo before encoding it again (it was encoded twice)', () => {
    expect(credentials('postgresql://postgres:p%40ss@127.0.0.1:5432/test')).toEqual({ user: 'postgres', password: 'p@ss' });
    expect(credentials('jdbc:postgresql://us%3Aer:a%2Fb%25c@db:5432/test')).toEqual({ user: 'us:er', password: 'a/b%c' });
    expect(credentials('jdbc:postgresql://127.0.0.1:5432/test?user=postgres&password=p%40ss')).toEqual({ user: 'postgres', password: 'p@ss' });
  });

  it('keeps a % that starts no escape, and lets the properties win', () => {
    expect(credentials('postgresql://u:50%zz@h/db')).toEqual({ user: 'u', password: '50%zz' });
    expect(sent(pgTarget('postgresql://u:x@h/db', 't', { user: 'a@b', password: 'p%40' }).connectionString)).toEqual({ user: 'a@b', password: 'p%40' });
  });
});
