-- Demo data for a local installation. Idempotent: fixed ids, ON CONFLICT DO NOTHING.
-- Demo rows are marked "(Demo)" so nobody mistakes them for real customers.
INSERT INTO leads (id, name, email, instagram_handle, message, locale, consent_at, dedupe_key,
                   created_at, confirmation_sent_at, notification_sent_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'Lena Beispiel (Demo)', 'lena@example.com',
        'lena.bakes', 'Wir sind eine Bäckerei in Köln und möchten auf Instagram wachsen.', 'de',
        now(), md5('demo-lead-1'), now() - interval '2 days', now() - interval '2 days',
        now() - interval '2 days')
ON CONFLICT (id) DO NOTHING;
