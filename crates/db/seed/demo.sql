-- Demo data for a local installation. Idempotent: fixed ids, ON CONFLICT DO NOTHING.
-- Demo rows are marked "(Demo)" so nobody mistakes them for real customers.
INSERT INTO leads (id, name, email, instagram_handle, message, locale, consent_at, dedupe_key,
                   created_at, confirmation_sent_at, notification_sent_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'Lena Beispiel (Demo)', 'lena@example.com',
        'lena.bakes', 'Wir sind eine Bäckerei in Köln und möchten auf Instagram wachsen.', 'de',
        now(), md5('demo-lead-1'), now() - interval '2 days', now() - interval '2 days',
        now() - interval '2 days')
ON CONFLICT (id) DO NOTHING;

-- The demo catalog: four categories, five products on sale (services one-off and monthly, a
-- bundle) and a draft. Prices are consumer prices in cents including 19 % VAT.
INSERT INTO categories (id, slug, name_de, name_en, position) VALUES
    ('00000000-0000-7000-8000-000000000101', 'follower', 'Follower', 'Followers', 1),
    ('00000000-0000-7000-8000-000000000102', 'likes', 'Likes', 'Likes', 2),
    ('00000000-0000-7000-8000-000000000103', 'views', 'Reel-Views', 'Reel views', 3),
    ('00000000-0000-7000-8000-000000000104', 'betreuung', 'Betreuung', 'Management', 4)
ON CONFLICT (id) DO NOTHING;

INSERT INTO products (id, slug, kind, category_id, target, name_de, name_en, summary_de,
                      summary_en, description_de, description_en, unit_de, unit_en, position)
VALUES
    ('00000000-0000-7000-8000-000000000201', 'instagram-follower', 'service',
     '00000000-0000-7000-8000-000000000101', 'handle',
     'Instagram-Follower', 'Instagram followers',
     'Echte, aktive Follower für Ihr Profil – schrittweise geliefert.',
     'Real, active followers for your profile, delivered step by step.',
     E'Mehr Follower machen Ihr Profil glaubwürdiger und sichtbarer.\n\n* Lieferung in kleinen Schritten, damit das Wachstum natürlich aussieht\n* Kein Passwort nötig: nur Ihr Profilname\n* Start innerhalb von 24 Stunden\n\n**Nachfüll-Garantie** optional: fällt die Zahl in 30 Tagen, füllen wir kostenlos auf.',
     E'More followers make your profile more credible and visible.\n\n* Delivered in small steps so that the growth looks natural\n* No password needed: just your profile name\n* Starts within 24 hours\n\n**Refill guarantee** optional: if the count drops within 30 days, we refill it for free.',
     'Follower', 'followers', 1),
    ('00000000-0000-7000-8000-000000000202', 'instagram-likes', 'service',
     '00000000-0000-7000-8000-000000000102', 'post',
     'Instagram-Likes', 'Instagram likes',
     'Likes für einen Beitrag oder ein Reel Ihrer Wahl.',
     'Likes for a post or reel of your choice.',
     E'Likes zeigen dem Algorithmus, dass Ihr Beitrag ankommt.\n\n* Für einen öffentlichen Beitrag oder ein Reel\n* Start innerhalb weniger Stunden',
     E'Likes tell the algorithm that your post resonates.\n\n* For one public post or reel\n* Starts within a few hours',
     'Likes', 'likes', 1),
    ('00000000-0000-7000-8000-000000000203', 'reel-views', 'service',
     '00000000-0000-7000-8000-000000000103', 'post',
     'Reel-Views', 'Reel views',
     'Mehr Aufrufe für Ihr Reel, damit es in die Empfehlungen kommt.',
     'More views for your reel to get it into recommendations.',
     E'Aufrufe bringen Ihr Reel in die Empfehlungen.\n\n* Für ein öffentliches Reel\n* Lieferung über 1–3 Tage',
     E'Views bring your reel into recommendations.\n\n* For one public reel\n* Delivered over 1–3 days',
     'Views', 'views', 1),
    ('00000000-0000-7000-8000-000000000204', 'social-media-betreuung', 'service',
     '00000000-0000-7000-8000-000000000104', 'handle',
     'Social-Media-Betreuung', 'Social media management',
     'Wir planen, gestalten und veröffentlichen Ihre Beiträge – jeden Monat.',
     'We plan, design and publish your posts, every month.',
     E'Ihr Instagram-Auftritt in festen Händen.\n\n* Redaktionsplan und Gestaltung\n* Veröffentlichung zu den besten Zeiten\n* Monatlicher Bericht\n\nMonatlich kündbar.',
     E'Your Instagram presence in good hands.\n\n* Content plan and design\n* Publishing at the best times\n* Monthly report\n\nCancel any month.',
     'Beiträge im Monat', 'posts a month', 1),
    ('00000000-0000-7000-8000-000000000205', 'starter-paket', 'bundle',
     '00000000-0000-7000-8000-000000000101', 'handle',
     'Starter-Paket', 'Starter bundle',
     '1.000 Follower und 3 × 500 Likes zum Paketpreis.',
     '1,000 followers and 3 × 500 likes at a bundle price.',
     E'Der schnelle Start für ein neues Profil: Follower für Ihr Profil und Likes für Ihre nächsten drei Beiträge.',
     E'The quick start for a new profile: followers for your profile and likes for your next three posts.',
     'Paket', 'bundle', 2),
    ('00000000-0000-7000-8000-000000000206', 'tiktok-follower', 'service',
     '00000000-0000-7000-8000-000000000101', 'handle',
     'TikTok-Follower (Entwurf)', 'TikTok followers (draft)',
     'Noch nicht im Verkauf.', 'Not on sale yet.', '', '', 'Follower', 'followers', 9)
