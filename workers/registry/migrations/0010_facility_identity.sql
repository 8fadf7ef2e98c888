-- R-F3, R-F9: which registrations are the same facility. A rejected one no
-- longer holds its (number, detailed address): the real business can register
-- there after a bogus one was rejected. An event is also told apart by its
-- start, so an organiser can register the next event at the same hall.
DROP INDEX facilities_number_detail;
CREATE UNIQUE INDEX facilities_number_detail ON facilities (business_number, address_detail, COALESCE(valid_from, 0))
  WHERE business_number IS NOT NULL AND status <> 'rejected';
