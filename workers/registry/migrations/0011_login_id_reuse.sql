-- R-F5: a removed staff account's login ID can be given to a new one (the
-- next person at "정문 입구" keeps the device's ID). Removal now renames the
-- removed row's ID to "<login id>~<account id>" ("~" is never in a login ID), so
-- only live accounts hold an ID; this frees the IDs of accounts removed before.
UPDATE accounts SET login_id = login_id || '~' || id WHERE removed_at IS NOT NULL AND instr(login_id, '~') = 0;
