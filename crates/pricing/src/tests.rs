#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;

fn offer() -> Offer {
    Offer {
        vat: VatRate::STANDARD_DE,
        billing: Billing::OneOff,
        tiers: vec![
            Tier {
                key: "1k".into(),
                amount: 1_000,
                price: Cents(1_490),
            },
            Tier {
                key: "5k".into(),
                amount: 5_000,
                price: Cents(5_990),
            },
        ],
        addons: vec![Addon {
            key: "refill".into(),
            price: Cents(500),
        }],
        speeds: vec![
            Speed {
                key: "normal".into(),
                surcharge: Cents(0),
            },
            Speed {
                key: "express".into(),
                surcharge: Cents(990),
            },
        ],
    }
}

fn select(tier: &str, addons: &[&str], speed: Option<&str>, quantity: u32) -> Selection {
    Selection {
        tier: tier.into(),
        addons: addons.iter().map(|a| a.to_string()).collect(),
        speed: speed.map(str::to_owned),
        quantity,
    }
}

fn line(gross: i64, rate: u16, billing: Billing) -> LinePrice {
    LinePrice {
        unit_gross: Cents(gross),
        quantity: 1,
        gross: Cents(gross),
        vat: VatRate::from_basis_points(rate).unwrap(),
        billing,
    }
}

#[test]
fn a_configured_line_adds_tier_addons_and_speed() {
    let l = price_line(&offer(), &select("5k", &["refill"], Some("express"), 2)).unwrap();
    assert_eq!(l.unit_gross, Cents(5_990 + 500 + 990));
    assert_eq!(l.gross, Cents(2 * (5_990 + 500 + 990)));
    // Without a speed, the first (default) one.
    let l = price_line(&offer(), &select("1k", &[], None, 1)).unwrap();
    assert_eq!(l.gross, Cents(1_490));
}

#[test]
fn a_selection_the_offer_does_not_have_is_refused() {
    let o = offer();
    assert_eq!(
        price_line(&o, &select("2k", &[], None, 1)),
        Err(PriceError::UnknownTier("2k".into()))
    );
    assert_eq!(
        price_line(&o, &select("1k", &["gold"], None, 1)),
        Err(PriceError::UnknownAddon("gold".into()))
    );
    assert_eq!(
        price_line(&o, &select("1k", &["refill", "refill"], None, 1)),
        Err(PriceError::DuplicateAddon("refill".into()))
    );
    assert_eq!(
        price_line(&o, &select("1k", &[], Some("warp"), 1)),
        Err(PriceError::UnknownSpeed("warp".into()))
    );
    for q in [0, MAX_QUANTITY + 1] {
        assert_eq!(
            price_line(&o, &select("1k", &[], None, q)),
            Err(PriceError::QuantityOutOfRange { max: MAX_QUANTITY })
        );
    }
    let mut negative = offer();
    negative.addons[0].price = Cents(-1);
    assert_eq!(
        price_line(&negative, &select("1k", &["refill"], None, 1)),
        Err(PriceError::NegativePrice)
    );
    let mut empty = offer();
    empty.tiers.clear();
    assert_eq!(
        price_line(&empty, &select("1k", &[], None, 1)),
        Err(PriceError::NoTiers)
    );
}

#[test]
fn vat_is_taken_out_of_the_gross_per_rate() {
    // 119,00 € at 19 % is 100,00 € net and 19,00 € VAT.
    let q = quote(&[line(11_900, 1900, Billing::OneOff)], Treatment::Standard).unwrap();
    let t = q.period(Billing::OneOff).unwrap();
    assert_eq!(
        (t.net, t.vat, t.total),
        (Cents(10_000), Cents(1_900), Cents(11_900))
    );
    // 9,99 € at 19 %: 8,394957… → 8,39 € net, 1,60 € VAT.
    let q = quote(&[line(999, 1900, Billing::OneOff)], Treatment::Standard).unwrap();
    let t = q.period(Billing::OneOff).unwrap();
    assert_eq!((t.net, t.vat), (Cents(839), Cents(160)));
    // Two rates stay apart, highest first.
    let q = quote(
        &[
            line(1_070, 700, Billing::OneOff),
            line(1_190, 1900, Billing::OneOff),
        ],
        Treatment::Standard,
    )
    .unwrap();
    let t = q.period(Billing::OneOff).unwrap();
    assert_eq!(t.rates.len(), 2);
    assert_eq!(t.rates[0].rate, VatRate::STANDARD_DE);
    assert_eq!((t.rates[1].net, t.rates[1].vat), (Cents(1_000), Cents(70)));
}

#[test]
fn reverse_charge_charges_the_net_and_small_business_the_list_price() {
    let lines = [line(11_900, 1900, Billing::OneOff)];
    let rc = quote(&lines, Treatment::ReverseCharge).unwrap();
    let t = rc.period(Billing::OneOff).unwrap();
    assert_eq!(
        (t.net, t.vat, t.total),
        (Cents(10_000), Cents(0), Cents(10_000))
    );
    let lines = [
        line(11_900, 1900, Billing::OneOff),
        line(1_070, 700, Billing::OneOff),
    ];
    let sb = quote(&lines, Treatment::SmallBusiness).unwrap();
    let t = sb.period(Billing::OneOff).unwrap();
    assert_eq!(t.rates.len(), 1);
    assert_eq!(
        (t.net, t.vat, t.total),
        (Cents(12_970), Cents(0), Cents(12_970))
    );
}