ON CONFLICT (id) DO NOTHING;

INSERT INTO product_prices (id, product_id, offer) VALUES
    ('00000000-0000-7000-8000-000000000301', '00000000-0000-7000-8000-000000000201',
     '{"offer": {"vat": 1900, "billing": "one_off",
        "tiers": [{"key": "1k", "amount": 1000, "price": 1490},
                  {"key": "5k", "amount": 5000, "price": 5990},
                  {"key": "10k", "amount": 10000, "price": 9990}],
        "addons": [{"key": "refill", "price": 490}],
        "speeds": [{"key": "normal", "surcharge": 0}, {"key": "express", "surcharge": 990}]},
       "labels": {"addons": {"refill": {"de": "Nachfüll-Garantie (30 Tage)", "en": "Refill guarantee (30 days)"}},
                  "speeds": {"normal": {"de": "Normal (3–5 Tage)", "en": "Normal (3–5 days)"},
                             "express": {"de": "Express (1–2 Tage)", "en": "Express (1–2 days)"}}}}'),
    ('00000000-0000-7000-8000-000000000302', '00000000-0000-7000-8000-000000000202',
     '{"offer": {"vat": 1900, "billing": "one_off",
        "tiers": [{"key": "500", "amount": 500, "price": 490},
                  {"key": "1k", "amount": 1000, "price": 890},
                  {"key": "5k", "amount": 5000, "price": 3490}],
        "addons": [], "speeds": []}}'),
    ('00000000-0000-7000-8000-000000000303', '00000000-0000-7000-8000-000000000203',
     '{"offer": {"vat": 1900, "billing": "one_off",
        "tiers": [{"key": "10k", "amount": 10000, "price": 990},
                  {"key": "50k", "amount": 50000, "price": 3990},
                  {"key": "100k", "amount": 100000, "price": 6990}],
        "addons": [], "speeds": []}}'),
    ('00000000-0000-7000-8000-000000000304', '00000000-0000-7000-8000-000000000204',
     '{"offer": {"vat": 1900, "billing": "monthly",
        "tiers": [{"key": "basic", "amount": 8, "price": 49900},
                  {"key": "pro", "amount": 16, "price": 89900}],
        "addons": [{"key": "stories", "price": 14900}], "speeds": []},
       "labels": {"addons": {"stories": {"de": "Stories (3 pro Woche)", "en": "Stories (3 a week)"}}}}'),
    ('00000000-0000-7000-8000-000000000305', '00000000-0000-7000-8000-000000000205',
     '{"offer": {"vat": 1900, "billing": "one_off",
        "tiers": [{"key": "bundle", "amount": 1, "price": 2490}],
        "addons": [], "speeds": []}}'),
    ('00000000-0000-7000-8000-000000000306', '00000000-0000-7000-8000-000000000206',
     '{"offer": {"vat": 1900, "billing": "one_off",
        "tiers": [{"key": "1k", "amount": 1000, "price": 1990}], "addons": [], "speeds": []}}')
ON CONFLICT (id) DO NOTHING;

INSERT INTO bundle_items (bundle_id, item_id, tier_key, quantity, position) VALUES
    ('00000000-0000-7000-8000-000000000205', '00000000-0000-7000-8000-000000000201', '1k', 1, 1),
    ('00000000-0000-7000-8000-000000000205', '00000000-0000-7000-8000-000000000202', '500', 3, 2)
ON CONFLICT DO NOTHING;

