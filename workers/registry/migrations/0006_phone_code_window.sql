-- R-F4: at most 5 SMS codes per phone per hour. The row stays for the hour
-- (a used or expired code is kept, unusable, until its window ends), so
-- neither a success nor the expiry cron starts the count again.
ALTER TABLE phone_codes ADD COLUMN window_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE phone_codes ADD COLUMN window_sends INTEGER NOT NULL DEFAULT 0;
