"""The directory is consistent after the API fuzzer: run against the gateway's SQLite file.

Each check is a query that must return no rows; the script prints every violation and
exits 1 when there is one. Usage: store_check.py <passgate.db>
"""

import sqlite3
import sys

CHECKS = {
    "integrity_check": "SELECT * FROM pragma_integrity_check WHERE integrity_check != 'ok'",
    "foreign keys": "SELECT * FROM pragma_foreign_key_check",
    "group member that does not exist":
        "SELECT m.group_id, m.identity_id FROM group_members m "
        "LEFT JOIN identities i ON i.id = m.identity_id "
        "LEFT JOIN user_groups g ON g.id = m.group_id "
        "WHERE i.id IS NULL OR g.id IS NULL",
    "group member of another realm":
        "SELECT m.group_id, m.identity_id FROM group_members m "
        "JOIN identities i ON i.id = m.identity_id JOIN user_groups g ON g.id = m.group_id "
        "WHERE i.tenant_id != g.tenant_id OR i.realm_id != g.realm_id",
    "identity in a realm that does not exist":
        "SELECT i.id FROM identities i LEFT JOIN realms r "
        "ON r.tenant_id = i.tenant_id AND r.id = i.realm_id WHERE r.id IS NULL",
    "group in a realm that does not exist":
        "SELECT g.id FROM user_groups g LEFT JOIN realms r "
        "ON r.tenant_id = g.tenant_id AND r.id = g.realm_id WHERE r.id IS NULL",
    "binding job of a missing identity or another realm":
        "SELECT j.id FROM binding_jobs j LEFT JOIN identities i ON i.id = j.identity_id "
        "WHERE i.id IS NULL OR i.realm_id != j.realm_id OR i.tenant_id != j.tenant_id",
    "half-written binding job (COMPLETE without a credential, or a credential without COMPLETE)":
        "SELECT id, state, credential_id FROM binding_jobs "
        "WHERE (state = 'COMPLETE') != (credential_id IS NOT NULL)",
    "binding job of a batch that does not exist":
        "SELECT j.id, j.batch_id FROM binding_jobs j LEFT JOIN binding_batches b "
        "ON b.id = j.batch_id WHERE j.batch_id IS NOT NULL AND b.id IS NULL",
    "binding job in an unknown state":
        "SELECT id, state FROM binding_jobs WHERE state NOT IN "
        "('LINK_SENT', 'LINK_OPENED', 'COMPLETE', 'EXPIRED', 'FAILED_TO_SEND', 'REVOKED')",
    "identity in an unknown status":
        "SELECT id, status, enrollment_status FROM identities "
        "WHERE status NOT IN ('active', 'suspended') OR enrollment_status NOT IN "
        "('ENROLLED', 'PENDING', 'INVITE_FAILED', 'UNENROLLED')",
    "two identities with one username in a realm":
        "SELECT tenant_id, realm_id, username_key, count(*) FROM identities "
        "GROUP BY tenant_id, realm_id, username_key HAVING count(*) > 1",
    "written identity without an audit event":
        "SELECT i.id FROM identities i WHERE NOT EXISTS "
        "(SELECT 1 FROM audit_events a WHERE a.target_ids LIKE '%' || i.id || '%')",
}


def main() -> int:
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    counts = {
        t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("realms", "identities", "user_groups", "group_members", "binding_jobs",
                  "binding_batches", "audit_events")
    }
    print("store:", ", ".join(f"{t} {n}" for t, n in counts.items()))
    bad = 0
    for name, sql in CHECKS.items():
        rows = db.execute(sql).fetchall()
        if rows:
            bad += 1
            print(f"INCONSISTENT: {name}: {rows[:10]}")
    print("store check:", "FAILED" if bad else "consistent")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