-- Prices and publication once, when the demo products are new (an admin's later changes stay).
UPDATE products p SET price_id = pp.id, published = (p.slug <> 'tiktok-follower')
FROM product_prices pp
WHERE pp.product_id = p.id AND p.price_id IS NULL
  AND p.id BETWEEN '00000000-0000-7000-8000-000000000201' AND '00000000-0000-7000-8000-000000000206';

-- Legal pages as templates: every page links them (German law), so a local installation has
-- them from the start. Clearly marked as templates to be replaced by the agency's own text.
INSERT INTO pages (id, kind, slug, title_de, title_en, body_de, body_en, published, published_at)
VALUES
    ('00000000-0000-7000-8000-000000000401', 'legal', 'impressum', 'Impressum', 'Legal notice',
     E'**Muster – bitte durch die Angaben der Agentur ersetzen (Admin → Seiten).**\n\n## Angaben gemäß § 5 DDG\n\nGrowthdesk Demo GmbH\nMusterstraße 1\n50667 Köln\n\nVertreten durch: Erika Muster (Geschäftsführerin)\n\n## Kontakt\n\nE-Mail: team@growthdesk.localhost\n\n## Registereintrag\n\nAmtsgericht Köln, HRB 00000 (Demo)\n\n## Umsatzsteuer-ID\n\nDE000000000 (Demo)',
     E'**Template: replace with the agency''s details (Admin → Pages).**\n\n## Information under § 5 DDG\n\nGrowthdesk Demo GmbH\nMusterstraße 1\n50667 Cologne, Germany\n\nRepresented by: Erika Muster (managing director)\n\n## Contact\n\nEmail: team@growthdesk.localhost\n\n## Register\n\nLocal court Cologne, HRB 00000 (demo)\n\n## VAT id\n\nDE000000000 (demo)',
     true, now()),
    ('00000000-0000-7000-8000-000000000402', 'legal', 'datenschutz', 'Datenschutzerklärung', 'Privacy policy',
     E'**Muster – bitte durch die eigene Datenschutzerklärung ersetzen.**\n\n## Verantwortlicher\n\nGrowthdesk Demo GmbH, Musterstraße 1, 50667 Köln.\n\n## Welche Daten wir verarbeiten\n\n* Angaben aus dem Kontaktformular, um Ihre Anfrage zu beantworten (Art. 6 Abs. 1 lit. b DSGVO)\n* Kontodaten und Bestellungen, um Verträge zu erfüllen\n* Ein Sitzungs-Cookie, das nur die Anmeldung und den Warenkorb hält; keine Tracking-Cookies\n\n## Ihre Rechte\n\nAuskunft, Berichtigung, Löschung, Einschränkung, Datenübertragbarkeit und Widerspruch; Beschwerde bei einer Aufsichtsbehörde.',
     E'**Template: replace with your own privacy policy.**\n\n## Controller\n\nGrowthdesk Demo GmbH, Musterstraße 1, 50667 Cologne, Germany.\n\n## What we process\n\n* What you send with the contact form, to answer you (Art. 6(1)(b) GDPR)\n* Account data and orders, to fulfil contracts\n* One session cookie that only keeps your sign-in and cart; no tracking cookies\n\n## Your rights\n\nAccess, rectification, erasure, restriction, portability and objection; complaint to a supervisory authority.',
     true, now()),
    ('00000000-0000-7000-8000-000000000403', 'legal', 'agb', 'Allgemeine Geschäftsbedingungen', 'Terms and conditions',
     E'**Muster – bitte durch die eigenen AGB ersetzen.**\n\n## Geltungsbereich\n\nDiese Bedingungen gelten für alle Bestellungen über growthdesk.\n\n## Leistungen\n\nWir erbringen die im Shop beschriebenen Leistungen für das angegebene Instagram-Profil oder den angegebenen Beitrag.\n\n## Preise\n\nAlle Preise für Verbraucher enthalten die gesetzliche Umsatzsteuer.',
     E'**Template: replace with your own terms.**\n\n## Scope\n\nThese terms apply to every order placed with growthdesk.\n\n## Services\n\nWe provide the services described in the shop for the Instagram profile or post given.\n\n## Prices\n\nPrices for consumers include VAT.',
     true, now()),
    ('00000000-0000-7000-8000-000000000404', 'legal', 'widerruf', 'Widerrufsbelehrung', 'Right of withdrawal',
     E'**Muster – bitte durch die eigene Widerrufsbelehrung ersetzen.**\n\n## Widerrufsrecht\n\nSie haben das Recht, binnen vierzehn Tagen ohne Angabe von Gründen diesen Vertrag zu widerrufen.\n\n## Vorzeitiges Erlöschen\n\nBei Dienstleistungen erlischt das Widerrufsrecht, wenn wir die Leistung vollständig erbracht haben und Sie vor Beginn ausdrücklich zugestimmt und Ihre Kenntnis davon bestätigt haben, dass Sie Ihr Widerrufsrecht bei vollständiger Vertragserfüllung verlieren.',
     E'**Template: replace with your own withdrawal notice.**\n\n## Right of withdrawal\n\nYou may withdraw from this contract within fourteen days without giving any reason.\n\n## Early expiry\n\nFor services, the right of withdrawal expires once we have fully performed the service and you expressly agreed to us starting before the withdrawal period ended and acknowledged that you lose the right once the contract is fully performed.',
     true, now())
ON CONFLICT (id) DO NOTHING;

-- Two demo blog posts (clearly demo content) and a draft, so the blog shows from the start.
INSERT INTO pages (id, kind, slug, title_de, title_en, summary_de, summary_en, body_de, body_en,
                   published, published_at)
VALUES
    ('00000000-0000-7000-8000-000000000501', 'blog', 'reels-die-wachsen',
     'Reels, die wachsen: fünf Regeln aus 200 Kampagnen', 'Reels that grow: five rules from 200 campaigns',
     'Was Reels mit vielen Aufrufen gemeinsam haben – und was Sie morgen anders machen können.',
     'What reels with many views have in common, and what you can do differently tomorrow.',
     E'*Demo-Beitrag.*\n\n## 1. Die ersten zwei Sekunden entscheiden\n\nZeigen Sie sofort, worum es geht.\n\n## 2. Untertitel\n\nDie meisten schauen ohne Ton.\n\n## 3. Regelmäßig posten\n\nLieber drei gute Reels pro Woche als zehn schnelle.',
     E'*Demo post.*\n\n## 1. The first two seconds decide\n\nShow at once what it is about.\n\n## 2. Subtitles\n\nMost people watch without sound.\n\n## 3. Post regularly\n\nThree good reels a week beat ten quick ones.',
     true, '2026-11-20 09:00:00+00'),
    ('00000000-0000-7000-8000-000000000502', 'blog', 'follower-oder-reichweite',
     'Follower oder Reichweite: Was zählt 2026?', 'Followers or reach: what counts in 2026?',
     'Warum Aufrufe und Interaktionen mehr verraten als die Follower-Zahl.',
     'Why views and interactions tell you more than the follower count.',
     E'*Demo-Beitrag.*\n\nSeit 2025 zählt Instagram **Aufrufe** statt Impressionen. Für Ihr Wachstum heißt das: ...',
     E'*Demo post.*\n\nSince 2025 Instagram counts **views** instead of impressions. For your growth this means: ...',
     true, '2026-11-27 09:00:00+00'),
    ('00000000-0000-7000-8000-000000000503', 'blog', 'entwurf-hashtags',
     'Hashtags 2027 (Entwurf)', 'Hashtags in 2027 (draft)', '', '', 'Noch nicht fertig.', 'Not done yet.',
     false, NULL)
ON CONFLICT (id) DO NOTHING;

SELECT pg_notify('catalog_changed', '');

-- Fulfilment: the local stand-in SMM panel (`make provider`, started by `make run`; labelled as
-- such in the admin portal) delivers likes and reel views; followers, the bundle and social
-- media management are delivered by hand (tasks in the admin portal). Its services are loaded
-- again from the panel by "Load services" in the admin portal.
INSERT INTO fulfilment_providers (id, name, api_url, api_key, currency)
VALUES ('00000000-0000-7000-8000-000000000601', 'Lokaler Stand-in-Anbieter (kein echter Anbieter)',
        'http://127.0.0.1:3005/api/v2', 'standin-key', 'EUR')
ON CONFLICT DO NOTHING;

INSERT INTO provider_services (provider_id, service, name, kind, category, rate_micros,
                               min_quantity, max_quantity, refill, cancel, dripfeed)
VALUES
    ('00000000-0000-7000-8000-000000000601', '1001', 'Instagram Followers · Stand-in', 'Default',
     'Instagram', 900000, 10, 100000, true, true, false),
    ('00000000-0000-7000-8000-000000000601', '1002', 'Instagram Likes · Stand-in', 'Default',
     'Instagram', 200000, 10, 100000, true, true, false),
    ('00000000-0000-7000-8000-000000000601', '1003', 'Instagram Views · Stand-in', 'Default',
     'Instagram', 50000, 100, 1000000, false, true, false),
    ('00000000-0000-7000-8000-000000000601', '1004', 'Expensive test service · Stand-in',
     'Default', 'Test', 500000000, 1, 100000, false, false, false)
ON CONFLICT DO NOTHING;

INSERT INTO fulfilment_routes (product_id, speed_key, provider_id, service) VALUES
    ('00000000-0000-7000-8000-000000000202', '', '00000000-0000-7000-8000-000000000601', '1002'),
    ('00000000-0000-7000-8000-000000000203', '', '00000000-0000-7000-8000-000000000601', '1003')
ON CONFLICT DO NOTHING;
