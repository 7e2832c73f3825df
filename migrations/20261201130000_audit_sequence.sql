-- The runtime role draws audit log ids but cannot move the sequence (setval) and so leave
-- gaps or reuse numbers that an auditor would read as missing or forged entries.
REVOKE UPDATE ON SEQUENCE audit_log_id_seq FROM growthdesk_runtime;