#[test]
fn subscriptions_are_totalled_per_period() {
    let q = quote(
        &[
            line(2_000, 1900, Billing::Monthly),
            line(5_000, 1900, Billing::OneOff),
            line(20_000, 1900, Billing::Yearly),
        ],
        Treatment::Standard,
    )
    .unwrap();
    let order: Vec<_> = q.periods.iter().map(|p| p.billing).collect();
    assert_eq!(
        order,
        vec![Billing::OneOff, Billing::Monthly, Billing::Yearly]
    );
    assert_eq!(q.due_now(), Cents(27_000));
}

#[test]
fn who_pays_vat() {
    let de = Buyer::Business(VatId::parse("DE 123 456 789").unwrap());
    let at = Buyer::Business(VatId::parse("ATU12345678").unwrap());
    assert_eq!(
        treatment(&Buyer::Consumer, "DE", false),
        Treatment::Standard
    );
    assert_eq!(treatment(&de, "DE", false), Treatment::Standard);
    assert_eq!(treatment(&at, "DE", false), Treatment::ReverseCharge);
    assert_eq!(treatment(&at, "DE", true), Treatment::SmallBusiness);
}

#[test]
fn vat_ids_are_checked_per_country() {
    for good in [
        "DE123456789",
        "de 123.456.789",
        "ATU12345678",
        "FRXX123456789",
        "NL123456789B01",
        "ESX1234567X",
        "IE1234567WA",
        "SE123456789001",
        "GR123456789",
        "XIGD123",
    ] {
        assert!(VatId::parse(good).is_ok(), "{good}");
    }
    assert_eq!(VatId::parse("GR123456789").unwrap().as_str(), "EL123456789");
    assert_eq!(VatId::parse("de-123456789").unwrap().country(), "DE");
    assert_eq!(VatId::parse(""), Err(VatIdProblem::Empty));
    assert_eq!(
        VatId::parse("US123456789"),
        Err(VatIdProblem::UnknownCountry)
    );
    assert_eq!(VatId::parse("D"), Err(VatIdProblem::UnknownCountry));
    assert_eq!(VatId::parse("ÄÖ123"), Err(VatIdProblem::UnknownCountry));
    for bad in [
        "DE12345678",
        "DE1234567890",
        "ATU1234567",
        "NL123456789X01",
        "SE123456789002",
    ] {
        assert_eq!(VatId::parse(bad), Err(VatIdProblem::Format), "{bad}");
    }
}

#[test]
fn money_is_written_and_read_the_way_people_do() {
    assert_eq!(Cents(123_456).de(), "1.234,56 €");
    assert_eq!(Cents(123_456).en(), "€1,234.56");
    assert_eq!(Cents(5).de(), "0,05 €");
    assert_eq!(Cents(-1_050).en(), "-€10.50");
    assert_eq!(Cents(100_000_000).de(), "1.000.000,00 €");
    for (text, cents) in [
        ("12", 1_200),
        ("12,5", 1_250),
        ("12.50", 1_250),
        ("1.234,56", 123_456),
        ("1,234.56", 123_456),
        ("1.234", 123_400),
        ("€ 9,99", 999),
        ("9,99 €", 999),
        (",5", 50),
    ] {
        assert_eq!(Cents::parse_euros(text), Ok(Cents(cents)), "{text}");
    }
    assert_eq!(Cents::parse_euros(" "), Err(MoneyProblem::Empty));
    assert_eq!(Cents::parse_euros("-5"), Err(MoneyProblem::Negative));
    assert_eq!(Cents::parse_euros("12,3x"), Err(MoneyProblem::Invalid));
    assert_eq!(Cents::parse_euros(","), Err(MoneyProblem::Invalid));
    assert_eq!(
        Cents::parse_euros("99999999999"),
        Err(MoneyProblem::TooLarge)
    );
}

