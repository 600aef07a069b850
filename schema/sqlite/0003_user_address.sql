-- One name on both backends for the column that holds a user's address:
-- `user_address`, as in schema/postgres (where `user` is a reserved word), so
-- the two stores' SQL reads alike. Indexes, keys and foreign keys follow the
-- rename; the data stays where it is.
ALTER TABLE devices RENAME COLUMN user TO user_address;
ALTER TABLE one_time_prekeys RENAME COLUMN user TO user_address;
ALTER TABLE link_codes RENAME COLUMN user TO user_address;
ALTER TABLE members RENAME COLUMN user TO user_address;
ALTER TABLE mailbox RENAME COLUMN user TO user_address;
ALTER TABLE remote_devices RENAME COLUMN user TO user_address;
