-- One entry per national number and issuer, except entries superseded by a
-- corrected re-issue, which may keep the number. The service checks this
-- first for a helpful message; this index settles concurrent submissions.
CREATE UNIQUE INDEX documents_unique_number ON documents (issuer_org_id, national_number) WHERE status <> 'superseded';