#[test]
fn an_offer_says_why_it_cannot_be_sold() {
    assert_eq!(offer().problem(), None);
    let mut o = offer();
    o.addons[0].key = "1k".into();
    assert_eq!(o.problem(), Some(r#"key "1k" twice"#.into()));
    let mut o = offer();
    o.speeds[1].surcharge = Cents(-1);
    assert!(o.problem().unwrap().starts_with("price -1"));
    let mut o = offer();
    o.tiers.clear();
    assert_eq!(o.problem(), Some("no tier".into()));
    // A rate over 100 % cannot even be read.
    assert!(serde_json::from_str::<VatRate>("10001").is_err());
    assert_eq!(
        serde_json::from_str::<VatRate>("1900").ok(),
        Some(VatRate::STANDARD_DE)
    );
}

#[test]
fn rates_read_as_percent() {
    assert_eq!(VatRate::STANDARD_DE.percent(true), "19 %");
    assert_eq!(
        VatRate::from_basis_points(550).unwrap().percent(true),
        "5,5 %"
    );
    assert_eq!(
        VatRate::from_basis_points(550).unwrap().percent(false),
        "5.5 %"
    );
    assert_eq!(VatRate::from_basis_points(10_001), None);
}

fn any_line() -> impl Strategy<Value = LinePrice> {
    (
        0i64..5_000_000,
        prop::sample::select(vec![0u16, 500, 700, 1_600, 1_900, 2_100, 2_700]),
        prop::sample::select(Billing::ALL.to_vec()),
    )
        .prop_map(|(gross, rate, billing)| line(gross, rate, billing))
}

fn any_treatment() -> impl Strategy<Value = Treatment> {
    prop::sample::select(vec![
        Treatment::Standard,
        Treatment::ReverseCharge,
        Treatment::SmallBusiness,
    ])
}

proptest! {
    /// Net + VAT is the total for every rate and period, and the periods' totals add up.
    #[test]
    fn parts_add_up(lines in prop::collection::vec(any_line(), 0..20), t in any_treatment()) {
        let q = quote(&lines, t).unwrap();
        for p in &q.periods {
            for r in &p.rates {
                prop_assert_eq!(r.net.0 + r.vat.0, r.total.0);
                prop_assert!(r.vat.0 >= 0 && r.net.0 >= 0);
            }
            prop_assert_eq!(p.net.0 + p.vat.0, p.total.0);
            prop_assert_eq!(p.total.0, p.rates.iter().map(|r| r.total.0).sum::<i64>());
        }
        prop_assert_eq!(q.due_now().0, q.periods.iter().map(|p| p.total.0).sum::<i64>());
    }

    /// Under the standard treatment the buyer pays exactly the listed prices: the lines'
    /// gross amounts add up to the total, whatever the rounding.
    #[test]
    fn consumers_pay_the_listed_prices(lines in prop::collection::vec(any_line(), 0..20)) {
        let q = quote(&lines, Treatment::Standard).unwrap();
        let listed: i64 = lines.iter().map(|l| l.gross.0).sum();
        prop_assert_eq!(q.due_now().0, listed);
        let small = quote(&lines, Treatment::SmallBusiness).unwrap();
        prop_assert_eq!(small.due_now().0, listed);
    }

    /// The VAT is the exact share of the gross, rounded to the nearest cent.
    #[test]
    fn vat_is_rounded_to_the_nearest_cent(gross in 0i64..1_000_000_000, rate in 0u16..=10_000) {
        let rate = VatRate::from_basis_points(rate).unwrap();
        let net = net_of(Cents(gross), rate).0;
        let exact = gross as f64 * 10_000.0 / (10_000.0 + f64::from(rate.basis_points()));
        prop_assert!((net as f64 - exact).abs() <= 0.5 + 1e-6, "net {} exact {}", net, exact);
        prop_assert!(net <= gross);
    }

    /// Reverse charge charges the standard treatment's net, no VAT.
    #[test]
    fn reverse_charge_is_the_standard_net(lines in prop::collection::vec(any_line(), 0..20)) {
        let standard = quote(&lines, Treatment::Standard).unwrap();
        let reverse = quote(&lines, Treatment::ReverseCharge).unwrap();
        for (s, r) in standard.periods.iter().zip(&reverse.periods) {
            prop_assert_eq!(s.net, r.total);
            prop_assert_eq!(r.vat, Cents(0));
        }
    }

    /// The order of the cart's lines changes nothing.
    #[test]
    fn line_order_does_not_matter(lines in prop::collection::vec(any_line(), 0..12), t in any_treatment()) {
        let mut reversed = lines.clone();
        reversed.reverse();
        prop_assert_eq!(quote(&lines, t).unwrap(), quote(&reversed, t).unwrap());
    }

    /// More of an item never costs less, and an add-on never makes it cheaper.
    #[test]
    fn more_never_costs_less(q in 1u32..MAX_QUANTITY, express in any::<bool>(), refill in any::<bool>()) {
        let o = offer();
        let speed = express.then_some("express");
        let addons: &[&str] = if refill { &["refill"] } else { &[] };
        let one = price_line(&o, &select("1k", addons, speed, q)).unwrap();
        let more = price_line(&o, &select("1k", addons, speed, q + 1)).unwrap();
        prop_assert!(more.gross > one.gross);
        let with = price_line(&o, &select("1k", &["refill"], speed, q)).unwrap();
        prop_assert!(with.gross >= one.gross);
    }

    /// What `de` and `en` write, `parse_euros` reads back.
    #[test]
    fn money_round_trips(cents in 0i64..=Cents::MAX_INPUT.0) {
        prop_assert_eq!(Cents::parse_euros(&Cents(cents).de()), Ok(Cents(cents)));
        prop_assert_eq!(Cents::parse_euros(&Cents(cents).en()), Ok(Cents(cents)));
    }

    /// Typed text never panics the parsers.
    #[test]
    fn parsers_take_any_text(s in ".{0,40}") {
        let _ = Cents::parse_euros(&s);
        let _ = VatId::parse(&s);
    }
}
