-- Registration numbers are unique per country regardless of letter case, so
-- that urn:ecert:org:UZ:cb-0042 and urn:ecert:org:UZ:CB-0042 cannot name two
-- different organisations.
CREATE UNIQUE INDEX organisations_number_case ON organisations (coalesce(country, ''), upper(registration_number));
